package service

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

// MessageInput is a reply or, from staff, an internal note.
type MessageInput struct {
	Body     string `json:"body"`
	Internal bool   `json:"internal"`
}

// author describes who writes a message and which conversations they may
// write to.
type author struct {
	kind  string
	id    string
	name  string
	via   string // "" or model.ViaEmail
	allow func(c *model.Conversation) bool
}

// addMessage appends a message under the conversation's row lock and writes
// its events in the same transaction (shared with other writes to k.site);
// it publishes after commit.
func (s *Service) addMessage(ctx context.Context, convID string, a author, in MessageInput, k idemKey) (*model.Message, error) {
	if !validID(convID) {
		return nil, model.ErrNotFound
	}
	var v model.Validator
	in.Body = checkText(&v, "body", in.Body, model.MaxMessageLen, true, multiLine)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if k.site == "" {
		// The site names the batch the message commits in; a conversation
		// never changes site, so reading it before the transaction is safe.
		c, err := s.store.ConversationByID(ctx, convID)
		if err != nil {
			return nil, err
		}
		k.site = c.SiteID
	}
	return idempotent(ctx, s, k, 201, func(ctx context.Context, tx *store.Store) (*model.Message, []model.Event, error) {
		return s.appendMessage(ctx, tx, convID, a, in)
	})
}

func (s *Service) appendMessage(ctx context.Context, tx *store.Store, convID string, a author, in MessageInput) (*model.Message, []model.Event, error) {
	var events []model.Event
	c, err := tx.LockConversation(ctx, convID)
	if err != nil {
		return nil, nil, err
	}
	if !a.allow(c) {
		return nil, nil, model.ErrNotFound
	}
	prev := *c
	now := s.now()
	msg := &model.Message{ConversationID: c.ID, SiteID: c.SiteID, AuthorKind: a.kind, AuthorID: a.id,
		AuthorName: a.name, Body: in.Body, Internal: in.Internal, Via: a.via, CreatedAt: now}
	angrier, err := s.scoreVisitorMessage(ctx, tx, c, msg)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.CreateMessage(ctx, msg); err != nil {
		return nil, nil, err
	}
	ev := model.Event{SiteID: c.SiteID, Type: model.EventMessageCreated, ConversationID: c.ID,
		VisitorID: c.VisitorID, Internal: in.Internal, CreatedAt: now}
	if err := tx.AppendEvent(ctx, &ev, map[string]any{"message": msg}, map[string]any{"message": msg.ForVisitor()}); err != nil {
		return nil, nil, err
	}
	events = append(events, ev)
	if in.Internal {
		return msg, events, nil
	}
	// The mail a message causes is queued in its transaction: committed
	// together or not at all.
	mailErr := error(nil)
	if a.kind == model.AuthorStaff {
		mailErr = s.mailStaffReply(ctx, tx, c, msg)
	} else if a.kind == model.AuthorVisitor {
		mailErr = s.mailAssignee(ctx, tx, c, msg)
	}
	if mailErr != nil {
		return nil, nil, mailErr
	}
	// A visitor writing again reopens the conversation; a staff reply
	// marks it answered.
	changed := false
	if a.kind == model.AuthorVisitor && c.Status != model.StatusOpen {
		c.Status, changed = model.StatusOpen, true
	}
	if a.kind == model.AuthorStaff && !c.StaffReplied {
		c.StaffReplied, changed = true, true
		c.FirstResponseAt = &now
	}
	c.LastMessageAt, c.UpdatedAt, c.Preview = now, now, preview(in.Body)
	if err := s.slaTrack(ctx, tx, &prev, c, now); err != nil {
		return nil, nil, err
	}
	if err := tx.SaveConversation(ctx, c); err != nil {
		return nil, nil, err
	}
	if changed || angrier {
		// Only staff see the anger: a change of nothing else stays off
		// the visitor's socket.
		ev, err := s.conversationUpdated(ctx, tx, c, !changed)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, ev)
	}
	return msg, events, nil
}

// conversationUpdated logs a change of c. An internal change (one the
// visitor's view of the conversation does not show) reaches staff only.
func (s *Service) conversationUpdated(ctx context.Context, tx *store.Store, c *model.Conversation, internal bool) (model.Event, error) {
	ev := model.Event{SiteID: c.SiteID, Type: model.EventConversationUpdated, ConversationID: c.ID,
		VisitorID: c.VisitorID, Internal: internal, CreatedAt: s.now()}
	err := tx.AppendEvent(ctx, &ev, map[string]any{"conversation": c}, map[string]any{"conversation": c.ForVisitor()})
	return ev, err
}

