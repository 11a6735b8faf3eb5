package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"holler/server/internal/model"
)

// LatestRatingOutcome returns the outcome of a conversation's latest rating
// round, or nil when it was never rated. Call it under the conversation's
// row lock when the answer decides a write.
func (s *Store) LatestRatingOutcome(ctx context.Context, convID string) (*model.RatingOutcome, error) {
	var o model.RatingOutcome
	err := s.q(ctx).Where("conversation_id = ?", convID).Order("round DESC").Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest rating outcome: %w", translate(err))
	}
	return &o, nil
}

// SaveRatingOutcome inserts a new round's outcome (no ID yet) or replaces
// the verdict of an existing one.
func (s *Store) SaveRatingOutcome(ctx context.Context, o *model.RatingOutcome) error {
	var err error
	if o.ID == "" {
		o.ID = NewID()
		err = s.q(ctx).Create(o).Error
	} else {
		err = s.q(ctx).Model(o).Select("score", "outcome", "turned_around", "rated_at").Updates(o).Error
	}
	if err != nil {
		return fmt.Errorf("save rating outcome: %w", translate(err))
	}
	return nil
}

// CountRatings sums the rating outcomes of the given sites whose verdict
// fell in [from, to).
func (s *Store) CountRatings(ctx context.Context, siteIDs []string, from, to time.Time) (model.RatingCounts, error) {
	var c model.RatingCounts
	if len(siteIDs) == 0 {
		return c, nil
	}
	err := s.q(ctx).Model(&model.RatingOutcome{}).
		Select(`COUNT(*) AS ratings,
			COALESCE(SUM(CASE WHEN outcome = ? THEN 1 ELSE 0 END), 0) AS invited,
			COALESCE(SUM(CASE WHEN outcome = ? THEN 1 ELSE 0 END), 0) AS thanked,
			COALESCE(SUM(CASE WHEN outcome = ? THEN 1 ELSE 0 END), 0) AS reopened,
			COALESCE(SUM(CASE WHEN turned_around THEN 1 ELSE 0 END), 0) AS turned_around`,
			model.OutcomeInvited, model.OutcomeThanked, model.OutcomeReopened).
		Where("site_id IN ? AND rated_at >= ? AND rated_at < ?", siteIDs, from.UTC(), to.UTC()).
		Scan(&c).Error
	if err != nil {
		return c, fmt.Errorf("count ratings: %w", translate(err))
	}
	return c, nil
}
