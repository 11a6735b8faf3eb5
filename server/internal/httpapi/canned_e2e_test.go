package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// cannedReply is a canned reply as the API answers it.
type cannedReply struct {
	ID       string `json:"id"`
	SiteID   string `json:"site_id"` // "" for null (a shared reply)
	Shortcut string `json:"shortcut"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	UseCount int64  `json:"use_count"`
}

// newCanned creates a canned reply and fails unless it answers 201.
func newCanned(t *testing.T, s *testserver.Server, token string, body map[string]any) cannedReply {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/canned-replies", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create canned reply %v: %d %s", body, r.Status, r.Body)
	}
	var out struct {
		CannedReply cannedReply `json:"canned_reply"`
	}
	r.JSON(t, &out)
	return out.CannedReply
}

// cannedList lists the canned replies of a query ("" for all).
func cannedList(t *testing.T, s *testserver.Server, token string, q url.Values) []cannedReply {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/canned-replies?"+q.Encode(), token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list canned replies %v: %d %s", q, r.Status, r.Body)
	}
	var out struct {
		CannedReplies []cannedReply `json:"canned_replies"`
	}
	r.JSON(t, &out)
	return out.CannedReplies
}

func shortcuts(list []cannedReply) string {
	var out []string
	for _, r := range list {
		out = append(out, r.Shortcut)
	}
	return strings.Join(out, ",")
}

// newSite creates a site as the admin and returns its ID and key.
func newSite(t *testing.T, s *testserver.Server, admin, name string) (string, string) {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/sites", admin, map[string]string{"name": name})
	if r.Status != http.StatusCreated {
		t.Fatalf("create site: %d %s", r.Status, r.Body)
	}
	var out siteOut
	r.JSON(t, &out)
	return out.Site.ID, out.Site.Key
}

// TestCannedRepliesCRUD: create, read, change and delete, flat or wrapped
// like the answers; the list is per site plus the shared replies, and
// filters by text; bad input is a 422 or 409 that changes nothing.
func TestCannedRepliesCRUD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		other, _ := newSite(t, s, admin, "Other shop")

		r := s.Do(t, "POST", "/api/v1/canned-replies", admin, map[string]any{"site_id": nil, "shortcut": "/Thanks", "title": "Thank you",
			"body": "Thank you for your patience, {{customer.name|there}}."})
		var wrapped struct {
			CannedReply cannedReply `json:"canned_reply"`
		}
		r.JSON(t, &wrapped)
		shared := wrapped.CannedReply
		if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"site_id":null`) || shared.ID == "" ||
			shared.Shortcut != "thanks" || shared.Title != "Thank you" {
			t.Fatalf("shared reply: %d %s", r.Status, r.Body)
		}
		demo := newCanned(t, s, admin, map[string]any{"canned_reply": map[string]any{"site_id": s.DemoSite,
			"shortcut": "refund", "title": "Refund on its way", "body": "Your refund for {{conversation.ref}} is on its way (100% sure)."}})
		if demo.SiteID != s.DemoSite || demo.Shortcut != "refund" {
			t.Fatalf("wrapped create: %+v", demo)
		}
		elsewhere := newCanned(t, s, admin, map[string]any{"site_id": other, "shortcut": "refund", "title": "Other refund", "body": "Other shop's words."})

		// The list: per site with the shared ones; all of them without a site.
		if got := shortcuts(cannedList(t, s, admin, url.Values{"site_id": {s.DemoSite}})); got != "refund,thanks" {
			t.Errorf("demo site's list: %s", got)
		}
		if got := cannedList(t, s, admin, nil); len(got) != 3 {
			t.Errorf("all replies: %s", shortcuts(got))
		}
		for q, want := range map[string]string{"REFUND": "refund", "patience": "thanks", "100%": "refund", "%": "refund", "_": "", "nothing like it": ""} {
			if got := shortcuts(cannedList(t, s, admin, url.Values{"site_id": {s.DemoSite}, "q": {q}})); got != want {
				t.Errorf("q=%q: %q, want %q", q, got, want)
			}
		}

		// Read and change.
		var one struct {
			CannedReply cannedReply `json:"canned_reply"`
		}
		s.Do(t, "GET", "/api/v1/canned-replies/"+demo.ID, admin, nil).JSON(t, &one)
		if one.CannedReply != demo {
			t.Fatalf("read back %+v, want %+v", one.CannedReply, demo)
		}
		r = s.Do(t, "PATCH", "/api/v1/canned-replies/"+demo.ID, admin, map[string]any{"site_id": s.DemoSite, "title": "Refund sent"})
		if r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &one)
		if one.CannedReply.Title != "Refund sent" || one.CannedReply.Body != demo.Body || one.CannedReply.Shortcut != "refund" {
			t.Fatalf("patched: %+v", one.CannedReply)
		}

		// Bad input: a clear 422 (or 409) and nothing changed.
		bad := []struct {
			method, path string
			body         any
			status       int
			field        string
		}{
			{"POST", "", map[string]any{"site_id": s.DemoSite, "title": "No shortcut", "body": "x"}, 422, "shortcut"},
			{"POST", "", map[string]any{"site_id": s.DemoSite, "shortcut": "two words", "title": "t", "body": "x"}, 422, "shortcut"},
			{"POST", "", map[string]any{"site_id": s.DemoSite, "shortcut": strings.Repeat("a", 41), "title": "t", "body": "x"}, 422, "shortcut"},
			{"POST", "", map[string]any{"site_id": s.DemoSite, "shortcut": "ok", "title": " ", "body": "x"}, 422, "title"},
			{"POST", "", map[string]any{"site_id": s.DemoSite, "shortcut": "ok", "title": "t", "body": ""}, 422, "body"},
			{"POST", "", map[string]any{"site_id": s.DemoSite, "shortcut": "ok", "title": "t", "body": strings.Repeat("x", 10001)}, 422, "body"},
			{"POST", "", map[string]any{"site_id": s.DemoSite, "shortcut": "ok", "title": "t\u0007", "body": "x"}, 422, "title"},
			{"POST", "", map[string]any{"site_id": s.DemoSite, "shortcut": "ok", "title": "t", "body": "Your order {{order.id}}"}, 422, "body"},
			{"POST", "", map[string]any{"site_id": 42, "shortcut": "ok", "title": "t", "body": "x"}, 422, "site_id"},
			{"POST", "", map[string]any{"site_id": "no-such-site", "shortcut": "ok", "title": "t", "body": "x"}, 422, "site_id"},
			{"POST", "", map[string]any{"site_id": s.DemoSite, "shortcut": "REFUND", "title": "t", "body": "x"}, 409, ""},
			{"POST", "", map[string]any{"shortcut": "thanks", "title": "t", "body": "x"}, 409, ""},
			{"PATCH", demo.ID, map[string]any{"shortcut": "thanks", "body": "{{ nope }}"}, 422, "body"},
			{"PATCH", demo.ID, map[string]any{"site_id": other}, 422, "site_id"},
			{"PATCH", demo.ID, map[string]any{"site_id": nil}, 422, "site_id"},
			{"PATCH", elsewhere.ID, map[string]any{"shortcut": "/Refund "}, 200, ""}, // its own shortcut again: no conflict
		}
		for _, b := range bad {
			path := "/api/v1/canned-replies"
			if b.path != "" {
				path += "/" + b.path
			}
			r := s.Do(t, b.method, path, admin, b.body)
			switch b.status {
			case 200:
				if r.Status != 200 {
					t.Errorf("%s %v: %d %s", b.method, b.body, r.Status, r.Body)
				}
			case 409:
				wantError(t, r, http.StatusConflict, "shortcut_taken")
			default:
				if e := wantError(t, r, b.status, "validation_failed"); e.Error.Fields[b.field] == "" {
					t.Errorf("%s %v: no error for %s: %s", b.method, b.body, b.field, r.Body)
				}
			}
		}
		wantError(t, s.Do(t, "POST", "/api/v1/canned-replies", admin, "{"), http.StatusBadRequest, "bad_json")
		if got := cannedList(t, s, admin, nil); len(got) != 3 {
			t.Errorf("after the refusals: %s", shortcuts(got))
		}
		s.Do(t, "GET", "/api/v1/canned-replies/"+demo.ID, admin, nil).JSON(t, &one)
		if one.CannedReply.Title != "Refund sent" || one.CannedReply.Shortcut != "refund" || one.CannedReply.Body != demo.Body {
			t.Errorf("a refused change changed the reply: %+v", one.CannedReply)
		}

		// Delete.
		if r := s.Do(t, "DELETE", "/api/v1/canned-replies/"+demo.ID, admin, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		wantError(t, s.Do(t, "GET", "/api/v1/canned-replies/"+demo.ID, admin, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "DELETE", "/api/v1/canned-replies/"+demo.ID, admin, nil), http.StatusNotFound, "not_found")
		// The shortcut is free again.
		newCanned(t, s, admin, map[string]any{"site_id": s.DemoSite, "shortcut": "refund", "title": "Refund", "body": "Again."})
	})
}

