// Package app wires Holler together: config, store, services, realtime hub
// and HTTP server; it also runs the CLI subcommands.
package app

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"holler/server/internal/auth"
	"holler/server/internal/buildinfo"
	"holler/server/internal/config"
	"holler/server/internal/httpapi"
	"holler/server/internal/mail"
	"holler/server/internal/model"
	"holler/server/internal/realtime"
	"holler/server/internal/service"
	"holler/server/internal/store"
)

// Run is the whole program: `holler [command] [flags]` (see usage).
// stdin is read only by `user set-password`.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		// -h on any command: the flag package printed that command's
		// flags; asking for help is not a failure.
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || isHelp(args[0]) || args[0] == "--version") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := config.Load(args, getenv, stderr)
		if err != nil {
			return err
		}
		return Serve(ctx, cfg, stdout, stderr, nil)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "user":
		return userCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "bench":
		return benchCmd(ctx, args, getenv, stdout, stderr)
	case "version", "--version":
		printVersion(stdout)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (try: holler help)", cmd)
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

const usage = `Holler: a help and complaints button for any website.

Usage:
  holler [serve] [flags]         run the server (the default; holler serve -h lists its flags)
  holler migrate up|status       apply or list the database migrations
  holler user create --email E --password P [--role admin|agent] [--name N]
  holler user set-password --email E
                                 set a password read from stdin (one line); ends the user's sessions
  holler healthcheck             exit 0 when the server on HOLLER_ADDR answers /healthz
  holler bench [--store sqlite|postgres] [--quick] [--json] [--only F,...] [--nats-url URL]
                                 start a server of its own and measure it (see README "Performance")
  holler version                 print the build's version
  holler help                    this text

Configuration comes from HOLLER_* environment variables (see README.md);
migrate and user read HOLLER_DATABASE_URL / HOLLER_DATA_DIR or --database-url / --data-dir.
`

func printVersion(w io.Writer) {
	b := buildinfo.Get()
	rev := b.Revision
	if rev == "" {
		rev = "unknown"
	}
	if b.Modified {
		rev += " (modified)"
	}
	fmt.Fprintf(w, "holler %s\nrevision %s\n%s\n", b.Version, rev, b.GoVersion)
}

// NewLogger logs text to a terminal and JSON anywhere else.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
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
	// SMTPAddr is where the inbound SMTP listener listens ("" when off).
	SMTPAddr string
	// Signer lets tests mint what the server's mail would carry
	// (conversation tokens of reply addresses).
	Signer *auth.Signer
}

