package realtime

import (
	"bytes"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// An idle socket's reader goroutine was most of what the socket cost: a
// stack of 4 KB or more and the goroutine itself, parked for hours on a
// socket that says nothing. Here one goroutine waits on an epoll set of
// every socket's descriptor instead, and a socket gets a goroutine only
// when it has input, for as long as reading that input takes (see
// frames.go). Registrations are one-shot: the reader re-arms its socket
// when it is done, so there is never more than one reader per socket.
// Sockets that are not plain TCP (none today: TLS ends at a proxy) keep a
// reader goroutine (readPump).

const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// poller is the one epoll set of the process, shared by every hub.
type poller struct {
	epfd int
	mu   sync.Mutex
	next uint64
	// socks maps an epoll registration to its socket. Registrations are
	// never reused, so an event that arrives after its socket closed finds
	// nothing, even when the descriptor number went to a new socket.
	socks map[uint64]*Client
}

var (
	pollerOnce   sync.Once
	sharedPoller *poller
)

func getPoller() *poller {
	pollerOnce.Do(func() {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return // every socket gets a reader goroutine
		}
		sharedPoller = &poller{epfd: fd, socks: map[uint64]*Client{}}
		go sharedPoller.run()
	})
	return sharedPoller
}

func (p *poller) run() {
	events := make([]syscall.EpollEvent, 256)
	var ready []*Client
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err != syscall.EINTR {
				// Not expected with a valid set; do not spin. Sockets not
				// read meanwhile are dropped by the sweep if it lasts.
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			if c := p.socks[uint64(uint32(ev.Fd))|uint64(uint32(ev.Pad))<<32]; c != nil {
				ready = append(ready, c)
			}
		}
		p.mu.Unlock()
		for _, c := range ready {
			if c.reading.CompareAndSwap(false, true) {
				go c.readReady()
			}
		}
		clear(ready)
		ready = ready[:0]
	}
}

// ctl adds or re-arms a registration.
func (p *poller) ctl(raw syscall.RawConn, op int, id uint64) error {
	ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
	var err error
	if cerr := raw.Control(func(fd uintptr) { err = syscall.EpollCtl(p.epfd, op, int(fd), &ev) }); cerr != nil {
		return cerr
	}
	return err
}

func (p *poller) remove(id uint64) {
	// The kernel drops the descriptor from the set when it closes.
	p.mu.Lock()
	delete(p.socks, id)
	p.mu.Unlock()
}

// rawConn is the socket's descriptor when it is plain TCP.
func rawConn(conn *websocket.Conn) syscall.RawConn {
	nc := conn.NetConn()
	if cc, ok := nc.(*corkConn); ok {
		nc = cc.Conn
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// poll hands the socket to the poller and reports whether it took it;
// if not, the caller reads it with readPump. With wait, c.done is made
// for Serve to wait on.
func (c *Client) poll(wait bool) bool {
	p := getPoller()
	raw := rawConn(c.conn)
	if p == nil || raw == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false // readPump returns at once and finishes the socket
	}
	// Set before the registration is published: its first event may come
	// at once, and the poller's lock hands these to the reader.
	p.mu.Lock()
	p.next++
	c.pollID = p.next
	if wait {
		c.done = make(chan struct{})
	}
	p.socks[c.pollID] = c
	p.mu.Unlock()
	if err := p.ctl(raw, syscall.EPOLL_CTL_ADD, c.pollID); err != nil {
		p.remove(c.pollID)
		c.pollID, c.done = 0, nil
		c.hub.logger.Warn("websocket poll", "err", err)
		return false
	}
	return true
}

// unpoll forgets a closed socket's registration.
func unpoll(id uint64) { sharedPoller.remove(id) }

// readBuffers lend readReady room for a wake-up's input: whatever a
// socket kept from an unfinished frame (at most maxFrameHeader+readLimit)
// and at least as much again of new input.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2*(maxFrameHeader+readLimit)); return &b }}

// readReady reads what a polled socket has, without blocking, then re-arms
// its registration.
func (c *Client) readReady() {
	raw := rawConn(c.conn)
	if raw == nil || !c.readAvailable(raw) {
		c.closeWith(0, "")
		return
	}
	c.reading.Store(false)
	if err := sharedPoller.ctl(raw, syscall.EPOLL_CTL_MOD, c.pollID); err != nil {
		c.closeWith(0, "") // closed meanwhile, or unreadable from now on
	}
}

// readAvailable reads and handles input until the socket has no more; false
// once the socket closed or must.
func (c *Client) readAvailable(raw syscall.RawConn) bool {
	bp := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(bp)
	b := (*bp)[:0]
	if c.input != nil {
		b = append(b, c.input.rest...)
		c.input.rest = nil
	}
	for {
		var n int
		var rerr error
		if err := raw.Read(func(fd uintptr) bool {
			for {
				n, rerr = syscall.Read(int(fd), b[len(b):cap(b)])
				if rerr != syscall.EINTR {
					return true // never wait: the poller said when to come
				}
			}
		}); err != nil {
			return false
		}
		if rerr == syscall.EAGAIN {
			break
		}
		if rerr != nil || n <= 0 { // reset, or the client closed without a close frame
			return false
		}
		b = b[:len(b)+n]
		used, open := c.handleInput(b)
		if !open {
			return false
		}
		b = b[:copy(b, b[used:])]
	}
	switch {
	case len(b) > 0:
		if c.input == nil {
			c.input = &inputState{}
		}
		c.input.rest = bytes.Clone(b)
	case c.input != nil && c.input.op == 0:
		c.input = nil
	}
	return true
}
