// Package mailtest runs a real SMTP server (emersion/go-smtp) on a loopback
// port for tests: it records what it receives over TCP, and it can be
// taken down, made to stall or to refuse, and brought back on the same port.
package mailtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	From   string
	To     []string
	Raw    []byte
	Header mail.Header
}

// Server is a test SMTP server.
type Server struct {
	Addr string

	mu       sync.Mutex
	msgs     []Received
	srv      *smtp.Server
	stall    net.Listener
	stalled  []net.Conn
	reject   bool
	accepted chan struct{}
}

// Start runs a server on a free loopback port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{accepted: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// URL is the HOLLER_SMTP_URL of this server, with a short timeout so a
// stalled server costs a test seconds.
func (s *Server) URL() string { return "smtp://" + s.Addr + "?timeout=2s" }

func (s *Server) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "mailtest.local"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.AllowInsecureAuth = true
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop takes the server down the way a mail server is shut down: it stops
// listening at once (new connections are refused until Restart) and lets a
// session that is already talking finish before the rest are closed.
//
// Closing a session abruptly would make the test, not Holler, lose a
// reply: a message recorded in Data whose "250 OK" is never written looks
// unsent to the client, which rightly sends it again. That is SMTP's known
// duplicate window (RFC 1047), not the outage the tests mean to stage.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, stall, conns := s.srv, s.stall, s.stalled
	s.srv, s.stall, s.stalled = nil, nil, nil
	s.mu.Unlock()
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		cancel()
	}
	if stall != nil {
		_ = stall.Close()
	}
	for _, c := range conns {
		_ = c.Close()
	}
}

// Stall replaces the server with a listener on the same port that accepts
// connections and never says a word, like a hung mail server.
func (s *Server) Stall(t testing.TB) {
	t.Helper()
	s.Stop()
	ln := listenAgain(t, s.Addr)
	s.mu.Lock()
	s.stall = ln
	s.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.stalled = append(s.stalled, c)
			s.mu.Unlock()
		}
	}()
}

// Restart serves SMTP on the same port again.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.serve(listenAgain(t, s.Addr))
}

// Reject makes the server refuse every message with a permanent 550 (on)
// or accept again (off).
func (s *Server) Reject(on bool) {
	s.mu.Lock()
	s.reject = on
	s.mu.Unlock()
}

func listenAgain(t testing.TB, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Messages returns what the server has accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error   { x.to = append(x.to, to); return nil }
func (x *session) Reset()                                      { x.from, x.to = "", nil }
func (x *session) Logout() error                               { return nil }

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	reject := x.s.reject
	x.s.mu.Unlock()
	if reject {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "not a message: " + err.Error()}
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Received{From: x.from, To: append([]string(nil), x.to...), Raw: raw, Header: m.Header})
	x.s.mu.Unlock()
	select {
	case x.s.accepted <- struct{}{}:
	default:
	}
	return nil
}

// Part returns the decoded body of the message's part of content type
// typ (text/plain or text/html) in a multipart/alternative message.
func (r Received) Part(typ string) (string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(r.Raw))
	if err != nil {
		return "", err
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		return "", errors.New("not multipart/alternative: " + m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return "", errors.New("no " + typ + " part")
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if pt != typ {
			continue
		}
		// NextPart decodes quoted-printable itself (and drops the header).
		b, err := io.ReadAll(p)
		return string(b), err
	}
}

// Subject is the decoded Subject header.
func (r Received) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(r.Header.Get("Subject"))
	if err != nil {
		return r.Header.Get("Subject")
	}
	return s
}

// To returns the messages accepted so far for one recipient.
func (s *Server) To(addr string) []Received {
	var out []Received
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// WaitTo waits until at least n messages for addr arrived (failing the
// test after a generous bound) and returns them.
func (s *Server) WaitTo(t testing.TB, addr string, n int) []Received {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if got := s.To(addr); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails to %s, want %d", len(s.To(addr)), addr, n)
		}
		select {
		case <-s.accepted:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// CountByMessageID maps each Message-ID to how often it arrived.
func (s *Server) CountByMessageID() map[string]int {
	out := map[string]int{}
	for _, m := range s.Messages() {
		out[m.Header.Get("Message-ID")]++
	}
	return out
}
