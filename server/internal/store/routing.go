package store

import (
	"context"
	"fmt"

	"holler/server/internal/model"
)

// RoutingRules returns a site's rules in order.
func (s *Store) RoutingRules(ctx context.Context, siteID string) ([]model.RoutingRule, error) {
	return sharedRead(s, "routing", siteID, func() ([]model.RoutingRule, error) { return s.routingRules(ctx, siteID) }, cloneRules)
}

func (s *Store) routingRules(ctx context.Context, siteID string) ([]model.RoutingRule, error) {
	rules := []model.RoutingRule{}
	if err := s.q(ctx).Where("site_id = ?", siteID).Order("position").Find(&rules).Error; err != nil {
		return nil, fmt.Errorf("routing rules: %w", translate(err))
	}
	return rules, nil
}

// SetRoutingRules replaces a site's rules with rules, in their order.
func (s *Store) SetRoutingRules(ctx context.Context, siteID string, rules []model.RoutingRule) error {
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Where("site_id = ?", siteID).Delete(&model.RoutingRule{}).Error; err != nil {
			return fmt.Errorf("clear routing rules: %w", translate(err))
		}
		for i := range rules {
			rules[i].SiteID, rules[i].Position = siteID, i
			if err := tx.q(ctx).Create(&rules[i]).Error; err != nil {
				return fmt.Errorf("add routing rule: %w", translate(err))
			}
		}
		return nil
	})
}
