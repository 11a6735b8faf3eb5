// Package realtime delivers events to websockets. The service layer reaches
// it only through Publish (a Notice that a site's log advanced, or an
// ephemeral event). The hub then reads the committed events from the log
// in seq order, so what sockets receive is exactly what was committed, in
// order, on every instance, whatever order the notices arrived in.
package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"holler/server/internal/model"
)

// Log is the part of the service the hub reads from.
type Log interface {
	EventsAfter(ctx context.Context, siteID string, after int64, visitorID string, limit int) ([]model.Event, error)
	SiteSeqs(ctx context.Context) (map[string]int64, error)
}

// Metrics lets the HTTP layer count sockets and events without this
// package knowing about Prometheus.
type Metrics interface {
	SocketOpened(kind string)
	SocketClosed(kind string)
	EventDelivered(n int)
}

type nopMetrics struct{}

func (nopMetrics) SocketOpened(string) {}
func (nopMetrics) SocketClosed(string) {}
func (nopMetrics) EventDelivered(int)  {}

// Hub fans events out to the sockets of this instance.
type Hub struct {
	log     Log
	logger  *slog.Logger
	metrics Metrics

	// Ping timing for every socket (see sweep).
	pingEvery, pongWait, sweepEvery time.Duration

	mu       sync.Mutex
	sites    map[string]*siteFeed
	clients  map[*Client]struct{}
	closing  bool
	sweeping bool // the sweep goroutine runs

	presenceMu sync.Mutex
	remote     map[string]time.Time // user ID -> last time another instance had their dashboard open
}

// siteFeed reads one site's log forward, one reader at a time.
type siteFeed struct {
	mu        sync.Mutex
	delivered int64
	wanted    int64
	running   bool
	clients   map[*Client]struct{}
}

// NewHub builds a hub. Start must run before sockets attach.
func NewHub(l Log, logger *slog.Logger, m Metrics) *Hub {
	if m == nil {
		m = nopMetrics{}
	}
	return &Hub{log: l, logger: logger, metrics: m, pingEvery: pingEvery, pongWait: pongWait, sweepEvery: sweepEvery,
		sites: map[string]*siteFeed{}, clients: map[*Client]struct{}{}, remote: map[string]time.Time{}}
}

