package service

import (
	"context"
	"errors"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

// maxTeamMembers bounds a team's size (one request, one round-robin scan).
const maxTeamMembers = 500

// TeamInput creates a team or, with nil fields left alone, changes one.
type TeamInput struct {
	Name      *string   `json:"name"`
	MemberIDs *[]string `json:"member_ids"`
	// Team takes the body wrapped the way the answer is ({"team": {...}}).
	Team *TeamInput `json:"team"`
}

func (in TeamInput) unwrap() TeamInput {
	if in.Team != nil && in.Name == nil && in.MemberIDs == nil {
		return *in.Team
	}
	return in
}

// errTeamNameTaken: names tell teams apart in the inbox filter.
var errTeamNameTaken = &model.ConflictError{Code: "team_name_taken", Message: "A team with this name already exists."}

// errTeamRouted: a rule must never route to a team that is gone.
var errTeamRouted = &model.ConflictError{Code: "team_routed",
	Message: "Routing rules of a site send conversations to this team: change them first."}

// Teams lists the teams the actor may see. Admins see every team; an agent
// sees the teams they are in. A team may span sites, so another team could
// show an agent colleagues of sites they do not belong to; and their own
// teams are all an agent's inbox ("my teams") needs.
func (s *Service) Teams(ctx context.Context, actor *model.User) ([]model.Team, error) {
	if actor.IsAdmin() {
		return s.store.ListTeams(ctx, "")
	}
	return s.store.ListTeams(ctx, actor.ID)
}

// Team loads one team the actor may see; any other is ErrNotFound.
func (s *Service) Team(ctx context.Context, actor *model.User, id string) (*model.Team, error) {
	if !validID(id) {
		return nil, model.ErrNotFound
	}
	t, err := s.store.TeamByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.IsAdmin() && !contains(t.MemberIDs, actor.ID) {
		return nil, model.ErrNotFound
	}
	return t, nil
}

// checkTeam validates a team input into t (creating: a name is required).
func (s *Service) checkTeam(ctx context.Context, in TeamInput, t *model.Team, creating bool) error {
	var v model.Validator
	if creating || in.Name != nil {
		t.Name = checkText(&v, "name", deref(in.Name, ""), model.MaxNameLen, true, oneLine)
	}
	if in.MemberIDs != nil {
		ids := dedupe(*in.MemberIDs)
		switch {
		case len(ids) > maxTeamMembers:
			v.Add("member_ids", "at most 500 members")
		default:
			if err := s.checkUserIDs(ctx, &v, "member_ids", ids); err != nil {
				return err
			}
		}
		t.MemberIDs = ids
	}
	if t.MemberIDs == nil {
		t.MemberIDs = []string{}
	}
	return v.Err()
}

// checkUserIDs records a problem when ids name a user that does not exist.
func (s *Service) checkUserIDs(ctx context.Context, v *model.Validator, field string, ids []string) error {
	for _, id := range ids {
		if !validID(id) {
			v.Add(field, "lists a user that does not exist")
			return nil
		}
	}
	found, err := s.store.ExistingUserIDs(ctx, ids)
	if err != nil {
		return err
	}
	if len(found) != len(ids) {
		v.Add(field, "lists a user that does not exist")
	}
	return nil
}

// CreateTeam adds a team; admins only.
func (s *Service) CreateTeam(ctx context.Context, actor *model.User, in TeamInput) (*model.Team, error) {
	if !actor.IsAdmin() {
		return nil, model.ErrForbidden
	}
	in = in.unwrap()
	now := s.now()
	t := &model.Team{CreatedAt: now, UpdatedAt: now}
	if err := s.checkTeam(ctx, in, t, true); err != nil {
		return nil, err
	}
	var events []model.Event
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateTeam(ctx, t); err != nil {
			return err
		}
		return s.teamEvents(ctx, tx, t.ID, false, nil, &events)
	})
	if errors.Is(err, model.ErrConflict) {
		return nil, errTeamNameTaken
	}
	if err != nil {
		return nil, err
	}
	s.publish(ctx, events)
	return t, nil
}

