package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/model"
)

// Socket limits.
const (
	writeWait      = 10 * time.Second
	readLimit      = 4096 // client frames are tiny typing notices
	sendQueue      = 256  // frames waiting for the writer; when full, a live socket catches up from the log
	logPage        = 500  // events read from the log at a time
	closeGoingAway = websocket.CloseGoingAway
)

// Subprotocol is what the server answers the holler.v1 offer with.
const Subprotocol = "holler.v1"

// Staff identifies a staff socket's user.
type Staff struct {
	UserID         string
	SessionVersion int64
	// Recheck re-reads the user's rights: the sites they may see now, or
	// ok=false when their session is over.
	Recheck func(ctx context.Context) (sites []string, ok bool, err error)
}

// Visitor identifies a widget socket's visitor.
type Visitor struct {
	SiteID    string
	VisitorID string
	// ConversationID, when set, narrows the socket to that one conversation
	// (it was opened with a conversation token).
	ConversationID string
}

// sees reports whether the visitor's socket may see an event of visitorID
// about conversation convID.
func (v *Visitor) sees(visitorID, convID string) bool {
	return visitorID == v.VisitorID && (v.ConversationID == "" || convID == v.ConversationID)
}

// Frame is one server-to-client message of the protocol.
type Frame struct {
	Type           string          `json:"type"`
	Cursor         string          `json:"cursor,omitempty"`
	SiteID         string          `json:"site_id"`
	ConversationID string          `json:"conversation_id"`
	At             time.Time       `json:"at"`
	Data           json.RawMessage `json:"data"`
}

// ClientFrame is what a client may send: typing notices.
type ClientFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
}

// Client is one websocket.
//
// A socket is either live or catching up. Live, the hub's per-site pump
// hands it each event and it queues the frame without ever blocking, so one
// slow socket cannot hold up the pump and every other socket behind it.
// When that queue is full the socket does not drop the event and is not
// dropped either: it stops being live and a catch-up goroutine reads the
// log from its cursor (last) and feeds the queue, waiting for room, so it
// goes exactly as fast as the socket writes. A reconnect with a cursor
// starts the same way. A socket that does not read at all is dropped by the
// write deadline and the hub's ping sweep, not by the size of its backlog.
//
// An idle socket costs no goroutine and no buffers: it is read only when
// it has input (poll_linux.go; elsewhere a reader goroutine waits on it),
// the writer and the catch-up run only while they have work, the queue is
// nil while empty and write buffers come from a pool for the length of a
// frame.
type Client struct {
	hub     *Hub
	conn    *websocket.Conn
	staff   *Staff
	visitor *Visitor
	onFrame func(ClientFrame)
	// base is what a catch-up's log reads derive their context from. The
	// cancellable context exists only while a catch-up runs (stopReads):
	// one kept for the socket's life would hold a done channel and the
	// children map every log query leaves behind, about 450 bytes.
	base context.Context
	wg   sync.WaitGroup // the writer and catch-up goroutines, while they run
	seen atomic.Int64   // unix nanoseconds of the client's last frame or pong
	// nextPing is when (unix nanoseconds) the hub's sweep pings this socket
	// next; it is the sweep's alone (under hub.mu). Not a time.Time: 16
	// bytes less puts a Client in a smaller size class.
	nextPing int64

	// Reading. pollID is the socket's poller registration, set once under
	// mu; 0 while a reader goroutine (readPump) reads it instead. reading
	// is true while a readReady runs: it hands the fields after it from
	// one reader to the next.
	pollID    uint64
	reading   atomic.Bool
	input     *inputState   // a polled socket's unfinished input
	lastFrame int64         // unix nanoseconds of the last typing notice handled
	done      chan struct{} // closed when a polled socket that Serve waits on finished

	mu    sync.Mutex
	room  sync.Cond // on mu: the queue shrank or the socket closed
	sites []string
	last  position // per site, the last seq queued for (or skipped by) this socket
	live  bool
	// catching: a catch-up goroutine runs; it is exactly !live while open.
	catching bool
	// missed: while catching up, the pump offered an event past last. The
	// catch-up reads the log once more before going live, because its last
	// read may have been taken before that event committed.
	missed bool
	queue  []outFrame // frames for the writer, at most sendQueue; nil while empty
	// stopReads cancels the running catch-up's log reads; nil while none runs.
	stopReads context.CancelFunc
	writing   bool // a writer goroutine runs
	pingDue   bool // the sweep asked for a ping; it goes before the next frame
	closed    bool
}

// Options describe a socket to serve.
type Options struct {
	Staff   *Staff
	Visitor *Visitor
	Sites   []string     // the sites this socket may see
	Cursor  model.Cursor // from StartCursor
	OnFrame func(ClientFrame)
}

func (c *Client) siteIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sites...)
}

func (c *Client) kind() string {
	if c.staff != nil {
		return "staff"
	}
	return "visitor"
}

