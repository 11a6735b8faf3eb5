package store

import (
	"context"
	"fmt"

	"holler/server/internal/model"
)

// CreateSite inserts a site, filling its ID and public key.
func (s *Store) CreateSite(ctx context.Context, site *model.Site) error {
	if site.ID == "" {
		site.ID = NewID()
	}
	if site.Key == "" {
		site.Key = RandomToken(12)
	}
	if site.AllowedOrigins == nil {
		site.AllowedOrigins = []string{}
	}
	if len(site.Kinds) == 0 {
		site.Kinds = append([]string(nil), model.AllKinds...)
	}
	if site.TimeZone == "" {
		site.TimeZone = "UTC"
	}
	if site.Hours == nil {
		site.Hours = []model.HoursRange{}
	}
	if site.Holidays == nil {
		site.Holidays = []string{}
	}
	if site.ReviewURLs == nil {
		site.ReviewURLs = []string{}
	}
	if err := s.q(ctx).Create(site).Error; err != nil {
		return fmt.Errorf("create site: %w", translate(err))
	}
	return nil
}

// SaveSite writes every settable field of site.
func (s *Store) SaveSite(ctx context.Context, site *model.Site) error {
	err := s.q(ctx).Model(site).Select("name", "allowed_origins", "color", "position", "greeting",
		"button_label", "kinds", "locale", "reply_email_delay_seconds",
		"time_zone", "hours", "holidays", "updated_at",
		"review_urls").Updates(site).Error
	if err != nil {
		return fmt.Errorf("save site: %w", translate(err))
	}
	return nil
}

// SiteByID loads a site by its ID.
func (s *Store) SiteByID(ctx context.Context, id string) (*model.Site, error) {
	var site model.Site
	if err := s.q(ctx).Where("id = ?", id).Take(&site).Error; err != nil {
		return nil, fmt.Errorf("site %s: %w", id, translate(err))
	}
	return &site, nil
}

// SiteByKey loads a site by its public key.
func (s *Store) SiteByKey(ctx context.Context, key string) (*model.Site, error) {
	var site model.Site
	if err := s.q(ctx).Where("key = ?", key).Take(&site).Error; err != nil {
		return nil, fmt.Errorf("site key: %w", translate(err))
	}
	return &site, nil
}

// ListSites returns the sites with the given IDs, or all when all is true.
func (s *Store) ListSites(ctx context.Context, all bool, ids []string) ([]model.Site, error) {
	sites := []model.Site{}
	q := s.q(ctx).Order("created_at, id")
	if !all {
		if len(ids) == 0 {
			return sites, nil
		}
		q = q.Where("id IN ?", ids)
	}
	if err := q.Find(&sites).Error; err != nil {
		return nil, fmt.Errorf("list sites: %w", translate(err))
	}
	return sites, nil
}

// CountSites reports how many sites exist.
func (s *Store) CountSites(ctx context.Context) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&model.Site{}).Count(&n).Error
	return n, translate(err)
}

// SiteSeqs returns each site's last event sequence number.
func (s *Store) SiteSeqs(ctx context.Context) (map[string]int64, error) {
	var rows []model.Site
	if err := s.q(ctx).Select("id", "event_seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("site seqs: %w", translate(err))
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.EventSeq
	}
	return out, nil
}

// SiteIDs lists every site's ID in a fixed order (the order in which
// their rows are locked when a change is logged to all of them).
func (s *Store) SiteIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.q(ctx).Model(&model.Site{}).Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("site ids: %w", translate(err))
	}
	return ids, nil
}
