package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"holler/server/internal/auth"
	"holler/server/internal/config"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// pageFixture is a server with one customer's conversation that staff
// answered (plus an internal note), and a link token for it.
type pageFixture struct {
	s      *testserver.Server
	admin  string
	conv   created // Ann's first conversation, the link's
	other  created // Ann's second conversation (same visitor)
	bob    created // another visitor's
	token  string  // conversation token for conv
	widget string  // /api/v1/widget/{demo key}
}

func newPageFixture(t *testing.T, d string, configure func(*config.Config)) *pageFixture {
	t.Helper()
	s := testserver.Start(t, testserver.Options{Dialect: d, Configure: func(c *config.Config) {
		noLimits(c)
		if configure != nil {
			configure(c)
		}
	}})
	f := &pageFixture{s: s, admin: s.AdminToken(t), widget: "/api/v1/widget/" + s.DemoKey}
	mustCreate := func(token string, body map[string]string, into *created) {
		t.Helper()
		r := s.Do(t, "POST", f.widget+"/conversations", token, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		r.JSON(t, into)
	}
	mustCreate("", map[string]string{"kind": "complaint", "message": "The lamp arrived broken", "email": "ann@example.com"}, &f.conv)
	mustCreate(f.conv.VisitorToken, map[string]string{"kind": "question", "message": "Ann's other question"}, &f.other)
	mustCreate("", map[string]string{"kind": "question", "message": "Bob's question"}, &f.bob)
	if f.other.VisitorToken == "" || f.bob.VisitorToken == f.conv.VisitorToken {
		t.Fatal("visitor tokens not as expected")
	}
	f.staffSays(t, f.conv.Conversation.ID, "Sorry! A new lamp is on its way.", false)
	f.staffSays(t, f.conv.Conversation.ID, "internal: check the courier", true)
	f.token = s.ConversationToken(t, f.conv.Conversation.ID, time.Now().Add(auth.ConversationTokenTTL))
	return f
}

func (f *pageFixture) staffSays(t *testing.T, convID, body string, internal bool) {
	t.Helper()
	r := f.s.Do(t, "POST", "/api/v1/conversations/"+convID+"/messages", f.admin, map[string]any{"body": body, "internal": internal})
	if r.Status != http.StatusCreated {
		t.Fatalf("staff reply: %d %s", r.Status, r.Body)
	}
}

// limitOrigins makes the demo site accept only a shop's origin.
func (f *pageFixture) limitOrigins(t *testing.T) {
	t.Helper()
	r := f.s.Do(t, "PATCH", "/api/v1/sites/"+f.s.DemoSite, f.admin, map[string]any{"allowed_origins": []string{"https://shop.example"}})
	if r.Status != http.StatusOK {
		t.Fatalf("limit origins: %d %s", r.Status, r.Body)
	}
}

// TestCustomerPage: a good link gets the page with its security headers and
// the site's face; a forged or garbage one 404 and an expired one 410, both
// friendly HTML that carries nothing of the conversation or the site; the
// site's text is escaped; the token never reaches the log.
func TestCustomerPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		f := newPageFixture(t, d, func(c *config.Config) { c.LogLevel = "info" })
		s := f.s
		// The site's own name, language and colour; the name tries to break out.
		r := s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, f.admin, map[string]any{
			"name": `Lumen "&" <script>alert(1)</script>`, "locale": "de", "color": "#fde047"})
		if r.Status != http.StatusOK {
			t.Fatalf("patch site: %d %s", r.Status, r.Body)
		}

		page := s.Do(t, "GET", "/c/"+f.token, "", nil)
		if page.Status != http.StatusOK {
			t.Fatalf("page: %d %s", page.Status, page.Body)
		}
		wantPageHeaders(t, page)
		csp := page.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "connect-src 'self' ws://", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q allows unsafe code", csp)
		}
		body := string(page.Body)
		for _, want := range []string{
			`<html lang="de">`,
			`data-conversation="` + f.conv.Conversation.ID + `"`,
			`data-site="` + s.DemoKey + `"`,
			`data-color="#fde047"`, `data-fg="#111"`, // a light colour gets dark text
			`<script type="module" src="/page/page.js"></script>`,
			`Lumen &#34;&amp;&#34; &lt;script&gt;alert(1)&lt;/script&gt;`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s:\n%s", want, body)
			}
		}
		if strings.Contains(body, "<script>alert") || strings.Count(body, "<script") != 1 {
			t.Errorf("page has a script besides its module:\n%s", body)
		}
		// The thread is fetched by the script with the token, never written
		// into the HTML (which a browser may keep in its history cache).
		if strings.Contains(body, "lamp arrived broken") || strings.Contains(body, "courier") {
			t.Errorf("page carries messages:\n%s", body)
		}
		for _, asset := range []string{"/page/page.js", "/page/page.css", "/page/panel.css", "/widget-panel.js", "/widget.css"} {
			if r := s.Do(t, "GET", asset, "", nil); r.Status != http.StatusOK {
				t.Errorf("GET %s: %d", asset, r.Status)
			}
		}

		flipped := []byte(f.token)
		flipped[10] = map[bool]byte{true: 'b', false: 'a'}[flipped[10] == 'a']
		unknownConv := s.ConversationToken(t, "00000000-0000-4000-8000-000000000000", time.Now().Add(time.Hour))
		expired := s.ConversationToken(t, f.conv.Conversation.ID, time.Now().Add(-time.Minute))
		for _, c := range []struct {
			name, token string
			status      int
			text        string
		}{
			{"forged", string(flipped), http.StatusNotFound, "does not work"},
			{"garbage", "not-a-token", http.StatusNotFound, "does not work"},
			{"visitor token", f.conv.VisitorToken, http.StatusNotFound, "does not work"},
			{"conversation that is gone", unknownConv, http.StatusNotFound, "does not work"},
			{"expired", expired, http.StatusGone, "Link ist abgelaufen"}, // in the site's language
		} {
			t.Run(c.name, func(t *testing.T) {
				r := s.Do(t, "GET", "/c/"+c.token, "", nil, "Accept-Language", "en-GB,en;q=0.8")
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
				}
				wantPageHeaders(t, r)
				body := string(r.Body)
				if !strings.Contains(body, c.text) {
					t.Errorf("body lacks %q:\n%s", c.text, body)
				}
				for _, leak := range []string{"<script", f.conv.Conversation.ID, s.DemoKey, "Lumen", "data-"} {
					if strings.Contains(body, leak) {
						t.Errorf("error page carries %q:\n%s", leak, body)
					}
				}
			})
		}
		// The log has each request, with the link's path but not its token.
		logs := s.Log.String()
		if !strings.Contains(logs, `"/c/[redacted]"`) {
			t.Errorf("the request log has no redacted page path:\n%s", logs)
		}
		for _, tok := range []string{f.token, expired, string(flipped)} {
			if strings.Contains(logs, tok) {
				t.Errorf("the log carries a link token")
			}
		}
	})
}

