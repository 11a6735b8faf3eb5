package realtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/model"
)

// memLog is a Log held in memory, so the hub's own work (fan-out, socket
// upkeep) can be measured and tested without a database's cost in the way.
type memLog struct {
	mu     sync.Mutex
	events map[string][]model.Event // per site; seq is the index + 1
}

func newMemLog() *memLog { return &memLog{events: map[string][]model.Event{}} }

func (l *memLog) EventsAfter(_ context.Context, siteID string, after int64, visitorID string, limit int) ([]model.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []model.Event
	for _, e := range l.events[siteID][min(after, int64(len(l.events[siteID]))):] {
		if visitorID != "" && e.VisitorID != visitorID {
			continue
		}
		if out = append(out, e); len(out) == limit {
			break
		}
	}
	return out, nil
}

func (l *memLog) SiteSeqs(context.Context) (map[string]int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int64{}
	for id, evs := range l.events {
		out[id] = int64(len(evs))
	}
	return out, nil
}

// add appends a staff-visible message event and returns its seq.
func (l *memLog) add(siteID, data string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	seq := int64(len(l.events[siteID]) + 1)
	l.events[siteID] = append(l.events[siteID], model.Event{SiteID: siteID, Seq: seq, Type: model.EventMessageCreated,
		ConversationID: "c1", VisitorID: "v1", Data: data, PublicData: data, CreatedAt: time.Now().UTC()})
	return seq
}

// hubServer serves staff sockets on site s1 from a hub over l.
func hubServer(t testing.TB, h *Hub) *httptest.Server {
	t.Helper()
	return hubServerWith(t, h, nil)
}

// hubServerWith is hubServer with the sockets' client frames going to
// onFrame.
func hubServerWith(t testing.TB, h *Hub, onFrame func(ClientFrame)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur, err := h.StartCursor(r.Context(), []string{"s1"}, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		conn, err := upgradeForTest(w, r)
		if err != nil {
			return
		}
		h.Serve(context.WithoutCancel(r.Context()), conn, Options{Staff: &Staff{UserID: "u1"}, Sites: []string{"s1"}, Cursor: cur,
			OnFrame: onFrame})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func dialHub(t testing.TB, srv *httptest.Server) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{Subprotocol}, HandshakeTimeout: 30 * time.Second}
	conn, _, err := d.Dial("ws"+srv.URL[len("http"):], nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
