package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"holler/server/internal/config"
	"holler/server/internal/inbound"
	"holler/server/internal/service"
)

// smtpListener is the inbound SMTP listener of HOLLER_SMTP_LISTEN; its
// methods do nothing when it is off (nil).
type smtpListener struct {
	l  *inbound.Listener
	ln net.Listener
}

// startSMTPListener opens HOLLER_SMTP_LISTEN, or returns nil when unset.
func startSMTPListener(ctx context.Context, cfg config.Config, svc *service.Service, logger *slog.Logger) (*smtpListener, error) {
	if cfg.SMTPListen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.SMTPListen)
	if err != nil {
		return nil, fmt.Errorf("listen smtp %s: %w", cfg.SMTPListen, err)
	}
	logger.Info("smtp listening", "addr", ln.Addr().String(), "domain", cfg.ReplyDomain())
	return &smtpListener{l: inbound.NewListener(ctx, cfg.ReplyDomain(), svc, logger), ln: ln}, nil
}

func (s *smtpListener) addr() string {
	if s == nil {
		return ""
	}
	return s.ln.Addr().String()
}

func (s *smtpListener) serve(errc chan<- error) {
	if s == nil {
		return
	}
	go func() {
		if err := s.l.Serve(s.ln); err != nil {
			errc <- fmt.Errorf("smtp listener: %w", err)
		}
	}()
}

func (s *smtpListener) shutdown(ctx context.Context) error {
	if s == nil {
		return nil
	}
	return s.l.Shutdown(ctx)
}
