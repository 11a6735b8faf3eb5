package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestErrorShapes: routing failures, bad JSON and oversized bodies all
// answer the contract's {"error": {...}} with a fitting 4xx, and none of
// them creates anything.
func TestErrorShapes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		token := s.AdminToken(t)
		before := conversationCount(t, s, token)
		widget := createPath(s.DemoKey)

		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
			code                      string
		}{
			{"unknown path", "GET", "/no/such/page", "", nil, 404, "not_found"},
			{"unknown api path", "GET", "/api/v1/nope", token, nil, 404, "not_found"},
			{"unknown site key", "POST", createPath("nokey"), "", `{"kind":"question","message":"hi"}`, 404, "not_found"},
			{"wrong method", "DELETE", "/healthz", "", nil, 405, "method_not_allowed"},
			{"wrong method on login", "GET", "/api/v1/auth/login", "", nil, 405, "method_not_allowed"},
			{"wrong method on a staff route", "DELETE", "/api/v1/conversations", token, nil, 405, "method_not_allowed"},
			{"wrong method on a widget route", "POST", "/api/v1/widget/" + s.DemoKey + "/config", "", nil, 405, "method_not_allowed"},
			{"unknown widget path", "GET", "/api/v1/widget/" + s.DemoKey + "/nope", "", nil, 404, "not_found"},
			{"malformed JSON on login", "POST", "/api/v1/auth/login", "", `{"email": "a@b.co",`, 400, "bad_json"},
			{"empty body on login", "POST", "/api/v1/auth/login", "", "", 400, "bad_json"},
			{"two JSON values", "POST", "/api/v1/auth/login", "", `{} {}`, 400, "bad_json"},
			{"malformed JSON on widget", "POST", widget, "", `{"kind":`, 400, "bad_json"},
			{"wrong JSON type on widget", "POST", widget, "", `{"kind": 5, "message": "hi"}`, 422, "validation_failed"},
			// 1 MiB + 1 byte on a staff route (Content-Length known).
			{"staff body over 1 MiB", "POST", "/api/v1/sites", token, jsonOfSize(1<<20 + 1), 413, "body_too_large"},
			// 64 KiB + 1 byte on the widget (Content-Length known).
			{"widget body over 64 KiB", "POST", widget, "", jsonOfSize(64<<10 + 1), 413, "body_too_large"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.Do(t, c.method, c.path, c.token, c.body)
				wantError(t, r, c.status, c.code)
			})
		}
		if after := conversationCount(t, s, token); after != before {
			t.Errorf("conversations %d -> %d after rejected requests", before, after)
		}
	})
}

// TestWidgetPreflight: every widget route answers a CORS preflight (the
// widget posts JSON with an Idempotency-Key, so browsers preflight), and a
// preflight from an origin the site does not allow is refused.
func TestWidgetPreflight(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: storetest.Dialects[0], Configure: noLimits})
	token := s.AdminToken(t)
	r := s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, token, map[string]any{"allowed_origins": []string{"https://shop.example"}})
	if r.Status != http.StatusOK {
		t.Fatalf("patch site: %d %s", r.Status, r.Body)
	}
	base := "/api/v1/widget/" + s.DemoKey
	for _, p := range []string{"/config", "/conversations", "/conversations/x", "/conversations/x/messages", "/conversations/x/rating"} {
		r := s.Do(t, "OPTIONS", base+p, "", nil, "Origin", "https://shop.example", "Access-Control-Request-Method", "POST")
		if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" ||
			!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") {
			t.Errorf("preflight %s: %d %v", p, r.Status, r.Header)
		}
	}
	r = s.Do(t, "OPTIONS", base+"/conversations", "", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	wantError(t, r, http.StatusForbidden, "origin_not_allowed")
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a refused origin got Access-Control-Allow-Origin %q", r.Header.Get("Access-Control-Allow-Origin"))
	}
}