// UpdateTeam renames a team or replaces its members; admins only. A member
// who leaves gives their open conversations of this team back to its
// queue, where the next free member gets them.
func (s *Service) UpdateTeam(ctx context.Context, actor *model.User, id string, in TeamInput) (*model.Team, error) {
	t, err := s.Team(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !actor.IsAdmin() {
		return nil, model.ErrForbidden
	}
	in = in.unwrap()
	if err := s.checkTeam(ctx, in, t, false); err != nil {
		return nil, err
	}
	var events []model.Event
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		t.UpdatedAt = s.now()
		if err := tx.SaveTeam(ctx, t); err != nil {
			return err
		}
		var released []*model.Conversation
		if in.MemberIDs != nil {
			removed, err := tx.SetTeamMembers(ctx, t.ID, t.MemberIDs, t.UpdatedAt)
			if err != nil {
				return err
			}
			for _, userID := range removed {
				convs, err := tx.TeamConversations(ctx, t.ID, userID)
				if err != nil {
					return err
				}
				back, err := s.release(ctx, tx, convs)
				if err != nil {
					return err
				}
				released = append(released, back...)
			}
		}
		return s.teamEvents(ctx, tx, t.ID, false, released, &events)
	})
	if errors.Is(err, model.ErrConflict) {
		return nil, errTeamNameTaken
	}
	if err != nil {
		return nil, err
	}
	s.publish(ctx, events)
	return s.store.TeamByID(ctx, t.ID)
}

// DeleteTeam removes a team that no routing rule names; admins only. Its
// unresolved conversations leave it (announced each: they leave the team's
// queue and filter); resolved ones simply lose the team.
func (s *Service) DeleteTeam(ctx context.Context, actor *model.User, id string) error {
	t, err := s.Team(ctx, actor, id)
	if err != nil {
		return err
	}
	if !actor.IsAdmin() {
		return model.ErrForbidden
	}
	var events []model.Event
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		convs, err := tx.TeamConversations(ctx, t.ID, "")
		if err != nil {
			return err
		}
		left := make([]*model.Conversation, len(convs))
		for i := range convs {
			c := &convs[i]
			c.TeamID, c.UpdatedAt = nil, s.now()
			if err := tx.SetConversationTeam(ctx, c.ID, nil); err != nil {
				return err
			}
			if err := tx.SaveConversation(ctx, c); err != nil {
				return err
			}
			left[i] = c
		}
		if err := tx.DeleteTeam(ctx, t.ID); err != nil {
			return err
		}
		return s.teamEvents(ctx, tx, t.ID, true, left, &events)
	})
	if errors.Is(err, model.ErrConflict) {
		return errTeamRouted
	}
	if err != nil {
		return err
	}
	s.publish(ctx, events)
	return nil
}

// teamEvents logs a team change in every site's log, staff only, so every
// open dashboard reloads the teams it may see (the payload names the team
// and nothing else: agents of a site may not see it), then the
// conversations the change moved. The site rows are locked last and in
// site order (see announce).
func (s *Service) teamEvents(ctx context.Context, tx *store.Store, teamID string, deleted bool, moved []*model.Conversation, out *[]model.Event) error {
	evs, err := s.appendStaffEvents(ctx, tx, nil, model.EventTeamUpdated, map[string]any{"team_id": teamID, "deleted": deleted})
	if err != nil {
		return err
	}
	*out = append(*out, evs...)
	evs, err = s.announce(ctx, tx, moved)
	*out = append(*out, evs...)
	return err
}

// teamFilter resolves the inbox's team filter to team IDs (nil: no
// filter) and "me" as the assignee to the caller. Another team's ID is no
// error: the list stays within the caller's sites either way.
func (s *Service) teamFilter(ctx context.Context, actor *model.User, q *ConversationQuery) ([]string, error) {
	if q.AssigneeID == "me" {
		q.AssigneeID = actor.ID
	}
	switch q.TeamID {
	case "":
		return nil, nil
	case "mine":
		return s.store.UserTeamIDs(ctx, actor.ID)
	}
	return []string{q.TeamID}, nil
}
