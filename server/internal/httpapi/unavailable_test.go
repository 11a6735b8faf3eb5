package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"holler/server/internal/dbproxy"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestDatabaseAwayIs503 runs a real server on PostgreSQL through a TCP proxy
// and cuts the line: first refused and reset connections (a restarting
// server), then a line that accepts and never answers (a partition). While it
// is cut, every request that needs the database, the widget's and the staff
// API's alike, answers 503 unavailable with Retry-After and never any other
// 5xx, and none hangs; after the line returns the server recovers by itself,
// retries with the same Idempotency-Key create exactly one conversation and
// one message, and everything acknowledged before the cut is still there.
func TestDatabaseAwayIs503(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode dbproxy.Mode
	}{{"refuse", dbproxy.Refuse}, {"hang", dbproxy.Hang}} {
		t.Run(tc.name, func(t *testing.T) { testDatabaseAway(t, tc.mode) })
	}
}

func testDatabaseAway(t *testing.T, mode dbproxy.Mode) {
	proxy, dbURL := dbproxy.For(t, storetest.FreshPostgres(t))
	s := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: dbURL}, Configure: noLimits})
	c := &tallyClient{t: t, base: s.URL}
	admin := s.AdminToken(t)
	widget := "/api/v1/widget/" + s.DemoKey

	// Acknowledged before the cut: a conversation, a visitor reply, a staff reply.
	first := map[string]string{"kind": "complaint", "message": "The parcel never came."}
	var conv created
	c.want(http.StatusCreated, "POST", widget+"/conversations", "", first, "Idempotency-Key", "before-cut").JSON(t, &conv)
	thread := widget + "/conversations/" + conv.Conversation.ID
	c.want(http.StatusCreated, "POST", thread+"/messages", conv.VisitorToken, map[string]string{"body": "Order 1234."}, "Idempotency-Key", "reply-before-cut")
	staffThread := "/api/v1/conversations/" + conv.Conversation.ID
	c.want(http.StatusCreated, "POST", staffThread+"/messages", admin, map[string]any{"body": "Looking into it."})

	proxy.Cut(mode)
	c.reset()

	second := map[string]string{"kind": "question", "message": "Do you ship to Norway?"}
	visitorReply := map[string]string{"body": "Any news?"}
	staffReply := map[string]any{"body": "It left the warehouse today."}
	type call struct {
		method, path, token string
		body                any
		headers             []string
	}
	// A browser on the customer's page must be able to read the 503 and its
	// Retry-After, and its preflight must pass, or the widget sees a CORS
	// failure that looks like being offline.
	origin := "https://shop.example"
	preflight := []string{"Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,idempotency-key"}
	calls := []call{
		{"POST", thread + "/messages", conv.VisitorToken, visitorReply, []string{"Idempotency-Key", "reply-during-cut", "Origin", origin}},
		{"POST", widget + "/conversations", "", second, []string{"Idempotency-Key", "during-cut"}},
		{"POST", thread + "/messages", conv.VisitorToken, visitorReply, []string{"Idempotency-Key", "reply-during-cut"}},
		{"POST", staffThread + "/messages", admin, staffReply, nil},
		{"GET", widget + "/config", "", nil, nil},
		{"GET", widget + "/conversations", conv.VisitorToken, nil, nil},
		{"GET", thread, conv.VisitorToken, nil, nil},
		{"GET", "/api/v1/conversations", admin, nil, nil},
		{"GET", staffThread, admin, nil, nil},
		{"PATCH", staffThread, admin, map[string]any{"status": "pending"}, nil},
		{"GET", "/api/v1/me", admin, nil, nil},
		{"GET", "/api/v1/sites", admin, nil, nil},
		{"POST", "/api/v1/auth/login", "", map[string]string{"email": s.Admin, "password": testserver.Password}, nil},
		{"GET", "/readyz", "", nil, nil},
	}
	// All at once, twice over: a slow database must not hold them forever,
	// and a pool full of stalled connections must answer the same way.
	var wg sync.WaitGroup
	for round := 0; round < 2; round++ {
		for _, cl := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := c.do(cl.method, cl.path, cl.token, cl.body, cl.headers...)
				if r != nil && r.Status != http.StatusServiceUnavailable {
					t.Errorf("%s %s with the database away: %d %s, want 503", cl.method, cl.path, r.Status, r.Body)
				}
				if r != nil && len(cl.headers) > 3 && cl.headers[2] == "Origin" &&
					(r.Header.Get("Access-Control-Allow-Origin") != origin || r.Header.Get("Access-Control-Expose-Headers") != "Retry-After") {
					t.Errorf("%s %s from %s: the 503 is not readable there: %v", cl.method, cl.path, origin, r.Header)
				}
			}()
		}
	}
	if mode == dbproxy.Hang {
		// A client that gives up on a slow answer is no server error: the
		// log check below would see one.
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", s.URL+"/api/v1/conversations", nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			if resp, err := (&http.Client{Timeout: time.Second}).Do(req); err == nil {
				resp.Body.Close()
				t.Errorf("a request to a hanging database answered %d within a second", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if r := c.do("OPTIONS", thread+"/messages", "", nil, preflight...); r != nil && (r.Status != http.StatusNoContent ||
		r.Header.Get("Access-Control-Allow-Origin") != origin || r.Header.Get("Access-Control-Max-Age") != "0") {
		t.Errorf("preflight with the database away: %s %v, want 204 for %s, not cached", describe(r), r.Header, origin)
	}
	if r := c.do("GET", "/healthz", "", nil); r == nil || r.Status != http.StatusOK {
		t.Errorf("healthz with the database away: %v, want 200", r)
	}
	during := c.reset()
	t.Logf("during the cut: %v", during)

	proxy.Restore()

	// The pool reconnects by itself; until it has, answers are 503 only.
	var again created
	c.poll(http.StatusCreated, "POST", widget+"/conversations", "", second, "Idempotency-Key", "during-cut").JSON(t, &again)
	var reply, replyAgain struct{ Message struct{ ID string } }
	c.poll(http.StatusCreated, "POST", thread+"/messages", conv.VisitorToken, visitorReply, "Idempotency-Key", "reply-during-cut").JSON(t, &reply)
	c.poll(http.StatusCreated, "POST", staffThread+"/messages", admin, staffReply)
	after := c.reset()
	t.Logf("after restore: %v", after)

	// Retries once more: the stored answers, nothing new.
	var again2 created
	c.want(http.StatusCreated, "POST", widget+"/conversations", "", second, "Idempotency-Key", "during-cut").JSON(t, &again2)
	if again2.Conversation.ID != again.Conversation.ID || again2.VisitorToken != again.VisitorToken {
		t.Errorf("retried create answered another conversation: %s, then %s", again.Conversation.ID, again2.Conversation.ID)
	}
	c.want(http.StatusCreated, "POST", thread+"/messages", conv.VisitorToken, visitorReply, "Idempotency-Key", "reply-during-cut").JSON(t, &replyAgain)
	if replyAgain.Message.ID != reply.Message.ID {
		t.Errorf("retried visitor reply answered another message: %s, then %s", reply.Message.ID, replyAgain.Message.ID)
	}
	var before created
	c.want(http.StatusCreated, "POST", widget+"/conversations", "", first, "Idempotency-Key", "before-cut").JSON(t, &before)
	if before.Conversation.ID != conv.Conversation.ID {
		t.Errorf("the key acknowledged before the cut now answers %s, want %s", before.Conversation.ID, conv.Conversation.ID)
	}

	// Exactly what was acknowledged, each once.
	if n := conversationCount(t, s, admin); n != 2 {
		t.Errorf("%d conversations, want 2 (one before the cut, one created by retries)", n)
	}
	var full struct {
		Messages []struct{ Body string } `json:"messages"`
	}
	c.want(http.StatusOK, "GET", staffThread, admin, nil).JSON(t, &full)
	var bodies []string
	for _, m := range full.Messages {
		bodies = append(bodies, m.Body)
	}
	want := []string{first["message"], "Order 1234.", "Looking into it.", visitorReply["body"], staffReply["body"].(string)}
	if strings.Join(bodies, "|") != strings.Join(want, "|") {
		t.Errorf("thread after the outage:\n got %q\nwant %q", bodies, want)
	}
	c.want(http.StatusOK, "GET", "/readyz", "", nil)

	if bad := during[0] + after[0]; bad > 0 {
		t.Errorf("%d requests got no answer", bad)
	}
	for status, n := range during {
		if status >= 500 && status != http.StatusServiceUnavailable {
			t.Errorf("during the cut: %d answers %d", n, status)
		}
	}
	if during[http.StatusServiceUnavailable] < 2*len(calls) {
		t.Errorf("during the cut: %v, want %d answers 503", during, 2*len(calls))
	}
	for status, n := range after {
		if status >= 500 && status != http.StatusServiceUnavailable {
			t.Errorf("while reconnecting: %d answers %d", n, status)
		}
	}
	for _, line := range strings.Split(s.Log.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("the outage was logged as a server error: %s", line)
		}
	}
}

