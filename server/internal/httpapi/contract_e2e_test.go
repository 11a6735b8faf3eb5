package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestUserEmailChange: PATCH /users/{id} changes the e-mail (validated,
// unique) and the person signs in with the new one. Before, the e-mail was
// ignored with a 200.
func TestUserEmailChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d})
		admin := s.AdminToken(t)
		const pw = "a long enough password"
		var u struct{ User struct{ ID, Email string } }
		s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "old@example.com", "password": pw}).JSON(t, &u)
		path := "/api/v1/users/" + u.User.ID

		r := s.Do(t, "PATCH", path, admin, map[string]any{"email": " New@Example.com "})
		var got struct{ User struct{ Email string } }
		if r.Status == http.StatusOK {
			r.JSON(t, &got)
		}
		if r.Status != http.StatusOK || got.User.Email != "new@example.com" {
			t.Fatalf("change email: %d %s", r.Status, r.Body)
		}
		var list struct{ Users []struct{ ID, Email string } }
		s.Do(t, "GET", "/api/v1/users", admin, nil).JSON(t, &list)
		for _, x := range list.Users {
			if x.ID == u.User.ID && x.Email != "new@example.com" {
				t.Fatalf("stored email %q", x.Email)
			}
		}
		s.Login(t, "new@example.com", pw)
		if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "old@example.com", "password": pw}); r.Status != http.StatusUnauthorized {
			t.Fatalf("old email still signs in: %d", r.Status)
		}

		wantError(t, s.Do(t, "PATCH", path, admin, map[string]any{"email": s.Admin}), http.StatusConflict, "email_taken")
		e := wantError(t, s.Do(t, "PATCH", path, admin, map[string]any{"email": "not-an-email"}), http.StatusUnprocessableEntity, "validation_failed")
		if e.Error.Fields["email"] == "" {
			t.Fatalf("fields %v", e.Error.Fields)
		}
		s.Login(t, "new@example.com", pw) // neither refused change took effect
	})
}

// TestRatingOnlyWhenResolved: a rating of an open or pending conversation
// is a 409 not_resolved and stores nothing; once resolved it is accepted.
func TestRatingOnlyWhenResolved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		var c created
		s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "Is it waterproof?"}).JSON(t, &c)
		rate := createPath(s.DemoKey) + "/" + c.Conversation.ID + "/rating"
		staff := "/api/v1/conversations/" + c.Conversation.ID

		wantError(t, s.Do(t, "POST", rate, c.VisitorToken, map[string]any{"score": 1}), http.StatusConflict, "not_resolved")
		s.Do(t, "PATCH", staff, admin, map[string]any{"status": "pending"})
		wantError(t, s.Do(t, "POST", rate, c.VisitorToken, map[string]any{"score": 2}), http.StatusConflict, "not_resolved")
		if body := string(s.Do(t, "GET", staff, admin, nil).Body); !strings.Contains(body, `"rating_score":null`) {
			t.Fatalf("a refused rating was stored: %s", body)
		}
		s.Do(t, "PATCH", staff, admin, map[string]any{"status": "resolved"})
		if r := s.Do(t, "POST", rate, c.VisitorToken, map[string]any{"score": 5}); r.Status != http.StatusOK {
			t.Fatalf("rating a resolved conversation: %d %s", r.Status, r.Body)
		}
		if body := string(s.Do(t, "GET", staff, admin, nil).Body); !strings.Contains(body, `"rating_score":5`) {
			t.Fatalf("rating not stored: %s", body)
		}
	})
}

// TestLogoutWithoutBody: logout answers 204 with no body at all (and with
// an empty chunked one); a body that is not JSON is still a 400. Before,
// every bodiless logout was a 400.
func TestLogoutWithoutBody(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite"})
	token := s.AdminToken(t)
	if r := s.Do(t, "POST", "/api/v1/auth/logout", token, nil); r.Status != http.StatusNoContent {
		t.Fatalf("logout without a body: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, "POST", "/api/v1/auth/logout", "", nil); r.Status != http.StatusNoContent {
		t.Fatalf("logout without a body or token: %d %s", r.Status, r.Body)
	}
	if r := doChunked(t, s, "/api/v1/auth/logout", token, ""); r.Status != http.StatusNoContent {
		t.Fatalf("logout with an empty chunked body: %d %s", r.Status, r.Body)
	}
	wantError(t, s.Do(t, "POST", "/api/v1/auth/logout", token, "{"), http.StatusBadRequest, "bad_json")
}

// socketFrame is one server frame of the websocket protocol.
type socketFrame struct {
	Type           string          `json:"type"`
	Cursor         string          `json:"cursor"`
	ConversationID string          `json:"conversation_id"`
	Data           json.RawMessage `json:"data"`
}

func readFrame(t *testing.T, c *websocket.Conn) socketFrame {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, raw, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	var f socketFrame
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("frame %q: %v", raw, err)
	}
	return f
}

// TestStaffOnlyUpdatesStayOffVisitorSockets: changing a conversation's tags
// or assignee reaches staff sockets but not the visitor's; a status change
// reaches both. Events of a site arrive in order, so the visitor's first
// frame after the three changes being the status change proves the other
// two were not sent (no waiting for silence). Before, the visitor got a
// conversation.updated frame for each.
func TestStaffOnlyUpdatesStayOffVisitorSockets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		var me struct{ User struct{ ID string } }
		s.Do(t, "GET", "/api/v1/me", admin, nil).JSON(t, &me)
		var c created
		s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "complaint", "message": "Broken lamp"}).JSON(t, &c)

		// Cursors taken before the changes: each socket replays what follows.
		var vpage, spage struct {
			EventsCursor string `json:"events_cursor"`
		}
		s.Do(t, "GET", createPath(s.DemoKey), c.VisitorToken, nil).JSON(t, &vpage)
		s.Do(t, "GET", "/api/v1/conversations", admin, nil).JSON(t, &spage)
		visitor, _, err := s.DialSocket("/api/v1/widget/"+s.DemoKey+"/ws", c.VisitorToken, vpage.EventsCursor, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer visitor.Close()
		staff, _, err := s.DialSocket("/api/v1/ws", admin, spage.EventsCursor, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer staff.Close()

		path := "/api/v1/conversations/" + c.Conversation.ID
		for _, patch := range []map[string]any{{"tags": []string{"shipping"}}, {"assignee_id": me.User.ID}, {"status": "pending"}} {
			if r := s.Do(t, "PATCH", path, admin, patch); r.Status != http.StatusOK {
				t.Fatalf("patch %v: %d %s", patch, r.Status, r.Body)
			}
		}
		for i, want := range []string{`"tags":["shipping"]`, `"assignee_id":"` + me.User.ID + `"`, `"status":"pending"`} {
			f := readFrame(t, staff)
			if f.Type != "conversation.updated" || !strings.Contains(string(f.Data), want) {
				t.Fatalf("staff frame %d: %s %s, want %s", i, f.Type, f.Data, want)
			}
		}
		f := readFrame(t, visitor)
		if f.Type != "conversation.updated" || !strings.Contains(string(f.Data), `"status":"pending"`) {
			t.Fatalf("visitor's first frame: %s %s, want the status change", f.Type, f.Data)
		}
		if strings.Contains(string(f.Data), "shipping") || strings.Contains(string(f.Data), me.User.ID) {
			t.Fatalf("staff-only fields reached the visitor: %s", f.Data)
		}
	})
}
