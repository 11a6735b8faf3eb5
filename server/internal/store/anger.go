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
