package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"holler/server/internal/model"
)

// CreateVisitor inserts a visitor.
func (s *Store) CreateVisitor(ctx context.Context, v *model.Visitor) error {
	if v.ID == "" {
		v.ID = NewID()
	}
	if err := s.q(ctx).Create(v).Error; err != nil {
		return fmt.Errorf("create visitor: %w", translate(err))
	}
	return nil
}

// VisitorByID loads a visitor of a site.
func (s *Store) VisitorByID(ctx context.Context, siteID, id string) (*model.Visitor, error) {
	var v model.Visitor
	if err := s.q(ctx).Where("site_id = ? AND id = ?", siteID, id).Take(&v).Error; err != nil {
		return nil, fmt.Errorf("visitor: %w", translate(err))
	}
	return &v, nil
}

// SaveVisitor writes a visitor's contact details and last-seen time.
func (s *Store) SaveVisitor(ctx context.Context, v *model.Visitor) error {
	err := s.q(ctx).Model(v).Select("email", "name", "last_seen_at").Updates(v).Error
	return translate(err)
}

// CreateConversation inserts a conversation with a fresh reference that is
// unique within its site.
func (s *Store) CreateConversation(ctx context.Context, c *model.Conversation) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	// The reference is random; a clash with one of the site's earlier
	// references is left to the unique index (nothing is inserted, and the
	// insert is tried again with another), which costs nothing in the
	// common case, unlike a lookup before every insert.
	for attempt := 0; ; attempt++ {
		c.Ref = newRef()
		res := s.q(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "site_id"}, {Name: "ref"}},
			DoNothing: true,
		}).Create(c)
		if res.Error != nil {
			return fmt.Errorf("create conversation: %w", translate(res.Error))
		}
		if res.RowsAffected == 1 {
			return nil
		}
		if attempt > 20 {
			return fmt.Errorf("create conversation: no free reference")
		}
	}
}

// ConversationByID loads a conversation.
func (s *Store) ConversationByID(ctx context.Context, id string) (*model.Conversation, error) {
	var c model.Conversation
	if err := s.q(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, fmt.Errorf("conversation: %w", translate(err))
	}
	return &c, nil
}

// LockConversation loads a conversation for update inside a transaction, so
// concurrent changes to one conversation apply one after the other.
func (s *Store) LockConversation(ctx context.Context, id string) (*model.Conversation, error) {
	q := s.q(ctx)
	if s.dialect == DialectPostgres {
		q = q.Raw("SELECT * FROM conversations WHERE id = ? FOR UPDATE", id)
	} else {
		q = q.Raw("SELECT * FROM conversations WHERE id = ?", id)
	}
	var c model.Conversation
	res := q.Scan(&c)
	if res.Error != nil {
		return nil, fmt.Errorf("conversation: %w", translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("conversation: %w", model.ErrNotFound)
	}
	return &c, nil
}

// SaveConversation writes a conversation's mutable fields.
func (s *Store) SaveConversation(ctx context.Context, c *model.Conversation) error {
	err := s.q(ctx).Model(c).Select("kind", "status", "assignee_id", "tags", "email", "name", "preview",
		"rating_score", "rating_comment", "staff_replied", "first_response_at", "updated_at", "last_message_at").Updates(c).Error
	if err != nil {
		return fmt.Errorf("save conversation: %w", translate(err))
	}
	return nil
}

// VisitorConversations lists a visitor's conversations, newest first. The
// widget asks for it on every page load, so it runs without GORM (see
// scan.go).
func (s *Store) VisitorConversations(ctx context.Context, siteID, visitorID string) ([]model.Conversation, error) {
	q := s.newSQL("SELECT " + conversationColumns + " FROM conversations WHERE ")
	q.add("site_id = ? AND visitor_id = ? ORDER BY last_message_at DESC, id DESC LIMIT ?", siteID, visitorID, 100)
	out, err := readRows(ctx, s, q, 8, conversationReader)
	if err != nil {
		return nil, fmt.Errorf("visitor conversations: %w", translate(err))
	}
	return out, nil
}

// ConversationFilter selects a page of the staff inbox.
type ConversationFilter struct {
	SiteIDs    []string // the sites the caller may see (required)
	Status     string
	Kind       string
	AssigneeID string // a user ID, or "none" for unassigned
	Query      string
	Limit      int
	Cursor     string

	// Sort is the order of the page: one of SortNames ("" is SortRecent).
	// A cursor continues the order it was issued in.
	Sort string

	// TeamIDs, when not nil, keeps the conversations of these teams only
	// (an empty list keeps none).
	TeamIDs []string
}

// Orders of the inbox.
const (
	SortRecent = "recent" // most recently active first (the default)
	SortDue    = "due"    // nearest SLA due time first
	SortAnger  = "anger"  // angriest first, then most recently active
)

// SortNames are the orders ConversationFilter.Sort accepts.
var SortNames = []string{SortRecent, SortDue, SortAnger}

// ErrBadSort is returned for an order not in SortNames.
var ErrBadSort = errors.New("bad sort")

// inboxSort is one order of the inbox: its ORDER BY, the keyset condition
// of the rows after a cursor (SQL with ? placeholders and its arguments),
// and the cursor of a row.
type inboxSort struct {
	order  string
	after  func(cursor string) (cond string, args []any, err error)
	cursor func(c model.Conversation) string
}

func sortOf(name string) (inboxSort, error) {
	switch name {
	case "", SortRecent:
		return recentSort, nil
	case SortDue:
		return dueSort, nil
	case SortAnger:
		return angerSort, nil
	}
	return inboxSort{}, ErrBadSort
}

var recentSort = inboxSort{
	order: "last_message_at DESC, id DESC",
	after: func(cursor string) (string, []any, error) {
		at, id, err := decodeConvCursor(cursor)
		if err != nil {
			return "", nil, err
		}
		return "(last_message_at < ? OR (last_message_at = ? AND id < ?))", []any{at, at, id}, nil
	},
	cursor: encodeConvCursor,
}

// ErrBadCursor is returned for a cursor this store did not issue.
var ErrBadCursor = errors.New("bad cursor")

func encodeConvCursor(c model.Conversation) string {
	return base64.RawURLEncoding.EncodeToString([]byte(recentKey(c)))
}

// recentKey is a conversation's place in the recent order, as cursor text.
func recentKey(c model.Conversation) string {
	return strconv.FormatInt(c.LastMessageAt.UnixNano(), 10) + "|" + c.ID
}

func decodeConvCursor(s string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", ErrBadCursor
	}
	return parseRecentKey(string(raw))
}