// Serve runs the server until ctx ends, then stops gracefully: stop
// accepting, finish in-flight requests, close sockets with "going away".
// Logs go to stdout; the first-run banner goes to stderr, so it never lands
// in a JSON log stream.
func Serve(ctx context.Context, cfg config.Config, stdout, stderr io.Writer, started chan<- Started) error {
	logger := NewLogger(cfg, stdout)
	raiseFileLimit(logger)
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
	if err := st.RegisterPoolMetrics(metrics.Registry); err != nil {
		return err
	}
	svc := service.New(service.Options{Store: st, Signer: signer, Logger: logger, RateLimit: cfg.RateLimit,
		Mail:         service.MailConfig{From: cfg.MailFrom, PublicURL: cfg.PublicURL, Configured: cfg.SMTPURL != ""},
		MailMetrics:  metrics,
		PublicOrigin: cfg.PublicOrigin(),
		Now:          cfg.Clock})
	var sender service.MailSender
	if cfg.SMTPURL != "" {
		smtpCfg, err := mail.ParseURL(cfg.SMTPURL)
		if err != nil {
			return fmt.Errorf("HOLLER_SMTP_URL: %w", err)
		}
		sender = mail.NewSender(smtpCfg)
		logger.Info("mail enabled", "smtp", smtpCfg.Redacted(), "from", cfg.MailFrom)
	} else {
		logger.Info("mail not configured: mails stay queued until HOLLER_SMTP_URL is set")
	}
	hub := realtime.NewHub(svc, logger, metrics)
	if err := hub.Start(ctx); err != nil {
		return fmt.Errorf("start hub: %w", err)
	}
	instanceID := store.NewID()
	transport, err := newTransport(ctx, cfg, st, instanceID, metrics.Registry, logger)
	if err != nil {
		return err
	}
	defer transport.Close()
	broker := realtime.NewBroker(hub, transport, instanceID, logger)
	svc.SetPublisher(countingPublisher{broker, metrics})
	registerCommitMetrics(metrics.Registry, svc)
	svc.SetPresence(hub)

	first, err := svc.Bootstrap(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return err
	}

	e := httpapi.New(httpapi.Deps{
		Service: svc, Hub: hub, Metrics: metrics, Logger: logger,
		PublicURL: cfg.PublicURL, PublicOrigin: cfg.PublicOrigin(),
		TrustedProxies: cfg.TrustedProxies, RateLimit: cfg.RateLimit,
		SeparateMetrics: cfg.MetricsAddr != "",
		InboundSecret:   cfg.InboundSecret,
		DemoSiteKey: func(ctx context.Context) string {
			if first.DemoSite == nil {
				return ""
			}
			return first.DemoSite.Key
		},
	})
	// The public server first, the metrics one (if any) after it: shutdown
	// runs in this order, so the last scrapes still see the drain.
	servers := []*listening{{name: "holler", addr: cfg.Addr, srv: httpServer(e, logger)}}
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		servers = append(servers, &listening{name: "metrics", addr: cfg.MetricsAddr, srv: httpServer(mux, logger)})
	}
	for i, s := range servers {
		if s.ln, err = net.Listen("tcp", s.addr); err != nil {
			for _, opened := range servers[:i] {
				opened.ln.Close()
			}
			return fmt.Errorf("listen %s: %w", s.addr, err)
		}
	}

	bgCtx, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBg()
	brokerDone := make(chan struct{})
	go func() { defer close(brokerDone); broker.Run(bgCtx) }()
	go pruneLoop(bgCtx, st, svc, logger)
	go checkpointLoop(bgCtx, st, logger)
	go angerBackfill(bgCtx, svc, logger)
	go sequencerLoop(bgCtx, svc, metrics.Registry, logger)
	mailDone := make(chan struct{})
	go func() { defer close(mailDone); mailLoop(bgCtx, svc, sender, logger) }()
	assignDone := make(chan struct{})
	go func() { defer close(assignDone); assignLoop(bgCtx, svc, newAssignMetrics(metrics.Registry), logger) }()
	slaDone := make(chan struct{})
	go func() { defer close(slaDone); slaLoop(bgCtx, svc, logger) }()
	mailIn, err := startSMTPListener(bgCtx, cfg, svc, logger)
	if err != nil {
		for _, s := range servers {
			s.ln.Close()
		}
		return err
	}

	printWelcome(stderr, cfg, first)
	if started != nil {
		started <- Started{Addr: servers[0].ln.Addr().String(), FirstRun: first, SMTPAddr: mailIn.addr(), Signer: signer}
	}
	errc := make(chan error, len(servers)+1)
	for _, s := range servers {
		logger.Info(s.name+" listening", "addr", s.ln.Addr().String(), "store", st.Dialect())
		go func() { errc <- s.srv.Serve(s.ln) }()
	}
	mailIn.serve(errc)
	var failed error
	select {
	case failed = <-errc:
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	// Hijacked websocket connections are not tracked by Shutdown; the hub
	// closes them with 1001 "going away" so clients reconnect elsewhere.
	hub.Shutdown()
	// The SMTP listener drains alongside the HTTP servers, within the same
	// grace period.
	smtpDone := make(chan error, 1)
	go func() { smtpDone <- mailIn.shutdown(sctx) }()
	errs := []error{failed}
	for _, s := range servers {
		if err := s.srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			errs = append(errs, fmt.Errorf("shutdown %s: %w", s.name, err))
		}
	}
	errs = append(errs, <-smtpDone)
	// The mail worker stops last: a send in progress is cut short and its
	// outcome recorded before the store closes (at worst that one mail goes
	// again, same Message-ID).
	stopBg()
	<-brokerDone // its last flush, before the transport closes
	<-mailDone
	<-assignDone
	<-slaDone
	return errors.Join(errs...)
}

