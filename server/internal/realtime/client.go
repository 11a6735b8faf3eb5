package realtime

import (
	"context"
	"encoding/json"
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
	sendQueue      = 256  // frames a socket may lag behind before it is dropped
	replayPage     = 500
	maxBuffered    = 10000
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
type Client struct {
	hub     *Hub
	conn    *websocket.Conn
	staff   *Staff
	visitor *Visitor
	onFrame func(ClientFrame)
	send    chan []byte
	done    chan struct{}
	once    sync.Once

	mu     sync.Mutex
	sites  []string
	last   model.Cursor
	live   bool
	buffer []*model.Event
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
		send: make(chan []byte, sendQueue), done: make(chan struct{}), sites: o.Sites, last: model.Cursor{}}
	if !h.attach(c) {
		c.closeWith(closeGoingAway, "server shutting down")
		return
	}
	h.metrics.SocketOpened(c.kind())
	defer func() {
		h.detach(c)
		h.metrics.SocketClosed(c.kind())
	}()
	go c.writePump()
	if err := c.replay(ctx, o.Cursor); err != nil {
		h.logger.Warn("websocket replay", "err", err)
		c.closeWith(websocket.CloseInternalServerErr, "replay failed")
	}
	c.readPump()
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

// replay sends every event after the cursor (complete for the client's
// sites, see StartCursor), then switches to live delivery. Events that
// arrived live meanwhile were buffered; the ones the replay already sent
// are skipped by seq.
func (c *Client) replay(ctx context.Context, cur model.Cursor) error {
	visitorID := ""
	if c.visitor != nil {
		visitorID = c.visitor.VisitorID
	}
	for _, site := range c.siteIDs() {
		from := cur[site]
		c.mu.Lock()
		c.last[site] = from
		c.mu.Unlock()
		for {
			events, err := c.hub.log.EventsAfter(ctx, site, from, visitorID, replayPage)
			if err != nil {
				return err
			}
			c.mu.Lock()
			for i := range events {
				c.deliverLocked(&events[i])
			}
			c.mu.Unlock()
			if len(events) < replayPage {
				break
			}
			from = events[len(events)-1].Seq
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.buffer {
		c.deliverLocked(e)
	}
	c.buffer, c.live = nil, true
	return nil
}

func (c *Client) offer(e *model.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		if len(c.buffer) >= maxBuffered {
			go c.closeWith(websocket.CloseTryAgainLater, "too far behind")
			return
		}
		c.buffer = append(c.buffer, e)
		return
	}
	c.deliverLocked(e)
}

func (c *Client) deliverLocked(e *model.Event) {
	last, subscribed := c.last[e.SiteID]
	if !subscribed || e.Seq <= last {
		return
	}
	c.last[e.SiteID] = e.Seq
	data := e.Data
	if c.visitor != nil {
		if e.VisitorID != c.visitor.VisitorID || e.Internal {
			return // the cursor moves past events this socket may not see
		}
		data = e.PublicData
	}
	frame, _ := json.Marshal(Frame{Type: e.Type, Cursor: c.last.Encode(), SiteID: e.SiteID,
		ConversationID: e.ConversationID, At: e.CreatedAt, Data: json.RawMessage(data)})
	c.enqueue(frame)
}

func (c *Client) offerEphemeral(siteID string, e *model.Ephemeral) {
	if c.visitor != nil && (e.VisitorID != c.visitor.VisitorID || !e.FromStaff) {
		return
	}
	if c.staff != nil && e.FromStaff {
		return // staff see the visitor typing, not each other
	}
	frame, _ := json.Marshal(Frame{Type: e.Type, SiteID: siteID, ConversationID: e.ConversationID, At: e.At, Data: e.Data})
	c.enqueue(frame)
}

// enqueue never blocks: a socket whose queue is full is too slow and is
// dropped, so it cannot stall delivery to anyone else.
func (c *Client) enqueue(frame []byte) {
	select {
	case c.send <- frame:
	case <-c.done:
	default:
		go c.closeWith(websocket.CloseTryAgainLater, "too slow")
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
	for _, id := range sites {
		if !contains(c.siteIDs(), id) {
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
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
