package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"holler/server/internal/model"
)

// CannedFilter selects canned replies.
type CannedFilter struct {
	// SiteIDs are the sites whose own replies are listed; shared replies
	// (site_id NULL) are always listed.
	SiteIDs []string
	// Query matches the shortcut, title or body, case-insensitively.
	Query string
	Limit int
}

// CannedReplies lists replies, most used first, then by title.
func (s *Store) CannedReplies(ctx context.Context, f CannedFilter) ([]model.CannedReply, error) {
	out := []model.CannedReply{}
	q := s.q(ctx)
	if len(f.SiteIDs) > 0 {
		q = q.Where("(site_id IS NULL OR site_id IN ?)", f.SiteIDs)
	} else {
		q = q.Where("site_id IS NULL")
	}
	if text := strings.TrimSpace(f.Query); text != "" {
		pat := "%" + escapeLike(strings.ToLower(text)) + "%"
		q = q.Where(`(LOWER(shortcut) LIKE ? ESCAPE '\' OR LOWER(title) LIKE ? ESCAPE '\' OR LOWER(body) LIKE ? ESCAPE '\')`, pat, pat, pat)
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	err := q.Order("use_count DESC, LOWER(title), title, id").Limit(f.Limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("canned replies: %w", translate(err))
	}
	return out, nil
}

// CannedReplyByID loads one canned reply.
func (s *Store) CannedReplyByID(ctx context.Context, id string) (*model.CannedReply, error) {
	var r model.CannedReply
	if err := s.q(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("canned reply: %w", translate(err))
	}
	return &r, nil
}

// CreateCannedReply inserts a reply. A shortcut taken in the same scope
// (the site, or the shared replies) is model.ErrConflict.
func (s *Store) CreateCannedReply(ctx context.Context, r *model.CannedReply) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	if err := s.q(ctx).Create(r).Error; err != nil {
		return fmt.Errorf("create canned reply: %w", translate(err))
	}
	return nil
}

// SaveCannedReply writes a reply's editable fields.
func (s *Store) SaveCannedReply(ctx context.Context, r *model.CannedReply) error {
	err := s.q(ctx).Model(r).Select("shortcut", "title", "body", "updated_at").Updates(r).Error
	if err != nil {
		return fmt.Errorf("save canned reply: %w", translate(err))
	}
	return nil
}

// DeleteCannedReply removes a reply.
func (s *Store) DeleteCannedReply(ctx context.Context, id string) error {
	res := s.q(ctx).Where("id = ?", id).Delete(&model.CannedReply{})
	if res.Error != nil {
		return fmt.Errorf("delete canned reply: %w", translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete canned reply: %w", model.ErrNotFound)
	}
	return nil
}

// CountCannedUse adds one use to a reply in a single UPDATE, so
// concurrent uses all count, and returns the reply as it is now.
func (s *Store) CountCannedUse(ctx context.Context, id string) (*model.CannedReply, error) {
	res := s.q(ctx).Model(&model.CannedReply{}).Where("id = ?", id).
		UpdateColumn("use_count", gorm.Expr("use_count + 1"))
	if res.Error != nil {
		return nil, fmt.Errorf("count canned use: %w", translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("count canned use: %w", model.ErrNotFound)
	}
	return s.CannedReplyByID(ctx, id)
}
