package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestStaffSocketHandshake: the staff socket is refused with a contract
// error before any upgrade when the token is missing or bad or the page is
// on a foreign origin, and answers the holler.v1 subprotocol when accepted.
func TestStaffSocketHandshake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d})
		token := s.AdminToken(t)

		refused := []struct {
			name, token, origin string
			status              int
			code                string
		}{
			{"no token", "", "", http.StatusUnauthorized, "unauthorized"},
			{"bad token", "not-a-token", "", http.StatusUnauthorized, "unauthorized"},
			{"foreign origin", token, "http://evil.example", http.StatusForbidden, "origin_not_allowed"},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				h := http.Header{}
				if c.origin != "" {
					h.Set("Origin", c.origin)
				}
				conn, resp, err := s.DialSocket("/api/v1/ws", c.token, "", h)
				if err == nil {
					conn.Close()
					t.Fatal("socket accepted")
				}
				if resp == nil {
					t.Fatalf("no HTTP answer: %v", err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != c.status {
					t.Fatalf("status %d, want %d (%s)", resp.StatusCode, c.status, body)
				}
				var e contractError
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != c.code {
					t.Errorf("body %s, want error code %q", body, c.code)
				}
			})
		}

		t.Run("accepted", func(t *testing.T) {
			// The dashboard's own origin is allowed.
			h := http.Header{"Origin": {s.Config.PublicOrigin()}}
			conn := dialStaff(t, s, token, h)
			defer conn.Close()
			if conn.Subprotocol() != "holler.v1" {
				t.Errorf("subprotocol %q, want holler.v1", conn.Subprotocol())
			}
			// And it is live: a new conversation arrives as an event.
			r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "praise", "message": "great"})
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			var f struct {
				Type string `json:"type"`
			}
			for f.Type != "conversation.created" {
				if err := conn.ReadJSON(&f); err != nil {
					t.Fatalf("read event: %v", err)
				}
			}
		})
	})
}

// TestStaffSocketNeedsSubprotocol: a token alone (no holler.v1 offer) is
// refused, so a client never talks to a server speaking another protocol.
func TestStaffSocketNeedsSubprotocol(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: storetest.Dialects[0]})
	d := websocket.Dialer{Subprotocols: []string{"bearer." + s.AdminToken(t)}}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/api/v1/ws", nil)
	if err == nil {
		conn.Close()
		t.Fatal("socket accepted without the holler.v1 subprotocol")
	}
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("resp %v, err %v; want 401", resp, err)
	}
	resp.Body.Close()
}
