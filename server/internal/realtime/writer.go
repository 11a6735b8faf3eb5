package realtime

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/model"
)

// Buffer sizes. A write buffer is lent from writeBuffers only while a
// frame is written. Gorilla's read buffer is read only where a socket is
// not polled (poll_linux.go reads polled ones itself); client frames are
// tiny typing notices, so it gets gorilla's least, a control frame's
// payload.
const (
	readBuffer  = 125
	writeBuffer = 4096
	writeBatch  = 32 // frames a writer takes from the queue at a time
)

// bufferPool is the write buffer pool every socket shares; misses counts
// the buffers it had to have made, so tests can see reuse.
type bufferPool struct {
	pool   sync.Pool
	misses atomic.Int64
}

func (p *bufferPool) Get() any {
	v := p.pool.Get()
	if v == nil {
		p.misses.Add(1) // gorilla allocates a buffer itself on nil
	}
	return v
}

func (p *bufferPool) Put(v any) { p.pool.Put(v) }

var writeBuffers bufferPool

// upgrader upgrades this package's sockets: small read buffers and pooled
// write buffers, so an idle socket holds no write buffer. Compression is
// off: frames are small, and compressing would cost a deflate pass per
// socket per event where fan-out encodes once. Origins and the subprotocol
// offer are the caller's to check before upgrading.
//
// Subprotocols is nil on purpose: gorilla then answers with upgradeHeader's
// constant instead of a substring of the client's Sec-WebSocket-Protocol
// header, which it would keep for the socket's whole life, and with it the
// whole header value, bearer token included (about 300 bytes a socket).
var upgrader = websocket.Upgrader{
	ReadBufferSize:  readBuffer,
	WriteBufferSize: writeBuffer,
	WriteBufferPool: &writeBuffers,
	CheckOrigin:     func(*http.Request) bool { return true },
}

var upgradeHeader = http.Header{"Sec-Websocket-Protocol": {Subprotocol}}

// Upgrade answers a websocket handshake with the holler.v1 subprotocol and
// returns the socket, its writes corked (see Corking). On failure the
// upgrader has already answered the request.
func Upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	return upgrader.Upgrade(Corking(w), r, upgradeHeader)
}

// outFrame is one queued frame. body is shared by every socket it goes to:
// an event's frame without its cursor, encoded once per audience. cursor is
// this socket's cursor after the event; the writer puts it in front, so the
// frame on the wire is {"cursor":"...","type":...}. Frames without a
// cursor (typing notices) are body alone.
type outFrame struct {
	cursor string
	body   []byte
}

// encoded is an event with its frame bodies, each made on first use: staff
// sockets get Data, visitor sockets PublicData.
type encoded struct {
	e             *model.Event
	staff, public []byte
}

func (x *encoded) body(visitor bool) []byte {
	if visitor {
		if x.public == nil {
			x.public = frameBody(x.e, x.e.PublicData)
		}
		return x.public
	}
	if x.staff == nil {
		x.staff = frameBody(x.e, x.e.Data)
	}
	return x.staff
}

func frameBody(e *model.Event, data string) []byte {
	b, _ := json.Marshal(Frame{Type: e.Type, SiteID: e.SiteID, ConversationID: e.ConversationID, At: e.CreatedAt, Data: json.RawMessage(data)})
	return b
}

// pushLocked queues f and starts a writer if none runs.
func (c *Client) pushLocked(f outFrame) {
	c.queue = append(c.queue, f)
	c.startWriterLocked()
}

func (c *Client) startWriterLocked() {
	if !c.writing && !c.closed {
		c.writing = true
		c.goLocked(c.writeLoop)
	}
}

// queuePing asks the writer for a ping ahead of any queued frames.
func (c *Client) queuePing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pingDue = true
	c.startWriterLocked()
}

// writeLoop writes queued frames until the queue is empty, then exits: an
// idle socket has no writer. Frames queued together leave together (see
// corkConn). The write deadline is renewed at most once a second while
// frames flow and cleared on the way out, so it is no timer for an idle
// socket either.
func (c *Client) writeLoop() {
	cc, _ := c.conn.NetConn().(*corkConn)
	var renewed time.Time
	var batch [writeBatch]outFrame
	for {
		c.mu.Lock()
		ping := c.pingDue && !c.closed
		c.pingDue = false
		n := 0
		if !ping {
			if c.closed || len(c.queue) == 0 {
				c.writing, c.queue = false, nil
				c.mu.Unlock()
				break
			}
			n = copy(batch[:], c.queue)
			clear(c.queue[:n])
			c.queue = c.queue[n:]
			c.room.Signal() // a catch-up may be waiting for room
		}
		c.mu.Unlock()
		now := time.Now()
		if now.Sub(renewed) >= time.Second {
			_ = c.conn.SetWriteDeadline(now.Add(writeWait))
			renewed = now
		}
		var err error
		if ping {
			err = c.conn.WriteControl(websocket.PingMessage, nil, now.Add(writeWait))
		}
		for i := 0; i < n && err == nil; i++ {
			if cc != nil && n > 1 {
				cc.cork(i < n-1) // the last frame takes the others along
			}
			err = c.writeFrame(batch[i])
		}
		clear(batch[:n])
		if err != nil {
			if cc != nil {
				cc.cork(false)
			}
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			c.closeWith(0, "")
			return
		}
	}
	if !renewed.IsZero() {
		_ = c.conn.NetConn().SetWriteDeadline(time.Time{})
	}
}

var cursorOpen, cursorClose = []byte(`{"cursor":"`), []byte(`",`)

func (c *Client) writeFrame(f outFrame) error {
	w, err := c.conn.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	if f.cursor == "" {
		_, err = w.Write(f.body)
	} else {
		err = writeAll(w, cursorOpen, []byte(f.cursor), cursorClose, f.body[1:])
	}
	if err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

func writeAll(w io.Writer, parts ...[]byte) error {
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}
