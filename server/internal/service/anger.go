package service

import (
	"context"
	"math"

	"holler/server/internal/anger"
	"holler/server/internal/model"
	"holler/server/internal/store"
)

// scoreCustomer scores a customer's new message m in the site's language
// or, for a site that answers in the visitor's language, the one the scorer
// finds; it raises the conversation's anger (in memory) to the score and
// reports whether it rose. The score keeps 3 decimals, cut rather than
// rounded so a score is angry exactly when the scorer's is.
func scoreCustomer(site *model.Site, c *model.Conversation, m *model.Message) bool {
	score := math.Floor(anger.Score(m.Body, site.Locale).Score*1000) / 1000
	m.Anger = &score
	if score <= c.Anger {
		return false
	}
	c.Anger = score
	return true
}

// empathyOpeners are the openers the reply box offers for an angry
// conversation, in the site's language or, for a site that answers in the
// visitor's language, the language of the angriest customer message; nil
// for a calm conversation.
func (s *Service) empathyOpeners(ctx context.Context, c *model.Conversation, msgs []model.Message) ([]string, error) {
	if c.Anger < anger.Threshold {
		return nil, nil
	}
	site, err := s.store.SiteByID(ctx, c.SiteID)
	if err != nil {
		return nil, err
	}
	lang := site.Locale
	if lang == "" {
		var angriest *model.Message
		for i := range msgs {
			if m := &msgs[i]; m.Anger != nil && (angriest == nil || *m.Anger > *angriest.Anger) {
				angriest = m
			}
		}
		if angriest != nil {
			lang = anger.Score(angriest.Body, "").Lang
		}
	}
	return anger.Openers(lang), nil
}

// scoreVisitorMessage scores a customer's message to a stored conversation
// (any other author's message is not scored) and stores the conversation's
// new anger when it rose; the caller holds the conversation's lock.
func (s *Service) scoreVisitorMessage(ctx context.Context, tx *store.Store, c *model.Conversation, m *model.Message) (bool, error) {
	if m.AuthorKind != model.AuthorVisitor {
		return false, nil
	}
	site, err := tx.SiteByID(ctx, c.SiteID)
	if err != nil {
		return false, err
	}
	if !scoreCustomer(site, c, m) {
		return false, nil
	}
	return true, tx.RaiseAnger(ctx, c.ID, c.Anger)
}

// BackfillAnger scores the customer messages of one conversation that were
// stored before anger scoring existed, raises the conversation's anger
// and tells dashboards, in one transaction. It reports false when no such
// conversation is left. Each message is scored once: it is chosen only
// while unscored, under its conversation's lock.
func (s *Service) BackfillAnger(ctx context.Context) (bool, error) {
	var events []model.Event
	found := false
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		c, msgs, err := tx.LockUnscoredConversation(ctx)
		if err != nil || c == nil {
			return err
		}
		found = true
		site, err := tx.SiteByID(ctx, c.SiteID)
		if err != nil {
			return err
		}
		rose := false
		for i := range msgs {
			rose = scoreCustomer(site, c, &msgs[i]) || rose
			if err := tx.SetMessageAnger(ctx, msgs[i].ID, *msgs[i].Anger); err != nil {
				return err
			}
		}
		if !rose {
			return nil
		}
		if err := tx.RaiseAnger(ctx, c.ID, c.Anger); err != nil {
			return err
		}
		ev, err := s.conversationUpdated(ctx, tx, c, true)
		events = append(events, ev)
		return err
	})
	if err != nil {
		return false, err
	}
	s.publish(ctx, events)
	return found, nil
}
