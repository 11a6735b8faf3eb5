package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-smtp"

	"holler/server/internal/model"
)

// MaxMessageBytes bounds a customer's reply mail, attachments included, on
// the listener and the webhook alike.
const MaxMessageBytes = 10 << 20

// Limits of the listener. A reply is small; these bound what a stranger
// on the open port can make the server hold.
const (
	maxRecipients = 10
	smtpTimeout   = 60 * time.Second
)

// Receiver is what the listener needs of the service: the verdict on a
// recipient at RCPT time and the storing of a mail at DATA time.
type Receiver interface {
	CheckReplyAddress(ctx context.Context, addr string) error
	InboundReply(ctx context.Context, to []string, raw io.Reader) (*model.Message, error)
}

// Listener is an SMTP server that accepts only customers' replies: mail
// for reply+TOKEN@domain addresses that verify, for an MX record or a
// forwarding rule to point at. It never relays and asks for no AUTH
// (senders are other mail servers). Every refusal is final (5xx) unless
// the fault is ours, such as the database being away: then it is 451 and
// the sender tries again later, so a mail is never acknowledged and lost.
type Listener struct {
	srv  *smtp.Server
	recv Receiver
	log  *slog.Logger
	ctx  context.Context
}

// NewListener builds a listener that greets as domain (the reply domain).
// ctx is the parent of every session's work.
func NewListener(ctx context.Context, domain string, recv Receiver, logger *slog.Logger) *Listener {
	l := &Listener{recv: recv, log: logger, ctx: ctx}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{l: l}, nil
	}))
	s.Domain = domain
	s.MaxMessageBytes = MaxMessageBytes
	s.MaxRecipients = maxRecipients
	s.ReadTimeout = smtpTimeout
	s.WriteTimeout = smtpTimeout
	s.ErrorLog = slogPrinter{logger}
	l.srv = s
	return l
}

// Serve accepts connections on ln until Shutdown.
func (l *Listener) Serve(ln net.Listener) error {
	err := l.srv.Serve(ln)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting, lets sessions in progress finish until ctx
// ends, then closes what is left (a sender whose DATA was cut off has no
// 250 and sends again).
func (l *Listener) Shutdown(ctx context.Context) error {
	err := l.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if cerr := l.srv.Close(); cerr != nil && !errors.Is(cerr, smtp.ErrServerClosed) {
			return fmt.Errorf("close smtp listener: %w", cerr)
		}
		return nil
	}
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

type session struct {
	l     *Listener
	rcpts []string
}

func (s *session) Reset()        { s.rcpts = nil }
func (s *session) Logout() error { return nil }

// Mail accepts any sender, the empty one of a bounce included: what
// matters is the recipient.
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.l.recv.CheckReplyAddress(s.l.ctx, to); err != nil {
		return s.l.smtpError(err)
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

// Data stores the mail for each accepted recipient. A failure after some
// were stored answers for all of them; the sender's retry stores nothing
// twice (the service is idempotent by Message-ID).
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // go-smtp's own errors, e.g. 552 message too large
	}
	for _, to := range s.rcpts {
		if _, err := s.l.recv.InboundReply(s.l.ctx, []string{to}, bytes.NewReader(raw)); err != nil {
			return s.l.smtpError(err)
		}
	}
	return nil
}

// smtpError maps the service's refusals to SMTP replies. The service has
// logged refusals already; only our own failures are logged here.
func (l *Listener) smtpError(err error) *smtp.SMTPError {
	perm := func(code int, ec smtp.EnhancedCode, msg string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: msg}
	}
	switch {
	case errors.Is(err, model.ErrReplyAddressUnknown):
		return perm(550, smtp.EnhancedCode{5, 1, 1}, "No such mailbox here (this server accepts only replies to its own mail)")
	case errors.Is(err, model.ErrReplyTokenExpired):
		return perm(550, smtp.EnhancedCode{5, 1, 1}, "This reply address has expired; please answer through the link in the latest email")
	case errors.Is(err, model.ErrReplyTokenInvalid):
		return perm(550, smtp.EnhancedCode{5, 1, 1}, "This reply address is not valid")
	case errors.Is(err, model.ErrReplyEmpty):
		return perm(550, smtp.EnhancedCode{5, 6, 0}, "No reply text was found above the quoted message")
	case errors.Is(err, model.ErrMailMalformed):
		return perm(550, smtp.EnhancedCode{5, 6, 0}, "The message could not be read")
	case errors.Is(err, model.ErrIdempotencyReuse):
		return perm(554, smtp.EnhancedCode{5, 6, 0}, "A different message with this Message-ID was already received")
	}
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return perm(550, smtp.EnhancedCode{5, 6, 0}, "The message could not be stored")
	}
	if !errors.Is(err, model.ErrIdempotencyBusy) {
		l.log.Warn("inbound smtp: temporary failure, the sender will retry", "err", err)
	}
	return perm(451, smtp.EnhancedCode{4, 3, 0}, "Temporary failure, please try again later")
}

// slogPrinter lets go-smtp log its connection errors through slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.l.Debug("inbound smtp", "msg", fmt.Sprintf(format, v...))
}

func (p slogPrinter) Println(v ...any) {
	p.l.Debug("inbound smtp", "msg", fmt.Sprint(v...))
}
