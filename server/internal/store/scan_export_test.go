package store

import (
	"context"

	"holler/server/internal/model"
)

// GORMConversations reads a site's conversations the way the store did
// before the hot reads left GORM, for the tests to compare with.
func (s *Store) GORMConversations(ctx context.Context, siteID string) ([]model.Conversation, error) {
	out := []model.Conversation{}
	err := s.q(ctx).Where("site_id = ?", siteID).Order("last_message_at DESC, id DESC").Find(&out).Error
	return out, err
}

// GORMEvents reads a site's events through GORM, for the same comparison.
func (s *Store) GORMEvents(ctx context.Context, siteID string) ([]model.Event, error) {
	out := []model.Event{}
	err := s.q(ctx).Where("site_id = ?", siteID).Order("seq").Find(&out).Error
	return out, err
}

// GORMMessages reads a conversation's thread through GORM, likewise.
func (s *Store) GORMMessages(ctx context.Context, conversationID string) ([]model.Message, error) {
	out := []model.Message{}
	err := s.q(ctx).Where("conversation_id = ?", conversationID).Order("created_at, id").Find(&out).Error
	return out, err
}