// VisitorReply adds a visitor's message to one of their conversations.
// With an Idempotency-Key a retried send never posts the message twice.
func (s *Service) VisitorReply(ctx context.Context, v *model.Visitor, convID string, in MessageInput, idempotencyKey string) (*model.Message, error) {
	in.Internal = false
	var val model.Validator
	checkIdemKey(&val, idempotencyKey)
	if err := val.Err(); err != nil {
		return nil, err
	}
	// Unlike a create, a reply's fingerprint names the visitor: only the
	// conversation's own visitor can post it, under any of their tokens (a
	// visitor's ID stays when their token is renewed), and another visitor
	// who somehow sends the same key must not read this one's message.
	k := newIdemKey(v.SiteID, idempotencyKey, "reply", v.ID, convID, in.Body)
	m, err := s.addMessage(ctx, convID, author{kind: model.AuthorVisitor, id: v.ID, name: v.Name,
		allow: func(c *model.Conversation) bool { return c.SiteID == v.SiteID && c.VisitorID == v.ID }}, in, k)
	if err != nil {
		return nil, err
	}
	out := m.ForVisitor()
	return &out, nil
}

// StaffReply adds a staff reply or internal note.
func (s *Service) StaffReply(ctx context.Context, actor *model.User, convID string, in MessageInput) (*model.Message, error) {
	m, err := s.addMessage(ctx, convID, author{kind: model.AuthorStaff, id: actor.ID, name: displayName(actor),
		allow: func(c *model.Conversation) bool { return canSee(actor, c.SiteID) }}, in, idemKey{})
	if err == nil && !in.Internal {
		// It may have been the conversation's first response: recompute
		// the site's typical reply time at the next look.
		s.forgetTypical(m.SiteID)
	}
	return m, err
}

// ConversationPatch changes a conversation; absent fields stay.
type ConversationPatch struct {
	Status     *string         `json:"status"`
	AssigneeID json.RawMessage `json:"assignee_id"` // absent: keep; null or "": unassign
	Kind       *string         `json:"kind"`
	Tags       *[]string       `json:"tags"`
}

