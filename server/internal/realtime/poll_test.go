//go:build linux

package realtime

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// These tests drive polled sockets (no reader goroutine) through real TCP
// connections: the frames a client may send, whole, split across reads and
// fragmented, and the answers the server owes them.

// typingServer serves staff sockets on s1 whose client frames go to got.
func typingServer(t *testing.T, h *Hub, got chan<- ClientFrame) *httptest.Server {
	t.Helper()
	return hubServerWith(t, h, func(f ClientFrame) { got <- f })
}

// rawSocket is a websocket client that writes frames byte for byte.
type rawSocket struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, srv *httptest.Server) *rawSocket {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: holler.v1\r\n\r\n")
	s := &rawSocket{Conn: c, r: bufio.NewReader(c)}
	resp, err := http.ReadResponse(s.r, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != Subprotocol {
		t.Fatalf("subprotocol %q", p)
	}
	return s
}

func (s *rawSocket) send(t *testing.T, frames ...[]byte) {
	t.Helper()
	for _, f := range frames {
		if _, err := s.Write(f); err != nil {
			t.Fatal(err)
		}
	}
}

// readFrame reads one server frame (unmasked) and returns its opcode and
// payload.
func (s *rawSocket) readFrame(t *testing.T) (op byte, payload []byte) {
	t.Helper()
	_ = s.SetReadDeadline(time.Now().Add(60 * time.Second))
	var h [2]byte
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		t.Fatalf("read a frame: %v", err)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		_, _ = io.ReadFull(s.r, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(s.r, payload); err != nil {
		t.Fatalf("read a frame: %v", err)
	}
	return h[0] & 0x0f, payload
}

// readClose skips other frames until a close frame and returns its code.
func (s *rawSocket) readClose(t *testing.T) int {
	t.Helper()
	for {
		op, p := s.readFrame(t)
		if op != opClose {
			continue
		}
		if len(p) < 2 {
			return websocket.CloseNoStatusReceived
		}
		return int(binary.BigEndian.Uint16(p))
	}
}

func polledClient(t *testing.T, h *Hub) *Client {
	t.Helper()
	until(t, "the socket to attach", func() bool { return h.Count() == 1 })
	c := onlyClient(h)
	// Attached first, then handed to the poller.
	until(t, "the socket to be polled", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.pollID != 0
	})
	return c
}

func wantFrame(t *testing.T, got <-chan ClientFrame, conv string) {
	t.Helper()
	select {
	case f := <-got:
		if f.Type != "typing" || f.ConversationID != conv {
			t.Fatalf("client frame %+v, want typing on %s", f, conv)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no client frame for %s", conv)
	}
}

// Pings are answered with their payload, again and again: each answer
// re-arms the socket's registration.
func TestPolledSocketAnswersPings(t *testing.T) {
	h := newTestHub(t, newMemLog())
	conn := dialHub(t, hubServer(t, h))
	polledClient(t, h)
	pongs := make(chan string, 1)
	conn.SetPongHandler(func(data string) error { pongs <- data; return nil })
	go func() {
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	for i := range 200 {
		want := fmt.Sprintf("ping %d", i)
		if err := conn.WriteControl(websocket.PingMessage, []byte(want), time.Now().Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-pongs:
			if got != want {
				t.Fatalf("pong %q, want %q", got, want)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("no pong for %q", want)
		}
	}
}

// Client messages reach OnFrame however they arrive: whole, a byte per
// write, or fragmented with a ping between the fragments.
func TestPolledSocketReadsClientMessages(t *testing.T) {
	h := newTestHub(t, newMemLog())
	got := make(chan ClientFrame, 10)
	srv := typingServer(t, h, got)

	whole := dialHub(t, srv)
	polledClient(t, h)
	if err := whole.WriteMessage(websocket.TextMessage, []byte(`{"type":"typing","conversation_id":"c-whole"}`)); err != nil {
		t.Fatal(err)
	}
	wantFrame(t, got, "c-whole")
	_ = whole.Close()
	until(t, "the first socket to go", func() bool { return h.Count() == 0 })

	split := dialRaw(t, srv)
	c := polledClient(t, h)
	for _, b := range clientFrame(true, opText, []byte(`{"type":"typing","conversation_id":"c-split"}`)) {
		split.send(t, []byte{b})
	}
	wantFrame(t, got, "c-split")
	// The reader that delivered it is done once reading drops: the socket
	// keeps no input between messages.
	until(t, "the reader to finish", func() bool { return !c.reading.Load() })
	if c.input != nil {
		t.Fatalf("an idle socket kept input %+v", c.input)
	}
	_ = split.Close()
	until(t, "the second socket to go", func() bool { return h.Count() == 0 })

	frag := dialRaw(t, srv)
	polledClient(t, h)
	frag.send(t, clientFrame(false, opText, []byte(`{"type":"typing",`)),
		clientFrame(true, opPing, []byte("between")),
		clientFrame(false, opContinuation, []byte(`"conversation_id"`)))
	if op, p := frag.readFrame(t); op != opPong || string(p) != "between" {
		t.Fatalf("frame %d %q, want the pong", op, p)
	}
	frag.send(t, clientFrame(true, opContinuation, []byte(`:"c-frag"}`)))
	wantFrame(t, got, "c-frag")
}

// A close frame is answered with the same code and the socket goes.
func TestPolledSocketCloseFrame(t *testing.T) {
	h := newTestHub(t, newMemLog())
	conn := dialHub(t, hubServer(t, h))
	polledClient(t, h)
	if err := conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "bye"), time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	_, _, err := conn.NextReader()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4000 {
		t.Fatalf("read after close: %v, want the close echoed with 4000", err)
	}
	until(t, "the socket to go", func() bool { return h.Count() == 0 })
}

// Frames that break the protocol or the read limit close the socket with
// the matching code; a client that just hangs up is let go too.
func TestPolledSocketRefusals(t *testing.T) {
	h := newTestHub(t, newMemLog())
	srv := hubServer(t, h)
	unmasked := clientFrame(true, opText, []byte("{}"))
	unmasked[1] &^= 0x80
	for _, tc := range []struct {
		name   string
		frames [][]byte
		code   int
	}{
		{"over the read limit", [][]byte{clientFrame(true, opText, []byte(strings.Repeat("x", readLimit+1)))}, websocket.CloseMessageTooBig},
		{"fragments over the read limit", [][]byte{clientFrame(false, opText, []byte(strings.Repeat("x", readLimit-10))),
			clientFrame(true, opContinuation, []byte(strings.Repeat("x", 11)))}, websocket.CloseMessageTooBig},
		{"unmasked", [][]byte{unmasked}, websocket.CloseProtocolError},
		{"continuation without a message", [][]byte{clientFrame(true, opContinuation, []byte("x"))}, websocket.CloseProtocolError},
		{"message inside a message", [][]byte{clientFrame(false, opText, []byte("x")), clientFrame(true, opText, []byte("y"))},
			websocket.CloseProtocolError},
		{"bad close code", [][]byte{clientFrame(true, opClose, []byte{0x03, 0xed})}, websocket.CloseProtocolError},
		{"close without a code", [][]byte{clientFrame(true, opClose, nil)}, websocket.CloseNoStatusReceived},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := dialRaw(t, srv)
			polledClient(t, h)
			s.send(t, tc.frames...)
			if code := s.readClose(t); code != tc.code {
				t.Fatalf("closed with %d, want %d", code, tc.code)
			}
			until(t, "the socket to go", func() bool { return h.Count() == 0 })
		})
	}
	s := dialRaw(t, srv)
	polledClient(t, h)
	s.send(t, clientFrame(false, opText, []byte("half a message")))
	_ = s.Close()
	until(t, "the hung-up socket to go", func() bool { return h.Count() == 0 })
}

// Many sockets read at once, each re-armed many times, deliver every
// message to its own socket's OnFrame.
func TestPolledSocketsConcurrent(t *testing.T) {
	const sockets, rounds = 20, 30
	h := newTestHub(t, newMemLog())
	var pongs atomic.Int64
	srv := hubServer(t, h)
	conns := make([]*websocket.Conn, sockets)
	for i := range conns {
		conns[i] = dialHub(t, srv)
		conns[i].SetPongHandler(func(string) error { pongs.Add(1); return nil })
		go func(c *websocket.Conn) {
			for {
				if _, _, err := c.NextReader(); err != nil {
					return
				}
			}
		}(conns[i])
	}
	until(t, "every socket to attach", func() bool { return h.Count() == sockets })
	for range rounds {
		for _, c := range conns {
			if err := c.WriteControl(websocket.PingMessage, []byte("x"), time.Now().Add(10*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	until(t, "every pong", func() bool { return pongs.Load() == sockets*rounds })
}

// A socket that is not plain TCP keeps a reader goroutine (readPump) and
// works the same: pings answered, messages read, the socket let go when
// the client hangs up.
func TestUnpolledSocketReadsWithGoroutine(t *testing.T) {
	h := newTestHub(t, newMemLog())
	got := make(chan ClientFrame, 1)
	path := t.TempDir() + "/ws.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: typingServer(t, h, got).Config.Handler}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	d := websocket.Dialer{Subprotocols: []string{Subprotocol}, HandshakeTimeout: 30 * time.Second,
		NetDial: func(string, string) (net.Conn, error) { return net.Dial("unix", path) }}
	conn, _, err := d.Dial("ws://unix/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	until(t, "the socket to attach", func() bool { return h.Count() == 1 })
	c := onlyClient(h)
	c.mu.Lock()
	polled := c.pollID != 0
	c.mu.Unlock()
	if polled {
		t.Fatal("a unix socket was polled")
	}
	pongs := make(chan string, 1)
	conn.SetPongHandler(func(data string) error { pongs <- data; return nil })
	go func() {
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	if err := conn.WriteControl(websocket.PingMessage, []byte("unix"), time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-pongs:
		if p != "unix" {
			t.Fatalf("pong %q", p)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no pong")
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"typing","conversation_id":"c-unix"}`)); err != nil {
		t.Fatal(err)
	}
	wantFrame(t, got, "c-unix")
	_ = conn.Close()
	until(t, "the socket to go", func() bool { return h.Count() == 0 })
}
