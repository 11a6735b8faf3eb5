package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// TestAvailabilityMigrationBackfill: a database written before availability
// existed upgrades with every conversation's first staff reply (not a note)
// as first_response_at, and every admin answering every site, as their
// dashboards counted before; agents answer their memberships.
func TestAvailabilityMigrationBackfill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		ctx := context.Background()
		st, err := store.Open(ctx, storetest.Options(t, d))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.MigrateBefore(ctx, "availability"); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO sites (id, key, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)`,
				[]any{"s1", "k1", "One", t0, t0, "s2", "k2", "Two", t0, t0}},
			{`INSERT INTO users (id, email, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)`,
				[]any{"admin", "a@example.com", "x", "admin", t0, t0, "agent", "b@example.com", "x", "agent", t0, t0}},
			{`INSERT INTO memberships (site_id, user_id, created_at) VALUES (?, ?, ?)`, []any{"s2", "agent", t0}},
			{`INSERT INTO visitors (id, site_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)`, []any{"v", "s1", t0, t0}},
			{`INSERT INTO conversations (id, site_id, visitor_id, ref, kind, status, staff_replied, created_at, updated_at, last_message_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				[]any{"c1", "s1", "v", "R1", "question", "open", true, t0, t0, t0, "c2", "s1", "v", "R2", "question", "open", false, t0, t0, t0}},
			{`INSERT INTO messages (id, conversation_id, site_id, author_kind, body, internal, created_at) VALUES
				(?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)`,
				[]any{"m1", "c1", "s1", "visitor", "hi", false, at(0),
					"m2", "c1", "s1", "staff", "note", true, at(3),
					"m3", "c1", "s1", "staff", "first reply", false, at(7),
					"m4", "c1", "s1", "staff", "second reply", false, at(9),
					"m5", "c2", "s1", "staff", "only a note", true, at(4)}},
		} {
			if err := st.Exec(ctx, q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		c1, err := st.ConversationByID(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if c1.FirstResponseAt == nil || !c1.FirstResponseAt.Equal(at(7)) {
			t.Fatalf("c1 first_response_at %v, want %s", c1.FirstResponseAt, at(7))
		}
		if c2, err := st.ConversationByID(ctx, "c2"); err != nil || c2.FirstResponseAt != nil {
			t.Fatalf("c2 (a note only) first_response_at %v %v, want none", c2.FirstResponseAt, err)
		}
		waits, err := st.FirstResponseTimes(ctx, "s1", t0.Add(-time.Hour), 10)
		if err != nil || len(waits) != 1 || waits[0] != 7*time.Minute {
			t.Fatalf("first response times %v %v, want [7m]", waits, err)
		}
		admin, err := st.UserByID(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(admin.AnswerSiteIDs)
		if !slices.Equal(admin.AnswerSiteIDs, []string{"s1", "s2"}) {
			t.Fatalf("admin answers %v, want every site", admin.AnswerSiteIDs)
		}
		for site, want := range map[string][]string{"s1": {"admin"}, "s2": {"admin", "agent"}} {
			if got, err := st.SiteAnswererIDs(ctx, site); err != nil || !slices.Equal(got, want) {
				t.Fatalf("answerers of %s: %v %v, want %v", site, got, err, want)
			}
		}
		site, err := st.SiteByID(ctx, "s1")
		if err != nil || site.TimeZone != "UTC" || site.Hours == nil || len(site.Hours) != 0 || site.Holidays == nil {
			t.Fatalf("site defaults after upgrade: %+v %v", site, err)
		}
	})
}
