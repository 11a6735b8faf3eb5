package realtime_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/config"
	"holler/server/internal/model"
	"holler/server/internal/realtime"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestAcrossInstancesEachTransport: two servers on one database, linked by
// LISTEN/NOTIFY and then by NATS. Events, typing indicators (both ways)
// and presence cross from one instance to the other.
func TestAcrossInstancesEachTransport(t *testing.T) {
	for _, transport := range []string{"postgres", "nats"} {
		t.Run(transport, func(t *testing.T) {
			natsURL := ""
			if transport == "nats" {
				natsURL = testserver.NATSURL(t)
			}
			url := storetest.FreshPostgres(t)
			configure := func(c *config.Config) {
				noLimits(c)
				c.NATSURL = natsURL
				c.LogLevel = "info"
			}
			a := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: url}, Configure: configure})
			b := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: url}, Configure: configure})
			if !strings.Contains(a.Log.String(), `"transport":"`+transport+`"`) {
				t.Fatalf("A does not log the %s transport:\n%s", transport, a.Log.String())
			}
			token := a.AdminToken(t)
			staff := frames(t, dial(t, a, "/api/v1/ws", token, "", nil))

			convID, visitorToken := createConversation(t, b, b.DemoKey, "", "filed on B")
			waitFrame(t, staff, "B's conversation on A", func(f frame) bool {
				return f.Type == "conversation.created" && f.ConversationID == convID
			})

			visitorConn := dial(t, b, "/api/v1/widget/"+b.DemoKey+"/ws", visitorToken, "", nil)
			visitor := frames(t, visitorConn)
			typing := map[string]string{"type": "typing", "conversation_id": convID}
			// The server takes one typing frame a second per socket: repeat
			// until the other side sees one.
			stop := repeat(t, visitorConn, typing)
			waitFrame(t, staff, "the visitor typing (B) on the dashboard (A)", func(f frame) bool {
				return f.Type == "typing" && f.ConversationID == convID
			})
			close(stop)
			staffConn := dial(t, a, "/api/v1/ws", token, "", nil)
			stop = repeat(t, staffConn, typing)
			waitFrame(t, visitor, "staff typing (A) in the widget (B)", func(f frame) bool {
				return f.Type == "typing" && f.ConversationID == convID
			})
			close(stop)

			// The admin's dashboards are on A only: B learns from presence.
			deadline := time.Now().Add(60 * time.Second)
			for {
				r := b.Do(t, "GET", "/api/v1/widget/"+b.DemoKey+"/config", "", nil)
				if r.Status == http.StatusOK && strings.Contains(string(r.Body), `"online":true`) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("B does not show the site online while its staff are on A")
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

// frames reads conn's frames into a channel until it closes.
func frames(t *testing.T, conn *websocket.Conn) <-chan frame {
	t.Helper()
	ch := make(chan frame, 256)
	go func() {
		defer close(ch)
		for {
			_, raw, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var f frame
			if json.Unmarshal(raw, &f) == nil {
				ch <- f
			}
		}
	}()
	return ch
}

func waitFrame(t *testing.T, ch <-chan frame, what string, ok func(frame) bool) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case f, open := <-ch:
			if !open {
				t.Fatalf("waiting for %s: the socket closed", what)
			}
			if ok(f) {
				return
			}
		case <-timeout:
			t.Fatalf("no %s within 60 s", what)
		}
	}
}

// repeat writes v to conn every 300 ms until the returned channel closes.
func repeat(t *testing.T, conn *websocket.Conn, v any) chan struct{} {
	t.Helper()
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			if conn.WriteJSON(v) != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return stop
}

// TestNATSClustersStayApart: instances of different databases on the same
// NATS use different subjects, so one cluster never hears the other's
// notices (which carry site IDs and typing data).
func TestNATSClustersStayApart(t *testing.T) {
	url := testserver.NATSURL(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	one, other := realtime.NATSSubject(store.NewID()), realtime.NATSSubject(store.NewID())
	connect := func(subject string) *realtime.NATS {
		tr, err := realtime.NewNATS(url, subject, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		return tr
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listen := func(tr *realtime.NATS) <-chan realtime.Batch {
		ch, ready := make(chan realtime.Batch, 16), make(chan struct{}, 1)
		go func() {
			_ = tr.Listen(ctx, func() {
				select {
				case ready <- struct{}{}:
				default:
				}
			}, func(b realtime.Batch) { ch <- b })
		}()
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			t.Fatal("NATS listener not ready within 30 s")
		}
		return ch
	}
	sendA, sendB := connect(one), connect(other)
	hearA, hearB := listen(connect(one)), listen(connect(other))
	// Both subscriptions must be registered on the server before anything
	// is sent; a round trip on the senders' connections does not prove it,
	// so send until the first batch of each cluster arrives.
	await := func(ch <-chan realtime.Batch, tr *realtime.NATS, origin string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			if err := tr.Send(ctx, realtime.Batch{Origin: origin, Notices: []model.Notice{{SiteID: "s", Seq: 1}}}); err != nil {
				t.Fatal(err)
			}
			select {
			case b := <-ch:
				if b.Origin != origin {
					t.Fatalf("heard %q, want %q", b.Origin, origin)
				}
				return
			case <-time.After(200 * time.Millisecond):
			case <-deadline:
				t.Fatalf("%s not heard within 30 s", origin)
			}
		}
	}
	// The other cluster speaks first and is heard by its own listener, so
	// the server has routed it; then this cluster speaks. This cluster's
	// listener, served in order, must hear its own batch and nothing else.
	await(hearB, sendB, "other cluster")
	await(hearA, sendA, "this cluster")
	for len(hearA) > 0 {
		if b := <-hearA; b.Origin != "this cluster" {
			t.Fatalf("this cluster heard %q", b.Origin)
		}
	}
}
