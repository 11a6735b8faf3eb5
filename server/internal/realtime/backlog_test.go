package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// backlog appends events straight to the server's log through a second
// handle on its database, in one transaction, so a test can commit
// thousands of them in seconds even under -race. The events are shaped as
// the service writes them; the rows they describe are left out because a
// replay reads only the log. Nothing is published: the server's sockets
// learn of these events from the log, as after a restart or from another
// instance.
type backlog struct {
	t  *testing.T
	st *store.Store
}

func newBacklog(t *testing.T, s *testserver.Server) *backlog {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: s.Config.DatabaseURL, DataDir: s.Config.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &backlog{t: t, st: st}
}

// append commits n events made by mk, backlogChunk to a transaction: one
// transaction of thousands of padded events can outlast the store's
// transaction bound (15 s) on a loaded CI machine under -race.
func (b *backlog) append(n int, mk func(i int, at time.Time) (e model.Event, data, public any)) {
	b.t.Helper()
	ctx := context.Background()
	for from := 0; from < n; from += backlogChunk {
		err := b.st.InTx(ctx, func(tx *store.Store) error {
			for i := from; i < min(from+backlogChunk, n); i++ {
				e, data, public := mk(i, time.Now().UTC())
				if err := tx.AppendEvent(ctx, &e, data, public); err != nil {
					return fmt.Errorf("event %d: %w", i, err)
				}
			}
			return nil
		})
		if err != nil {
			b.t.Fatal(err)
		}
	}
}

const backlogChunk = 250

// padding makes each frame a few kilobytes, as long messages are: the
// backlog must be far larger than what the kernel buffers of a loopback
// connection hold (megabytes), or a socket that does not read would hold
// no server back and nothing would be proved about pacing.
var padding = "\n\n" + strings.Repeat("All the details of what happened. ", 60)

// conversations appends n conversation.created events to a site's log and
// returns the conversations' IDs in seq order.
func (b *backlog) conversations(siteID string, n int) []string {
	b.t.Helper()
	ids := make([]string, 0, n)
	b.append(n, func(i int, at time.Time) (model.Event, any, any) {
		c := model.Conversation{ID: store.NewID(), SiteID: siteID, VisitorID: store.NewID(), Ref: fmt.Sprintf("W%05d", i),
			Kind: model.KindQuestion, Status: model.StatusOpen, Tags: []string{}, Preview: fmt.Sprintf("weekend question %d", i),
			CreatedAt: at, UpdatedAt: at, LastMessageAt: at}
		m := model.Message{ID: store.NewID(), ConversationID: c.ID, SiteID: siteID, AuthorKind: model.AuthorVisitor,
			AuthorID: c.VisitorID, Body: c.Preview + padding, CreatedAt: at}
		ids = append(ids, c.ID)
		return model.Event{SiteID: siteID, Type: model.EventConversationCreated, ConversationID: c.ID, VisitorID: c.VisitorID, CreatedAt: at},
			map[string]any{"conversation": c, "message": m},
			map[string]any{"conversation": c.ForVisitor(), "message": m.ForVisitor()}
	})
	return ids
}

// message makes a message.created event of conversation c.
func message(c model.Conversation, author, body string, internal bool, at time.Time) (model.Event, any, any) {
	m := model.Message{ID: store.NewID(), ConversationID: c.ID, SiteID: c.SiteID, AuthorKind: author,
		Body: body, Internal: internal, CreatedAt: at}
	return model.Event{SiteID: c.SiteID, Type: model.EventMessageCreated, ConversationID: c.ID, VisitorID: c.VisitorID,
			Internal: internal, CreatedAt: at},
		map[string]any{"message": m}, map[string]any{"message": m.ForVisitor()}
}

