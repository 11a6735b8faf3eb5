package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

// idemKey is a client's Idempotency-Key and the fingerprint of the request
// it came with. site is set even without a key: it names the site whose
// writes commit together.
type idemKey struct {
	site, key, hash string
}

// checkIdemKey holds an Idempotency-Key to the text rules and a length cap.
func checkIdemKey(v *model.Validator, key string) {
	checkLine(v, "idempotency_key", key)
	if len(key) > 200 {
		v.Add("idempotency_key", "is too long (at most 200 characters)")
	}
}

// newIdemKey fingerprints a request from its parts (route, caller, body).
func newIdemKey(siteID, key string, parts ...any) idemKey {
	if key == "" {
		return idemKey{site: siteID}
	}
	raw, _ := json.Marshal(parts)
	sum := sha256.Sum256(raw)
	return idemKey{site: siteID, key: key, hash: hex.EncodeToString(sum[:])}
}

// idempotent runs work in a transaction shared with other writes to k.site
// (see committer) and publishes its events after commit. With a key,
// work's answer is stored under the key in that same transaction, so the
// key exists exactly when the work was committed: a repeat of the request
// returns the stored answer and does nothing, the key with another request
// is ErrIdempotencyReuse, and a repeat racing the original waits for it
// (PostgreSQL blocks on the key's unique index; in the same batch the
// repeat's insert of the key fails at once) and then returns its answer. A
// key past its lifetime still answers until the pruner deletes its row:
// only then is the key new again (a lookup that skipped expired rows would
// answer 409 while the row blocks the insert, and a duplicate once it is
// gone).
func idempotent[T any](ctx context.Context, s *Service, k idemKey, status int, work func(ctx context.Context, tx *store.Store) (*T, []model.Event, error)) (*T, error) {
	if k.key != "" {
		if prior, err := storedAnswer[T](ctx, s, k); prior != nil || err != nil {
			return prior, err
		}
	}
	var out *T
	var events []model.Event
	err := s.commits.do(ctx, k.site, func(ctx context.Context, tx *store.Store) error {
		o, evs, err := work(ctx, tx)
		if err != nil {
			return err
		}
		if k.key != "" {
			raw, err := json.Marshal(o)
			if err != nil {
				return fmt.Errorf("encode idempotent answer: %w", err)
			}
			now := s.now()
			err = tx.InsertIdempotencyKey(ctx, &model.IdempotencyKey{SiteID: k.site, Key: k.key, RequestHash: k.hash,
				StatusCode: status, Response: string(raw), CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL)})
			if err != nil {
				return err
			}
		}
		out, events = o, evs
		return nil
	})
	if errors.Is(err, model.ErrConflict) && k.key != "" {
		if prior, perr := storedAnswer[T](ctx, s, k); prior != nil || perr != nil {
			return prior, perr
		}
		return nil, model.ErrIdempotencyBusy
	}
	if err != nil {
		return nil, err
	}
	s.publish(ctx, events)
	return out, nil
}

// storedAnswer returns the answer stored under a key, nil when the key is
// unknown, or ErrIdempotencyReuse when it came with another request.
func storedAnswer[T any](ctx context.Context, s *Service, k idemKey) (*T, error) {
	row, err := s.store.IdempotencyKeyByKey(ctx, k.site, k.key)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if row.RequestHash != k.hash {
		return nil, model.ErrIdempotencyReuse
	}
	var out T
	if err := json.Unmarshal([]byte(row.Response), &out); err != nil {
		return nil, fmt.Errorf("stored idempotent answer: %w", err)
	}
	return &out, nil
}
