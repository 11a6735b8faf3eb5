package realtime

import (
	"context"
	"fmt"
)

// Channel is the PostgreSQL NOTIFY channel instances share. Notifications
// never leave their database, so instances on other databases of the same
// server do not hear them.
const Channel = "holler_events"

// maxNotifyPayload keeps a payload under PostgreSQL's 8000-byte limit.
const maxNotifyPayload = 7900

// PGNotifier sends notifications on one dedicated connection (the store's
// Notifier), never on a pooled one inside a transaction.
type PGNotifier interface {
	Notify(ctx context.Context, channel string, payloads ...string) error
	Close() error
}

// PGListener holds a LISTEN connection (the store).
type PGListener interface {
	Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) error
}

// Postgres is the LISTEN/NOTIFY transport, the default on PostgreSQL.
type Postgres struct {
	notifier PGNotifier
	listener PGListener
	onBad    func(error)
}

// NewPostgres builds the LISTEN/NOTIFY transport; onBad hears payloads that
// do not decode (nil: ignored).
func NewPostgres(n PGNotifier, l PGListener, onBad func(error)) *Postgres {
	if onBad == nil {
		onBad = func(error) {}
	}
	return &Postgres{notifier: n, listener: l, onBad: onBad}
}

// Name implements Transport.
func (*Postgres) Name() string { return "postgres" }

// Send implements Transport: the whole batch goes in one statement, split
// into as many notifications as the payload limit needs.
func (p *Postgres) Send(ctx context.Context, b Batch) error {
	payloads, dropped := encodeBatch(b, maxNotifyPayload)
	texts := make([]string, len(payloads))
	for i, raw := range payloads {
		texts[i] = string(raw)
	}
	if len(texts) > 0 {
		if err := p.notifier.Notify(ctx, Channel, texts...); err != nil {
			return err
		}
	}
	if dropped > 0 {
		return fmt.Errorf("%d notices over the %d-byte notification limit were left out", dropped, maxNotifyPayload)
	}
	return nil
}

// Listen implements Transport.
func (p *Postgres) Listen(ctx context.Context, ready func(), fn func(Batch)) error {
	return p.listener.Listen(ctx, Channel, ready, func(payload string) {
		b, err := decodeBatch([]byte(payload))
		if err != nil {
			p.onBad(err)
			return
		}
		fn(b)
	})
}

// Close implements Transport.
func (p *Postgres) Close() error { return p.notifier.Close() }