// dialSmall opens a socket like testserver.DialSocket, with a receive
// buffer of 256 KiB instead of one that grows to 32 MiB: a client that
// does not read then really holds the server's writer back once a few
// hundred frames wait in the kernel, instead of letting the whole backlog
// pile up there. (Much smaller than loopback's 64 KiB segments would stall
// TCP itself on window updates.)
func dialSmall(t *testing.T, s *testserver.Server, path, token, cursor string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(s.URL, "http") + path
	if cursor != "" {
		u += "?cursor=" + url.QueryEscape(cursor)
	}
	d := websocket.Dialer{
		Subprotocols:     []string{"holler.v1", "bearer." + token},
		HandshakeTimeout: 10 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if err := conn.(*net.TCPConn).SetReadBuffer(256 << 10); err != nil {
				conn.Close()
				return nil, err
			}
			return conn, nil
		},
	}
	conn, resp, err := d.Dial(u, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// stream checks frames of one site as they arrive: consecutive seqs (each
// event once, in order) for a staff socket, rising seqs for a visitor's.
type stream struct {
	t       *testing.T
	conn    *websocket.Conn
	site    string
	last    int64
	gapless bool
	cursor  string
}

// next reads the next event frame (typing frames are skipped). A read
// error fails the test: the socket must stay open.
func (s *stream) next(what string) frame {
	s.t.Helper()
	for {
		f, err := read(s.t, s.conn, 30*time.Second)
		if err != nil {
			s.t.Fatalf("%s: socket failed after seq %d: %v", what, s.last, err)
		}
		if f.Type == model.EventTyping {
			continue
		}
		cur, err := model.DecodeCursor(f.Cursor)
		if err != nil {
			s.t.Fatalf("%s: frame cursor %q: %v", what, f.Cursor, err)
		}
		seq := cur[s.site]
		if f.SiteID != s.site || seq <= s.last || s.gapless && seq != s.last+1 {
			s.t.Fatalf("%s: frame of site %s with seq %d after seq %d (type %s)", what, f.SiteID, seq, s.last, f.Type)
		}
		s.last, s.cursor = seq, f.Cursor
		return f
	}
}

// expectConversations reads one conversation.created frame per ID, in order.
func (s *stream) expectConversations(ids []string) {
	s.t.Helper()
	for i, id := range ids {
		f := s.next(fmt.Sprintf("conversation %d of %d", i+1, len(ids)))
		if f.Type != model.EventConversationCreated || f.ConversationID != id {
			s.t.Fatalf("frame %d of %d: %s %s, want conversation.created %s", i+1, len(ids), f.Type, f.ConversationID, id)
		}
	}
}

// expectQuiet proves nothing more is queued: the next read times out
// rather than delivering a duplicate or failing.
func (s *stream) expectQuiet() {
	s.t.Helper()
	f, err := read(s.t, s.conn, 300*time.Millisecond)
	var ne net.Error
	switch {
	case err == nil:
		s.t.Fatalf("extra frame after the last event: %+v", f)
	case !errors.As(err, &ne) || !ne.Timeout():
		s.t.Fatalf("socket closed after the last event: %v", err)
	}
}

// TestStaffReplayAfterBusyWeekend: a dashboard that was away while 5,000
// conversations arrived reconnects with its cursor and gets every one of
// them, once and in order, on the one socket, although it reads nothing at
// first; then it is live. The replay is paced by the socket's writes, not
// cut off by the size of the send queue.
func TestStaffReplayAfterBusyWeekend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)

		// The dashboard sees one conversation live, then goes away.
		conn := dial(t, s, "/api/v1/ws", admin, "", nil)
		first, _ := createConversation(t, s, s.DemoKey, "", "friday evening")
		live := &stream{t: t, conn: conn, site: s.DemoSite}
		if f := live.next("before the weekend"); f.ConversationID != first {
			t.Fatalf("first frame %+v", f)
		}
		conn.Close()

		start := time.Now()
		ids := newBacklog(t, s).conversations(s.DemoSite, 5000)
		t.Logf("5,000 events committed in %v", time.Since(start))
		start = time.Now()
		defer func() { t.Logf("replayed and live in %v", time.Since(start)) }()

		conn = dialSmall(t, s, "/api/v1/ws", admin, live.cursor)
		// Read nothing for a moment: the server's queue and the socket
		// buffers fill, and the replay must wait for the writer. (This is
		// the stimulus, not a wait for a condition; any length shows it.)
		time.Sleep(500 * time.Millisecond)
		back := &stream{t: t, conn: conn, site: s.DemoSite, last: live.last, gapless: true}
		back.expectConversations(ids)

		// And it is live afterwards.
		after, _ := createConversation(t, s, s.DemoKey, "", "monday morning")
		back.expectConversations([]string{after})
		back.expectQuiet()
	})
}

