package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"holler/server/internal/config"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

func noRateLimit(c *config.Config) { c.RateLimit = false }

type created struct {
	Conversation struct {
		ID     string `json:"id"`
		Ref    string `json:"ref"`
		Kind   string `json:"kind"`
		Status string `json:"status"`
	} `json:"conversation"`
	Message struct {
		ID   string `json:"id"`
		Body string `json:"body"`
	} `json:"message"`
	VisitorToken string `json:"visitor_token"`
}

func countConversations(t *testing.T, s *testserver.Server, admin string) int {
	t.Helper()
	var page struct {
		Conversations []map[string]any `json:"conversations"`
	}
	s.Do(t, "GET", "/api/v1/conversations?limit=100", admin, nil).JSON(t, &page)
	return len(page.Conversations)
}

// TestIdempotentCreate: a retried POST with the same Idempotency-Key returns
// the first answer and creates nothing; a different body is a 422; racing
// retries create exactly one conversation.
func TestIdempotentCreate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noRateLimit})
		admin := s.AdminToken(t)
		path := "/api/v1/widget/" + s.DemoKey + "/conversations"
		body := map[string]string{"kind": "complaint", "message": "The lamp arrived broken", "email": "ann@example.com"}

		first := s.Do(t, "POST", path, "", body, "Idempotency-Key", "key-1")
		if first.Status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.Status, first.Body)
		}
		var a created
		first.JSON(t, &a)
		if a.Conversation.Ref == "" || !strings.Contains(a.Conversation.Ref, "-") || a.VisitorToken == "" {
			t.Fatalf("missing ref or token: %s", first.Body)
		}
		retry := s.Do(t, "POST", path, "", body, "Idempotency-Key", "key-1")
		var b created
		retry.JSON(t, &b)
		if retry.Status != http.StatusCreated || b.Conversation.ID != a.Conversation.ID || b.VisitorToken != a.VisitorToken {
			t.Fatalf("retry: %d %s", retry.Status, retry.Body)
		}
		other := s.Do(t, "POST", path, "", map[string]string{"kind": "complaint", "message": "different"}, "Idempotency-Key", "key-1")
		if other.Status != http.StatusUnprocessableEntity || other.ErrorCode() != "idempotency_key_reused" {
			t.Fatalf("reused key: %d %s", other.Status, other.Body)
		}
		if n := countConversations(t, s, admin); n != 1 {
			t.Fatalf("%d conversations after retries, want 1", n)
		}

		// Racing retries of one request: one conversation, and every answer
		// is either the original or a 409.
		var wg sync.WaitGroup
		ids := make(chan string, 8)
		race := map[string]string{"kind": "question", "message": "Do you ship to Norway?"}
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.Do(t, "POST", path, "", race, "Idempotency-Key", "key-race")
				switch r.Status {
				case http.StatusCreated:
					var c created
					r.JSON(t, &c)
					ids <- c.Conversation.ID
				case http.StatusConflict:
				default:
					t.Errorf("racing retry: %d %s", r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		if len(seen) != 1 {
			t.Fatalf("racing retries produced %d distinct conversations", len(seen))
		}
		if n := countConversations(t, s, admin); n != 2 {
			t.Fatalf("%d conversations, want 2", n)
		}
	})
}