func wantPageHeaders(t *testing.T, r *testserver.Response) {
	t.Helper()
	for name, want := range map[string]string{
		"Content-Type":    "text/html; charset=UTF-8",
		"Cache-Control":   "no-store",
		"Referrer-Policy": "no-referrer",
		"X-Robots-Tag":    "noindex, nofollow",
		"X-Frame-Options": "DENY",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if r.Header.Get("Content-Security-Policy") == "" {
		t.Error("no Content-Security-Policy")
	}
}

// TestConversationTokenRoutes: a link's token works as its conversation's
// visitor on the thread, reply and rating routes, and nowhere else: not on
// the visitor's list, not on the visitor's other conversation or another
// visitor's, not under another site's key; expired, it is a 401
// token_expired. On a site that limits origins, Holler's own origin (the
// page's) passes with the token only.
func TestConversationTokenRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		f := newPageFixture(t, d, nil)
		s, tok, id := f.s, f.token, f.conv.Conversation.ID
		f.limitOrigins(t)
		own := s.Config.PublicOrigin()

		// The thread: the staff reply, not the internal note.
		r := s.Do(t, "GET", f.widget+"/conversations/"+id, tok, nil, "Origin", own)
		if r.Status != http.StatusOK {
			t.Fatalf("thread: %d %s", r.Status, r.Body)
		}
		if b := string(r.Body); !strings.Contains(b, "new lamp is on its way") || strings.Contains(b, "courier") {
			t.Fatalf("thread body: %s", b)
		}
		// The answer is the visitor's, and staff see it.
		r = s.Do(t, "POST", f.widget+"/conversations/"+id+"/messages", tok, map[string]string{"body": "Thanks, got the tracking"}, "Origin", own)
		if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"author_kind":"visitor"`) {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/conversations/"+id, f.admin, nil); !strings.Contains(string(r.Body), "Thanks, got the tracking") {
			t.Fatalf("staff do not see the answer: %s", r.Body)
		}
		// Rating: refused while open (the route took the token), then stored.
		r = s.Do(t, "POST", f.widget+"/conversations/"+id+"/rating", tok, map[string]any{"score": 5}, "Origin", own)
		if r.Status != http.StatusConflict || r.ErrorCode() != "not_resolved" {
			t.Fatalf("rating an open conversation: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "PATCH", "/api/v1/conversations/"+id, f.admin, map[string]string{"status": "resolved"}); r.Status != http.StatusOK {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}
		r = s.Do(t, "POST", f.widget+"/conversations/"+id+"/rating", tok, map[string]any{"score": 5}, "Origin", own)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"rating_score":5`) {
			t.Fatalf("rating: %d %s", r.Status, r.Body)
		}

		// Nowhere else.
		wantError(t, s.Do(t, "GET", f.widget+"/conversations", tok, nil), http.StatusUnauthorized, "unauthorized")
		for _, other := range []string{f.other.Conversation.ID, f.bob.Conversation.ID} {
			wantError(t, s.Do(t, "GET", f.widget+"/conversations/"+other, tok, nil), http.StatusNotFound, "not_found")
			wantError(t, s.Do(t, "POST", f.widget+"/conversations/"+other+"/messages", tok, map[string]string{"body": "x"}), http.StatusNotFound, "not_found")
			wantError(t, s.Do(t, "POST", f.widget+"/conversations/"+other+"/rating", tok, map[string]any{"score": 1}), http.StatusNotFound, "not_found")
		}
		r = s.Do(t, "POST", "/api/v1/sites", f.admin, map[string]string{"name": "Second shop"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create site: %d %s", r.Status, r.Body)
		}
		var second struct {
			Site struct {
				Key string `json:"key"`
			} `json:"site"`
		}
		r.JSON(t, &second)
		wantError(t, s.Do(t, "GET", "/api/v1/widget/"+second.Site.Key+"/conversations/"+id, tok, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "POST", "/api/v1/widget/"+second.Site.Key+"/conversations/"+id+"/messages", tok, map[string]string{"body": "x"}), http.StatusNotFound, "not_found")

		expired := s.ConversationToken(t, id, time.Now().Add(-time.Second))
		wantError(t, s.Do(t, "GET", f.widget+"/conversations/"+id, expired, nil, "Origin", own), http.StatusUnauthorized, "token_expired")
		wantError(t, s.Do(t, "POST", f.widget+"/conversations/"+id+"/messages", expired, map[string]string{"body": "late"}), http.StatusUnauthorized, "token_expired")

		// Origins: the token from a foreign one is refused; a plain visitor
		// token from Holler's own origin is held to the site's list; the
		// routes without a credential stay held to it too.
		wantError(t, s.Do(t, "GET", f.widget+"/conversations/"+id, tok, nil, "Origin", "https://evil.example"), http.StatusForbidden, "origin_not_allowed")
		wantError(t, s.Do(t, "GET", f.widget+"/conversations/"+id, f.conv.VisitorToken, nil, "Origin", own), http.StatusForbidden, "origin_not_allowed")
		wantError(t, s.Do(t, "GET", f.widget+"/conversations", f.conv.VisitorToken, nil, "Origin", own), http.StatusForbidden, "origin_not_allowed")
		wantError(t, s.Do(t, "POST", f.widget+"/conversations", tok, map[string]string{"kind": "question", "message": "new"}, "Origin", own), http.StatusForbidden, "origin_not_allowed")
		// The shop's own origin still works with the visitor token, and sees
		// the reply the link's holder wrote.
		r = s.Do(t, "GET", f.widget+"/conversations/"+id, f.conv.VisitorToken, nil, "Origin", "https://shop.example")
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Thanks, got the tracking") {
			t.Fatalf("visitor token from the shop: %d %s", r.Status, r.Body)
		}

		// Messages sent with the token count against nothing else: the
		// messages of the other conversations are untouched.
		r = s.Do(t, "GET", "/api/v1/conversations/"+f.other.Conversation.ID, f.admin, nil)
		if strings.Contains(string(r.Body), `"body":"x"`) {
			t.Fatalf("a refused message was stored: %s", r.Body)
		}
	})
}