func parseRecentKey(raw string) (time.Time, string, error) {
	ts, id, ok := strings.Cut(raw, "|")
	n, err := strconv.ParseInt(ts, 10, 64)
	// The ID is checked too: a forged one must not reach a query (PostgreSQL
	// fails on NUL and invalid UTF-8 instead of finding nothing).
	if !ok || err != nil || uuid.Validate(id) != nil {
		return time.Time{}, "", ErrBadCursor
	}
	return time.Unix(0, n).UTC(), id, nil
}

// escapeLike makes user text literal inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListConversations returns one page of conversations in f.Sort's order
// and the cursor of the next page ("" at the end). It is the inbox's read,
// so it runs without GORM (see scan.go).
func (s *Store) ListConversations(ctx context.Context, f ConversationFilter) ([]model.Conversation, string, error) {
	if len(f.SiteIDs) == 0 {
		return []model.Conversation{}, "", nil
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	order, err := sortOf(f.Sort)
	if err != nil {
		return nil, "", err
	}
	q := s.newSQL("SELECT " + conversationColumns + " FROM conversations WHERE ")
	q.add("site_id IN (?)", f.SiteIDs)
	if f.Status != "" {
		q.add(" AND status = ?", f.Status)
	}
	if f.Kind != "" {
		q.add(" AND kind = ?", f.Kind)
	}
	switch f.AssigneeID {
	case "":
	case "none":
		q.add(" AND assignee_id IS NULL")
	default:
		q.add(" AND assignee_id = ?", f.AssigneeID)
	}
	if f.TeamIDs != nil {
		q.add(" AND team_id IN (?)", f.TeamIDs)
	}
	if text := strings.TrimSpace(f.Query); text != "" {
		pat := "%" + escapeLike(strings.ToLower(text)) + "%"
		q.add(` AND (LOWER(ref) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\'
			OR LOWER(tags) LIKE ? ESCAPE '\'
			OR id IN (SELECT conversation_id FROM messages WHERE site_id IN (?) AND LOWER(body) LIKE ? ESCAPE '\'))`,
			pat, pat, pat, pat, f.SiteIDs, pat)
	}
	if f.Cursor != "" {
		cond, args, err := order.after(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		q.add(" AND "+cond, args...)
	}
	q.add(" ORDER BY "+order.order+" LIMIT ?", f.Limit+1)
	out, err := readRows(ctx, s, q, f.Limit+1, conversationReader)
	if err != nil {
		return nil, "", fmt.Errorf("list conversations: %w", translate(err))
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = order.cursor(out[len(out)-1])
	}
	return out, next, nil
}

// CreateMessage inserts a message.
func (s *Store) CreateMessage(ctx context.Context, m *model.Message) error {
	if m.ID == "" {
		m.ID = NewID()
	}
	if err := s.q(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("create message: %w", translate(err))
	}
	return nil
}

// Messages returns a conversation's thread in order; internal notes only
// when withInternal is true. Opening a conversation reads it, so it runs
// without GORM (see scan.go).
func (s *Store) Messages(ctx context.Context, conversationID string, withInternal bool) ([]model.Message, error) {
	q := s.newSQL("SELECT " + messageColumns + " FROM messages WHERE ")
	q.add("conversation_id = ?", conversationID)
	if !withInternal {
		q.add(" AND internal = ?", false)
	}
	q.add(" ORDER BY created_at, id")
	out, err := readRows(ctx, s, q, 16, messageReader)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", translate(err))
	}
	return out, nil
}