// twoShops starts a server with the Demo site and another, and returns the
// admin's token, that of an agent of the Demo site only, and the other
// site's ID and key.
func twoShops(t *testing.T, d string) (s *testserver.Server, admin, agent, other, otherKey string) {
	t.Helper()
	s = testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
	admin = s.AdminToken(t)
	other, otherKey = newSite(t, s, admin, "Other shop")
	createUser(t, s, admin, map[string]any{"email": "agent@example.com", "role": "agent", "site_ids": []string{s.DemoSite}})
	return s, admin, s.Login(t, "agent@example.com", "a long enough password"), other, otherKey
}

// TestCannedRepliesTenancy: an agent uses the shared replies and those of
// their sites and writes their sites' own; shared ones are the admins' to
// write (403); another site's reply is not there (404) by any route.
func TestCannedRepliesTenancy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s, admin, agent, other, otherKey := twoShops(t, d)

		shared := newCanned(t, s, admin, map[string]any{"shortcut": "thanks", "title": "Thanks", "body": "Thanks!"})
		foreign := newCanned(t, s, admin, map[string]any{"site_id": other, "shortcut": "secret", "title": "Other", "body": "Other shop only."})
		own := newCanned(t, s, agent, map[string]any{"site_id": s.DemoSite, "shortcut": "hello", "title": "Hello", "body": "Hello!"})

		if got := shortcuts(cannedList(t, s, agent, nil)); got != "hello,thanks" {
			t.Errorf("the agent's list: %s", got)
		}
		if got := shortcuts(cannedList(t, s, agent, url.Values{"q": {"other"}})); got != "" {
			t.Errorf("the agent's search finds %s", got)
		}
		wantError(t, s.Do(t, "GET", "/api/v1/canned-replies?site_id="+other, agent, nil), http.StatusNotFound, "not_found")

		var fc created
		s.Do(t, "POST", createPath(otherKey), "", map[string]string{"kind": "question", "message": "Hi"}).JSON(t, &fc)
		var dc created
		s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "Hi"}).JSON(t, &dc)
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/canned-replies/" + foreign.ID, nil},
			{"PATCH", "/api/v1/canned-replies/" + foreign.ID, map[string]any{"title": "Mine now"}},
			{"DELETE", "/api/v1/canned-replies/" + foreign.ID, nil},
			{"POST", "/api/v1/canned-replies/" + foreign.ID + "/use", map[string]any{"conversation_id": dc.Conversation.ID}},
			{"POST", "/api/v1/canned-replies/" + shared.ID + "/use", map[string]any{"conversation_id": fc.Conversation.ID}},
			{"GET", "/api/v1/canned-replies/not-an-id", nil},
		} {
			wantError(t, s.Do(t, req.method, req.path, agent, req.body), http.StatusNotFound, "not_found")
		}
		if e := wantError(t, s.Do(t, "POST", "/api/v1/canned-replies", agent, map[string]any{"site_id": other, "shortcut": "x", "title": "x", "body": "x"}),
			http.StatusUnprocessableEntity, "validation_failed"); e.Error.Fields["site_id"] == "" {
			t.Errorf("writing to another site: %+v", e)
		}
		wantError(t, s.Do(t, "POST", "/api/v1/canned-replies", agent, map[string]any{"site_id": nil, "shortcut": "x", "title": "x", "body": "x"}), http.StatusForbidden, "forbidden")
		wantError(t, s.Do(t, "PATCH", "/api/v1/canned-replies/"+shared.ID, agent, map[string]any{"title": "x"}), http.StatusForbidden, "forbidden")
		wantError(t, s.Do(t, "DELETE", "/api/v1/canned-replies/"+shared.ID, agent, nil), http.StatusForbidden, "forbidden")

		// Nothing of it changed anything.
		var got struct {
			CannedReply cannedReply `json:"canned_reply"`
		}
		s.Do(t, "GET", "/api/v1/canned-replies/"+foreign.ID, admin, nil).JSON(t, &got)
		if got.CannedReply != foreign {
			t.Errorf("the other site's reply: %+v", got.CannedReply)
		}
		if list := cannedList(t, s, admin, nil); len(list) != 3 {
			t.Errorf("replies after the refusals: %s", shortcuts(list))
		}
		// The agent's own site: theirs to change and delete.
		if r := s.Do(t, "PATCH", "/api/v1/canned-replies/"+own.ID, agent, map[string]any{"body": "Hello, {{customer.name|there}}!"}); r.Status != http.StatusOK {
			t.Fatalf("agent patches their site's reply: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "DELETE", "/api/v1/canned-replies/"+own.ID, agent, nil); r.Status != http.StatusNoContent {
			t.Fatalf("agent deletes their site's reply: %d %s", r.Status, r.Body)
		}
	})
}