// Start records where each site's log stands, so only newer events are
// delivered live.
func (h *Hub) Start(ctx context.Context) error {
	seqs, err := h.log.SiteSeqs(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, seq := range seqs {
		h.feedLocked(id).delivered = seq
	}
	return nil
}

func (h *Hub) feedLocked(siteID string) *siteFeed {
	f := h.sites[siteID]
	if f == nil {
		f = &siteFeed{clients: map[*Client]struct{}{}}
		h.sites[siteID] = f
	}
	return f
}

// Dispatch handles a notice that arrived from the broker.
func (h *Hub) Dispatch(n model.Notice) {
	switch {
	case n.UserID != "":
		h.recheckUser(n.UserID)
	case n.Ephemeral != nil:
		h.deliverEphemeral(n.SiteID, n.Ephemeral)
	case len(n.OnlineUsers) > 0:
		h.presenceMu.Lock()
		for _, id := range n.OnlineUsers {
			h.remote[id] = time.Now()
		}
		h.presenceMu.Unlock()
	case n.SiteID != "" && n.Seq > 0:
		h.advance(n.SiteID, n.Seq)
	}
}

// Resync makes every site's feed look for events it may have missed, e.g.
// after the broker's connection dropped and notices could have been lost.
func (h *Hub) Resync(ctx context.Context) {
	seqs, err := h.log.SiteSeqs(ctx)
	if err != nil {
		h.logger.Warn("realtime resync", "err", err)
		return
	}
	for id, seq := range seqs {
		h.advance(id, seq)
	}
}

func (h *Hub) advance(siteID string, seq int64) {
	h.mu.Lock()
	f := h.feedLocked(siteID)
	h.mu.Unlock()
	f.mu.Lock()
	if seq <= f.delivered || seq <= f.wanted && f.running {
		f.mu.Unlock()
		return
	}
	if seq > f.wanted {
		f.wanted = seq
	}
	if f.running {
		f.mu.Unlock()
		return
	}
	f.running = true
	f.mu.Unlock()
	go h.pump(siteID, f)
}

// pump reads a site's log from delivered to wanted and offers each event to
// the site's sockets. Only one pump per site runs at a time, so delivery is
// in seq order.
func (h *Hub) pump(siteID string, f *siteFeed) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		f.mu.Lock()
		from, to := f.delivered, f.wanted
		if from >= to {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		events, err := h.log.EventsAfter(ctx, siteID, from, "", 500)
		if err != nil || len(events) == 0 {
			if err != nil {
				h.logger.Warn("realtime read log", "site_id", siteID, "err", err)
			}
			// A notice can arrive before its commit is visible to this
			// connection; look again shortly rather than give up.
			select {
			case <-ctx.Done():
				f.mu.Lock()
				f.running = false
				f.mu.Unlock()
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		h.mu.Lock()
		clients := make([]*Client, 0, len(f.clients))
		for c := range f.clients {
			clients = append(clients, c)
		}
		h.mu.Unlock()
		for i := range events {
			// Encoded once per audience, however many sockets get it.
			enc := encoded{e: &events[i]}
			for _, c := range clients {
				c.offer(&enc)
			}
		}
		h.metrics.EventDelivered(len(events))
		f.mu.Lock()
		f.delivered = events[len(events)-1].Seq
		if f.wanted < f.delivered {
			f.wanted = f.delivered
		}
		f.mu.Unlock()
	}
}

func (h *Hub) deliverEphemeral(siteID string, e *model.Ephemeral) {
	h.mu.Lock()
	f := h.sites[siteID]
	var clients []*Client
	if f != nil {
		for c := range f.clients {
			clients = append(clients, c)
		}
	}
	h.mu.Unlock()
	if len(clients) == 0 {
		return
	}
	body, _ := json.Marshal(Frame{Type: e.Type, SiteID: siteID, ConversationID: e.ConversationID, At: e.At, Data: e.Data})
	for _, c := range clients {
		c.offerEphemeral(e, body)
	}
}

// attach subscribes c to its sites.
func (h *Hub) attach(c *Client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.clients[c] = struct{}{}
	for _, id := range c.siteIDs() {
		h.feedLocked(id).clients[c] = struct{}{}
	}
	c.nextPing = time.Now().Add(h.pingEvery).UnixNano()
	if !h.sweeping {
		h.sweeping = true
		go h.sweep()
	}
	return true
}

func (h *Hub) detach(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
	for _, f := range h.sites {
		delete(f.clients, c)
	}
}

// resubscribe moves c from its old sites to its current ones.
func (h *Hub) resubscribe(c *Client, sites []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.sites {
		delete(f.clients, c)
	}
	for _, id := range sites {
		h.feedLocked(id).clients[c] = struct{}{}
	}
}

// UserOnline reports whether the staff user has a dashboard socket open here
// or, recently, on another instance.
func (h *Hub) UserOnline(userID string) bool {
	h.mu.Lock()
	for c := range h.clients {
		if c.staff != nil && c.staff.UserID == userID {
			h.mu.Unlock()
			return true
		}
	}
	h.mu.Unlock()
	h.presenceMu.Lock()
	defer h.presenceMu.Unlock()
	return time.Since(h.remote[userID]) < 2*presenceEvery
}

const presenceEvery = 20 * time.Second

// localStaff lists the users with a staff socket on this instance.
func (h *Hub) localStaff() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for c := range h.clients {
		if c.staff != nil && !contains(out, c.staff.UserID) {
			out = append(out, c.staff.UserID)
		}
	}
	return out
}

func (h *Hub) recheckUser(userID string) {
	h.mu.Lock()
	var mine []*Client
	for c := range h.clients {
		if c.staff != nil && c.staff.UserID == userID {
			mine = append(mine, c)
		}
	}
	h.mu.Unlock()
	for _, c := range mine {
		go c.recheck()
	}
}

// Shutdown closes every socket with "going away" and refuses new ones.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	h.closing = true
	clients := make([]*Client, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
	}
	h.mu.Unlock()
	for _, c := range clients {
		c.closeWith(closeGoingAway, "server shutting down")
	}
}

// Count returns the number of open sockets.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// recheckAllStaff re-reads every staff socket's rights: a safety net for a
// rights change whose notice was lost.
func (h *Hub) recheckAllStaff() {
	h.mu.Lock()
	var staff []*Client
	for c := range h.clients {
		if c.staff != nil {
			staff = append(staff, c)
		}
	}
	h.mu.Unlock()
	for _, c := range staff {
		c.recheck()
	}
}
