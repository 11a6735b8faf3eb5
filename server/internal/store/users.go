package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"holler/server/internal/model"
)

// CreateUser inserts a staff user and their site memberships.
func (s *Store) CreateUser(ctx context.Context, u *model.User) error {
	if u.ID == "" {
		u.ID = NewID()
	}
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if u.SessionVersion == 0 {
		u.SessionVersion = 1
	}
	if u.Notifications.NewConversations == "" {
		u.Notifications = model.DefaultNotificationPrefs()
	}
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Create(u).Error; err != nil {
			return fmt.Errorf("create user: %w", translate(err))
		}
		return tx.SetMemberships(ctx, u.ID, u.SiteIDs)
	})
}

// SetMemberships replaces the sites a user belongs to.
func (s *Store) SetMemberships(ctx context.Context, userID string, siteIDs []string) error {
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Where("user_id = ?", userID).Delete(&model.Membership{}).Error; err != nil {
			return fmt.Errorf("clear memberships: %w", translate(err))
		}
		now := time.Now().UTC()
		for _, id := range siteIDs {
			m := model.Membership{SiteID: id, UserID: userID, CreatedAt: now}
			if err := tx.q(ctx).Create(&m).Error; err != nil {
				return fmt.Errorf("add membership: %w", translate(err))
			}
		}
		return nil
	})
}

// SaveUser writes the mutable fields of a user.
func (s *Store) SaveUser(ctx context.Context, u *model.User) error {
	u.UpdatedAt = time.Now().UTC()
	err := s.q(ctx).Model(u).Select("email", "name", "password_hash", "role", "disabled", "session_version",
		"notify_new_conversations", "notify_digest_minutes", "notify_assigned_replies", "updated_at").Updates(u).Error
	if err != nil {
		return fmt.Errorf("save user: %w", translate(err))
	}
	return nil
}

// BumpSessionVersion invalidates every token issued to the user so far.
func (s *Store) BumpSessionVersion(ctx context.Context, userID string) error {
	err := s.q(ctx).Model(&model.User{}).Where("id = ?", userID).
		Updates(map[string]any{"session_version": gorm.Expr("session_version + 1"), "updated_at": time.Now().UTC()}).Error
	return translate(err)
}

// UserByID loads a user with their site IDs.
func (s *Store) UserByID(ctx context.Context, id string) (*model.User, error) {
	var u model.User
	if err := s.q(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("user: %w", translate(err))
	}
	return &u, s.loadSiteIDs(ctx, []*model.User{&u})
}

// UserByEmail loads a user by e-mail (case-insensitive).
func (s *Store) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	var u model.User
	if err := s.q(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("user: %w", translate(err))
	}
	return &u, s.loadSiteIDs(ctx, []*model.User{&u})
}

// ListUsers returns every user with their site IDs.
func (s *Store) ListUsers(ctx context.Context) ([]model.User, error) {
	users := []model.User{}
	if err := s.q(ctx).Order("created_at, id").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", translate(err))
	}
	ptrs := make([]*model.User, len(users))
	for i := range users {
		ptrs[i] = &users[i]
	}
	return users, s.loadSiteIDs(ctx, ptrs)
}

// CountUsers reports how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&model.User{}).Count(&n).Error
	return n, translate(err)
}

func (s *Store) loadSiteIDs(ctx context.Context, users []*model.User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]string, len(users))
	byID := map[string]*model.User{}
	for i, u := range users {
		ids[i] = u.ID
		byID[u.ID] = u
		u.SiteIDs = []string{}
	}
	var ms []model.Membership
	if err := s.q(ctx).Where("user_id IN ?", ids).Order("created_at, site_id").Find(&ms).Error; err != nil {
		return fmt.Errorf("memberships: %w", translate(err))
	}
	for _, m := range ms {
		byID[m.UserID].SiteIDs = append(byID[m.UserID].SiteIDs, m.SiteID)
	}
	return s.loadAnswerSiteIDs(ctx, users)
}

// SiteMemberIDs lists the users that may see a site: its members and admins.
func (s *Store) SiteMemberIDs(ctx context.Context, siteID string) ([]string, error) {
	var ids []string
	err := s.q(ctx).Model(&model.User{}).
		Where("disabled = ? AND (role = ? OR id IN (?))", false, model.RoleAdmin,
			s.db.Model(&model.Membership{}).Select("user_id").Where("site_id = ?", siteID)).
		Pluck("id", &ids).Error
	return ids, translate(err)
}