// listening is one HTTP server and its listener.
type listening struct {
	name, addr string
	srv        *http.Server
	ln         net.Listener
}

func httpServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

type countingPublisher struct {
	b *realtime.Broker
	m *httpapi.Metrics
}

func (p countingPublisher) Publish(ctx context.Context, n model.Notice) {
	p.m.Published()
	p.b.Publish(ctx, n)
}

func pruneLoop(ctx context.Context, st *store.Store, svc *service.Service, logger *slog.Logger) {
	every(ctx, time.Hour, func() {
		if n, err := st.PruneIdempotencyKeys(ctx, time.Now().UTC()); err != nil {
			logger.Warn("prune idempotency keys", "err", err)
		} else if n > 0 {
			logger.Info("pruned idempotency keys", "count", n)
		}
		if n, err := svc.PruneMail(ctx); err != nil {
			logger.Warn("prune mail outbox", "err", err)
		} else if n > 0 {
			logger.Info("pruned mail outbox", "count", n)
		}
	})
}

// checkpointEvery is how often SQLite's write-ahead log is copied into the
// database file; at the submissions bench's write rate the log gains a few
// megabytes in this time.
const checkpointEvery = 200 * time.Millisecond

// checkpointLoop keeps SQLite's write-ahead log short off the commit path
// (see store.Checkpoint); nothing to do on PostgreSQL.
func checkpointLoop(ctx context.Context, st *store.Store, logger *slog.Logger) {
	if st.Dialect() != store.DialectSQLite {
		return
	}
	every(ctx, checkpointEvery, func() {
		if _, _, err := st.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("sqlite checkpoint", "err", err)
		}
	})
}

// mailPoll is how often the outbox is looked at: it bounds how late a due
// mail leaves (a reply delay of 0 means within about a second).
const mailPoll = time.Second

// mailLoop sends due outbox rows until ctx ends. Without a sender (no
// HOLLER_SMTP_URL) it only keeps the queued gauge current: mail waits.
func mailLoop(ctx context.Context, svc *service.Service, sender service.MailSender, logger *slog.Logger) {
	t := time.NewTicker(mailPoll)
	defer t.Stop()
	lastGauge := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if sender != nil {
			if _, err := svc.DeliverMail(ctx, sender); err != nil && ctx.Err() == nil {
				logger.Warn("mail delivery", "err", err)
			}
		}
		if time.Since(lastGauge) >= 15*time.Second {
			lastGauge = time.Now()
			if err := svc.RefreshMailGauge(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("mail queue gauge", "err", err)
			}
		}
	}
}

// printWelcome is the first-run banner. A password the operator chose
// (HOLLER_ADMIN_PASSWORD) is never printed: terminals are recorded and
// container output is collected. A random one is shown, once: nobody else
// knows it.
func printWelcome(w io.Writer, cfg config.Config, first *service.FirstRun) {
	base := strings.TrimRight(cfg.PublicURL, "/")
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "  Holler is running.")
	fmt.Fprintf(w, "  Dashboard:  %s/\n", base)
	switch {
	case first.AdminPassword == "":
		fmt.Fprintf(w, "  Login:      %s (password set on first start)\n", first.AdminEmail)
	case cfg.AdminPassword != "":
		fmt.Fprintf(w, "  Login:      %s (password from HOLLER_ADMIN_PASSWORD)\n", first.AdminEmail)
	default:
		fmt.Fprintf(w, "  Login:      %s / %s\n", first.AdminEmail, first.AdminPassword)
		fmt.Fprintln(w, "              (a random password, shown only this once)")
	}
	fmt.Fprintf(w, "  Demo page:  %s/demo\n", base)
	if first.DemoSite != nil {
		fmt.Fprintf(w, "  Snippet:    <script src=\"%s/widget.js\" data-site=\"%s\" async></script>\n", base, first.DemoSite.Key)
	}
	fmt.Fprintln(w, "")
}
