package store_test

import (
	"context"
	"testing"
	"time"

	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// TestConversationRefClash: a reference already taken on the site is
// skipped for the next one (the unique index decides, nothing is half
// written), while another site may use the same reference.
func TestConversationRefClash(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, d)
			a, b := newSite(t, st), newSite(t, st)
			create := func(site *model.Site) *model.Conversation {
				t.Helper()
				now := time.Now().UTC()
				v := &model.Visitor{ID: store.NewID(), SiteID: site.ID, CreatedAt: now, LastSeenAt: now}
				c := &model.Conversation{SiteID: site.ID, Kind: "question", Status: model.StatusOpen,
					CreatedAt: now, UpdatedAt: now, LastMessageAt: now}
				err := st.InTx(ctx, func(tx *store.Store) error {
					if err := tx.CreateVisitor(ctx, v); err != nil {
						return err
					}
					c.VisitorID = v.ID
					return tx.CreateConversation(ctx, c)
				})
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				return c
			}
			defer store.SetNewRef("AAA-AAA", "AAA-AAA", "AAA-AAA", "BBB-BBB")()
			first := create(a)
			other := create(b)
			second := create(a)
			if first.Ref != "AAA-AAA" || other.Ref != "AAA-AAA" || second.Ref != "BBB-BBB" {
				t.Fatalf("refs: first %s, other site %s, second %s; want AAA-AAA, AAA-AAA, BBB-BBB", first.Ref, other.Ref, second.Ref)
			}
			for _, c := range []*model.Conversation{first, other, second} {
				got, err := st.ConversationByID(ctx, c.ID)
				if err != nil || got.Ref != c.Ref || got.SiteID != c.SiteID {
					t.Fatalf("stored %s: %+v, %v", c.ID, got, err)
				}
			}
		})
	}
}
