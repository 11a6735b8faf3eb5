package store

import (
	"encoding/json"
	"fmt"

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
	pgx: func(d []any, sc *scratch, c *model.Conversation) {
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9] = &c.ID, &c.SiteID, &c.VisitorID, &c.Ref, &c.Kind,
			&c.Status, &sc.texts[0], &sc.text, &c.PageURL, &c.UserAgent
		d[10], d[11], d[12], d[13], d[14], d[15], d[16] = &c.Email, &c.Name, &c.Preview, &sc.ints[0], &c.RatingComment,
			&c.StaffReplied, &sc.times[0]
		d[17], d[18], d[19], d[20], d[21], d[22] = &c.CreatedAt, &c.UpdatedAt, &c.LastMessageAt, &sc.times[1], &sc.texts[1], &c.Anger
		d[23], d[24], d[25], d[26], d[27] = &sc.times[2], &sc.times[3], &c.SLA.State, &sc.times[4], &sc.times[5]
		d[28], d[29], d[30], d[31], d[32] = &sc.times[6], &sc.times[7], &sc.times[8], &c.SLA.Notified, &sc.times[9]
	},
	finish: func(sc *scratch, c *model.Conversation) error {
		// pgx reads timestamps in time.Local; the store's are UTC.
		c.CreatedAt, c.UpdatedAt, c.LastMessageAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC(), c.LastMessageAt.UTC()
		c.AssigneeID, c.TeamID, c.RatingScore = textPtr(sc.texts[0]), textPtr(sc.texts[1]), intPtr(sc.ints[0])
		c.FirstResponseAt, c.VisitorSeenAt = timePtr(sc.times[0]), timePtr(sc.times[1])
		c.SLA.FirstResponseDue, c.SLA.ResolutionDue, c.SLA.DueAt, c.SLA.PausedAt =
			timePtr(sc.times[2]), timePtr(sc.times[3]), timePtr(sc.times[4]), timePtr(sc.times[5])
		c.SLA.FirstResponseWarn, c.SLA.ResolutionWarn, c.SLA.ResolvedAt, c.SLA.NextAt =
			timePtr(sc.times[6]), timePtr(sc.times[7]), timePtr(sc.times[8]), timePtr(sc.times[9])
		return decodeTags(sc.text, &c.Tags)
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
	pgx: func(d []any, _ *scratch, e *model.Event) {
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8] = &e.SiteID, &e.Seq, &e.Type, &e.ConversationID, &e.VisitorID,
			&e.Internal, &e.Data, &e.PublicData, &e.CreatedAt
	},
	finish: func(_ *scratch, e *model.Event) error {
		e.CreatedAt = e.CreatedAt.UTC()
		return nil
	},
	values: func(r *valueReader, e *model.Event) {
		e.SiteID, e.Seq, e.Type, e.ConversationID, e.VisitorID = r.text(), r.int64(), r.text(), r.text(), r.text()
		e.Internal, e.Data, e.PublicData, e.CreatedAt = r.bool(), r.text(), r.text(), r.time()
	},
}

// messageColumns are the columns of model.Message in its readers' order.
const messageColumns = "id, conversation_id, site_id, author_kind, author_id, author_name, body, internal, via, created_at, anger"

var messageReader = rowReader[model.Message]{
	cols: 11,
	pgx: func(d []any, sc *scratch, m *model.Message) {
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10] = &m.ID, &m.ConversationID, &m.SiteID,
			&m.AuthorKind, &m.AuthorID, &m.AuthorName, &m.Body, &m.Internal, &m.Via, &m.CreatedAt, &sc.floats[0]
	},
	finish: func(sc *scratch, m *model.Message) error {
		m.CreatedAt, m.Anger = m.CreatedAt.UTC(), floatPtr(sc.floats[0])
		return nil
	},
	values: func(r *valueReader, m *model.Message) {
		m.ID, m.ConversationID, m.SiteID, m.AuthorKind, m.AuthorID, m.AuthorName, m.Body =
			r.text(), r.text(), r.text(), r.text(), r.text(), r.text(), r.text()
		m.Internal, m.Via, m.CreatedAt, m.Anger = r.bool(), r.text(), r.time(), r.nullFloat()
	},
}
