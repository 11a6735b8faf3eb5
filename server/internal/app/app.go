// Package app wires Holler together: config, store, services, realtime hub
// and HTTP server; it also runs the CLI subcommands.
package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"holler/server/internal/auth"
	"holler/server/internal/config"
	"holler/server/internal/httpapi"
	"holler/server/internal/model"
	"holler/server/internal/realtime"
	"holler/server/internal/service"
	"holler/server/internal/store"
)

// Run is the whole program: `holler [serve|migrate up|migrate status|user create|healthcheck] [flags]`.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := config.Load(args, getenv, stderr)
		if err != nil {
			return err
		}
		return Serve(ctx, cfg, stdout, nil)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "user":
		return userCmd(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: holler [serve | migrate up|status | user create --email E --password P [--role admin|agent] [--name N] | healthcheck] [flags]")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate, user, healthcheck)", cmd)
}

// NewLogger logs text to a terminal and JSON anywhere else.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(requestIDHandler{h})
}

// requestIDHandler adds the request ID to every record logged with a
// request's context, whichever layer logs it.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := httpapi.RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// Started tells a caller (tests) where the server listens.
type Started struct {
	Addr     string
	FirstRun *service.FirstRun
}

// Serve runs the server until ctx ends, then stops gracefully: stop
// accepting, finish in-flight requests, close sockets with "going away".
func Serve(ctx context.Context, cfg config.Config, stdout io.Writer, started chan<- Started) error {
	logger := NewLogger(cfg, stdout)
	st, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: logger})
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, m := range applied {
		logger.Info("migration applied", "file", m)
	}
	key, err := st.EnsureSetting(ctx, "jwt_signing_key", auth.NewSigningKey)
	if err != nil {
		return err
	}
	rawKey, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return fmt.Errorf("stored signing key: %w", err)
	}
	signer, err := auth.NewSigner(rawKey)
	if err != nil {
		return err
	}

	metrics := httpapi.NewMetrics()
	svc := service.New(service.Options{Store: st, Signer: signer, Logger: logger, RateLimit: cfg.RateLimit})
	hub := realtime.NewHub(svc, logger, metrics)
	if err := hub.Start(ctx); err != nil {
		return fmt.Errorf("start hub: %w", err)
	}
	var bus realtime.Bus
	if st.Dialect() == store.DialectPostgres {
		bus = st
	}
	broker := realtime.NewBroker(hub, bus, store.NewID(), logger)
	svc.SetPublisher(countingPublisher{broker, metrics})
	svc.SetPresence(hub)

	first, err := svc.Bootstrap(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return err
	}

	e := httpapi.New(httpapi.Deps{
		Service: svc, Hub: hub, Metrics: metrics, Logger: logger,
		PublicURL: cfg.PublicURL, PublicOrigin: cfg.PublicOrigin(),
		TrustedProxies: cfg.TrustedProxies, RateLimit: cfg.RateLimit,
		DemoSiteKey: func(ctx context.Context) string {
			if first.DemoSite == nil {
				return ""
			}
			return first.DemoSite.Key
		},
	})
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}

	bgCtx, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBg()
	go broker.Run(bgCtx)
	go pruneLoop(bgCtx, st, logger)

	printWelcome(stdout, cfg, first)
	if started != nil {
		started <- Started{Addr: ln.Addr().String(), FirstRun: first}
	}
	logger.Info("holler listening", "addr", ln.Addr().String(), "store", st.Dialect())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	// Hijacked websocket connections are not tracked by Shutdown; the hub
	// closes them with 1001 "going away" so clients reconnect elsewhere.
	hub.Shutdown()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

type countingPublisher struct {
	b *realtime.Broker
	m *httpapi.Metrics
}

func (p countingPublisher) Publish(ctx context.Context, n model.Notice) {
	p.m.Published()
	p.b.Publish(ctx, n)
}

func pruneLoop(ctx context.Context, st *store.Store, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := st.PruneIdempotencyKeys(ctx, time.Now().UTC()); err != nil {
				logger.Warn("prune idempotency keys", "err", err)
			} else if n > 0 {
				logger.Info("pruned idempotency keys", "count", n)
			}
		}
	}
}

func printWelcome(w io.Writer, cfg config.Config, first *service.FirstRun) {
	base := strings.TrimRight(cfg.PublicURL, "/")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "  Holler is running.")
	fmt.Fprintf(w, "  Dashboard:  %s/\n", base)
	if first.AdminPassword != "" {
		fmt.Fprintf(w, "  Login:      %s / %s\n", first.AdminEmail, first.AdminPassword)
		if cfg.AdminPassword == "" {
			fmt.Fprintln(w, "              (a random password, shown only this once)")
		}
	} else {
		fmt.Fprintf(w, "  Login:      %s (password set on first start)\n", first.AdminEmail)
	}
	fmt.Fprintf(w, "  Demo page:  %s/demo\n", base)
	if first.DemoSite != nil {
		fmt.Fprintf(w, "  Snippet:    <script src=\"%s/widget.js\" data-site=\"%s\" async></script>\n", base, first.DemoSite.Key)
	}
	fmt.Fprintln(w, "")
}