// useCanned uses a reply in a conversation and returns the filled body and
// the reply as counted.
func useCanned(t *testing.T, s *testserver.Server, token, id, convID string) (string, cannedReply) {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/canned-replies/"+id+"/use", token, map[string]string{"conversation_id": convID})
	if r.Status != http.StatusOK {
		t.Fatalf("use %s: %d %s", id, r.Status, r.Body)
	}
	var out struct {
		Body        string      `json:"body"`
		CannedReply cannedReply `json:"canned_reply"`
	}
	r.JSON(t, &out)
	return out.Body, out.CannedReply
}

// TestCannedUse: using a reply fills its variables for the conversation
// (a fallback for an empty one), counts the use, and the list puts the
// most used first, then by title; concurrent uses all count.
func TestCannedUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		var me struct{ User struct{ ID string } }
		s.Do(t, "GET", "/api/v1/me", admin, nil).JSON(t, &me)
		if r := s.Do(t, "PATCH", "/api/v1/users/"+me.User.ID, admin, map[string]string{"name": "Sam Support"}); r.Status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
		other, _ := newSite(t, s, admin, "Other shop")

		var named, anon created
		s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "complaint", "message": "Late parcel", "name": "Ann Kunde"}).JSON(t, &named)
		s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "Sizes?"}).JSON(t, &anon)

		sorry := newCanned(t, s, admin, map[string]any{"site_id": s.DemoSite, "shortcut": "sorry", "title": "Sorry for the delay",
			"body": "Hi {{customer.name|there}}, about {{ conversation.ref }}: {{agent.name}} of {{site.name}} here. {{ customer.name }}!"})
		body, counted := useCanned(t, s, admin, sorry.ID, named.Conversation.ID)
		if want := "Hi Ann Kunde, about " + named.Conversation.Ref + ": Sam Support of Demo here. Ann Kunde!"; body != want {
			t.Errorf("filled:\n%q, want\n%q", body, want)
		}
		if counted.UseCount != 1 {
			t.Errorf("use_count %d after one use", counted.UseCount)
		}
		body, _ = useCanned(t, s, admin, sorry.ID, anon.Conversation.ID)
		if want := "Hi there, about " + anon.Conversation.Ref + ": Sam Support of Demo here. !"; body != want {
			t.Errorf("filled for an anonymous customer:\n%q, want\n%q", body, want)
		}
		foreign := newCanned(t, s, admin, map[string]any{"site_id": other, "shortcut": "other", "title": "Other", "body": "x"})
		if e := wantError(t, s.Do(t, "POST", "/api/v1/canned-replies/"+foreign.ID+"/use", admin, map[string]string{"conversation_id": named.Conversation.ID}),
			http.StatusUnprocessableEntity, "validation_failed"); e.Error.Fields["conversation_id"] == "" {
			t.Errorf("another site's reply on this site's conversation: %+v", e)
		}
		if e := wantError(t, s.Do(t, "POST", "/api/v1/canned-replies/"+sorry.ID+"/use", admin, map[string]string{}),
			http.StatusUnprocessableEntity, "validation_failed"); e.Error.Fields["conversation_id"] == "" {
			t.Errorf("no conversation: %+v", e)
		}
		wantError(t, s.Do(t, "POST", "/api/v1/canned-replies/"+sorry.ID+"/use", admin, map[string]string{"conversation_id": foreign.ID}), http.StatusNotFound, "not_found")

		// Order: most used first, then by title (case aside).
		for _, sc := range []string{"b-zeta", "a-alpha", "c-beta"} {
			newCanned(t, s, admin, map[string]any{"site_id": nil, "shortcut": sc, "title": strings.ToUpper(sc[2:3]) + sc[3:], "body": "x"})
		}
		list := cannedList(t, s, admin, url.Values{"site_id": {s.DemoSite}})
		if got := shortcuts(list); got != "sorry,a-alpha,c-beta,b-zeta" {
			t.Errorf("order before: %s", got)
		}
		zeta := list[3]
		for range 3 {
			useCanned(t, s, admin, zeta.ID, named.Conversation.ID)
		}
		if got := shortcuts(cannedList(t, s, admin, url.Values{"site_id": {s.DemoSite}})); got != "b-zeta,sorry,a-alpha,c-beta" {
			t.Errorf("order after using zeta 3 times: %s", got)
		}

		// Concurrent uses all count.
		const n = 24
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.Do(t, "POST", "/api/v1/canned-replies/"+sorry.ID+"/use", admin, map[string]string{"conversation_id": named.Conversation.ID})
				if r.Status != http.StatusOK {
					t.Errorf("concurrent use: %d %s", r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		var got struct {
			CannedReply cannedReply `json:"canned_reply"`
		}
		s.Do(t, "GET", "/api/v1/canned-replies/"+sorry.ID, admin, nil).JSON(t, &got)
		if got.CannedReply.UseCount != 2+n {
			t.Errorf("use_count %d after %d uses", got.CannedReply.UseCount, 2+n)
		}
	})
}

