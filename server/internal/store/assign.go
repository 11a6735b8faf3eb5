package store

import (
	"context"
	"fmt"
	"time"

	"holler/server/internal/model"
)

// queued is the condition of a team queue: a conversation of a team that
// nobody holds and that is not resolved.
const queued = "team_id IS NOT NULL AND assignee_id IS NULL AND status <> 'resolved'"

// QueuedTeams lists the teams with conversations waiting in their queue.
func (s *Store) QueuedTeams(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.q(ctx).Model(&model.Conversation{}).Where(queued).Distinct("team_id").Limit(1000).Pluck("team_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("queued teams: %w", translate(err))
	}
	return ids, nil
}

// ClaimQueued locks up to limit of a team's queued conversations, oldest
// first, inside a transaction. On PostgreSQL a row another instance holds
// is skipped (FOR UPDATE SKIP LOCKED), so instances share a queue without
// waiting on each other or taking the same conversation.
func (s *Store) ClaimQueued(ctx context.Context, teamID string, limit int) ([]model.Conversation, error) {
	if s.root == nil {
		return nil, fmt.Errorf("claim queued: must run inside a transaction")
	}
	q := "SELECT * FROM conversations WHERE team_id = ? AND assignee_id IS NULL AND status <> 'resolved' ORDER BY created_at, id LIMIT ?"
	if s.dialect == DialectPostgres {
		q += " FOR UPDATE SKIP LOCKED"
	}
	out := []model.Conversation{}
	if err := s.q(ctx).Raw(q, teamID, limit).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("claim queued: %w", translate(err))
	}
	return out, nil
}

// LockTeamMembers loads a team's memberships with their round-robin state
// and, on PostgreSQL, holds them until commit: one assignment per team at a
// time, so two instances never both pick the same "next" member.
func (s *Store) LockTeamMembers(ctx context.Context, teamID string) ([]model.TeamMember, error) {
	q := "SELECT * FROM team_members WHERE team_id = ? ORDER BY user_id"
	if s.dialect == DialectPostgres {
		q += " FOR UPDATE"
	}
	out := []model.TeamMember{}
	if err := s.q(ctx).Raw(q, teamID).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("lock team members: %w", translate(err))
	}
	return out, nil
}

// LockUser loads a user with their sites and, on PostgreSQL, holds the row
// until commit: the count of their open conversations stays true while an
// assignment to them is decided (they may be in several teams).
func (s *Store) LockUser(ctx context.Context, id string) (*model.User, error) {
	q := "SELECT * FROM users WHERE id = ?"
	if s.dialect == DialectPostgres {
		q += " FOR UPDATE"
	}
	var u model.User
	res := s.q(ctx).Raw(q, id).Scan(&u)
	if res.Error != nil {
		return nil, fmt.Errorf("lock user: %w", translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("lock user: %w", model.ErrNotFound)
	}
	return &u, s.loadSiteIDs(ctx, []*model.User{&u})
}

// OpenAssigned counts the unresolved conversations assigned to a user.
func (s *Store) OpenAssigned(ctx context.Context, userID string) (int, error) {
	var n int64
	err := s.q(ctx).Model(&model.Conversation{}).Where("assignee_id = ? AND status <> ?", userID, model.StatusResolved).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("open assigned: %w", translate(err))
	}
	return int(n), nil
}

// MarkAssigned moves a member to the back of the team's round robin.
func (s *Store) MarkAssigned(ctx context.Context, teamID, userID string, at time.Time) error {
	err := s.q(ctx).Model(&model.TeamMember{}).Where("team_id = ? AND user_id = ?", teamID, userID).
		Update("last_assigned_at", at).Error
	if err != nil {
		return fmt.Errorf("mark assigned: %w", translate(err))
	}
	return nil
}

// SetCapacity sets how many open conversations routing gives a user at most.
func (s *Store) SetCapacity(ctx context.Context, userID string, capacity int) error {
	err := s.q(ctx).Model(&model.User{}).Where("id = ?", userID).Update("capacity", capacity).Error
	if err != nil {
		return fmt.Errorf("set capacity: %w", translate(err))
	}
	return nil
}

// UserTeamIDs lists the teams a user is in.
func (s *Store) UserTeamIDs(ctx context.Context, userID string) ([]string, error) {
	ids := []string{}
	err := s.q(ctx).Model(&model.TeamMember{}).Where("user_id = ?", userID).Order("team_id").Pluck("team_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("user teams: %w", translate(err))
	}
	return ids, nil
}
