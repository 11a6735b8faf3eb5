package realtime

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// Corking wraps the response writer of a websocket handshake so the socket
// the upgrader hijacks can batch writes: while a writer has several frames
// queued, they leave in one system call instead of one each, which is most
// of what a frame costs on the wire. Upgrade applies it.
func Corking(w http.ResponseWriter) http.ResponseWriter { return corkingWriter{w} }

type corkingWriter struct{ http.ResponseWriter }

func (w corkingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &corkConn{Conn: conn}, brw, nil
}

func (w corkingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// maxCork bounds what a corked connection holds before it writes anyway.
const maxCork = 32 << 10

// corkConn holds writes back while corked and sends them with the first
// write after uncork. Every write to it comes through gorilla, which
// serializes them (a ping's pong from the read goroutine included), so a
// held-back frame always leaves before any later one.
type corkConn struct {
	net.Conn
	mu      sync.Mutex
	corked  bool
	closing bool   // corking has ended for good (see uncorkForGood)
	pending []byte // from corkBuffers, nil while nothing is held back
}

var corkBuffers = sync.Pool{New: func() any { b := make([]byte, 0, maxCork); return &b }}

func (c *corkConn) cork(on bool) {
	c.mu.Lock()
	c.corked = on && !c.closing
	c.mu.Unlock()
}

// uncorkForGood ends corking before a close frame is written: the close
// frame then leaves at once, with whatever frames were held back ahead of
// it, instead of waiting for an uncork that never comes and being dropped
// by Close (the client would see 1006, not the code it was sent). A writer
// corking meanwhile is ignored.
func (c *corkConn) uncorkForGood() {
	c.mu.Lock()
	c.corked, c.closing = false, true
	c.mu.Unlock()
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.corked && len(c.pending)+len(p) <= maxCork {
		if c.pending == nil {
			c.pending = (*corkBuffers.Get().(*[]byte))[:0]
		}
		c.pending = append(c.pending, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	if pending == nil {
		return c.Conn.Write(p)
	}
	bufs := net.Buffers{pending, p}
	_, err := bufs.WriteTo(c.Conn)
	pending = pending[:0]
	corkBuffers.Put(&pending)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close drops what is held back: the socket is going anyway, and writing
// it here could overtake nothing but race the writer's own last write.
func (c *corkConn) Close() error {
	c.mu.Lock()
	if c.pending != nil {
		pending := c.pending[:0]
		c.pending = nil
		corkBuffers.Put(&pending)
	}
	c.mu.Unlock()
	return c.Conn.Close()
}
