package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm/clause"

	"holler/server/internal/model"
)

type setting struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

func (setting) TableName() string { return "settings" }

// EnsureSetting returns the stored value of key, storing make() first when
// the key is absent. Concurrent first starts agree on one value.
func (s *Store) EnsureSetting(ctx context.Context, key string, make func() string) (string, error) {
	var row setting
	err := s.q(ctx).Where("key = ?", key).Take(&row).Error
	if err == nil {
		return row.Value, nil
	}
	if !errors.Is(translate(err), model.ErrNotFound) {
		return "", fmt.Errorf("setting %s: %w", key, translate(err))
	}
	row = setting{Key: key, Value: make()}
	if err := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return "", fmt.Errorf("setting %s: %w", key, translate(err))
	}
	if err := s.q(ctx).Where("key = ?", key).Take(&row).Error; err != nil {
		return "", fmt.Errorf("setting %s: %w", key, translate(err))
	}
	return row.Value, nil
}
