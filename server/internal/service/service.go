// Package service holds Holler's rules: validation, authorisation and
// transactions. It publishes notices to the realtime layer only after the
// transaction that wrote them has committed.
package service

import (
	"context"
	"log/slog"
	"net/mail"
	"time"

	"holler/server/internal/auth"
	"holler/server/internal/limiter"
	holmail "holler/server/internal/mail"
	"holler/server/internal/model"
	"holler/server/internal/store"
)

// Publisher hands notices to the realtime layer (in-process or through
// PostgreSQL NOTIFY). Publish must not block for long.
type Publisher interface {
	Publish(ctx context.Context, n model.Notice)
}

// Presence reports whether a staff user has a dashboard open (on any
// instance).
type Presence interface {
	UserOnline(userID string) bool
}

// Service is the one entry point the HTTP layer talks to.
type Service struct {
	store    *store.Store
	signer   *auth.Signer
	pub      Publisher
	presence Presence
	log      *slog.Logger
	now      func() time.Time
	mailCfg  MailConfig
	mailFrom *mail.Address // nil without HOLLER_MAIL_FROM
	// mailDomain is HOLLER_MAIL_FROM's domain: Message-IDs and customers'
	// reply+TOKEN@ addresses live there.
	mailDomain  string
	mailMetrics MailMetrics
	// publicOrigin is Holler's own origin, where the customer's
	// conversation page lives (see Visitor).
	publicOrigin string

	typical typicalCache // typical_reply_minutes per site, briefly
	commits *committer   // group commit of widget submissions and replies

	loginPerIP      *limiter.Keyed
	loginPerAccount *limiter.Keyed
}

// Options configure a Service.
type Options struct {
	Store     *store.Store
	Signer    *auth.Signer
	Publisher Publisher
	Presence  Presence
	Logger    *slog.Logger
	RateLimit bool
	Mail      MailConfig
	// MailMetrics, if set, counts the outbox.
	MailMetrics MailMetrics
	// PublicOrigin is the scheme://host[:port] of HOLLER_PUBLIC_URL.
	PublicOrigin string

	// Now, when set, is the service's clock (tests move it to reach SLA
	// due times); nil is the system clock.
	Now func() time.Time
}

// New builds a Service.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Service{
		store:        o.Store,
		signer:       o.Signer,
		pub:          o.Publisher,
		presence:     o.Presence,
		log:          o.Logger,
		publicOrigin: o.PublicOrigin,
		now:          func() time.Time { return time.Now().UTC() },

		// Ten tries at once, then one a minute per account; thirty and then
		// one every ten seconds per IP (offices share an IP).
		loginPerAccount: limiter.New(time.Minute, 10, o.RateLimit),
		loginPerIP:      limiter.New(10*time.Second, 30, o.RateLimit),
	}
	s.commits = newCommitter(o.Store, commitsInFlight(o.Store))
	s.mailCfg, s.mailMetrics = o.Mail, o.MailMetrics
	if o.Now != nil {
		s.now = func() time.Time { return o.Now().UTC() }
	}
	if o.Mail.From != "" {
		// config.Validate has checked it; a bad one leaves mail queued.
		if from, domain, err := holmail.ParseFrom(o.Mail.From); err == nil {
			s.mailFrom, s.mailDomain = from, domain
		}
	}
	return s
}

// SetPublisher wires the realtime broker (built after the service, since
// the hub reads the log through it). On PostgreSQL the store's sequencer
// announces through it each position it numbered up to.
func (s *Service) SetPublisher(p Publisher) {
	s.pub = p
	s.store.SetNumbered(func(siteID string, seq int64) {
		p.Publish(context.Background(), model.Notice{SiteID: siteID, Seq: seq})
	})
}

// SetPresence wires presence after construction (the hub needs the service
// first, the service then asks the hub).
func (s *Service) SetPresence(p Presence) { s.presence = p }

func (s *Service) publish(ctx context.Context, events []model.Event) {
	if s.pub == nil {
		return
	}
	for _, e := range events {
		// Seq 0: numbered after commit (PostgreSQL), and announced by the
		// store's sequencer when it is.
		if e.Seq > 0 {
			s.pub.Publish(ctx, model.Notice{SiteID: e.SiteID, Seq: e.Seq})
		}
	}
}

// Ready reports whether the store answers.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }
