package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Sender delivers composed messages to one SMTP server. It opens a
// connection per call: mail is rare next to chat, and a fresh connection
// never inherits a half-broken session from a server that went away.
//
// The client is emersion/go-smtp: maintained, small (one dependency, its
// SASL package), with per-command deadlines; the tests run its server side
// too, so both ends of every test speak through one well-used implementation.
type Sender struct {
	cfg SMTPConfig
	// TLSConfig, when set, replaces the default (verify the server against
	// the system roots for cfg.Host); tests trust their own certificate.
	TLSConfig *tls.Config
}

// NewSender builds a Sender for cfg.
func NewSender(cfg SMTPConfig) *Sender { return &Sender{cfg: cfg} }

// PermanentError is a 5xx answer: sending the same mail again will fail
// the same way (unknown recipient, refused content, bad credentials).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a permanent SMTP failure.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Send delivers msg from the envelope sender from to the recipients. The
// whole exchange is bounded by the configured timeout per step and by ctx.
func (s *Sender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	err := s.send(ctx, from, to, msg)
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 && se.Code < 600 {
		return &PermanentError{Err: err}
	}
	return err
}

func (s *Sender) send(ctx context.Context, from string, to []string, msg []byte) error {
	d := net.Dialer{Timeout: s.cfg.Timeout}
	raw, err := d.DialContext(ctx, "tcp", s.cfg.Addr())
	if err != nil {
		return fmt.Errorf("smtp dial %s: %w", s.cfg.Addr(), err)
	}
	conn := &boundedConn{Conn: raw, step: s.cfg.Timeout, stop: time.Now().Add(4 * s.cfg.Timeout)}
	_ = conn.SetDeadline(time.Time{})
	// A context that ends (shutdown) unblocks any read or write at once.
	stop := context.AfterFunc(ctx, func() { conn.expire() })
	defer stop()
	tlsCfg := s.TLSConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	var c *smtp.Client
	switch s.cfg.TLS {
	case TLSImplicit:
		tconn := tls.Client(conn, tlsCfg)
		if err := tconn.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtp tls handshake: %w", err)
		}
		c = smtp.NewClient(tconn)
	case TLSStartTLS:
		// Refuses a server that does not offer STARTTLS: never fall back
		// to clear text (?tls=none is for a trusted local relay only).
		if c, err = smtp.NewClientStartTLS(conn, tlsCfg); err != nil {
			conn.Close()
			return fmt.Errorf("smtp starttls: %w", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout = s.cfg.Timeout
	c.SubmissionTimeout = s.cfg.Timeout
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.SendMail(from, to, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	// The server has accepted the message; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// boundedConn caps every deadline the SMTP client sets (it clears them
// after each command and starts with five minutes for the greeting) at one
// step from now and at a hard stop for the whole exchange, so a server that
// stalls anywhere costs a bounded time.
type boundedConn struct {
	net.Conn
	step time.Duration
	mu   sync.Mutex
	stop time.Time
}

func (b *boundedConn) cap(t time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	limit := time.Now().Add(b.step)
	if b.stop.Before(limit) {
		limit = b.stop
	}
	if t.IsZero() || t.After(limit) {
		return limit
	}
	return t
}

func (b *boundedConn) expire() {
	b.mu.Lock()
	b.stop = time.Now()
	b.mu.Unlock()
	_ = b.Conn.SetDeadline(time.Now())
}

func (b *boundedConn) SetDeadline(t time.Time) error      { return b.Conn.SetDeadline(b.cap(t)) }
func (b *boundedConn) SetReadDeadline(t time.Time) error  { return b.Conn.SetReadDeadline(b.cap(t)) }
func (b *boundedConn) SetWriteDeadline(t time.Time) error { return b.Conn.SetWriteDeadline(b.cap(t)) }
