package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/model"
)

// These tests drive a hub over a log in memory through real websockets, to
// reach what the server's own tests cannot: the hub's ping timing and its
// writers' and buffers' lives.

func newTestHub(t *testing.T, l *memLog) *Hub {
	t.Helper()
	h := NewHub(l, slog.New(slog.DiscardHandler), nil)
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Shutdown)
	return h
}

// until polls cond with a generous deadline; what it waits for has no
// bound on a loaded machine, only an eventual outcome.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func readFrame(t *testing.T, conn *websocket.Conn) Frame {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	var f Frame
	if err := conn.ReadJSON(&f); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return f
}

func onlyClient(h *Hub) *Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		return c
	}
	return nil
}

// A socket that stops answering pings is dropped by the hub's sweep, while
// one that answers them stays through many pong deadlines.
func TestSweepDropsSocketWithoutPongs(t *testing.T) {
	h := newTestHub(t, newMemLog())
	h.pingEvery, h.pongWait, h.sweepEvery = 25*time.Millisecond, 2*time.Second, 10*time.Millisecond
	srv := hubServer(t, h)

	alive := dialHub(t, srv)
	var pings atomic.Int64
	alive.SetPingHandler(func(data string) error {
		pings.Add(1)
		return alive.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(10*time.Second))
	})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			if _, _, err := alive.NextReader(); err != nil {
				return
			}
		}
	}()
	until(t, "the first socket to attach", func() bool { return h.Count() == 1 })

	silent := dialHub(t, srv) // never reads, so never answers a ping
	until(t, "the second socket to attach", func() bool { return h.Count() == 2 })
	until(t, "the silent socket to be dropped", func() bool { return h.Count() == 1 })
	_ = silent.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		if _, _, err := silent.NextReader(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("the silent socket is still open on the server's side")
			}
			break
		}
	}

	// Pings every 25 ms, deadline 2 s: 300 answered pings span several
	// deadlines, and the answering socket is still there.
	until(t, "300 pings", func() bool { return pings.Load() >= 300 })
	select {
	case <-readerDone:
		t.Fatal("the socket that answers pings was dropped")
	default:
	}
	if h.Count() != 1 {
		t.Fatalf("%d sockets, want the one that answers pings", h.Count())
	}
}

// A socket's writer exits once its queue is empty, and the next event
// starts a new one.
func TestWriterExitsAndWakesForNextEvent(t *testing.T) {
	l := newMemLog()
	h := newTestHub(t, l)
	conn := dialHub(t, hubServer(t, h))
	until(t, "the socket to attach", func() bool { return h.Count() == 1 })
	c := onlyClient(h)
	idle := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return !c.writing && c.queue == nil && c.live
	}
	for seq := int64(1); seq <= 3; seq++ {
		until(t, "the writer to exit", idle)
		data := `{"n":` + itoa(seq) + `}`
		h.Dispatch(model.Notice{SiteID: "s1", Seq: l.add("s1", data)})
		f := readFrame(t, conn)
		cur, err := model.DecodeCursor(f.Cursor)
		if err != nil || cur["s1"] != seq || f.Type != model.EventMessageCreated || f.SiteID != "s1" ||
			f.ConversationID != "c1" || string(f.Data) != data {
			t.Fatalf("frame %d: %+v (cursor %v, %v)", seq, f, cur, err)
		}
	}
}

// Sockets borrow write buffers from one pool for the length of a frame:
// many sockets writing at once get intact frames, and the pool makes far
// fewer buffers than frames are written.
func TestWriteBufferPoolReuse(t *testing.T) {
	const sockets, events = 20, 100
	l := newMemLog()
	h := newTestHub(t, l)
	srv := hubServer(t, h)
	conns := make([]*websocket.Conn, sockets)
	for i := range conns {
		conns[i] = dialHub(t, srv)
	}
	until(t, "every socket to attach", func() bool { return h.Count() == sockets })
	missesBefore := writeBuffers.misses.Load()

	body := strings.Repeat("x", 3000) // most of a buffer: a torn frame would show
	var wg sync.WaitGroup
	errs := make(chan error, sockets)
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			for seq := int64(1); seq <= events; seq++ {
				var f Frame
				if err := conn.ReadJSON(&f); err != nil {
					errs <- err
					return
				}
				var d struct{ Seq int64 }
				cur, _ := model.DecodeCursor(f.Cursor)
				if json.Unmarshal(f.Data, &d) != nil || d.Seq != seq || cur["s1"] != seq {
					errs <- &frameError{seq, f}
					return
				}
			}
		}()
	}
	for i := int64(1); i <= events; i++ {
		seq := l.add("s1", `{"seq":`+itoa(i)+`,"body":"`+body+`"}`)
		h.Dispatch(model.Notice{SiteID: "s1", Seq: seq})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The race detector's pool drops a quarter of what is put back, so
	// even then misses stay well under half the frames.
	if made, frames := writeBuffers.misses.Load()-missesBefore, int64(sockets*events); made*2 >= frames {
		t.Fatalf("the pool made %d buffers for %d frames", made, frames)
	}
}

type frameError struct {
	want int64
	got  Frame
}

func (e *frameError) Error() string {
	return "frame " + itoa(e.want) + ": got cursor " + e.got.Cursor + " data " + string(e.got.Data)[:min(60, len(e.got.Data))]
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// A socket closed with a code while its writer holds frames back (corked,
// in the middle of a batch) still gets those frames and then the close
// frame with its code, not an abnormal closure (1006).
func TestCloseWhileCorked(t *testing.T) {
	h := newTestHub(t, newMemLog())
	conn := dialHub(t, hubServer(t, h))
	until(t, "the socket to attach", func() bool { return h.Count() == 1 })
	c := onlyClient(h)
	until(t, "the socket to go idle", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return !c.writing && c.queue == nil && c.live
	})
	cc, ok := c.conn.NetConn().(*corkConn)
	if !ok {
		t.Fatalf("the socket's conn is a %T, not corked", c.conn.NetConn())
	}
	// What the writer does with all but the last frame of a batch.
	cc.cork(true)
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"held back"}`)); err != nil {
		t.Fatal(err)
	}
	c.closeWith(websocket.CloseGoingAway, "server shutting down")

	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil || string(msg) != `{"type":"held back"}` {
		t.Fatalf("first read: %q, %v; want the held-back frame", msg, err)
	}
	_, _, err = conn.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("then: %v; want close 1001", err)
	}
}