// TestCannedEvents: creating, changing and deleting a reply reach the open
// dashboards that may use it, live: a site's reply on that site's log, a
// shared one on every site's; an agent's socket hears nothing of another
// site's replies.
func TestCannedEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s, admin, agent, other, _ := twoShops(t, d)
		agentSocket := dialStaff(t, s, agent, nil)
		defer agentSocket.Close()
		adminSocket := dialStaff(t, s, admin, nil)
		defer adminSocket.Close()
		// Both sockets are live once a first event reaches them.
		first := newCanned(t, s, admin, map[string]any{"site_id": s.DemoSite, "shortcut": "first", "title": "First", "body": "x"})
		for _, c := range []*websocket.Conn{agentSocket, adminSocket} {
			wantCannedFrame(t, c, "canned_reply.created", first.ID)
		}

		newCanned(t, s, admin, map[string]any{"site_id": other, "shortcut": "secret", "title": "Other", "body": "x"})
		shared := newCanned(t, s, admin, map[string]any{"shortcut": "thanks", "title": "Thanks", "body": "x"})
		if r := s.Do(t, "PATCH", "/api/v1/canned-replies/"+first.ID, agent, map[string]any{"title": "First!"}); r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "DELETE", "/api/v1/canned-replies/"+shared.ID, admin, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		// The agent's socket follows the demo site's log only: the other
		// site's reply never comes, the shared one comes once.
		wantCannedFrame(t, agentSocket, "canned_reply.created", shared.ID)
		if f := wantCannedFrame(t, agentSocket, "canned_reply.updated", first.ID); !strings.Contains(string(f.Data), `"title":"First!"`) {
			t.Errorf("the update frame: %s", f.Data)
		}
		wantCannedFrame(t, agentSocket, "canned_reply.deleted", shared.ID)
		// The admin's follows both sites: every frame, the shared ones once
		// per site (their order across sites is free).
		got := map[string]int{}
		for range 6 {
			f := readFrame(t, adminSocket)
			var data struct {
				CannedReply cannedReply `json:"canned_reply"`
			}
			if err := json.Unmarshal(f.Data, &data); err != nil {
				t.Fatal(err)
			}
			got[fmt.Sprintf("%s %s", f.Type, data.CannedReply.Shortcut)]++
		}
		want := map[string]int{"canned_reply.created secret": 1, "canned_reply.created thanks": 2,
			"canned_reply.updated first": 1, "canned_reply.deleted ": 2}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("admin's frames %v, want %v", got, want)
		}
	})
}

func wantCannedFrame(t *testing.T, c *websocket.Conn, typ, id string) socketFrame {
	t.Helper()
	f := readFrame(t, c)
	var data struct {
		CannedReply cannedReply `json:"canned_reply"`
	}
	if err := json.Unmarshal(f.Data, &data); err != nil || f.Type != typ || data.CannedReply.ID != id {
		t.Fatalf("frame %s %s, want %s of %s (%v)", f.Type, f.Data, typ, id, err)
	}
	return f
}
