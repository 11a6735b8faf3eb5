package service

import (
	"context"
	"encoding/json"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

// StaffCursor is the current position of every site the actor may see.
func (s *Service) StaffCursor(ctx context.Context, actor *model.User) (string, error) {
	seqs, err := s.store.SiteSeqs(ctx)
	if err != nil {
		return "", err
	}
	c := model.Cursor{}
	for id, seq := range seqs {
		if canSee(actor, id) {
			c[id] = seq
		}
	}
	return c.Encode(), nil
}

// EventsAfter reads a site's log for the realtime layer; visitorID non-empty
// limits it to that visitor's public events.
func (s *Service) EventsAfter(ctx context.Context, siteID string, after int64, visitorID string, limit int) ([]model.Event, error) {
	return s.store.Events(ctx, store.EventFilter{SiteID: siteID, AfterSeq: after, VisitorID: visitorID, Limit: limit})
}

// SiteSeqs returns every site's current log position.
func (s *Service) SiteSeqs(ctx context.Context) (map[string]int64, error) {
	return s.store.SiteSeqs(ctx)
}

// StaffSites re-reads which sites a user may see now; ok is false when the
// user's session is over (disabled, deleted, or sessionVersion is stale).
func (s *Service) StaffSites(ctx context.Context, userID string, sessionVersion int64) (sites []string, all bool, ok bool, err error) {
	u, err := s.store.UserByID(ctx, userID)
	if IsNotFound(err) {
		return nil, false, false, nil
	}
	if err != nil {
		return nil, false, false, err
	}
	if u.Disabled || u.SessionVersion != sessionVersion {
		return nil, false, false, nil
	}
	return u.SiteIDs, u.IsAdmin(), true, nil
}

// TypingInput is a client's typing frame.
type TypingInput struct {
	ConversationID string `json:"conversation_id"`
}

// StaffTyping tells the visitor (and other staff) that a staff member types.
func (s *Service) StaffTyping(ctx context.Context, actor *model.User, convID string) error {
	c, err := s.staffConversation(ctx, actor, convID)
	if err != nil {
		return err
	}
	s.typing(ctx, c, true, actor.ID)
	return nil
}

// VisitorTyping tells the site's staff that the visitor types.
func (s *Service) VisitorTyping(ctx context.Context, v *model.Visitor, convID string) error {
	c, err := s.visitorConversation(ctx, v, convID)
	if err != nil {
		return err
	}
	s.typing(ctx, c, false, v.ID)
	return nil
}

func (s *Service) typing(ctx context.Context, c *model.Conversation, fromStaff bool, who string) {
	if s.pub == nil {
		return
	}
	payload := map[string]any{"from_staff": fromStaff}
	if !fromStaff {
		payload["visitor_id"] = who // staff see who types; visitors never see staff IDs
	}
	data, _ := json.Marshal(payload)
	s.pub.Publish(ctx, model.Notice{SiteID: c.SiteID, Ephemeral: &model.Ephemeral{Type: model.EventTyping,
		ConversationID: c.ID, VisitorID: c.VisitorID, FromStaff: fromStaff, Data: data, At: s.now()}})
}

// appendStaffEvents logs one staff-only change in the logs of sites, or of
// every site when sites is nil (teams and shared canned replies belong to
// no site, and each dashboard follows the logs of the sites its user may
// see). The events are returned for publishing after commit.
func (s *Service) appendStaffEvents(ctx context.Context, tx *store.Store, sites []string, typ string, data any) ([]model.Event, error) {
	if sites == nil {
		var err error
		if sites, err = tx.SiteIDs(ctx); err != nil {
			return nil, err
		}
	}
	events := make([]model.Event, 0, len(sites))
	for _, siteID := range sites {
		ev := model.Event{SiteID: siteID, Type: typ, Internal: true, CreatedAt: s.now()}
		if err := tx.AppendEvent(ctx, &ev, data, nil); err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}
