package store_test

import (
	"context"
	"testing"
	"time"

	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// TestMailOutboxClaims: a due row is claimed once; a claim that outlives
// its lease (the instance died) is claimed again, and then the first
// claimant's outcome no longer counts; rows of one group gather items only
// while they wait and were never tried; queued rows are never pruned.
// Both stores.
func TestMailOutboxClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		st := storetest.Open(t, dialect)
		t0 := time.Date(2026, 12, 24, 23, 0, 0, 0, time.UTC)
		enqueue := func(m *model.OutboxMail, now time.Time) {
			t.Helper()
			if err := st.InTx(ctx, func(tx *store.Store) error { return tx.EnqueueMail(ctx, m, now) }); err != nil {
				t.Fatal(err)
			}
		}
		a := &model.OutboxMail{Kind: "customer_reply", Recipient: "a@x.example", GroupKey: "reply:1", Items: []string{"m1"}, SendAfter: t0.Add(time.Minute)}
		enqueue(a, t0)
		b := &model.OutboxMail{Kind: "customer_reply", Recipient: "a@x.example", GroupKey: "reply:1", Items: []string{"m2"}, SendAfter: t0.Add(2 * time.Minute)}
		enqueue(b, t0.Add(30*time.Second))
		if b.ID != a.ID || len(b.Items) != 2 || !b.SendAfter.Equal(a.SendAfter) {
			t.Fatalf("a second reply inside the delay did not join the first: %+v", b)
		}
		if got, _ := st.ClaimMail(ctx, t0.Add(59*time.Second), time.Minute, 10); len(got) != 0 {
			t.Fatalf("claimed a row before it was due: %+v", got)
		}
		first, err := st.ClaimMail(ctx, t0.Add(time.Minute), time.Minute, 10)
		if err != nil || len(first) != 1 || len(first[0].Items) != 2 {
			t.Fatalf("claim: %+v %v", first, err)
		}
		// Claimed: a later item starts a new row rather than join one in flight.
		c := &model.OutboxMail{Kind: "customer_reply", Recipient: "a@x.example", GroupKey: "reply:1", Items: []string{"m3"}, SendAfter: t0.Add(3 * time.Minute)}
		enqueue(c, t0.Add(61*time.Second))
		if c.ID == a.ID {
			t.Fatal("an item joined a row that is being sent")
		}
		if got, _ := st.ClaimMail(ctx, t0.Add(90*time.Second), time.Minute, 10); len(got) != 0 {
			t.Fatalf("a claimed row was claimed twice: %+v", got)
		}
		// The lease runs out: another instance takes the row over.
		second, err := st.ClaimMail(ctx, t0.Add(2*time.Minute+time.Second), time.Minute, 10)
		if err != nil || len(second) != 1 || second[0].ID != a.ID || second[0].ClaimID == first[0].ClaimID {
			t.Fatalf("reclaim after the lease: %+v %v", second, err)
		}
		first[0].Status = model.MailSent
		if ok, err := st.FinishMail(ctx, &first[0]); err != nil || ok {
			t.Fatalf("a lost claim recorded its outcome (ok %v, err %v)", ok, err)
		}
		now := t0.Add(2 * time.Minute)
		second[0].Status, second[0].SentAt, second[0].Attempts = model.MailSent, &now, 1
		if ok, err := st.FinishMail(ctx, &second[0]); err != nil || !ok {
			t.Fatalf("finish: ok %v, err %v", ok, err)
		}
		counts, err := st.MailCounts(ctx)
		if err != nil || counts[model.MailSent] != 1 || counts[model.MailQueued] != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
		n, err := st.PruneMail(ctx, t0.Add(24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d (%v), want the sent row only", n, err)
		}
		if counts, _ := st.MailCounts(ctx); counts[model.MailQueued] != 1 {
			t.Fatalf("a queued row was pruned: %v", counts)
		}
	})
}
