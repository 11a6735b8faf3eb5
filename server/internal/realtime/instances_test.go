package realtime_test

import (
	"net/http"
	"testing"
	"time"

	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestEventsCrossInstances: two servers share one PostgreSQL database. A
// staff socket on the first sees, live, what a visitor files through the
// second (LISTEN/NOTIFY), and a socket that moves to the second instance
// resumes from the cursor the first one gave it.
func TestEventsCrossInstances(t *testing.T) {
	url := storetest.FreshPostgres(t)
	a := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: url}, Configure: noLimits})
	b := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: url}, Configure: noLimits})
	if a.DemoKey != b.DemoKey {
		t.Fatalf("two instances made two demo sites: %s %s", a.DemoKey, b.DemoKey)
	}
	token := a.AdminToken(t)

	onA := dial(t, a, "/api/v1/ws", token, "", nil)
	convID, _ := createConversation(t, b, b.DemoKey, "", "filed on instance B")
	f, err := read(t, onA, 10*time.Second)
	if err != nil {
		t.Fatalf("instance A did not hear of B's conversation: %v", err)
	}
	if f.Type != "conversation.created" || f.ConversationID != convID {
		t.Fatalf("frame on A: %+v", f)
	}
	onA.Close()

	// While no socket is open, two more things happen on A.
	if r := a.Do(t, "POST", "/api/v1/conversations/"+convID+"/messages", token, map[string]any{"body": "reply via A"}); r.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", r.Status, r.Body)
	}
	// The dashboard reconnects to B with A's cursor and misses nothing.
	onB := dial(t, b, "/api/v1/ws", token, f.Cursor, nil)
	for _, want := range []string{"message.created", "conversation.updated"} {
		g, err := read(t, onB, 10*time.Second)
		if err != nil || g.Type != want || g.ConversationID != convID {
			t.Fatalf("on B want %s, got %+v %v", want, g, err)
		}
	}
	if g, err := read(t, onB, 300*time.Millisecond); err == nil {
		t.Fatalf("unexpected extra frame %+v", g)
	}
}

// TestPresenceDrivesOnline: the widget says "online" exactly while a staff
// member of the site has the dashboard open.
func TestPresenceDrivesOnline(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	online := func() bool {
		var cfg struct {
			Online bool `json:"online"`
		}
		s.Do(t, "GET", "/api/v1/widget/"+s.DemoKey+"/config", "", nil).JSON(t, &cfg)
		return cfg.Online
	}
	if online() {
		t.Fatal("online with nobody connected")
	}
	conn := dial(t, s, "/api/v1/ws", s.AdminToken(t), "", nil)
	// The socket registers just after the handshake answers: poll briefly.
	deadline := time.Now().Add(5 * time.Second)
	for !online() {
		if time.Now().After(deadline) {
			t.Fatal("offline 5 s after a staff socket opened")
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn.Close()
	deadline = time.Now().Add(5 * time.Second)
	for online() {
		if time.Now().After(deadline) {
			t.Fatal("still online 5 s after the last staff socket closed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