// Serve runs a socket until it closes: subscribe, replay what happened
// after the cursor, then deliver live events. It blocks.
func (h *Hub) Serve(ctx context.Context, conn *websocket.Conn, o Options) {
	c := h.open(ctx, conn, o)
	switch {
	case c == nil:
	case c.poll(true):
		<-c.done
	default:
		c.run()
	}
}

// Adopt serves a socket as Serve does but from a goroutine of its own, and
// returns at once: an HTTP handler that returns lets go of its request,
// its connection's HTTP buffers and its deep stack, which would otherwise
// stay with every idle socket for its whole life.
func (h *Hub) Adopt(ctx context.Context, conn *websocket.Conn, o Options) {
	if c := h.open(ctx, conn, o); c != nil && !c.poll(false) {
		go c.run()
	}
}

// open subscribes a socket and starts its replay; nil when the hub is
// shutting down (the socket is closed then).
func (h *Hub) open(ctx context.Context, conn *websocket.Conn, o Options) *Client {
	c := &Client{hub: h, conn: conn, staff: o.Staff, visitor: o.Visitor, onFrame: o.OnFrame,
		sites: o.Sites, last: newPosition(o.Sites, o.Cursor), base: ctx}
	c.room.L = &c.mu
	c.seen.Store(time.Now().UnixNano())
	if !h.attach(c) {
		c.closeWith(closeGoingAway, "server shutting down")
		return nil
	}
	h.metrics.SocketOpened(c.kind())
	c.mu.Lock()
	c.catching = true
	c.goLocked(c.catchUp)
	c.mu.Unlock()
	return c
}

// run reads the socket until it closes, then unsubscribes it. Reading runs
// from the start, not after the replay: a long replay still answers pings
// and notices a client that went away.
func (c *Client) run() {
	c.readPump()
	c.finish()
}

// finish unsubscribes a closed socket once its writer and catch-up ended.
func (c *Client) finish() {
	c.wg.Wait()
	c.hub.detach(c)
	c.hub.metrics.SocketClosed(c.kind())
	if c.done != nil {
		close(c.done)
	}
}

