package service

import (
	"context"
	"sort"
	"time"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

// assignBatch is how many queued conversations one transaction assigns.
const assignBatch = 20

// AssignQueued assigns the conversations waiting in team queues to online
// members with room, round robin, and reports how many it assigned. The
// loop `app` runs calls it every second on every instance: the claims are
// FOR UPDATE SKIP LOCKED and the round-robin state is in the database, so
// instances share the queues without assigning anything twice.
func (s *Service) AssignQueued(ctx context.Context) (int, error) {
	teams, err := s.store.QueuedTeams(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, teamID := range teams {
		t, err := s.store.TeamByID(ctx, teamID)
		if IsNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return total, err
		}
		if !s.anyOnline(t.MemberIDs) {
			continue // the queue waits; nothing to lock
		}
		for {
			n, more, err := s.assignTeam(ctx, teamID)
			total += n
			if err != nil {
				return total, err
			}
			if !more {
				break
			}
		}
	}
	return total, nil
}

func (s *Service) anyOnline(userIDs []string) bool {
	for _, id := range userIDs {
		if s.userOnline(id) {
			return true
		}
	}
	return false
}

// assignTeam assigns one batch of a team's queue in one transaction; more
// is true when a full batch went out and more may wait.
func (s *Service) assignTeam(ctx context.Context, teamID string) (assigned int, more bool, err error) {
	var events []model.Event
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		assigned, events = 0, nil
		convs, err := tx.ClaimQueued(ctx, teamID, assignBatch)
		if err != nil || len(convs) == 0 {
			return err
		}
		members, err := tx.LockTeamMembers(ctx, teamID)
		if err != nil {
			return err
		}
		var done []*model.Conversation
		for i := range convs {
			c := &convs[i]
			ok, err := s.pickAssignee(ctx, tx, c, members)
			if err != nil {
				return err
			}
			if !ok {
				break // nobody has room: the rest wait as well
			}
			// Saved at once, so the next pick counts it against the
			// assignee's capacity.
			c.UpdatedAt = s.now()
			if err := tx.SaveConversation(ctx, c); err != nil {
				return err
			}
			done = append(done, c)
		}
		assigned, more = len(done), len(done) == assignBatch
		events, err = s.announce(ctx, tx, done)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	s.publish(ctx, events)
	return assigned, more, nil
}

// pickAssignee sets c's assignee to the next member of its team, in round
// robin order, who is online, active, may see c's site and holds fewer open
// conversations than their capacity. members are the team's locked
// memberships (their round-robin state is updated in place). It reports
// whether anyone was found.
func (s *Service) pickAssignee(ctx context.Context, tx *store.Store, c *model.Conversation, members []model.TeamMember) (bool, error) {
	order := make([]*model.TeamMember, len(members))
	var latest time.Time
	for i := range members {
		order[i] = &members[i]
		if at := members[i].LastAssignedAt; at != nil && at.After(latest) {
			latest = *at
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return rrBefore(order[i], order[j]) })
	for _, m := range order {
		if !s.userOnline(m.UserID) {
			continue
		}
		u, err := tx.LockUser(ctx, m.UserID)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return false, err
		}
		if u.Disabled || !canSee(u, c.SiteID) {
			continue
		}
		if u.Capacity > 0 {
			open, err := tx.OpenAssigned(ctx, u.ID)
			if err != nil {
				return false, err
			}
			if open >= u.Capacity {
				continue
			}
		}
		// A strictly later stamp than any in the team keeps the order
		// exact when two assignments fall in the same microsecond.
		at := s.now().Truncate(time.Microsecond)
		if !at.After(latest) {
			at = latest.Add(time.Microsecond)
		}
		if err := tx.MarkAssigned(ctx, m.TeamID, u.ID, at); err != nil {
			return false, err
		}
		m.LastAssignedAt = &at
		c.AssigneeID = &u.ID
		return true, nil
	}
	return false, nil
}

// rrBefore orders members for round robin: never assigned first, then the
// one assigned longest ago; ties by who joined first.
func rrBefore(a, b *model.TeamMember) bool {
	switch {
	case (a.LastAssignedAt == nil) != (b.LastAssignedAt == nil):
		return a.LastAssignedAt == nil
	case a.LastAssignedAt != nil && !a.LastAssignedAt.Equal(*b.LastAssignedAt):
		return a.LastAssignedAt.Before(*b.LastAssignedAt)
	case !a.CreatedAt.Equal(b.CreatedAt):
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.UserID < b.UserID
}

// announce logs a staff-only conversation.updated for each of convs, in
// the order of their sites. Lock order: a transaction of teams and routing
// locks conversations, team members and users first and the sites' log
// rows last, in site order, so these transactions cannot deadlock with
// one another or with a reply (conversation, then its site).
func (s *Service) announce(ctx context.Context, tx *store.Store, convs []*model.Conversation) ([]model.Event, error) {
	sorted := append([]*model.Conversation(nil), convs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].SiteID < sorted[j].SiteID })
	events := make([]model.Event, 0, len(sorted))
	for _, c := range sorted {
		ev, err := s.conversationUpdated(ctx, tx, c, true)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// release gives locked conversations back to their team's queue (assignee
// cleared; the caller announces them); the assignment loop hands them on.
func (s *Service) release(ctx context.Context, tx *store.Store, convs []model.Conversation) ([]*model.Conversation, error) {
	out := make([]*model.Conversation, len(convs))
	for i := range convs {
		c := &convs[i]
		c.AssigneeID, c.UpdatedAt = nil, s.now()
		if err := tx.SaveConversation(ctx, c); err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// releaseAll gives back every open conversation of a user who was
// disabled: those of a team return to its queue, the others to the
// unassigned inbox.
func (s *Service) releaseAll(ctx context.Context, tx *store.Store, userID string) ([]model.Event, error) {
	convs, err := tx.AssignedConversations(ctx, userID)
	if err != nil {
		return nil, err
	}
	released, err := s.release(ctx, tx, convs)
	if err != nil {
		return nil, err
	}
	return s.announce(ctx, tx, released)
}

// maxCapacity bounds a user's capacity (0 is unlimited).
const maxCapacity = 1000

func checkCapacity(v *model.Validator, capacity *int) {
	if capacity != nil && (*capacity < 0 || *capacity > maxCapacity) {
		v.Add("capacity", "must be between 0 (unlimited) and 1000")
	}
}

// userRouting applies the routing side of a user update inside its
// transaction: the new capacity, and a user who was just disabled gives
// back their open conversations.
func (s *Service) userRouting(ctx context.Context, tx *store.Store, u, before *model.User, capacity *int) ([]model.Event, error) {
	if capacity != nil {
		if err := tx.SetCapacity(ctx, u.ID, *capacity); err != nil {
			return nil, err
		}
		u.Capacity = *capacity
	}
	if u.Disabled && !before.Disabled {
		return s.releaseAll(ctx, tx, u.ID)
	}
	return nil, nil
}