// tallyClient sends requests with a timeout (a request that hangs is a
// failure, not a stuck test), counts the answers by status (0: no answer)
// and checks every 5xx: only 503 unavailable with Retry-After is allowed.
type tallyClient struct {
	t    *testing.T
	base string
	mu   sync.Mutex
	seen map[int]int
}

// answerTimeout is far beyond the store's own bounds on waiting for the
// database: a request that takes longer hangs.
const answerTimeout = 90 * time.Second

var tallyHTTP = &http.Client{Timeout: answerTimeout}

func (c *tallyClient) do(method, path, token string, body any, headers ...string) *testserver.Response {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := tallyHTTP.Do(req)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[int]int{}
	}
	if err != nil {
		c.seen[0]++
		c.t.Errorf("%s %s: no answer: %v", method, path, err)
		return nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &testserver.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	c.seen[r.Status]++
	if r.Status == http.StatusServiceUnavailable {
		if r.ErrorCode() != "unavailable" || r.Header.Get("Retry-After") != "5" {
			c.t.Errorf("%s %s: 503 with code %q and Retry-After %q, want unavailable and 5: %s",
				method, path, r.ErrorCode(), r.Header.Get("Retry-After"), raw)
		}
	}
	return r
}

// want sends a request that must answer status.
func (c *tallyClient) want(status int, method, path, token string, body any, headers ...string) *testserver.Response {
	c.t.Helper()
	r := c.do(method, path, token, body, headers...)
	if r == nil || r.Status != status {
		c.t.Fatalf("%s %s: %s, want %d", method, path, describe(r), status)
	}
	return r
}

// poll repeats a request until it answers status; meanwhile only 503s are
// acceptable. The deadline is generous: it bounds a pool that never
// reconnects, not how fast it does.
func (c *tallyClient) poll(status int, method, path, token string, body any, headers ...string) *testserver.Response {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := c.do(method, path, token, body, headers...)
		switch {
		case r != nil && r.Status == status:
			return r
		case r == nil || r.Status != http.StatusServiceUnavailable:
			c.t.Fatalf("%s %s after the database returned: %s, want %d or 503 while reconnecting", method, path, describe(r), status)
		case time.Now().After(deadline):
			c.t.Fatalf("%s %s still answers 503 a minute after the database returned", method, path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reset returns the counts so far and starts counting afresh.
func (c *tallyClient) reset() map[int]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.seen
	c.seen = map[int]int{}
	if seen == nil {
		seen = map[int]int{}
	}
	return seen
}

func describe(r *testserver.Response) string {
	if r == nil {
		return "no answer"
	}
	return fmt.Sprintf("%d %s", r.Status, r.Body)
}
