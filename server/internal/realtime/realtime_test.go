package realtime_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/model"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

type frame struct {
	Type           string          `json:"type"`
	Cursor         string          `json:"cursor"`
	SiteID         string          `json:"site_id"`
	ConversationID string          `json:"conversation_id"`
	Data           json.RawMessage `json:"data"`
}

func dial(t *testing.T, s *testserver.Server, path, token, cursor string, header http.Header) *websocket.Conn {
	t.Helper()
	conn, resp, err := s.DialSocket(path, token, cursor, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	if conn.Subprotocol() != "holler.v1" {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func read(t *testing.T, c *websocket.Conn, within time.Duration) (frame, error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(within))
	var f frame
	_, raw, err := c.ReadMessage()
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("frame %q: %v", raw, err)
	}
	return f, nil
}

func createConversation(t *testing.T, s *testserver.Server, key, token, body string) (convID, visitorToken string) {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/widget/"+key+"/conversations", token,
		map[string]string{"kind": "complaint", "message": body})
	if r.Status != http.StatusCreated {
		t.Fatalf("create conversation: %d %s", r.Status, r.Body)
	}
	var out struct {
		Conversation struct{ ID string } `json:"conversation"`
		VisitorToken string              `json:"visitor_token"`
	}
	r.JSON(t, &out)
	return out.Conversation.ID, out.VisitorToken
}

// TestStaffReplayWithConcurrentWriters: writers on two sites post while a
// staff socket reads, drops and reconnects with its cursor. Every committed
// event arrives exactly once and, per site, in seq order with no gaps.
func TestStaffReplayWithConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		r := s.Do(t, "POST", "/api/v1/sites", admin, map[string]any{"name": "Second"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create site: %d %s", r.Status, r.Body)
		}
		var second struct{ Site model.Site }
		r.JSON(t, &second)
		keys := []string{s.DemoKey, second.Site.Key}

		conn := dial(t, s, "/api/v1/ws", admin, "", nil)

		const writers, each = 4, 8
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					id, _ := createConversation(t, s, keys[(w+i)%2], "", fmt.Sprintf("w%d i%d", w, i))
					r := s.Do(t, "POST", "/api/v1/conversations/"+id+"/messages", admin, map[string]any{"body": "on it", "internal": i%3 == 0})
					if r.Status != http.StatusCreated {
						t.Errorf("reply: %d %s", r.Status, r.Body)
					}
				}
			}(w)
		}

		last := map[string]int64{}
		cursor := ""
		got := 0
		check := func(f frame) {
			if f.Type == "typing" {
				return
			}
			cur, err := model.DecodeCursor(f.Cursor)
			if err != nil {
				t.Fatalf("frame cursor %q: %v", f.Cursor, err)
			}
			seq := cur[f.SiteID]
			if seq != last[f.SiteID]+1 {
				t.Fatalf("site %s: seq %d after %d (type %s)", f.SiteID, seq, last[f.SiteID], f.Type)
			}
			last[f.SiteID] = seq
			cursor = f.Cursor
			got++
		}
		// Read part of the stream, then cut the connection mid-flight.
		for got < 15 {
			f, err := read(t, conn, 30*time.Second)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			check(f)
		}
		conn.Close()
		time.Sleep(200 * time.Millisecond) // let writers commit while nobody listens
		wg.Wait()

		// Everything committed by now must arrive after reconnecting.
		var page struct {
			EventsCursor string `json:"events_cursor"`
		}
		s.Do(t, "GET", "/api/v1/conversations", admin, nil).JSON(t, &page)
		final, err := model.DecodeCursor(page.EventsCursor)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, n := range final {
			want += int(n)
		}
		// Each conversation: created + message, plus conversation.updated on
		// its first public staff reply.
		if want < writers*each*2 {
			t.Fatalf("only %d events committed", want)
		}
		conn = dial(t, s, "/api/v1/ws", admin, cursor, nil)
		for got < want {
			f, err := read(t, conn, 30*time.Second)
			if err != nil {
				t.Fatalf("after %d of %d events: %v", got, want, err)
			}
			check(f)
		}
		// And nothing more: no event is delivered twice.
		if f, err := read(t, conn, 300*time.Millisecond); err == nil {
			t.Fatalf("extra frame after all events: %+v", f)
		}
	})
}

// TestVisitorSocketSeesOnlyOwnPublicEvents: a visitor's socket never
// carries internal notes or another visitor's conversation, and it replays
// from its cursor.
func TestVisitorSocketSeesOnlyOwnPublicEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		mine, token := createConversation(t, s, s.DemoKey, "", "my order is late")
		other, _ := createConversation(t, s, s.DemoKey, "", "someone else")

		conn := dial(t, s, "/api/v1/widget/"+s.DemoKey+"/ws", token, "", nil)
		s.Do(t, "POST", "/api/v1/conversations/"+mine+"/messages", admin, map[string]any{"body": "secret note", "internal": true})
		s.Do(t, "POST", "/api/v1/conversations/"+other+"/messages", admin, map[string]any{"body": "not for you"})
		s.Do(t, "POST", "/api/v1/conversations/"+mine+"/messages", admin, map[string]any{"body": "Sorry! Shipped today."})

		f, err := read(t, conn, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type != "message.created" || f.ConversationID != mine || !strings.Contains(string(f.Data), "Shipped today") {
			t.Fatalf("first visitor frame: %+v %s", f, f.Data)
		}
		if strings.Contains(string(f.Data), "author_id\":\"0") {
			t.Fatalf("staff author id leaked: %s", f.Data)
		}
		f2, err := read(t, conn, 5*time.Second)
		if err != nil || f2.Type != "conversation.updated" || f2.ConversationID != mine {
			t.Fatalf("second frame: %+v %v", f2, err)
		}
		if strings.Contains(string(f2.Data), "user_agent") && strings.Contains(string(f2.Data), "tags\":[") {
			t.Fatalf("staff-only fields in visitor data: %s", f2.Data)
		}
		conn.Close()

		// Replay from the first frame's cursor: only the update follows.
		conn = dial(t, s, "/api/v1/widget/"+s.DemoKey+"/ws", token, f.Cursor, nil)
		f3, err := read(t, conn, 5*time.Second)
		if err != nil || f3.Type != "conversation.updated" {
			t.Fatalf("replayed frame: %+v %v", f3, err)
		}
		if f, err := read(t, conn, 300*time.Millisecond); err == nil {
			t.Fatalf("unexpected frame %+v %s", f, f.Data)
		}
	})
}

// TestSocketRefusals: no token, a visitor token on the staff socket, and a
// foreign origin are refused before the upgrade.
func TestSocketRefusals(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	_, visitor := createConversation(t, s, s.DemoKey, "", "hello")
	admin := s.AdminToken(t)
	cases := []struct {
		name, path, token string
		header            http.Header
		status            int
	}{
		{"staff without token", "/api/v1/ws", "", nil, 401},
		{"visitor token on staff socket", "/api/v1/ws", visitor, nil, 401},
		{"staff token on visitor socket", "/api/v1/widget/" + s.DemoKey + "/ws", admin, nil, 401},
		{"staff from a foreign origin", "/api/v1/ws", admin, http.Header{"Origin": {"http://evil.example"}}, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, resp, err := s.DialSocket(c.path, c.token, "", c.header)
			if err == nil {
				conn.Close()
				t.Fatal("socket accepted")
			}
			if resp == nil || resp.StatusCode != c.status {
				t.Fatalf("got %v, want status %d", resp, c.status)
			}
		})
	}
}
