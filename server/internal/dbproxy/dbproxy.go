// Package dbproxy is a test helper: a TCP proxy that stands between Holler
// and PostgreSQL and cuts the line the way real outages do, so tests see the
// driver's real errors instead of mocked ones.
package dbproxy

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Mode is how the line is cut.
type Mode int

const (
	// Refuse is a database that is down: the proxy stops listening, so new
	// connections are refused (ECONNREFUSED), and every open connection is
	// reset (ECONNRESET), as when PostgreSQL restarts or its host goes away.
	Refuse Mode = iota + 1
	// Hang is a database that stops answering: connections, new and open,
	// stay up but nothing is forwarded in either direction, as during a
	// network partition or a stalled server.
	Hang
)

// Proxy forwards TCP connections to one address until cut.
type Proxy struct {
	t      testing.TB
	target string
	addr   string

	mu     sync.Mutex
	ln     net.Listener
	mode   Mode          // 0 while forwarding
	gate   chan struct{} // closed while forwarding; open (blocking) during Hang
	links  map[*link]struct{}
	closed bool
	wg     sync.WaitGroup
}

// link is one client connection and, once dialled, its upstream.
type link struct {
	client net.Conn
	server net.Conn
	done   chan struct{}
	once   sync.Once
}

// Start listens on a free local port and forwards to target (host:port)
// until the test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dbproxy: listen: %v", err)
	}
	gate := make(chan struct{})
	close(gate)
	p := &Proxy{t: t, target: target, addr: ln.Addr().String(), ln: ln, gate: gate, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept(ln)
	t.Cleanup(p.Close)
	return p
}

// For starts a proxy to the host of a postgres:// URL and returns it with
// the same URL pointed at the proxy.
func For(t testing.TB, dbURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("dbproxy: %v", err)
	}
	p := Start(t, u.Host)
	u.Host = p.addr
	return p, u.String()
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.addr }

// Cut breaks the line in mode until Restore.
func (p *Proxy) Cut(mode Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.mode != 0 {
		p.t.Fatalf("dbproxy: Cut(%d) while already cut (%d) or closed", mode, p.mode)
	}
	p.mode = mode
	switch mode {
	case Refuse:
		_ = p.ln.Close()
		p.ln = nil
		p.resetLocked()
	case Hang:
		p.gate = make(chan struct{})
	default:
		p.t.Fatalf("dbproxy: unknown mode %d", mode)
	}
}

// Restore forwards again. Connections that were stalled by Hang are reset
// first, as after a partition long enough that both ends gave up: what a
// client sent into the void is never delivered late.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.mode {
	case 0:
		return
	case Refuse:
		// The port was free a moment ago; another socket may take it in
		// between only by a rare accident, so retry briefly.
		var err error
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			var ln net.Listener
			if ln, err = net.Listen("tcp", p.addr); err == nil {
				p.ln = ln
				p.wg.Add(1)
				go p.accept(ln)
				break
			}
			if time.Now().After(deadline) {
				p.t.Fatalf("dbproxy: listen again on %s: %v", p.addr, err)
			}
		}
	case Hang:
		p.resetLocked()
		close(p.gate)
	}
	p.mode = 0
}

// Close stops the proxy and every connection through it.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if p.ln != nil {
		_ = p.ln.Close()
	}
	p.resetLocked()
	if p.mode == Hang {
		close(p.gate)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) resetLocked() {
	for l := range p.links {
		l.reset()
		delete(p.links, l)
	}
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.t.Logf("dbproxy: accept: %v", err)
			}
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return
		}
		l := &link{client: c, done: make(chan struct{})}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(l)
	}
}

// open waits until the line forwards; false when l was reset meanwhile.
func (p *Proxy) open(l *link) bool {
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	select {
	case <-gate:
		select {
		case <-l.done:
			return false
		default:
			return true
		}
	case <-l.done:
		return false
	}
}

func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	defer p.forget(l)
	if !p.open(l) { // a new connection during Hang waits, unanswered
		return
	}
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		l.reset()
		return
	}
	p.mu.Lock()
	select {
	case <-l.done:
		p.mu.Unlock()
		_ = s.Close()
		return
	default:
		l.server = s
	}
	p.mu.Unlock()
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() { defer pipes.Done(); p.pipe(l, s, l.client) }()
	go func() { defer pipes.Done(); p.pipe(l, l.client, s) }()
	pipes.Wait()
}

// pipe copies src to dst, holding each chunk while the line hangs. A clean
// close is passed on as one; anything else resets the link.
func (p *Proxy) pipe(l *link, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.open(l) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				l.reset()
				return
			}
		}
		if errors.Is(err, io.EOF) {
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
		if err != nil {
			l.reset()
			return
		}
	}
}

func (p *Proxy) forget(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
	l.reset()
}

// reset closes both ends at once with RST rather than FIN, as a crashed
// peer or a restarted server does.
func (l *link) reset() {
	l.once.Do(func() {
		close(l.done)
		for _, c := range []net.Conn{l.client, l.server} {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			if c != nil {
				_ = c.Close()
			}
		}
	})
}
