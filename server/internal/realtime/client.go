package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/model"
)

// Socket limits.
const (
	writeWait      = 10 * time.Second
	pongWait       = 60 * time.Second
	pingEvery      = pongWait * 9 / 10
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
// dropped either: it stops being live and its own catch-up goroutine reads
// the log from its cursor (last) and feeds the queue with blocking sends,
// so it goes exactly as fast as the socket writes. A reconnect with a
// cursor starts the same way. A socket that does not read at all is dropped
// by the write deadline and the ping-pong, not by the size of its backlog.
type Client struct {
	hub     *Hub
	conn    *websocket.Conn
	staff   *Staff
	visitor *Visitor
	onFrame func(ClientFrame)
	send    chan []byte
	done    chan struct{}
	once    sync.Once
	behind  chan struct{} // wakes the catch-up goroutine; capacity 1

	mu    sync.Mutex
	sites []string
	last  model.Cursor // per site, the last seq queued for (or skipped by) this socket
	live  bool
	// missed: while catching up, the pump offered an event past last. The
	// catch-up reads the log once more before going live, because its last
	// read may have been taken before that event committed.
	missed bool
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
	c := &Client{hub: h, conn: conn, staff: o.Staff, visitor: o.Visitor, onFrame: o.OnFrame,
		send: make(chan []byte, sendQueue), done: make(chan struct{}), behind: make(chan struct{}, 1),
		sites: o.Sites, last: model.Cursor{}}
	for _, id := range o.Sites {
		c.last[id] = o.Cursor[id]
	}
	if !h.attach(c) {
		c.closeWith(closeGoingAway, "server shutting down")
		return
	}
	h.metrics.SocketOpened(c.kind())
	defer func() {
		h.detach(c)
		h.metrics.SocketClosed(c.kind())
	}()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.writePump() }()
	go func() { defer wg.Done(); c.feed(ctx) }()
	// Reading runs from the start, not after the replay: a long replay
	// still answers pings and notices a client that went away.
	c.readPump()
	cancel()
	wg.Wait()
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

// feed runs for the socket's life: it catches up from the log at the start
// (the replay after the client's cursor) and again whenever live delivery
// fell behind, then waits.
func (c *Client) feed(ctx context.Context) {
	for {
		if err := c.catchUp(ctx); err != nil {
			select {
			case <-c.done: // the socket closed under the read; nothing to report
			default:
				c.hub.logger.Warn("websocket replay", "err", err)
				c.closeWith(websocket.CloseInternalServerErr, "replay failed")
			}
			return
		}
		select {
		case <-c.done:
			return
		case <-c.behind:
		}
	}
}

// catchUp sends every event after the socket's cursor, paced by the
// writer, and switches the socket to live once a full pass over its sites
// found nothing the pump offered meanwhile.
func (c *Client) catchUp(ctx context.Context) error {
	for {
		for _, site := range c.siteIDs() {
			if err := c.catchUpSite(ctx, site); err != nil {
				return err
			}
		}
		c.mu.Lock()
		if !c.missed {
			c.live = true
			c.mu.Unlock()
			return nil
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
		from, subscribed := c.last[site]
		c.mu.Unlock()
		if !subscribed {
			return nil // the site was taken away meanwhile
		}
		events, err := c.hub.log.EventsAfter(ctx, site, from, visitorID, logPage)
		if err != nil {
			return err
		}
		for i := range events {
			c.mu.Lock()
			frame, _ := c.advanceLocked(&events[i])
			c.mu.Unlock()
			if frame == nil {
				continue
			}
			select {
			case c.send <- frame:
			case <-c.done:
				return errClosed
			}
		}
		if len(events) < logPage {
			return nil
		}
	}
}

var errClosed = errors.New("socket closed")

// offer hands a live socket an event read by its site's pump. It never
// blocks: a socket whose queue is full falls back to catching up.
func (c *Client) offer(e *model.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		if last, ok := c.last[e.SiteID]; ok && e.Seq > last && c.maySee(e) {
			c.missed = true
		}
		return
	}
	frame, undo := c.advanceLocked(e)
	if frame == nil {
		return
	}
	select {
	case c.send <- frame:
	default:
		// Not queued, so not delivered: the cursor goes back before it and
		// the catch-up reads it from the log, after what is queued already.
		undo()
		c.fallBehindLocked()
	}
}

// fallBehindLocked makes the socket catch up from its cursor before it is
// live again.
func (c *Client) fallBehindLocked() {
	if !c.live {
		c.missed = true // a catch-up is running: make it read once more
		return
	}
	c.live = false
	select {
	case c.behind <- struct{}{}:
	default:
	}
}

// maySee reports whether this socket may see e.
func (c *Client) maySee(e *model.Event) bool {
	return c.visitor == nil || c.visitor.sees(e.VisitorID, e.ConversationID) && !e.Internal
}

// advanceLocked moves the socket's cursor past e and returns its frame, or
// nil when e is not for this socket (already sent, another site, or hidden
// from a visitor: the cursor still moves past those). undo puts the cursor
// back.
func (c *Client) advanceLocked(e *model.Event) (frame []byte, undo func()) {
	last, subscribed := c.last[e.SiteID]
	if !subscribed || e.Seq <= last {
		return nil, nil
	}
	c.last[e.SiteID] = e.Seq
	if !c.maySee(e) {
		return nil, nil
	}
	data := e.Data
	if c.visitor != nil {
		data = e.PublicData
	}
	frame, _ = json.Marshal(Frame{Type: e.Type, Cursor: c.last.Encode(), SiteID: e.SiteID,
		ConversationID: e.ConversationID, At: e.CreatedAt, Data: json.RawMessage(data)})
	return frame, func() { c.last[e.SiteID] = last }
}

// offerEphemeral queues a typing notice if there is room: it is worth
// nothing a moment later, so a busy socket simply misses it.
func (c *Client) offerEphemeral(siteID string, e *model.Ephemeral) {
	if c.visitor != nil && (!c.visitor.sees(e.VisitorID, e.ConversationID) || !e.FromStaff) {
		return
	}
	if c.staff != nil && e.FromStaff {
		return // staff see the visitor typing, not each other
	}
	frame, _ := json.Marshal(Frame{Type: e.Type, SiteID: siteID, ConversationID: e.ConversationID, At: e.At, Data: e.Data})
	select {
	case c.send <- frame:
	default:
	}
}

func (c *Client) writePump() {
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case frame := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
				c.closeWith(0, "")
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.closeWith(0, "")
				return
			}
		}
	}
}

func (c *Client) readPump() {
	c.conn.SetReadLimit(readLimit)
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	var lastFrame time.Time
	for {
		_, raw, err := c.conn.ReadMessage()
		if err != nil {
			c.closeWith(0, "")
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
		var f ClientFrame
		// Typing notices are worth one a second; more is noise (or abuse)
		// that would cost a lookup and a broadcast each.
		if json.Unmarshal(raw, &f) != nil || c.onFrame == nil || time.Since(lastFrame) < time.Second {
			continue
		}
		lastFrame = time.Now()
		c.onFrame(f)
	}
}

// closeWith sends a close frame (code 0: none) and closes the connection.
func (c *Client) closeWith(code int, reason string) {
	c.once.Do(func() {
		close(c.done)
		if code != 0 {
			_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		}
		_ = c.conn.Close()
	})
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
			delete(c.last, old)
		}
	}
	for _, id := range sites {
		if _, ok := c.last[id]; !ok {
			c.last[id] = present[id] // a newly granted site starts at the present
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
