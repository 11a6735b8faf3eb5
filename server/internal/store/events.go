package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"holler/server/internal/model"
)

// AppendEvent adds an event to its site's log inside the caller's
// transaction.
//
// On PostgreSQL the event is queued unnumbered (e.Seq stays 0) and numbered
// after commit by the sequencer (see sequencer.go), which announces the
// site's new position; InTx returns once that is done. The writer never
// touches the site row, so one site's transactions commit side by side.
//
// SQLite has one writer at a time anyway: there the seq comes from
// sites.event_seq, advanced in the same transaction, so events commit in
// seq order with no gaps and e.Seq is set on return.
func (s *Store) AppendEvent(ctx context.Context, e *model.Event, data, public any) error {
	if s.root == nil {
		return fmt.Errorf("append event: must run inside a transaction")
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("append event: encode: %w", err)
	}
	if !e.Internal {
		pub, err := json.Marshal(public)
		if err != nil {
			return fmt.Errorf("append event: encode: %w", err)
		}
		e.PublicData = string(pub)
	}
	e.Data = string(raw)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now().UTC()
	}
	if s.dialect == DialectPostgres {
		err := s.q(ctx).Exec(`INSERT INTO pending_events (site_id, type, conversation_id, visitor_id, internal, data, public_data, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.SiteID, e.Type, e.ConversationID, e.VisitorID, e.Internal, e.Data, e.PublicData, e.CreatedAt).Error
		if err != nil {
			return fmt.Errorf("append event: %w", translate(err))
		}
		if s.pending == nil {
			s.pending = map[string]struct{}{}
		}
		s.pending[e.SiteID] = struct{}{}
		return nil
	}
	var seq int64
	row := s.q(ctx).Raw("UPDATE sites SET event_seq = event_seq + 1 WHERE id = ? RETURNING event_seq", e.SiteID).Row()
	if err := row.Scan(&seq); err != nil {
		return fmt.Errorf("append event: advance seq: %w", translate(err))
	}
	e.Seq = seq
	if err := s.q(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("append event: %w", translate(err))
	}
	return nil
}

// EventFilter narrows a replay to what one socket may see.
type EventFilter struct {
	SiteID    string
	AfterSeq  int64
	VisitorID string // non-empty: only this visitor's events, never internal ones
	Limit     int
}

// Events returns a site's events after f.AfterSeq in seq order. It is the
// replay every reconnecting socket asks for, so it runs without GORM (see
// scan.go).
func (s *Store) Events(ctx context.Context, f EventFilter) ([]model.Event, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	q := s.newSQL("SELECT " + eventColumns + " FROM events WHERE ")
	q.add("site_id = ? AND seq > ?", f.SiteID, f.AfterSeq)
	if f.VisitorID != "" {
		q.add(" AND visitor_id = ? AND internal = ?", f.VisitorID, false)
	}
	q.add(" ORDER BY seq LIMIT ?", f.Limit)
	// A replay is most often a few events; start small.
	events, err := readRows(ctx, s, q, min(f.Limit, 64), eventReader)
	if err != nil {
		return nil, fmt.Errorf("events: %w", translate(err))
	}
	return events, nil
}

// PruneIdempotencyKeys deletes keys past their expiry.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	res := s.q(ctx).Where("expires_at < ?", now).Delete(&model.IdempotencyKey{})
	return res.RowsAffected, translate(res.Error)
}

// InsertIdempotencyKey stores a key with its response inside the
// transaction that created what the response describes, so a key exists
// exactly when its work was committed. A concurrent insert of the same key
// waits for this transaction and then fails with model.ErrConflict.
func (s *Store) InsertIdempotencyKey(ctx context.Context, k *model.IdempotencyKey) error {
	if err := s.q(ctx).Create(k).Error; err != nil {
		return fmt.Errorf("idempotency key: %w", translate(err))
	}
	return nil
}

// IdempotencyKeyByKey loads a stored key, expired or not: a key answers
// until it is pruned, since its row still blocks a new insert of the key.
func (s *Store) IdempotencyKeyByKey(ctx context.Context, siteID, key string) (*model.IdempotencyKey, error) {
	var k model.IdempotencyKey
	err := s.q(ctx).Where("site_id = ? AND key = ?", siteID, key).Take(&k).Error
	if err != nil {
		return nil, fmt.Errorf("idempotency key: %w", translate(err))
	}
	return &k, nil
}
