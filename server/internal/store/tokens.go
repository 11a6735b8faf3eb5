package store

import (
	"context"
	"fmt"
	"time"

	"holler/server/internal/model"
)

// CreateRefreshToken stores a (hashed) refresh token.
func (s *Store) CreateRefreshToken(ctx context.Context, t *model.RefreshToken) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	if err := s.q(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("create refresh token: %w", translate(err))
	}
	return nil
}

// RefreshTokenByHash loads a refresh token by its hash.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (*model.RefreshToken, error) {
	var t model.RefreshToken
	if err := s.q(ctx).Where("token_hash = ?", hash).Take(&t).Error; err != nil {
		return nil, fmt.Errorf("refresh token: %w", translate(err))
	}
	return &t, nil
}

// SpendRefreshToken marks a token used, only if it was still unused and
// unrevoked; it reports whether this caller spent it (false: reuse).
func (s *Store) SpendRefreshToken(ctx context.Context, id string, now time.Time) (bool, error) {
	res := s.q(ctx).Model(&model.RefreshToken{}).
		Where("id = ? AND used_at IS NULL AND revoked_at IS NULL", id).Update("used_at", now)
	return res.RowsAffected == 1, translate(res.Error)
}

// RevokeRefreshFamily revokes every token of one login.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, now time.Time) error {
	err := s.q(ctx).Model(&model.RefreshToken{}).
		Where("family_id = ? AND revoked_at IS NULL", familyID).Update("revoked_at", now).Error
	return translate(err)
}

// RevokeUserRefreshTokens revokes every refresh token of a user.
func (s *Store) RevokeUserRefreshTokens(ctx context.Context, userID string, now time.Time) error {
	err := s.q(ctx).Model(&model.RefreshToken{}).
		Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now).Error
	return translate(err)
}
