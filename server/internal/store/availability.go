package store

import (
	"context"
	"fmt"
	"time"

	"holler/server/internal/model"
)

// answerer is an admin's choice to answer a site (agents answer the sites
// they are members of; no row is needed for them).
type answerer struct {
	SiteID    string `gorm:"primaryKey"`
	UserID    string `gorm:"primaryKey"`
	CreatedAt time.Time
}

// SetAnswerSites replaces the sites an admin answers.
func (s *Store) SetAnswerSites(ctx context.Context, userID string, siteIDs []string) error {
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Where("user_id = ?", userID).Delete(&answerer{}).Error; err != nil {
			return fmt.Errorf("clear answered sites: %w", translate(err))
		}
		for _, id := range siteIDs {
			if err := tx.AddAnswerer(ctx, id, userID); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddAnswerer makes an admin answer one more site.
func (s *Store) AddAnswerer(ctx context.Context, siteID, userID string) error {
	a := answerer{SiteID: siteID, UserID: userID, CreatedAt: time.Now().UTC()}
	if err := s.q(ctx).Create(&a).Error; err != nil {
		return fmt.Errorf("add answerer: %w", translate(err))
	}
	return nil
}

// loadAnswerSiteIDs fills AnswerSiteIDs: an agent's are their memberships
// (loaded before), an admin's are their answerer rows.
func (s *Store) loadAnswerSiteIDs(ctx context.Context, users []*model.User) error {
	byID := map[string]*model.User{}
	var admins []string
	for _, u := range users {
		u.AnswerSiteIDs = u.SiteIDs
		if u.IsAdmin() {
			u.AnswerSiteIDs = []string{}
			byID[u.ID] = u
			admins = append(admins, u.ID)
		}
	}
	if len(admins) == 0 {
		return nil
	}
	var rows []answerer
	if err := s.q(ctx).Where("user_id IN ?", admins).Order("created_at, site_id").Find(&rows).Error; err != nil {
		return fmt.Errorf("answered sites: %w", translate(err))
	}
	for _, r := range rows {
		byID[r.UserID].AnswerSiteIDs = append(byID[r.UserID].AnswerSiteIDs, r.SiteID)
	}
	return nil
}

// SiteAnswererIDs lists the enabled users who answer a site: its agents and
// the admins who chose it.
func (s *Store) SiteAnswererIDs(ctx context.Context, siteID string) ([]string, error) {
	ids := []string{}
	err := s.q(ctx).Model(&model.User{}).
		Where("disabled = ? AND (role = ? AND id IN (?) OR role = ? AND id IN (?))", false,
			model.RoleAgent, s.db.Model(&model.Membership{}).Select("user_id").Where("site_id = ?", siteID),
			model.RoleAdmin, s.db.Model(&answerer{}).Select("user_id").Where("site_id = ?", siteID)).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("site answerers: %w", translate(err))
	}
	return ids, nil
}

// FirstResponseTimes returns, for a site's conversations first answered
// since the given time, how long each waited for that answer; at most limit,
// the most recent first.
func (s *Store) FirstResponseTimes(ctx context.Context, siteID string, since time.Time, limit int) ([]time.Duration, error) {
	var rows []struct {
		CreatedAt       time.Time
		FirstResponseAt time.Time
	}
	err := s.q(ctx).Model(&model.Conversation{}).Select("created_at", "first_response_at").
		Where("site_id = ? AND first_response_at >= ?", siteID, since).
		Order("first_response_at DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("first response times: %w", translate(err))
	}
	out := make([]time.Duration, len(rows))
	for i, r := range rows {
		out[i] = r.FirstResponseAt.Sub(r.CreatedAt)
	}
	return out, nil
}