// TestVisitorReplayLongThread: a visitor's widget that was away while its
// conversation grew by 3,000 messages (among staff notes and another
// visitor's conversation, which it must not see) gets every message of
// its own, once and in order, then the staff's next answer live.
func TestVisitorReplayLongThread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		mine, token := createConversation(t, s, s.DemoKey, "", "where is my parcel?")
		other, _ := createConversation(t, s, s.DemoKey, "", "someone else")
		var page struct {
			EventsCursor string `json:"events_cursor"`
		}
		s.Do(t, "GET", "/api/v1/widget/"+s.DemoKey+"/conversations", token, nil).JSON(t, &page)
		from, err := model.DecodeCursor(page.EventsCursor)
		if err != nil {
			t.Fatal(err)
		}

		// The staff view names each conversation's visitor.
		thread := func(id string) model.Conversation {
			var out struct{ Conversation model.Conversation }
			s.Do(t, "GET", "/api/v1/conversations/"+id, admin, nil).JSON(t, &out)
			return out.Conversation
		}
		myConv, otherConv := thread(mine), thread(other)
		// 3,000 lines of the visitor's own, with a staff note in their
		// conversation and an answer to another visitor every hundred.
		const n = 3000
		type entry struct {
			conv     model.Conversation
			author   string
			body     string
			internal bool
		}
		var plan []entry
		var want []string // bodies the visitor must get, in order
		for j := 0; j < n; j++ {
			want = append(want, fmt.Sprintf("line %d", j)+padding)
			plan = append(plan, entry{myConv, model.AuthorVisitor, want[j], false})
			if j%100 == 50 {
				plan = append(plan, entry{myConv, model.AuthorStaff, "staff note", true}, entry{otherConv, model.AuthorStaff, "not yours", false})
			}
		}
		newBacklog(t, s).append(len(plan), func(i int, at time.Time) (model.Event, any, any) {
			p := plan[i]
			return message(p.conv, p.author, p.body, p.internal, at)
		})

		conn := dialSmall(t, s, "/api/v1/widget/"+s.DemoKey+"/ws", token, page.EventsCursor)
		time.Sleep(500 * time.Millisecond) // read nothing at first, as above
		back := &stream{t: t, conn: conn, site: s.DemoSite, last: from[s.DemoSite]}
		for i := 0; i < n; i++ {
			f := back.next(fmt.Sprintf("message %d of %d", i+1, n))
			var m struct {
				Message struct {
					Body string `json:"body"`
				} `json:"message"`
			}
			if err := json.Unmarshal(f.Data, &m); err != nil {
				t.Fatal(err)
			}
			if f.Type != model.EventMessageCreated || f.ConversationID != mine || m.Message.Body != want[i] {
				t.Fatalf("frame %d: %s %s %.20q, want message.created %.20q", i+1, f.Type, f.ConversationID, m.Message.Body, want[i])
			}
		}

		// Live afterwards: the staff's answer arrives (with the update it
		// causes), and nothing else.
		if r := s.Do(t, "POST", "/api/v1/conversations/"+mine+"/messages", admin, map[string]any{"body": "on its way"}); r.Status != http.StatusCreated {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		f := back.next("live answer")
		if f.Type != model.EventMessageCreated || !strings.Contains(string(f.Data), "on its way") {
			t.Fatalf("live frame %s %s", f.Type, f.Data)
		}
		if f := back.next("live update"); f.Type != model.EventConversationUpdated || f.ConversationID != mine {
			t.Fatalf("live frame %s %s", f.Type, f.ConversationID)
		}
		back.expectQuiet()
	})
}

// TestStuckSocketStallsNobody: while a live dashboard reads nothing, a
// burst of 3,000 events on its site does not hold up the other sockets of
// that site: a visitor's widget gets the answer committed after the burst.
// Nor is the stuck dashboard dropped for its backlog: once it reads, it
// gets the whole burst, once and in order, from the log at its own pace,
// then live events. (Were the site's pump to wait for the stuck socket, the
// widget's answer would come only after the stuck socket's write deadline
// dropped it, and the stuck socket would then fail here.)
func TestStuckSocketStallsNobody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		stuck := &stream{t: t, conn: dialSmall(t, s, "/api/v1/ws", admin, ""), site: s.DemoSite, gapless: true}
		convID, token := createConversation(t, s, s.DemoKey, "", "is anyone there?")
		// The dashboard is live: it sees the conversation arrive.
		stuck.expectConversations([]string{convID})
		var page struct {
			EventsCursor string `json:"events_cursor"`
		}
		s.Do(t, "GET", "/api/v1/widget/"+s.DemoKey+"/conversations", token, nil).JSON(t, &page)
		widget := &stream{t: t, conn: dial(t, s, "/api/v1/widget/"+s.DemoKey+"/ws", token, page.EventsCursor, nil), site: s.DemoSite}

		// The burst is committed without notices; the answer to the widget,
		// over HTTP, makes the hub read all of it at once, as after a storm.
		ids := newBacklog(t, s).conversations(s.DemoSite, 3000)
		if r := s.Do(t, "POST", "/api/v1/conversations/"+convID+"/messages", admin, map[string]any{"body": "yes, we are here"}); r.Status != http.StatusCreated {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		if f := widget.next("answer"); f.Type != model.EventMessageCreated || !strings.Contains(string(f.Data), "we are here") {
			t.Fatalf("widget frame %s %s", f.Type, f.Data)
		}

		stuck.expectConversations(ids)
		for _, want := range []string{model.EventMessageCreated, model.EventConversationUpdated} {
			if f := stuck.next("answer"); f.Type != want || f.ConversationID != convID {
				t.Fatalf("dashboard frame %s %s, want %s", f.Type, f.ConversationID, want)
			}
		}
		after, _ := createConversation(t, s, s.DemoKey, "", "live again")
		stuck.expectConversations([]string{after})
		stuck.expectQuiet()
	})
}