// UpdateConversation applies a staff member's patch.
func (s *Service) UpdateConversation(ctx context.Context, actor *model.User, convID string, p ConversationPatch) (*model.Conversation, error) {
	if !validID(convID) {
		return nil, model.ErrNotFound
	}
	var v model.Validator
	if p.Status != nil && *p.Status != model.StatusOpen && *p.Status != model.StatusPending && *p.Status != model.StatusResolved {
		v.Add("status", "must be open, pending or resolved")
	}
	if p.Kind != nil && !contains(model.AllKinds, *p.Kind) {
		v.Add("kind", "must be question, complaint, feedback or praise")
	}
	var assignee *string
	assign := len(p.AssigneeID) > 0
	if assign && string(p.AssigneeID) != "null" {
		var id string
		if err := json.Unmarshal(p.AssigneeID, &id); err != nil {
			v.Add("assignee_id", "must be a user id or null")
		} else if id != "" {
			assignee = &id
		}
	}
	var tags []string
	if p.Tags != nil {
		tags = []string{}
		for _, t := range *p.Tags {
			var tv model.Validator
			if t = strings.ToLower(checkText(&tv, "tags", t, 40, true, oneLine)); tv.Err() != nil {
				v.Add("tags", "each tag must be 1 to 40 characters of one line of text")
				continue
			}
			if !contains(tags, t) {
				tags = append(tags, t)
			}
		}
		if len(tags) > 20 {
			v.Add("tags", "at most 20 tags")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var c *model.Conversation
	var events []model.Event
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if c, err = tx.LockConversation(ctx, convID); err != nil {
			return err
		}
		if !canSee(actor, c.SiteID) {
			return model.ErrNotFound
		}
		before, prev := visitorView(c), *c
		if assignee != nil {
			u, err := tx.UserByID(ctx, *assignee)
			if err != nil || u.Disabled || !canSee(u, c.SiteID) {
				return &model.ValidationError{Fields: map[string]string{"assignee_id": "is not a staff member of this site"}}
			}
		}
		if p.Status != nil {
			c.Status = *p.Status
		}
		if p.Kind != nil {
			c.Kind = *p.Kind
		}
		if assign {
			c.AssigneeID = assignee
		}
		if tags != nil {
			c.Tags = tags
		}
		c.UpdatedAt = s.now()
		if err := s.slaTrack(ctx, tx, &prev, c, c.UpdatedAt); err != nil {
			return err
		}
		if err := tx.SaveConversation(ctx, c); err != nil {
			return err
		}
		// Tags and the assignee are staff business: a change of only those
		// must not wake the visitor's widget.
		ev, err := s.conversationUpdated(ctx, tx, c, visitorView(c) == before)
		events = append(events, ev)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, events)
	return c, nil
}

// visitorView is what the visitor sees of c, minus the bookkeeping time of
// the last change, in a comparable form.
func visitorView(c *model.Conversation) string {
	v := c.ForVisitor()
	v.UpdatedAt = time.Time{}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// ConversationQuery filters the staff inbox.
type ConversationQuery struct {
	SiteID     string `query:"site_id"`
	Status     string `query:"status"`
	Kind       string `query:"kind"`
	AssigneeID string `query:"assignee_id"`
	Q          string `query:"q"`
	Limit      int    `query:"limit"`
	Cursor     string `query:"cursor"`

	// Sort is recent (default), due (nearest SLA due time first) or anger
	// (angriest first).
	Sort string `query:"sort"`

	// TeamID filters by team: a team's ID, or "mine" for the teams the
	// caller is in. AssigneeID also takes "me".
	TeamID string `query:"team_id"`
}

// ConversationPage is one page of the inbox. EventsCursor is the event
// stream position taken before the query: a socket opened with it misses
// nothing that happened after this page was read.
type ConversationPage struct {
	Conversations []model.Conversation `json:"conversations"`
	NextCursor    string               `json:"next_cursor"`
	EventsCursor  string               `json:"events_cursor"`
}

// Conversations lists the inbox of the sites the actor may see.
func (s *Service) Conversations(ctx context.Context, actor *model.User, q ConversationQuery) (*ConversationPage, error) {
	var v model.Validator
	if q.Limit < 0 || q.Limit > 100 {
		v.Add("limit", "must be between 1 and 100")
	}
	if q.Status != "" && q.Status != model.StatusOpen && q.Status != model.StatusPending && q.Status != model.StatusResolved {
		v.Add("status", "must be open, pending or resolved")
	}
	if q.Kind != "" && !contains(model.AllKinds, q.Kind) {
		v.Add("kind", "must be question, complaint, feedback or praise")
	}
	checkLine(&v, "q", q.Q)
	if len(q.Q) > 200 {
		v.Add("q", "is too long (at most 200 characters)")
	}
	for field, id := range map[string]string{"site_id": q.SiteID, "assignee_id": q.AssigneeID, "team_id": q.TeamID} {
		if !validID(id) {
			v.Add(field, problemControl)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sites, err := s.Sites(ctx, actor)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, site := range sites {
		if q.SiteID == "" || q.SiteID == site.ID {
			ids = append(ids, site.ID)
		}
	}
	cursor, err := s.StaffCursor(ctx, actor)
	if err != nil {
		return nil, err
	}
	teams, err := s.teamFilter(ctx, actor, &q)
	if err != nil {
		return nil, err
	}
	list, next, err := s.store.ListConversations(ctx, store.ConversationFilter{SiteIDs: ids, Status: q.Status, Kind: q.Kind,
		AssigneeID: q.AssigneeID, Query: q.Q, Limit: q.Limit, Cursor: q.Cursor, TeamIDs: teams,
		Sort: q.Sort})
	if err == store.ErrBadCursor {
		return nil, &model.ValidationError{Fields: map[string]string{"cursor": "is not a cursor this server issued for this sort"}}
	}
	if err == store.ErrBadSort {
		return nil, &model.ValidationError{Fields: map[string]string{"sort": "must be one of " + strings.Join(store.SortNames, ", ")}}
	}
	if err != nil {
		return nil, err
	}
	return &ConversationPage{Conversations: list, NextCursor: next, EventsCursor: cursor}, nil
}

// StaffThread returns a conversation with every message and note.
func (s *Service) StaffThread(ctx context.Context, actor *model.User, id string) (*Thread, error) {
	c, err := s.staffConversation(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	msgs, err := s.store.Messages(ctx, id, true)
	if err != nil {
		return nil, err
	}
	t := &Thread{Conversation: *c, Messages: msgs}
	if t.EmpathyOpeners, err = s.empathyOpeners(ctx, c, msgs); err != nil {
		return nil, err
	}
	return t, nil
}

// staffConversation loads a conversation of a site the actor may see; any
// other is ErrNotFound.
func (s *Service) staffConversation(ctx context.Context, actor *model.User, id string) (*model.Conversation, error) {
	if !validID(id) {
		return nil, model.ErrNotFound
	}
	c, err := s.store.ConversationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSee(actor, c.SiteID) {
		return nil, model.ErrNotFound
	}
	return c, nil
}
