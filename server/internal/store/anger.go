package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"holler/server/internal/model"
)

// RaiseAnger sets a conversation's anger to score if that is higher than
// what it holds; the caller holds the conversation's row lock.
func (s *Store) RaiseAnger(ctx context.Context, convID string, score float64) error {
	err := s.q(ctx).Model(&model.Conversation{}).Where("id = ? AND anger < ?", convID, score).
		Update("anger", score).Error
	if err != nil {
		return fmt.Errorf("raise anger: %w", translate(err))
	}
	return nil
}

// angerCursorTag starts an angriest-first cursor, so a cursor of another
// order is refused instead of read as this one.
const angerCursorTag = "a|"

// angerSort is the angriest-first order of the inbox.
var angerSort = inboxSort{
	order: "anger DESC, last_message_at DESC, id DESC",
	after: func(cursor string) (string, []any, error) {
		anger, at, id, err := decodeAngerCursor(cursor)
		if err != nil {
			return "", nil, err
		}
		return "(anger < ? OR (anger = ? AND (last_message_at < ? OR (last_message_at = ? AND id < ?))))", []any{anger, anger, at, at, id}, nil
	},
	cursor: encodeAngerCursor,
}

func encodeAngerCursor(c model.Conversation) string {
	raw := angerCursorTag + strconv.FormatFloat(c.Anger, 'g', -1, 64) + "|" + recentKey(c)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeAngerCursor(s string) (float64, time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, time.Time{}, "", ErrBadCursor
	}
	rest, ok := strings.CutPrefix(string(raw), angerCursorTag)
	score, rest, ok2 := strings.Cut(rest, "|")
	if !ok || !ok2 {
		return 0, time.Time{}, "", ErrBadCursor
	}
	anger, err := strconv.ParseFloat(score, 64)
	if err != nil || math.IsNaN(anger) || anger < 0 || anger > 1 {
		return 0, time.Time{}, "", ErrBadCursor
	}
	at, id, err := parseRecentKey(rest)
	return anger, at, id, err
}

// unscored selects customer messages stored before anger scoring existed
// (every newer one is scored as it is stored). The literal matches the
// partial index messages_unscored_idx, which SQLite uses only then.
const unscored = "anger IS NULL AND author_kind = '" + model.AuthorVisitor + "'"

// LockUnscoredConversation locks, for the caller's transaction, a
// conversation that has unscored customer messages and returns it with
// those messages; nil when there is none left. PostgreSQL skips one that
// another instance holds, so instances share the work.
func (s *Store) LockUnscoredConversation(ctx context.Context) (*model.Conversation, []model.Message, error) {
	q := "SELECT * FROM conversations WHERE id IN (SELECT conversation_id FROM messages WHERE " + unscored + ") LIMIT 1"
	if s.dialect == DialectPostgres {
		q += " FOR UPDATE SKIP LOCKED"
	}
	var c model.Conversation
	res := s.q(ctx).Raw(q).Scan(&c)
	if res.Error != nil {
		return nil, nil, fmt.Errorf("unscored conversation: %w", translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return nil, nil, nil
	}
	msgs := []model.Message{}
	if err := s.q(ctx).Where("conversation_id = ? AND "+unscored, c.ID).Order("created_at, id").Find(&msgs).Error; err != nil {
		return nil, nil, fmt.Errorf("unscored messages: %w", translate(err))
	}
	return &c, msgs, nil
}

// SetMessageAnger stores a message's anger score.
func (s *Store) SetMessageAnger(ctx context.Context, id string, score float64) error {
	if err := s.q(ctx).Model(&model.Message{}).Where("id = ?", id).Update("anger", score).Error; err != nil {
		return fmt.Errorf("set message anger: %w", translate(err))
	}
	return nil
}
