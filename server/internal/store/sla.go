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

// SLAPolicy loads a site's SLA settings; a site that never set any has no
// targets and no pause.
func (s *Store) SLAPolicy(ctx context.Context, siteID string) (*model.SLAPolicy, error) {
	return sharedRead(s, "sla", siteID, func() (*model.SLAPolicy, error) { return s.slaPolicy(ctx, siteID) }, clonePolicy)
}

func (s *Store) slaPolicy(ctx context.Context, siteID string) (*model.SLAPolicy, error) {
	p := model.SLAPolicy{SiteID: siteID}
	err := s.q(ctx).Where("site_id = ?", siteID).Take(&p).Error
	if errors.Is(translate(err), model.ErrNotFound) {
		return &model.SLAPolicy{SiteID: siteID, Targets: map[string]model.SLATarget{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sla policy: %w", translate(err))
	}
	if p.Targets == nil {
		p.Targets = map[string]model.SLATarget{}
	}
	return &p, nil
}

// SaveSLAPolicy writes a site's SLA settings, replacing what was there.
func (s *Store) SaveSLAPolicy(ctx context.Context, p *model.SLAPolicy) error {
	err := s.q(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "site_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"targets", "pause_when_pending", "updated_at"}),
	}).Create(p).Error
	if err != nil {
		return fmt.Errorf("save sla policy: %w", translate(err))
	}
	return nil
}

// SaveConversationSLA writes a conversation's SLA columns and updated_at.
func (s *Store) SaveConversationSLA(ctx context.Context, c *model.Conversation) error {
	v := c.SLA
	err := s.q(ctx).Model(&model.Conversation{}).Where("id = ?", c.ID).Updates(map[string]any{
		"sla_first_response_due": v.FirstResponseDue, "sla_first_response_warn": v.FirstResponseWarn,
		"sla_resolution_due": v.ResolutionDue, "sla_resolution_warn": v.ResolutionWarn,
		"sla_resolved_at": v.ResolvedAt, "sla_paused_at": v.PausedAt, "sla_state": v.State,
		"sla_due_at": v.DueAt, "sla_notified": v.Notified, "sla_next_at": v.NextAt, "updated_at": c.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("save conversation sla: %w", translate(err))
	}
	return nil
}

// ClaimDueSLA locks, inside the caller's transaction, one conversation whose
// next SLA notice is due at now, earliest first, or returns nil when none
// is. PostgreSQL skips a row another instance holds (FOR UPDATE SKIP
// LOCKED): that one is being handled, and by the time its lock is released
// its next notice time has moved on. SQLite has one writer.
func (s *Store) ClaimDueSLA(ctx context.Context, now time.Time) (*model.Conversation, error) {
	if s.root == nil {
		return nil, fmt.Errorf("claim due sla: must run inside a transaction")
	}
	q := "SELECT * FROM conversations WHERE sla_next_at IS NOT NULL AND sla_next_at <= ? ORDER BY sla_next_at, id LIMIT 1"
	if s.dialect == DialectPostgres {
		q += " FOR UPDATE SKIP LOCKED"
	}
	var c model.Conversation
	res := s.q(ctx).Raw(q, now).Scan(&c)
	if res.Error != nil {
		return nil, fmt.Errorf("claim due sla: %w", translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return nil, nil
	}
	return &c, nil
}

// dueSort orders the inbox by the nearest due time of a running target,
// soonest (most overdue) first; conversations without one come last, by id.
// Its cursor is "d|<unix nanos or ->|<id>".
var dueSort = inboxSort{
	order: "CASE WHEN sla_due_at IS NULL THEN 1 ELSE 0 END, sla_due_at, id",
	after: func(cursor string) (string, []any, error) {
		at, id, err := decodeDueCursor(cursor)
		if err != nil {
			return "", nil, err
		}
		if at == nil {
			return "sla_due_at IS NULL AND id > ?", []any{id}, nil
		}
		return "(sla_due_at IS NULL OR sla_due_at > ? OR (sla_due_at = ? AND id > ?))", []any{*at, *at, id}, nil
	},
	cursor: func(c model.Conversation) string {
		at := "-"
		if c.SLA.DueAt != nil {
			at = strconv.FormatInt(c.SLA.DueAt.UnixNano(), 10)
		}
		return base64.RawURLEncoding.EncodeToString([]byte("d|" + at + "|" + c.ID))
	},
}

func decodeDueCursor(s string) (*time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, "", ErrBadCursor
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != "d" || uuid.Validate(parts[2]) != nil {
		return nil, "", ErrBadCursor
	}
	if parts[1] == "-" {
		return nil, parts[2], nil
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, "", ErrBadCursor
	}
	at := time.Unix(0, n).UTC()
	return &at, parts[2], nil
}