// TestVisitorIsolation: a visitor sees their own conversations only; another
// visitor's conversation answers 404; staff tokens do not work as visitor
// tokens; internal notes never reach the visitor.
func TestVisitorIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noRateLimit})
		admin := s.AdminToken(t)
		base := "/api/v1/widget/" + s.DemoKey
		var ann, bob created
		s.Do(t, "POST", base+"/conversations", "", map[string]string{"kind": "question", "message": "ann's question"}).JSON(t, &ann)
		s.Do(t, "POST", base+"/conversations", "", map[string]string{"kind": "complaint", "message": "bob's complaint"}).JSON(t, &bob)

		// A returning visitor's second conversation joins the first.
		var ann2 created
		s.Do(t, "POST", base+"/conversations", ann.VisitorToken, map[string]string{"kind": "feedback", "message": "more"}).JSON(t, &ann2)
		var list struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		s.Do(t, "GET", base+"/conversations", ann.VisitorToken, nil).JSON(t, &list)
		if len(list.Conversations) != 2 {
			t.Fatalf("ann sees %d conversations, want 2", len(list.Conversations))
		}
		if r := s.Do(t, "GET", base+"/conversations/"+bob.Conversation.ID, ann.VisitorToken, nil); r.Status != http.StatusNotFound {
			t.Fatalf("ann reads bob's conversation: %d", r.Status)
		}
		if r := s.Do(t, "POST", base+"/conversations/"+bob.Conversation.ID+"/messages", ann.VisitorToken, map[string]string{"body": "hi"}); r.Status != http.StatusNotFound {
			t.Fatalf("ann writes to bob's conversation: %d", r.Status)
		}
		if r := s.Do(t, "GET", base+"/conversations", admin, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("staff token on a visitor route: %d", r.Status)
		}
		if r := s.Do(t, "GET", "/api/v1/conversations", ann.VisitorToken, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("visitor token on a staff route: %d", r.Status)
		}

		s.Do(t, "POST", "/api/v1/conversations/"+ann.Conversation.ID+"/messages", admin, map[string]any{"body": "NOTE: refund later", "internal": true})
		s.Do(t, "POST", "/api/v1/conversations/"+ann.Conversation.ID+"/messages", admin, map[string]any{"body": "Yes, we ship there."})
		r := s.Do(t, "GET", base+"/conversations/"+ann.Conversation.ID, ann.VisitorToken, nil)
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), "refund later") || !strings.Contains(string(r.Body), "we ship there") {
			t.Fatalf("visitor thread: %d %s", r.Status, r.Body)
		}
		staff := s.Do(t, "GET", "/api/v1/conversations/"+ann.Conversation.ID, admin, nil)
		if !strings.Contains(string(staff.Body), "refund later") {
			t.Fatalf("staff thread lacks the note: %s", staff.Body)
		}

		// Rating, once the conversation is resolved.
		s.Do(t, "PATCH", "/api/v1/conversations/"+ann.Conversation.ID, admin, map[string]any{"status": "resolved"})
		if r := s.Do(t, "POST", base+"/conversations/"+ann.Conversation.ID+"/rating", ann.VisitorToken, map[string]any{"score": 6}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("score 6: %d", r.Status)
		}
		if r := s.Do(t, "POST", base+"/conversations/"+ann.Conversation.ID+"/rating", ann.VisitorToken, map[string]any{"score": 5, "comment": "fast!"}); r.Status != http.StatusOK {
			t.Fatalf("rating: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(string(s.Do(t, "GET", "/api/v1/conversations/"+ann.Conversation.ID, admin, nil).Body), `"rating_score":5`) {
			t.Fatal("staff do not see the rating")
		}
	})
}

// TestWidgetOriginsAndCORS: a site with allowed origins refuses others with
// 403 origin_not_allowed and answers CORS for its own; an unknown key is 404.
func TestWidgetOriginsAndCORS(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noRateLimit})
	admin := s.AdminToken(t)
	r := s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]any{"allowed_origins": []string{"https://shop.example.com/"}})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"allowed_origins":["https://shop.example.com"]`) {
		t.Fatalf("patch site: %d %s", r.Status, r.Body)
	}
	cfg := "/api/v1/widget/" + s.DemoKey + "/config"
	if r := s.Do(t, "GET", cfg, "", nil, "Origin", "https://evil.example"); r.Status != http.StatusForbidden || r.ErrorCode() != "origin_not_allowed" {
		t.Fatalf("foreign origin: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, "GET", cfg, "", nil, "Origin", "https://shop.example.com")
	if r.Status != http.StatusOK || r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Fatalf("allowed origin: %d %v", r.Status, r.Header)
	}
	if !strings.Contains(string(r.Body), `"online":false`) || !strings.Contains(string(r.Body), `"kinds":["question","complaint","feedback","praise"]`) {
		t.Fatalf("config body: %s", r.Body)
	}
	pre := s.Do(t, "OPTIONS", "/api/v1/widget/"+s.DemoKey+"/conversations", "", nil,
		"Origin", "https://shop.example.com", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,idempotency-key")
	if pre.Status != http.StatusNoContent || pre.Header.Get("Access-Control-Max-Age") == "" ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Idempotency-Key") {
		t.Fatalf("preflight: %d %v", pre.Status, pre.Header)
	}
	if r := s.Do(t, "GET", "/api/v1/widget/nope/config", "", nil); r.Status != http.StatusNotFound || r.ErrorCode() != "not_found" {
		t.Fatalf("unknown key: %d %s", r.Status, r.Body)
	}
	// Narrowed kinds are enforced.
	s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]any{"kinds": []string{"complaint"}})
	r = s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations", "", map[string]string{"kind": "praise", "message": "great"}, "Origin", "https://shop.example.com")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"kind"`) {
		t.Fatalf("narrowed kind: %d %s", r.Status, r.Body)
	}
}

