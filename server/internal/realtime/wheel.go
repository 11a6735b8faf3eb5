package realtime

import "time"

// Ping timing, the defaults of a Hub's fields (tests shorten them).
const (
	pongWait   = 60 * time.Second
	pingEvery  = pongWait * 9 / 10
	sweepEvery = time.Second
)

// sweep is the one ping timer for all of a hub's sockets, in place of a
// ticker and a read deadline per socket. Every sweepEvery it drops the
// sockets whose last frame or pong is older than pongWait and asks the
// writers of those whose ping is due to send one. Each socket's pings fall
// pingEvery after it opened, so they spread over time as connects do. It
// runs while the hub has sockets and attach restarts it.
func (h *Hub) sweep() {
	t := time.NewTicker(h.sweepEvery)
	defer t.Stop()
	var drop, ping []*Client
	for range t.C {
		now := time.Now()
		h.mu.Lock()
		if len(h.clients) == 0 {
			h.sweeping = false
			h.mu.Unlock()
			return
		}
		for c := range h.clients {
			switch {
			case now.UnixNano()-c.seen.Load() > int64(h.pongWait):
				drop = append(drop, c)
			case now.UnixNano() >= c.nextPing:
				c.nextPing = now.Add(h.pingEvery).UnixNano()
				ping = append(ping, c)
			}
		}
		h.mu.Unlock()
		for _, c := range drop {
			c.closeWith(0, "")
		}
		for _, c := range ping {
			c.queuePing()
		}
		clear(drop)
		clear(ping)
		drop, ping = drop[:0], ping[:0]
	}
}
