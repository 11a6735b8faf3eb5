package store_test

import (
	"context"
	"testing"
	"time"

	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// TestShareReads: in a transaction that shares reads, a site's settings
// are read once and every caller gets its own copy (changing one changes
// neither the next caller's nor the database's); the next transaction reads
// afresh.
func TestShareReads(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, d)
			site := newSite(t, st)
			now := time.Now().UTC()
			team := &model.Team{Name: "Billing", CreatedAt: now, UpdatedAt: now}
			if err := st.CreateTeam(ctx, team); err != nil {
				t.Fatal(err)
			}
			if err := st.SetRoutingRules(ctx, site.ID, []model.RoutingRule{{Kinds: []string{"complaint"}, Languages: []string{}, EmailDomains: []string{}, TeamID: team.ID}}); err != nil {
				t.Fatal(err)
			}
			agent := &model.User{Email: "agent@example.com", Name: "Agent", Role: model.RoleAgent, SiteIDs: []string{site.ID},
				CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, agent); err != nil {
				t.Fatal(err)
			}
			minutes := 30
			policy := func(kind string) *model.SLAPolicy {
				return &model.SLAPolicy{SiteID: site.ID, UpdatedAt: now,
					Targets: map[string]model.SLATarget{kind: {FirstResponseMinutes: &minutes}}}
			}
			if err := st.SaveSLAPolicy(ctx, policy("question")); err != nil {
				t.Fatal(err)
			}
			err := st.InTx(ctx, func(tx *store.Store) error {
				tx.ShareReads()
				for i := range 3 {
					rules, err := tx.RoutingRules(ctx, site.ID)
					if err != nil {
						return err
					}
					if len(rules) != 1 || len(rules[0].Kinds) != 1 || rules[0].Kinds[0] != "complaint" {
						t.Fatalf("read %d: rules %+v", i, rules)
					}
					rules[0].Kinds[0] = "changed by a caller"
					p, err := tx.SLAPolicy(ctx, site.ID)
					if err != nil {
						return err
					}
					if _, ok := p.Targets["question"]; !ok || len(p.Targets) != 1 {
						t.Fatalf("read %d: policy %+v", i, p.Targets)
					}
					p.Targets["feedback"] = model.SLATarget{}
					staff, err := tx.SiteStaff(ctx, site.ID)
					if err != nil {
						return err
					}
					if len(staff) != 1 || staff[0].Email != "agent@example.com" {
						t.Fatalf("read %d: staff %+v", i, staff)
					}
					staff[0].Email = "changed@example.com"
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SaveSLAPolicy(ctx, policy("complaint")); err != nil {
				t.Fatal(err)
			}
			err = st.InTx(ctx, func(tx *store.Store) error {
				tx.ShareReads()
				p, err := tx.SLAPolicy(ctx, site.ID)
				if err != nil {
					return err
				}
				if _, ok := p.Targets["complaint"]; !ok || len(p.Targets) != 1 {
					t.Fatalf("the next transaction read %+v, want the new policy", p.Targets)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