// goLocked runs f in a goroutine that Serve waits for, unless the socket
// is closed already.
func (c *Client) goLocked(f func()) {
	if c.closed {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// StartCursor completes a client's cursor before the upgrade: sites it
// does not name start at the present. Taking the present before the
// handshake answers means an event committed after the client saw its
// socket open is always delivered.
func (h *Hub) StartCursor(ctx context.Context, sites []string, cur model.Cursor) (model.Cursor, error) {
	out := model.Cursor{}
	var present map[string]int64
	for _, id := range sites {
		if seq, ok := cur[id]; ok {
			out[id] = seq
			continue
		}
		if present == nil {
			var err error
			if present, err = h.log.SiteSeqs(ctx); err != nil {
				return nil, err
			}
		}
		out[id] = present[id]
	}
	return out, nil
}

// catchUp sends every event after the socket's cursor, paced by the
// writer, and switches the socket to live once a full pass over its sites
// found nothing the pump offered meanwhile. It runs at the start (the
// replay after the client's cursor) and whenever live delivery fell behind.
func (c *Client) catchUp() {
	ctx, cancel := context.WithCancel(c.base)
	defer cancel()
	c.mu.Lock()
	if c.closed {
		cancel()
	}
	// Cleared where catching ends, under the same lock: the next catch-up
	// may start right after and set its own.
	c.stopReads = cancel
	c.mu.Unlock()
	for {
		for _, site := range c.siteIDs() {
			if err := c.catchUpSite(ctx, site); err != nil {
				c.mu.Lock()
				c.catching, c.stopReads = false, nil
				closed := c.closed
				c.mu.Unlock()
				if !closed { // else the socket closed under the read; nothing to report
					c.hub.logger.Warn("websocket replay", "err", err)
					c.closeWith(websocket.CloseInternalServerErr, "replay failed")
				}
				return
			}
		}
		c.mu.Lock()
		if !c.missed {
			c.live, c.catching, c.stopReads = true, false, nil
			c.mu.Unlock()
			return
		}
		c.missed = false
		c.mu.Unlock()
	}
}

func (c *Client) catchUpSite(ctx context.Context, site string) error {
	visitorID := ""
	if c.visitor != nil {
		visitorID = c.visitor.VisitorID
	}
	for {
		c.mu.Lock()
		from, subscribed := c.last.get(site)
		c.mu.Unlock()
		if !subscribed {
			return nil // the site was taken away meanwhile
		}
		events, err := c.hub.log.EventsAfter(ctx, site, from, visitorID, logPage)
		if err != nil {
			return err
		}
		for i := range events {
			enc := encoded{e: &events[i]}
			c.mu.Lock()
			for len(c.queue) >= sendQueue && !c.closed {
				c.room.Wait()
			}
			if c.closed {
				c.mu.Unlock()
				return errClosed
			}
			if _, ok := c.stepLocked(enc.e); ok {
				c.pushLocked(c.frameLocked(&enc))
			}
			c.mu.Unlock()
		}
		if len(events) < logPage {
			return nil
		}
	}
}

var errClosed = errors.New("socket closed")

// offer hands a live socket an event read by its site's pump. It never
// blocks: a socket whose queue is full falls back to catching up.
func (c *Client) offer(enc *encoded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := enc.e
	if !c.live {
		if last, ok := c.last.get(e.SiteID); ok && e.Seq > last && c.maySee(e) {
			c.missed = true
		}
		return
	}
	prev, ok := c.stepLocked(e)
	if !ok {
		return
	}
	if len(c.queue) >= sendQueue {
		// Not queued, so not delivered: the cursor goes back before it and
		// the catch-up reads it from the log, after what is queued already.
		c.last.set(e.SiteID, prev)
		c.fallBehindLocked()
		return
	}
	c.pushLocked(c.frameLocked(enc))
}

// fallBehindLocked makes the socket catch up from its cursor before it is
// live again.
func (c *Client) fallBehindLocked() {
	if c.catching {
		c.missed = true // a catch-up is running: make it read once more
		return
	}
	c.live, c.catching = false, true
	c.goLocked(c.catchUp)
}

// maySee reports whether this socket may see e.
func (c *Client) maySee(e *model.Event) bool {
	return c.visitor == nil || c.visitor.sees(e.VisitorID, e.ConversationID) && !e.Internal
}

// stepLocked moves the socket's cursor past e and reports whether e is for
// this socket; not when already sent, of another site, or hidden from a
// visitor (the cursor still moves past those). prev is the position before.
func (c *Client) stepLocked(e *model.Event) (prev int64, ok bool) {
	prev, subscribed := c.last.get(e.SiteID)
	if !subscribed || e.Seq <= prev {
		return prev, false
	}
	c.last.set(e.SiteID, e.Seq)
	return prev, c.maySee(e)
}

// frameLocked is the frame of the event the cursor just stepped past.
func (c *Client) frameLocked(enc *encoded) outFrame {
	return outFrame{cursor: c.last.encode(), body: enc.body(c.visitor != nil)}
}

// offerEphemeral queues a typing notice if there is room: it is worth
// nothing a moment later, so a busy socket simply misses it. body is the
// frame, the same for every socket.
func (c *Client) offerEphemeral(e *model.Ephemeral, body []byte) {
	if c.visitor != nil && (!c.visitor.sees(e.VisitorID, e.ConversationID) || !e.FromStaff) {
		return
	}
	if c.staff != nil && e.FromStaff {
		return // staff see the visitor typing, not each other
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) < sendQueue {
		c.pushLocked(outFrame{body: body})
	}
}

// closeWith sends a close frame (code 0: none) and closes the connection.
// A polled socket is finished here; a read one when readPump returns.
func (c *Client) closeWith(code int, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	polled := c.pollID
	c.closed = true
	c.queue = nil
	c.room.Broadcast()
	if c.stopReads != nil {
		c.stopReads()
	}
	c.mu.Unlock()
	if code != 0 {
		if cc, ok := c.conn.NetConn().(*corkConn); ok {
			cc.uncorkForGood()
		}
		_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	}
	_ = c.conn.Close()
	if polled != 0 {
		unpoll(polled)
		// Not here: the writer may be the one closing, and finish waits for it.
		go c.finish()
	}
}

// recheck re-reads a staff user's rights: a socket never outlives them.
func (c *Client) recheck() {
	if c.staff == nil || c.staff.Recheck == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sites, ok, err := c.staff.Recheck(ctx)
	if err != nil {
		c.hub.logger.Warn("websocket recheck", "err", err)
		return
	}
	if !ok {
		c.closeWith(websocket.ClosePolicyViolation, "session ended")
		return
	}
	var present map[string]int64
	added := false
	for _, id := range sites {
		if !contains(c.siteIDs(), id) {
			added = true
			if present, err = c.hub.log.SiteSeqs(ctx); err != nil {
				c.hub.logger.Warn("websocket recheck", "err", err)
				return
			}
			break
		}
	}
	c.mu.Lock()
	for _, old := range c.sites {
		if !contains(sites, old) {
			c.last.remove(old)
		}
	}
	for _, id := range sites {
		if _, ok := c.last.get(id); !ok {
			c.last.set(id, present[id]) // a newly granted site starts at the present
		}
	}
	c.sites = sites
	c.mu.Unlock()
	c.hub.resubscribe(c, sites)
	if added {
		// The pump did not offer this socket what a new site committed
		// between reading its present seq and resubscribing: read the log.
		c.mu.Lock()
		c.fallBehindLocked()
		c.mu.Unlock()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