// TestHoneypot: a filled honeypot is rejected and stores nothing.
func TestHoneypot(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noRateLimit})
	r := s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations", "",
		map[string]string{"kind": "question", "message": "buy pills", "website": "http://spam.example"})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("honeypot: %d %s", r.Status, r.Body)
	}
	if n := countConversations(t, s, s.AdminToken(t)); n != 0 {
		t.Fatalf("%d conversations stored", n)
	}
}

// TestStaffTenancy: an agent of one site never sees another site's data.
func TestStaffTenancy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noRateLimit})
		admin := s.AdminToken(t)
		var other struct {
			Site struct{ ID, Key string } `json:"site"`
		}
		s.Do(t, "POST", "/api/v1/sites", admin, map[string]any{"name": "Other shop"}).JSON(t, &other)
		r := s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "agent@example.com", "name": "Agent",
			"password": "agent password 1", "role": "agent", "site_ids": []string{s.DemoSite}})
		if r.Status != http.StatusCreated {
			t.Fatalf("create agent: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "AGENT@example.com", "password": "agent password 1"}); r.Status != http.StatusConflict {
			t.Fatalf("duplicate email: %d %s", r.Status, r.Body)
		}
		agent := s.Login(t, "agent@example.com", "agent password 1")
		var mine, theirs created
		s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations", "", map[string]string{"kind": "question", "message": "demo q"}).JSON(t, &mine)
		s.Do(t, "POST", "/api/v1/widget/"+other.Site.Key+"/conversations", "", map[string]string{"kind": "question", "message": "other q"}).JSON(t, &theirs)

		if n := countConversations(t, s, agent); n != 1 {
			t.Fatalf("agent sees %d conversations, want 1", n)
		}
		for _, req := range []struct{ method, path string }{
			{"GET", "/api/v1/conversations/" + theirs.Conversation.ID},
			{"PATCH", "/api/v1/conversations/" + theirs.Conversation.ID},
			{"POST", "/api/v1/conversations/" + theirs.Conversation.ID + "/messages"},
			{"GET", "/api/v1/sites/" + other.Site.ID},
		} {
			r := s.Do(t, req.method, req.path, agent, map[string]any{"body": "x", "status": "resolved"})
			if r.Status != http.StatusNotFound {
				t.Errorf("%s %s as agent: %d %s", req.method, req.path, r.Status, r.Body)
			}
		}
		if r := s.Do(t, "POST", "/api/v1/sites", agent, map[string]any{"name": "Mine"}); r.Status != http.StatusForbidden {
			t.Fatalf("agent creates a site: %d", r.Status)
		}
		var sites struct{ Sites []map[string]any }
		s.Do(t, "GET", "/api/v1/sites", agent, nil).JSON(t, &sites)
		if len(sites.Sites) != 1 {
			t.Fatalf("agent lists %d sites", len(sites.Sites))
		}
		// The agent's socket carries their site only.
		if r := s.Do(t, "GET", "/api/v1/conversations?site_id="+other.Site.ID, agent, nil); !strings.Contains(string(r.Body), `"conversations":[]`) {
			t.Fatalf("agent filters by a foreign site: %s", r.Body)
		}
	})
}

// TestInboxPaginationAndSearch: cursor pages cover every conversation once;
// search finds by ref and by message text; filters apply.
func TestInboxPaginationAndSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noRateLimit})
		admin := s.AdminToken(t)
		var refs []string
		for i := 0; i < 7; i++ {
			var c created
			kind := []string{"question", "complaint"}[i%2]
			s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations", "", map[string]string{"kind": kind, "message": fmt.Sprintf("item %d 100%% broken_thing", i)}).JSON(t, &c)
			refs = append(refs, c.Conversation.Ref)
		}
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			var page struct {
				Conversations []struct{ ID string } `json:"conversations"`
				NextCursor    string                `json:"next_cursor"`
			}
			s.Do(t, "GET", "/api/v1/conversations?limit=3&cursor="+cursor, admin, nil).JSON(t, &page)
			for _, c := range page.Conversations {
				if seen[c.ID] {
					t.Fatalf("conversation %s on two pages", c.ID)
				}
				seen[c.ID] = true
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if len(seen) != 7 {
			t.Fatalf("pages covered %d conversations, want 7", len(seen))
		}
		search := func(q string) int {
			var page struct{ Conversations []map[string]any }
			s.Do(t, "GET", "/api/v1/conversations?q="+q, admin, nil).JSON(t, &page)
			return len(page.Conversations)
		}
		if n := search(refs[3]); n != 1 {
			t.Fatalf("search by ref found %d", n)
		}
		if n := search("item%204"); n != 1 {
			t.Fatalf("search by text found %d", n)
		}
		if n := search("100%25"); n != 7 {
			t.Fatalf("search for a literal %% found %d", n)
		}
		// "o" is not in the ref alphabet, so no random ref can match (a
		// query such as "zzz" did, about once in two thousand runs).
		if n := search("nooothing"); n != 0 {
			t.Fatalf("search for nothing found %d (refs %v)", n, refs)
		}
		var page struct{ Conversations []map[string]any }
		s.Do(t, "GET", "/api/v1/conversations?kind=complaint", admin, nil).JSON(t, &page)
		if len(page.Conversations) != 3 {
			t.Fatalf("kind filter found %d", len(page.Conversations))
		}
		if r := s.Do(t, "GET", "/api/v1/conversations?cursor=garbage!", admin, nil); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad cursor: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/conversations?limit=abc", admin, nil); r.Status != http.StatusBadRequest {
			t.Fatalf("bad limit: %d %s", r.Status, r.Body)
		}
	})
}