// TestBodyLimitWithoutContentLength: a chunked body (no Content-Length)
// over the limit is caught while reading and still answers 413, not a
// misleading 400 "bad JSON".
func TestBodyLimitWithoutContentLength(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		token := s.AdminToken(t)
		before := conversationCount(t, s, token)
		for _, c := range []struct{ path, token, body string }{
			{createPath(s.DemoKey), "", jsonOfSize(64<<10 + 1)},
			{"/api/v1/sites", token, jsonOfSize(1<<20 + 1)},
		} {
			r := doChunked(t, s, c.path, c.token, c.body)
			wantError(t, r, http.StatusRequestEntityTooLarge, "body_too_large")
		}
		if after := conversationCount(t, s, token); after != before {
			t.Errorf("conversations %d -> %d after oversized bodies", before, after)
		}
	})
}

// TestWidgetValidation: each invalid field of a new conversation answers
// 422 naming that field, nothing is stored, and the limits are exact (a
// message of exactly 10,000 characters is accepted).
func TestWidgetValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		token := s.AdminToken(t)
		path := createPath(s.DemoKey)
		before := conversationCount(t, s, token)

		cases := []struct {
			name   string
			body   map[string]string
			fields []string
		}{
			{"bad kind and blank message", map[string]string{"kind": "nope", "message": "   "}, []string{"kind", "message"}},
			{"bad email", map[string]string{"kind": "question", "message": "hi", "email": "not-an-email"}, []string{"email"}},
			{"javascript page url", map[string]string{"kind": "question", "message": "hi", "page_url": "javascript:alert(1)"}, []string{"page_url"}},
			{"message too long", map[string]string{"kind": "question", "message": strings.Repeat("x", 10_001)}, []string{"message"}},
			{"multibyte message too long", map[string]string{"kind": "question", "message": strings.Repeat("é", 10_001)}, []string{"message"}},
			{"name too long", map[string]string{"kind": "question", "message": "hi", "name": strings.Repeat("n", 201)}, []string{"name"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := wantError(t, s.Do(t, "POST", path, "", c.body), http.StatusUnprocessableEntity, "validation_failed")
				for _, f := range c.fields {
					if e.Error.Fields[f] == "" {
						t.Errorf("fields.%s missing: %v", f, e.Error.Fields)
					}
				}
				if len(e.Error.Fields) != len(c.fields) {
					t.Errorf("fields %v, want exactly %v", e.Error.Fields, c.fields)
				}
			})
		}
		if after := conversationCount(t, s, token); after != before {
			t.Fatalf("conversations %d -> %d after invalid requests", before, after)
		}

		// Exactly at the limits (10,000 runes, some multibyte) is fine.
		msg := strings.Repeat("é", 5_000) + strings.Repeat("x", 5_000)
		r := s.Do(t, "POST", path, "", map[string]string{"kind": "question", "message": msg,
			"name": strings.Repeat("n", 200), "page_url": "https://shop.example/cart"})
		if r.Status != http.StatusCreated {
			t.Fatalf("message of exactly 10,000 characters: %d %s", r.Status, r.Body)
		}
		if after := conversationCount(t, s, token); after != before+1 {
			t.Errorf("conversations %d -> %d, want one more", before, after)
		}
	})
}

// jsonOfSize is a valid JSON object of exactly n bytes, so only its size
// can be the reason it is refused.
func jsonOfSize(n int) string {
	const head, tail = `{"kind":"question","message":"`, `"}`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

// doChunked sends body without a Content-Length (Transfer-Encoding:
// chunked), as a streaming client or proxy may.
func doChunked(t *testing.T, s *testserver.Server, path, token, body string) *testserver.Response {
	t.Helper()
	// io.MultiReader hides the length from net/http, which then chunks.
	req, err := http.NewRequest("POST", s.URL+path, io.MultiReader(bytes.NewReader([]byte(body))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if req.ContentLength != 0 {
		t.Fatalf("request has a Content-Length (%d); it must be chunked", req.ContentLength)
	}
	raw, _ := io.ReadAll(resp.Body)
	return &testserver.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}
