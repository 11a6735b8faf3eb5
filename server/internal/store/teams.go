package store

import (
	"context"
	"fmt"
	"time"

	"holler/server/internal/model"
)

// CreateTeam inserts a team and its members.
func (s *Store) CreateTeam(ctx context.Context, t *model.Team) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Create(t).Error; err != nil {
			return fmt.Errorf("create team: %w", translate(err))
		}
		_, err := tx.SetTeamMembers(ctx, t.ID, t.MemberIDs, t.CreatedAt)
		return err
	})
}

// SaveTeam writes a team's name.
func (s *Store) SaveTeam(ctx context.Context, t *model.Team) error {
	if err := s.q(ctx).Model(t).Select("name", "updated_at").Updates(t).Error; err != nil {
		return fmt.Errorf("save team: %w", translate(err))
	}
	return nil
}

// SetTeamMembers makes userIDs the team's members and returns the users
// who were removed. Members who stay keep their round-robin state.
func (s *Store) SetTeamMembers(ctx context.Context, teamID string, userIDs []string, now time.Time) (removed []string, err error) {
	err = s.InTx(ctx, func(tx *Store) error {
		var old []string
		if err := tx.q(ctx).Model(&model.TeamMember{}).Where("team_id = ?", teamID).Pluck("user_id", &old).Error; err != nil {
			return fmt.Errorf("team members: %w", translate(err))
		}
		for _, id := range old {
			if !containsString(userIDs, id) {
				removed = append(removed, id)
			}
		}
		if len(removed) > 0 {
			err := tx.q(ctx).Where("team_id = ? AND user_id IN ?", teamID, removed).Delete(&model.TeamMember{}).Error
			if err != nil {
				return fmt.Errorf("remove team members: %w", translate(err))
			}
		}
		for _, id := range userIDs {
			if containsString(old, id) {
				continue
			}
			if err := tx.q(ctx).Create(&model.TeamMember{TeamID: teamID, UserID: id, CreatedAt: now}).Error; err != nil {
				return fmt.Errorf("add team member: %w", translate(err))
			}
		}
		return nil
	})
	return removed, err
}

// TeamByID loads a team with its member IDs.
func (s *Store) TeamByID(ctx context.Context, id string) (*model.Team, error) {
	var t model.Team
	if err := s.q(ctx).Where("id = ?", id).Take(&t).Error; err != nil {
		return nil, fmt.Errorf("team: %w", translate(err))
	}
	return &t, s.loadMemberIDs(ctx, []*model.Team{&t})
}

// ListTeams returns every team by name, or with memberID set only the
// teams that user is in.
func (s *Store) ListTeams(ctx context.Context, memberID string) ([]model.Team, error) {
	teams := []model.Team{}
	q := s.q(ctx).Order("LOWER(name), id")
	if memberID != "" {
		q = q.Where("id IN (?)", s.q(ctx).Model(&model.TeamMember{}).Select("team_id").Where("user_id = ?", memberID))
	}
	if err := q.Find(&teams).Error; err != nil {
		return nil, fmt.Errorf("list teams: %w", translate(err))
	}
	ptrs := make([]*model.Team, len(teams))
	for i := range teams {
		ptrs[i] = &teams[i]
	}
	return teams, s.loadMemberIDs(ctx, ptrs)
}

func (s *Store) loadMemberIDs(ctx context.Context, teams []*model.Team) error {
	if len(teams) == 0 {
		return nil
	}
	ids := make([]string, len(teams))
	byID := map[string]*model.Team{}
	for i, t := range teams {
		ids[i], byID[t.ID] = t.ID, t
		t.MemberIDs = []string{}
	}
	var ms []model.TeamMember
	if err := s.q(ctx).Where("team_id IN ?", ids).Order("created_at, user_id").Find(&ms).Error; err != nil {
		return fmt.Errorf("team members: %w", translate(err))
	}
	for _, m := range ms {
		byID[m.TeamID].MemberIDs = append(byID[m.TeamID].MemberIDs, m.UserID)
	}
	return nil
}

// DeleteTeam removes a team; its conversations keep no team (the caller
// clears and announces them first). A team that routing rules name is
// model.ErrConflict.
func (s *Store) DeleteTeam(ctx context.Context, id string) error {
	var n int64
	if err := s.q(ctx).Model(&model.RoutingRule{}).Where("team_id = ?", id).Count(&n).Error; err != nil {
		return fmt.Errorf("delete team: %w", translate(err))
	}
	if n > 0 {
		return fmt.Errorf("delete team: routed to by %d rules: %w", n, model.ErrConflict)
	}
	res := s.q(ctx).Where("id = ?", id).Delete(&model.Team{})
	if res.Error != nil {
		return fmt.Errorf("delete team: %w", translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete team: %w", model.ErrNotFound)
	}
	return nil
}

// TeamConversations locks the unresolved conversations of a team (all of
// them, or with userID only those assigned to that user) inside a
// transaction, for a change that must announce each one.
func (s *Store) TeamConversations(ctx context.Context, teamID, userID string) ([]model.Conversation, error) {
	return s.lockConversations(ctx, "team_id = ? AND status <> ? AND (? = '' OR assignee_id = ?)",
		teamID, model.StatusResolved, userID, userID)
}

// AssignedConversations locks the unresolved conversations assigned to a
// user inside a transaction.
func (s *Store) AssignedConversations(ctx context.Context, userID string) ([]model.Conversation, error) {
	return s.lockConversations(ctx, "assignee_id = ? AND status <> ?", userID, model.StatusResolved)
}

func (s *Store) lockConversations(ctx context.Context, where string, args ...any) ([]model.Conversation, error) {
	q := "SELECT * FROM conversations WHERE " + where + " ORDER BY id"
	if s.dialect == DialectPostgres {
		q += " FOR UPDATE"
	}
	out := []model.Conversation{}
	if err := s.q(ctx).Raw(q, args...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("lock conversations: %w", translate(err))
	}
	return out, nil
}

// SetConversationTeam moves a conversation to a team (nil: none).
func (s *Store) SetConversationTeam(ctx context.Context, id string, teamID *string) error {
	err := s.q(ctx).Model(&model.Conversation{}).Where("id = ?", id).Update("team_id", teamID).Error
	if err != nil {
		return fmt.Errorf("set conversation team: %w", translate(err))
	}
	return nil
}

// ExistingUserIDs returns those of ids that name a user.
func (s *Store) ExistingUserIDs(ctx context.Context, ids []string) ([]string, error) {
	found := []string{}
	if len(ids) == 0 {
		return found, nil
	}
	if err := s.q(ctx).Model(&model.User{}).Where("id IN ?", ids).Pluck("id", &found).Error; err != nil {
		return nil, fmt.Errorf("users: %w", translate(err))
	}
	return found, nil
}
