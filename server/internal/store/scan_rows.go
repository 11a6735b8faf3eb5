package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"holler/server/internal/model"
)

// conversationColumns are the columns of model.Conversation in the order
// both of its readers below take them.
const conversationColumns = "id, site_id, visitor_id, ref, kind, status, assignee_id, tags, page_url, user_agent, " +
	"email, name, preview, rating_score, rating_comment, staff_replied, first_response_at, " +
	"created_at, updated_at, last_message_at, visitor_seen_at, team_id, anger, " +
	"sla_first_response_due, sla_resolution_due, sla_state, sla_due_at, sla_paused_at, " +
	"sla_first_response_warn, sla_resolution_warn, sla_resolved_at, sla_notified, sla_next_at"

var conversationReader = rowReader[model.Conversation]{
	cols: 33,
	pgx: func(r pgx.Rows, c *model.Conversation) error {
		var tags string
		err := r.Scan(&c.ID, &c.SiteID, &c.VisitorID, &c.Ref, &c.Kind, &c.Status, &c.AssigneeID, &tags, &c.PageURL, &c.UserAgent,
			&c.Email, &c.Name, &c.Preview, &c.RatingScore, &c.RatingComment, &c.StaffReplied, &c.FirstResponseAt,
			&c.CreatedAt, &c.UpdatedAt, &c.LastMessageAt, &c.VisitorSeenAt, &c.TeamID, &c.Anger,
			&c.SLA.FirstResponseDue, &c.SLA.ResolutionDue, &c.SLA.State, &c.SLA.DueAt, &c.SLA.PausedAt,
			&c.SLA.FirstResponseWarn, &c.SLA.ResolutionWarn, &c.SLA.ResolvedAt, &c.SLA.Notified, &c.SLA.NextAt)
		if err != nil {
			return err
		}
		for _, t := range []*time.Time{&c.CreatedAt, &c.UpdatedAt, &c.LastMessageAt, c.FirstResponseAt, c.VisitorSeenAt,
			c.SLA.FirstResponseDue, c.SLA.ResolutionDue, c.SLA.DueAt, c.SLA.PausedAt,
			c.SLA.FirstResponseWarn, c.SLA.ResolutionWarn, c.SLA.ResolvedAt, c.SLA.NextAt} {
			utc(t)
		}
		return decodeTags(tags, &c.Tags)
	},
	values: func(r *valueReader, c *model.Conversation) {
		c.ID, c.SiteID, c.VisitorID, c.Ref, c.Kind, c.Status = r.text(), r.text(), r.text(), r.text(), r.text(), r.text()
		c.AssigneeID = r.nullText()
		tags := r.text()
		c.PageURL, c.UserAgent, c.Email, c.Name, c.Preview = r.text(), r.text(), r.text(), r.text(), r.text()
		c.RatingScore, c.RatingComment, c.StaffReplied, c.FirstResponseAt = r.nullInt(), r.text(), r.bool(), r.nullTime()
		c.CreatedAt, c.UpdatedAt, c.LastMessageAt, c.VisitorSeenAt = r.time(), r.time(), r.time(), r.nullTime()
		c.TeamID, c.Anger = r.nullText(), r.float()
		c.SLA.FirstResponseDue, c.SLA.ResolutionDue, c.SLA.State, c.SLA.DueAt, c.SLA.PausedAt =
			r.nullTime(), r.nullTime(), r.text(), r.nullTime(), r.nullTime()
		c.SLA.FirstResponseWarn, c.SLA.ResolutionWarn, c.SLA.ResolvedAt = r.nullTime(), r.nullTime(), r.nullTime()
		c.SLA.Notified, c.SLA.NextAt = int(r.int64()), r.nullTime()
		if err := decodeTags(tags, &c.Tags); err != nil && r.err == nil {
			r.err = err
		}
	},
}

// decodeTags reads the JSON list in a conversation's tags column as GORM's
// json serializer did: "" leaves nil, "[]" (nearly every row) is an empty
// list without a trip through encoding/json.
func decodeTags(raw string, tags *[]string) error {
	switch raw {
	case "":
		*tags = nil
		return nil
	case "[]":
		*tags = []string{}
		return nil
	}
	*tags = nil
	if err := json.Unmarshal([]byte(raw), tags); err != nil {
		return fmt.Errorf("store: conversation tags: %w", err)
	}
	return nil
}

// eventColumns are the columns of model.Event in its readers' order.
const eventColumns = "site_id, seq, type, conversation_id, visitor_id, internal, data, public_data, created_at"

var eventReader = rowReader[model.Event]{
	cols: 9,
	pgx: func(r pgx.Rows, e *model.Event) error {
		err := r.Scan(&e.SiteID, &e.Seq, &e.Type, &e.ConversationID, &e.VisitorID, &e.Internal, &e.Data, &e.PublicData, &e.CreatedAt)
		e.CreatedAt = e.CreatedAt.UTC()
		return err
	},
	values: func(r *valueReader, e *model.Event) {
		e.SiteID, e.Seq, e.Type, e.ConversationID, e.VisitorID = r.text(), r.int64(), r.text(), r.text(), r.text()
		e.Internal, e.Data, e.PublicData, e.CreatedAt = r.bool(), r.text(), r.text(), r.time()
	},
}
