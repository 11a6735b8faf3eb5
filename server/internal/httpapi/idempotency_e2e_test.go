package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestIdempotentCreateAfterTokenChange: a retry whose first answer was lost
// gets that answer even when it carries another visitor token than the
// original (or one where the original had none): the fingerprint is the
// body, not the caller. Before, such a retry was a 422 and the widget lost
// the question.
func TestIdempotentCreateAfterTokenChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		path := createPath(s.DemoKey)
		body := map[string]string{"kind": "question", "message": "Do you ship to Norway?"}

		first := s.Do(t, "POST", path, "", body, "Idempotency-Key", "lost-answer")
		if first.Status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.Status, first.Body)
		}
		var a created
		first.JSON(t, &a)
		// Meanwhile another tab of the same browser got a token of its own.
		var other created
		s.Do(t, "POST", path, "", map[string]string{"kind": "praise", "message": "Lovely shop"}).JSON(t, &other)

		for _, token := range []string{other.VisitorToken, a.VisitorToken, ""} {
			r := s.Do(t, "POST", path, token, body, "Idempotency-Key", "lost-answer")
			var b created
			if r.Status == http.StatusCreated {
				r.JSON(t, &b)
			}
			if r.Status != http.StatusCreated || b.Conversation.ID != a.Conversation.ID || b.VisitorToken != a.VisitorToken {
				t.Fatalf("retry with token %.12q...: %d %s, want the first answer", token, r.Status, r.Body)
			}
		}
		if n := conversationCount(t, s, admin); n != 2 {
			t.Fatalf("%d conversations, want 2", n)
		}
		// The key still guards against another body.
		r := s.Do(t, "POST", path, other.VisitorToken, map[string]string{"kind": "question", "message": "Something else"}, "Idempotency-Key", "lost-answer")
		wantError(t, r, http.StatusUnprocessableEntity, "idempotency_key_reused")
	})
}

// TestIdempotencyKeyPastLifetime: a key whose lifetime ended but whose row
// was not pruned yet still answers with its stored response; only once the
// pruner deleted it does the key start anew. Before, such a retry answered
// 409 (the lookup skipped the row, the insert hit it) and, after pruning,
// a duplicate.
func TestIdempotencyKeyPastLifetime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		path := createPath(s.DemoKey)
		body := map[string]string{"kind": "complaint", "message": "The lamp arrived broken"}
		first := s.Do(t, "POST", path, "", body, "Idempotency-Key", "old-key")
		if first.Status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.Status, first.Body)
		}
		var a created
		first.JSON(t, &a)

		// Age the key past its lifetime through the store, as time would.
		ctx := context.Background()
		st, err := store.Open(ctx, store.Options{DataDir: s.Config.DataDir, DatabaseURL: s.Config.DatabaseURL})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		row, err := st.IdempotencyKeyByKey(ctx, s.DemoSite, "old-key")
		if err != nil {
			t.Fatal(err)
		}
		if n, err := st.PruneIdempotencyKeys(ctx, row.ExpiresAt.Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("clear the key: %d %v", n, err)
		}
		now := time.Now().UTC()
		row.CreatedAt, row.ExpiresAt = now.Add(-72*time.Hour), now.Add(-time.Hour)
		if err := st.InsertIdempotencyKey(ctx, row); err != nil {
			t.Fatal(err)
		}

		retry := s.Do(t, "POST", path, "", body, "Idempotency-Key", "old-key")
		var b created
		if retry.Status == http.StatusCreated {
			retry.JSON(t, &b)
		}
		if retry.Status != http.StatusCreated || b.Conversation.ID != a.Conversation.ID {
			t.Fatalf("retry of an expired, unpruned key: %d %s, want the stored answer", retry.Status, retry.Body)
		}
		if n := conversationCount(t, s, admin); n != 1 {
			t.Fatalf("%d conversations before pruning, want 1", n)
		}

		if n, err := st.PruneIdempotencyKeys(ctx, time.Now().UTC()); err != nil || n != 1 {
			t.Fatalf("prune: %d %v", n, err)
		}
		fresh := s.Do(t, "POST", path, "", body, "Idempotency-Key", "old-key")
		var c created
		if fresh.Status == http.StatusCreated {
			fresh.JSON(t, &c)
		}
		if fresh.Status != http.StatusCreated || c.Conversation.ID == a.Conversation.ID {
			t.Fatalf("after pruning: %d %s, want a new conversation", fresh.Status, fresh.Body)
		}
		if n := conversationCount(t, s, admin); n != 2 {
			t.Fatalf("%d conversations after pruning, want 2", n)
		}
	})
}