// TestIdempotentVisitorReply: a retried reply with the same key posts once;
// the visitor's list carries an events cursor for the widget's socket.
func TestIdempotentVisitorReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noRateLimit})
		base := "/api/v1/widget/" + s.DemoKey
		var c created
		s.Do(t, "POST", base+"/conversations", "", map[string]string{"kind": "question", "message": "hello"}).JSON(t, &c)
		path := base + "/conversations/" + c.Conversation.ID + "/messages"
		var ids []string
		for i := 0; i < 3; i++ {
			r := s.Do(t, "POST", path, c.VisitorToken, map[string]string{"body": "still there?"}, "Idempotency-Key", "reply-1")
			if r.Status != http.StatusCreated {
				t.Fatalf("reply %d: %d %s", i, r.Status, r.Body)
			}
			var m struct{ Message struct{ ID string } }
			r.JSON(t, &m)
			ids = append(ids, m.Message.ID)
		}
		if ids[0] != ids[1] || ids[1] != ids[2] {
			t.Fatalf("retries made different messages: %v", ids)
		}
		if r := s.Do(t, "POST", path, c.VisitorToken, map[string]string{"body": "other"}, "Idempotency-Key", "reply-1"); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("key reuse: %d", r.Status)
		}
		var thread struct{ Messages []map[string]any }
		s.Do(t, "GET", base+"/conversations/"+c.Conversation.ID, c.VisitorToken, nil).JSON(t, &thread)
		if len(thread.Messages) != 2 {
			t.Fatalf("%d messages, want 2", len(thread.Messages))
		}
		var list struct {
			EventsCursor string `json:"events_cursor"`
		}
		s.Do(t, "GET", base+"/conversations", c.VisitorToken, nil).JSON(t, &list)
		if list.EventsCursor == "" {
			t.Fatal("no events_cursor in the visitor's list")
		}
	})
}

// TestConversationPatch: status, kind, tags and assignment change and stick
// across later updates; bad values are 422 and change nothing.
func TestConversationPatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noRateLimit})
		admin := s.AdminToken(t)
		var me struct{ User struct{ ID string } }
		s.Do(t, "GET", "/api/v1/me", admin, nil).JSON(t, &me)
		var c created
		s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations", "", map[string]string{"kind": "question", "message": "where is my refund"}).JSON(t, &c)
		path := "/api/v1/conversations/" + c.Conversation.ID
		r := s.Do(t, "PATCH", path, admin, map[string]any{"tags": []string{" Refund ", "refund", "urgent"}, "kind": "complaint", "assignee_id": me.User.ID})
		if r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		r = s.Do(t, "PATCH", path, admin, map[string]any{"status": "pending"})
		body := string(r.Body)
		for _, want := range []string{`"tags":["refund","urgent"]`, `"kind":"complaint"`, `"status":"pending"`, `"assignee_id":"` + me.User.ID + `"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("after two patches %s lacks %s", body, want)
			}
		}
		for _, bad := range []map[string]any{{"status": "closed"}, {"kind": "rant"}, {"assignee_id": "nobody"}, {"tags": []string{""}}} {
			if r := s.Do(t, "PATCH", path, admin, bad); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("patch %v: %d %s", bad, r.Status, r.Body)
			}
		}
		r = s.Do(t, "PATCH", path, admin, map[string]any{"assignee_id": nil})
		if !strings.Contains(string(r.Body), `"assignee_id":null`) || !strings.Contains(string(r.Body), `"status":"pending"`) {
			t.Fatalf("unassign: %s", r.Body)
		}
		var page struct{ Conversations []map[string]any }
		s.Do(t, "GET", "/api/v1/conversations?q=urgent&status=pending", admin, nil).JSON(t, &page)
		if len(page.Conversations) != 1 {
			t.Fatalf("search by tag found %d", len(page.Conversations))
		}
	})
}
