package service

import (
	"context"
	"encoding/json"
	"time"

	holmail "holler/server/internal/mail"
	"holler/server/internal/model"
	"holler/server/internal/store"
)

// slaBatch bounds one SLANotices run, so a backlog after a long outage
// cannot hold the loop (the next run carries on).
const slaBatch = 200

// slaNotice is one warning or escalation that fell due.
type slaNotice struct {
	target     string
	escalation bool
	due        time.Time
}

// SLANotices sends the SLA warnings and escalations that fell due, each
// exactly once, and returns how many conversations it handled. Each
// conversation is claimed in its own transaction (store.ClaimDueSLA: FOR
// UPDATE SKIP LOCKED on PostgreSQL, so instances share the work), and its
// notices are marked sent in that transaction together with the
// conversation.updated event and the escalation mails: all committed or
// none. The live notices are published after commit. Due times live in the
// database, so an instance that starts after an outage sends what fell due
// meanwhile; a warning whose due time has also passed by then is passed
// over for the escalation.
func (s *Service) SLANotices(ctx context.Context) (int, error) {
	n := 0
	for n < slaBatch {
		var (
			c       *model.Conversation
			events  []model.Event
			notices []model.Notice
		)
		err := s.store.InTx(ctx, func(tx *store.Store) error {
			var err error
			now := s.now()
			if c, err = tx.ClaimDueSLA(ctx, now); err != nil || c == nil {
				return err
			}
			events, notices, err = s.slaNotify(ctx, tx, c, now)
			return err
		})
		if err != nil {
			return n, err
		}
		if c == nil {
			return n, nil
		}
		n++
		s.publish(ctx, events)
		if s.pub != nil {
			for _, nt := range notices {
				s.pub.Publish(ctx, nt)
			}
		}
	}
	return n, nil
}

// slaNotify marks c's due notices sent, updates its state, and writes the
// event and the escalation mails, inside tx.
func (s *Service) slaNotify(ctx context.Context, tx *store.Store, c *model.Conversation, now time.Time) ([]model.Event, []model.Notice, error) {
	var due []slaNotice
	for _, t := range slaTargets(c) {
		if t.due == nil || t.done != nil || c.SLA.PausedAt != nil {
			continue
		}
		switch {
		case !now.Before(*t.due) && c.SLA.Notified&t.breachBit == 0:
			c.SLA.Notified |= t.breachBit | t.warnBit
			due = append(due, slaNotice{target: t.name, escalation: true, due: *t.due})
		case t.warn != nil && !now.Before(*t.warn) && c.SLA.Notified&(t.warnBit|t.breachBit) == 0:
			c.SLA.Notified |= t.warnBit
			due = append(due, slaNotice{target: t.name, due: *t.due})
		}
	}
	slaRefresh(c, now)
	if len(due) > 0 {
		c.UpdatedAt = now
	}
	if err := tx.SaveConversationSLA(ctx, c); err != nil {
		return nil, nil, err
	}
	if len(due) == 0 {
		return nil, nil, nil // a stale claim: the row is put right, nothing to say
	}
	ev, err := s.conversationUpdated(ctx, tx, c, true)
	if err != nil {
		return nil, nil, err
	}
	var notices []model.Notice
	for _, d := range due {
		userIDs, err := s.slaRecipients(ctx, tx, c, d, now)
		if err != nil {
			return nil, nil, err
		}
		typ := model.EventSLAWarning
		if d.escalation {
			typ = model.EventSLAEscalation
		}
		data, _ := json.Marshal(map[string]any{"target": d.target, "due": d.due, "state": c.SLA.State,
			"ref": c.Ref, "kind": c.Kind, "user_ids": userIDs})
		notices = append(notices, model.Notice{SiteID: c.SiteID, Ephemeral: &model.Ephemeral{Type: typ,
			ConversationID: c.ID, Data: data, At: now}})
	}
	return []model.Event{ev}, notices, nil
}

// slaRecipients decides who hears of a notice, and queues the mails of an
// escalation. A warning is for the assignee (everyone of the site while it
// is unassigned: empty list) and is shown live only; an escalation is for
// the assignee and every admin, live and by mail.
func (s *Service) slaRecipients(ctx context.Context, tx *store.Store, c *model.Conversation, d slaNotice, now time.Time) ([]string, error) {
	if !d.escalation {
		if c.AssigneeID != nil {
			return []string{*c.AssigneeID}, nil
		}
		return []string{}, nil
	}
	staff, err := tx.SiteStaff(ctx, c.SiteID)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, u := range staff {
		if !u.IsAdmin() && (c.AssigneeID == nil || *c.AssigneeID != u.ID) {
			continue
		}
		ids = append(ids, u.ID)
		err := tx.EnqueueMail(ctx, &model.OutboxMail{Kind: holmail.KindSLAEscalation, SiteID: c.SiteID, ConversationID: c.ID,
			UserID: u.ID, Recipient: u.Email, Items: []string{d.target}, SendAfter: now}, now)
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// composeEscalation words an escalation mail: which target of which
// conversation was due when (in the site's zone), with the customer's
// latest words.
func (s *Service) composeEscalation(ctx context.Context, out *holmail.Message, content holmail.Content, conv *model.Conversation, m *model.OutboxMail) (*holmail.Message, error) {
	if conv == nil || len(m.Items) != 1 {
		return nil, errNothingToSay
	}
	site, err := s.store.SiteByID(ctx, conv.SiteID)
	if err != nil {
		return nil, err
	}
	due := conv.SLA.FirstResponseDue
	if m.Items[0] == model.SLAResolution {
		due = conv.SLA.ResolutionDue
	}
	if due == nil {
		return nil, errNothingToSay
	}
	content.SLATarget = m.Items[0]
	content.Due = due.In(schedule(site).Location()).Format("2006-01-02 15:04") + " (" + orUTC(site.TimeZone) + ")"
	author := conv.Name
	if author == "" {
		author = conv.Email
	}
	if author == "" {
		author = "#" + conv.Ref
	}
	content.Items = []holmail.Item{{Author: author, Body: conv.Preview}}
	r, err := holmail.Render(content)
	if err != nil {
		return nil, err
	}
	out.Subject, out.Text, out.HTML = r.Subject, r.Text, r.HTML
	return out, nil
}
