package store_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"holler/server/internal/anger"
	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// oldConversations writes n conversations of a German site as a Holler
// before anger scoring wrote them, each with a customer message (every
// other one angry), a staff reply and a calm customer follow-up. It
// returns the site's ID and the conversations' IDs.
func oldConversations(t *testing.T, opts store.Options, n int) (string, []string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.MigrateBefore(ctx, "anger_canned"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	site, visitor := store.NewID(), store.NewID()
	exec := func(q string, args ...any) {
		t.Helper()
		if err := st.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO sites (id, key, name, locale, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`, site, "key-"+site, "Laden", "de", t0, t0)
	exec(`INSERT INTO visitors (id, site_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`, visitor, site, t0, t0)
	var ids []string
	for i := range n {
		id := store.NewID()
		ids = append(ids, id)
		at := t0.Add(time.Duration(i) * time.Minute)
		first := "Hallo, wann kommt meine Bestellung?"
		if i%2 == 0 {
			first = "Frechheit!!" // angry only when read as German: the site's language
		}
		exec(`INSERT INTO conversations (id, site_id, visitor_id, ref, kind, status, created_at, updated_at, last_message_at)
			VALUES (?, ?, ?, ?, 'complaint', 'open', ?, ?, ?)`, id, site, visitor, fmt.Sprintf("R%04d", i), at, at, at)
		exec(`INSERT INTO messages (id, conversation_id, site_id, author_kind, body, internal, created_at) VALUES
			(?, ?, ?, 'visitor', ?, ?, ?), (?, ?, ?, 'staff', ?, ?, ?), (?, ?, ?, 'visitor', ?, ?, ?)`,
			store.NewID(), id, site, first, false, at,
			store.NewID(), id, site, "Wir kümmern uns darum.", false, at.Add(time.Second),
			store.NewID(), id, site, "Danke.", false, at.Add(2*time.Second))
	}
	return site, ids
}

// floor3 is a score as Holler stores it.
func floor3(text, lang string) float64 {
	return math.Floor(anger.Score(text, lang).Score*1000) / 1000
}

// wantBackfilled waits until every conversation's customer messages are
// scored in German (staff replies stay unscored) and the conversation holds
// the highest score.
func wantBackfilled(t *testing.T, s *testserver.Server, token string, ids []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		for {
			r := s.Do(t, "GET", "/api/v1/conversations/"+id, token, nil)
			var th struct {
				Conversation struct{ Anger float64 } `json:"conversation"`
				Messages     []struct {
					AuthorKind string   `json:"author_kind"`
					Body       string   `json:"body"`
					Anger      *float64 `json:"anger"`
				} `json:"messages"`
			}
			r.JSON(t, &th)
			done, highest := r.Status == http.StatusOK, 0.0
			for _, m := range th.Messages {
				switch {
				case m.AuthorKind == model.AuthorStaff && m.Anger != nil:
					t.Fatalf("a staff reply got a score: %+v", m)
				case m.AuthorKind == model.AuthorVisitor && m.Anger == nil:
					done = false
				case m.AuthorKind == model.AuthorVisitor:
					if *m.Anger != floor3(m.Body, "de") {
						t.Fatalf("%q scored %v, want %v", m.Body, *m.Anger, floor3(m.Body, "de"))
					}
					highest = max(highest, *m.Anger)
				}
			}
			// The thread reads the conversation before its messages: the
			// two agree once no backfill commits between the reads.
			if done && th.Conversation.Anger == highest {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("conversation %s not backfilled within 30 s (anger %v, highest message %v): %s", id, th.Conversation.Anger, highest, r.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestAngerBackfillAfterUpgrade: a database written before anger scoring
// upgrades, and the server then scores the old customer messages in the
// site's language, raises each conversation to its highest score and tells
// the dashboards with one staff-only update per conversation that rose; a
// restart finds nothing more to do.
func TestAngerBackfillAfterUpgrade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		opts := storetest.Options(t, d)
		site, ids := oldConversations(t, opts, 6)
		s := testserver.Start(t, testserver.Options{Store: &opts})
		admin := s.AdminToken(t)
		wantBackfilled(t, s, admin, ids)

		// The log from its start: one update per conversation that rose
		// (the angry half), then the change made now, and nothing between.
		if r := s.Do(t, "PATCH", "/api/v1/conversations/"+ids[1], admin, map[string]any{"tags": []string{"after"}}); r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		got := replay(t, s, admin, site, len(ids)/2+1)
		for i, f := range got[:len(got)-1] {
			if f.typ != model.EventConversationUpdated || f.anger < anger.Threshold {
				t.Fatalf("backfill event %d: %+v", i, f)
			}
		}
		if last := got[len(got)-1]; last.conv != ids[1] || last.anger != 0 {
			t.Fatalf("the event after the backfill: %+v", last)
		}
		s.Stop(t)

		s2 := testserver.Start(t, testserver.Options{Store: &opts})
		admin = s2.AdminToken(t)
		if r := s2.Do(t, "PATCH", "/api/v1/conversations/"+ids[3], admin, map[string]any{"tags": []string{"again"}}); r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		if again := replay(t, s2, admin, site, len(got)+1); again[len(again)-1].conv != ids[3] {
			t.Fatalf("a restart wrote more: %+v", again[len(got):])
		}
	})
}

// TestAngerBackfillTwoInstances: two instances on one PostgreSQL database
// share the backfill, and each conversation is done once.
func TestAngerBackfillTwoInstances(t *testing.T) {
	opts := storetest.Options(t, store.DialectPostgres)
	site, ids := oldConversations(t, opts, 300)
	a := testserver.Start(t, testserver.Options{Store: &opts})
	b := testserver.Start(t, testserver.Options{Store: &opts})
	wantBackfilled(t, b, b.AdminToken(t), ids)
	admin := a.AdminToken(t)
	if r := a.Do(t, "PATCH", "/api/v1/conversations/"+ids[1], admin, map[string]any{"tags": []string{"after"}}); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	got := replay(t, a, admin, site, len(ids)/2+1)
	seen := map[string]bool{}
	for _, f := range got[:len(got)-1] {
		if seen[f.conv] || f.anger < anger.Threshold {
			t.Fatalf("conversation %s updated twice or calm: %+v", f.conv, f)
		}
		seen[f.conv] = true
	}
	if last := got[len(got)-1]; last.conv != ids[1] {
		t.Fatalf("more backfill events than conversations that rose: %+v", last)
	}
}

type replayed struct {
	typ, conv string
	anger     float64
}

// replay reads the first n events of a site's log through a staff socket
// that starts at its beginning.
func replay(t *testing.T, s *testserver.Server, token, site string, n int) []replayed {
	t.Helper()
	c, _, err := s.DialSocket("/api/v1/ws", token, model.Cursor{site: 0}.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []replayed
	for range n {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var f struct {
			Type           string `json:"type"`
			ConversationID string `json:"conversation_id"`
			Data           struct {
				Conversation struct{ Anger float64 } `json:"conversation"`
			} `json:"data"`
		}
		if err := c.ReadJSON(&f); err != nil {
			t.Fatalf("frame %d of %d: %v", len(out), n, err)
		}
		out = append(out, replayed{f.Type, f.ConversationID, f.Data.Conversation.Anger})
	}
	return out
}
