package store

import (
	"context"
	"fmt"
	"time"

	"holler/server/internal/model"
)

// EnqueueMail writes an outbox row inside the caller's transaction. A row
// with a GroupKey joins a row of the same group that still waits for its
// send time and was never tried: its items gather there (several replies in
// one customer mail), and its send time stays, so gathering never delays the
// first item. Otherwise it is a new row.
func (s *Store) EnqueueMail(ctx context.Context, m *model.OutboxMail, now time.Time) error {
	if s.root == nil {
		return fmt.Errorf("enqueue mail: must run inside a transaction")
	}
	if m.GroupKey != "" {
		q := "SELECT * FROM mail_outbox WHERE group_key = ? AND status = ? AND attempts = 0 AND claimed_until IS NULL AND send_after > ? ORDER BY send_after LIMIT 1"
		if s.dialect == DialectPostgres {
			// The worker claims with SKIP LOCKED: holding this row keeps it
			// out of a claim until the new item is committed with it.
			q += " FOR UPDATE"
		}
		var open model.OutboxMail
		res := s.q(ctx).Raw(q, m.GroupKey, model.MailQueued, now).Scan(&open)
		if res.Error != nil {
			return fmt.Errorf("enqueue mail: %w", translate(res.Error))
		}
		if res.RowsAffected == 1 {
			for _, it := range m.Items {
				if !containsString(open.Items, it) {
					open.Items = append(open.Items, it)
				}
			}
			err := s.q(ctx).Model(&open).Select("items").Updates(&open).Error
			if err != nil {
				return fmt.Errorf("enqueue mail: %w", translate(err))
			}
			*m = open
			return nil
		}
	}
	if m.ID == "" {
		m.ID = NewID()
	}
	if m.Items == nil {
		m.Items = []string{}
	}
	m.Status, m.CreatedAt = model.MailQueued, now
	if err := s.q(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("enqueue mail: %w", translate(err))
	}
	return nil
}

// ClaimMail takes up to limit due rows for this caller until now+lease.
// PostgreSQL skips rows another instance is claiming at this moment
// (FOR UPDATE SKIP LOCKED); SQLite has one writer. A claim that is not
// finished by its end (the instance died) is free to claim again.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]model.OutboxMail, error) {
	claim := NewID()
	sub := "SELECT id FROM mail_outbox WHERE status = ? AND send_after <= ? AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY send_after, id LIMIT ?"
	if s.dialect == DialectPostgres {
		sub += " FOR UPDATE SKIP LOCKED"
	}
	out := []model.OutboxMail{}
	err := s.InTx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Exec("UPDATE mail_outbox SET claimed_until = ?, claim_id = ? WHERE id IN ("+sub+")",
			now.Add(lease), claim, model.MailQueued, now, now, limit)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return tx.q(ctx).Where("claim_id = ?", claim).Order("send_after, id").Find(&out).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", translate(err))
	}
	return out, nil
}

// FinishMail records the outcome of a claimed row: status, attempts, next
// send time and error. It changes nothing when the claim was lost (the lease
// ran out and another instance took the row) and reports that.
func (s *Store) FinishMail(ctx context.Context, m *model.OutboxMail) (bool, error) {
	res := s.q(ctx).Model(&model.OutboxMail{}).Where("id = ? AND claim_id = ?", m.ID, m.ClaimID).
		Updates(map[string]any{"status": m.Status, "attempts": m.Attempts, "send_after": m.SendAfter,
			"last_error": m.LastError, "sent_at": m.SentAt, "claimed_until": nil})
	if res.Error != nil {
		return false, fmt.Errorf("finish mail: %w", translate(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// MailCounts returns how many rows are in each status.
func (s *Store) MailCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	err := s.q(ctx).Model(&model.OutboxMail{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("mail counts: %w", translate(err))
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// FailedMail lists the latest refused mails, newest first.
func (s *Store) FailedMail(ctx context.Context, limit int) ([]model.OutboxMail, error) {
	out := []model.OutboxMail{}
	err := s.q(ctx).Where("status = ?", model.MailFailed).Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("failed mail: %w", translate(err))
	}
	return out, nil
}

// PruneMail deletes finished rows created before before; queued rows stay
// however old they are, since they are mail not yet delivered.
func (s *Store) PruneMail(ctx context.Context, before time.Time) (int64, error) {
	res := s.q(ctx).Where("status <> ? AND created_at < ?", model.MailQueued, before).Delete(&model.OutboxMail{})
	return res.RowsAffected, translate(res.Error)
}

// MarkVisitorSeen moves a conversation's seen mark forward to at (never back).
func (s *Store) MarkVisitorSeen(ctx context.Context, convID string, at time.Time) error {
	err := s.q(ctx).Model(&model.Conversation{}).
		Where("id = ? AND (visitor_seen_at IS NULL OR visitor_seen_at < ?)", convID, at).
		Update("visitor_seen_at", at).Error
	return translate(err)
}

// MessageByID loads one message.
func (s *Store) MessageByID(ctx context.Context, id string) (*model.Message, error) {
	var m model.Message
	if err := s.q(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("message: %w", translate(err))
	}
	return &m, nil
}

// MessagesByIDs loads messages in thread order; missing IDs are left out.
func (s *Store) MessagesByIDs(ctx context.Context, ids []string) ([]model.Message, error) {
	out := []model.Message{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := s.q(ctx).Where("id IN ?", ids).Order("created_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("messages: %w", translate(err))
	}
	return out, nil
}

// ConversationsByIDs loads conversations, oldest first; missing IDs are left out.
func (s *Store) ConversationsByIDs(ctx context.Context, ids []string) ([]model.Conversation, error) {
	out := []model.Conversation{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := s.q(ctx).Where("id IN ?", ids).Order("created_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("conversations: %w", translate(err))
	}
	return out, nil
}

// SiteStaff lists the enabled users who may see a site (its members and
// every admin), with their notification settings.
func (s *Store) SiteStaff(ctx context.Context, siteID string) ([]model.User, error) {
	return sharedRead(s, "staff", siteID, func() ([]model.User, error) { return s.siteStaff(ctx, siteID) }, cloneUsers)
}

func (s *Store) siteStaff(ctx context.Context, siteID string) ([]model.User, error) {
	out := []model.User{}
	err := s.q(ctx).Where("disabled = ? AND (role = ? OR id IN (?))", false, model.RoleAdmin,
		s.db.Model(&model.Membership{}).Select("user_id").Where("site_id = ?", siteID)).
		Order("created_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("site staff: %w", translate(err))
	}
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