// linkFrame is the part of a server frame the socket tests look at.
type linkFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	Data           struct {
		Message struct {
			Body     string `json:"body"`
			Internal bool   `json:"internal"`
		} `json:"message"`
	} `json:"data"`
}

// TestConversationTokenSocket: the visitor socket opened with a link's
// token (from Holler's own origin, on a site that limits origins) gets only
// that conversation's events: not the same visitor's other conversation,
// not internal notes; its typing frames reach staff only for that
// conversation. A plain visitor token from Holler's origin, and an expired
// link token, are refused before the upgrade.
func TestConversationTokenSocket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		f := newPageFixture(t, d, nil)
		s, id, otherID := f.s, f.conv.Conversation.ID, f.other.Conversation.ID
		f.limitOrigins(t)
		own := http.Header{"Origin": {s.Config.PublicOrigin()}}

		for _, c := range []struct {
			name, token string
			status      int
			code        string
		}{
			{"visitor token from Holler's origin", f.conv.VisitorToken, http.StatusForbidden, "origin_not_allowed"},
			{"expired link", s.ConversationToken(t, id, time.Now().Add(-time.Second)), http.StatusUnauthorized, "token_expired"},
		} {
			conn, resp, err := s.DialSocket(f.widget+"/ws", c.token, "", own)
			if err == nil {
				conn.Close()
				t.Fatalf("%s: socket accepted", c.name)
			}
			if resp == nil || resp.StatusCode != c.status {
				t.Fatalf("%s: resp %v, err %v; want %d", c.name, resp, err, c.status)
			}
			resp.Body.Close()
		}

		staff := dialStaff(t, s, f.admin, http.Header{"Origin": {s.Config.PublicOrigin()}})
		defer staff.Close()
		conn, resp, err := s.DialSocket(f.widget+"/ws", f.token, "", own)
		if err != nil {
			t.Fatalf("link socket: %v (%v)", err, resp)
		}
		defer conn.Close()

		// In commit order: the other conversation's reply, a note, then the
		// reply this socket is for. Anything it should not see would come
		// before that reply.
		f.staffSays(t, otherID, "About your other question", false)
		f.staffSays(t, id, "internal: refund approved", true)
		f.staffSays(t, id, "Your refund is on its way", false)
		// And the same visitor's other conversation changes again: still
		// nothing for this socket, which the last reply (a sentinel) proves.
		if r := f.s.Do(t, "POST", f.widget+"/conversations/"+otherID+"/messages", f.other.VisitorToken, map[string]string{"body": "more on the other one"}); r.Status != http.StatusCreated {
			t.Fatalf("visitor reply on the other conversation: %d %s", r.Status, r.Body)
		}
		f.staffSays(t, id, "sentinel", false)

		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		var bodies []string
		for len(bodies) == 0 || bodies[len(bodies)-1] != "sentinel" {
			var fr linkFrame
			if err := conn.ReadJSON(&fr); err != nil {
				t.Fatalf("read (after %q): %v", bodies, err)
			}
			if fr.ConversationID != id {
				t.Fatalf("the link socket got an event of conversation %s: %+v", fr.ConversationID, fr)
			}
			if fr.Type == "message.created" {
				bodies = append(bodies, fr.Data.Message.Body)
			}
		}
		if want := []string{"Your refund is on its way", "sentinel"}; strings.Join(bodies, "|") != strings.Join(want, "|") {
			t.Fatalf("messages %q, want %q", bodies, want)
		}

		// Typing: a frame for the other conversation is dropped, one for
		// the link's conversation reaches staff. The server takes at most one
		// typing frame a second per socket, so the link's is repeated until
		// staff see it.
		if err := conn.WriteJSON(map[string]string{"type": "typing", "conversation_id": otherID}); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			tick := time.NewTicker(300 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if conn.WriteJSON(map[string]string{"type": "typing", "conversation_id": id}) != nil {
						return
					}
				}
			}
		}()
		_ = staff.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			var fr linkFrame
			if err := staff.ReadJSON(&fr); err != nil {
				t.Fatalf("staff read: %v", err)
			}
			if fr.Type != "typing" {
				continue
			}
			if fr.ConversationID != id {
				t.Fatalf("staff saw typing on conversation %s, which the link does not grant", fr.ConversationID)
			}
			break
		}
	})
}
