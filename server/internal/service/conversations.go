package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

// IdempotencyTTL is how long a widget POST's Idempotency-Key is remembered.
const IdempotencyTTL = 48 * time.Hour

// NewConversationInput is what a visitor sends to open a conversation.
type NewConversationInput struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Email   string `json:"email"`
	Name    string `json:"name"`
	PageURL string `json:"page_url"`
	// Website is a honeypot: the widget hides it from people, bots fill it.
	Website string `json:"website"`
}

// VisitorRequest carries who is asking on a widget route.
type VisitorRequest struct {
	Token          string // the visitor token, if any
	UserAgent      string
	IdempotencyKey string
}

// CreatedConversation is the 201 answer to a new conversation.
type CreatedConversation struct {
	Conversation model.Conversation `json:"conversation"`
	Message      model.Message      `json:"message"`
	VisitorToken string             `json:"visitor_token"`
}

// Thread is a conversation with its messages.
type Thread struct {
	Conversation model.Conversation `json:"conversation"`
	Messages     []model.Message    `json:"messages"`

	// EmpathyOpeners (staff, angry conversations only) are short openers
	// the reply box offers, in the site's language.
	EmpathyOpeners []string `json:"empathy_openers,omitempty"`
}

func preview(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(body) > 140 {
		return string([]rune(body)[:140]) + "…"
	}
	return body
}

// CreateConversation opens a conversation for a (possibly new) visitor.
// With an Idempotency-Key, a retry of the same request returns the first
// answer and creates nothing; the key is stored in the same transaction as
// the conversation, so it exists exactly when the conversation does.
func (s *Service) CreateConversation(ctx context.Context, site *model.Site, req VisitorRequest, in NewConversationInput) (*CreatedConversation, error) {
	var v model.Validator
	if in.Website != "" {
		v.Add("website", "must be empty")
	}
	if !contains(site.Kinds, in.Kind) {
		v.Add("kind", "must be one of "+strings.Join(site.Kinds, ", "))
	}
	in.Message = checkText(&v, "message", in.Message, model.MaxMessageLen, true, multiLine)
	in.Email = checkEmail(&v, "email", in.Email, false)
	in.Name = checkText(&v, "name", in.Name, model.MaxNameLen, false, oneLine)
	in.PageURL = checkURL(&v, "page_url", in.PageURL)
	checkIdemKey(&v, req.IdempotencyKey)
	if err := v.Err(); err != nil {
		return nil, err
	}
	req.UserAgent = scrub(req.UserAgent, 512)

	// The fingerprint is the body, not the caller: a retry whose first answer
	// was lost may carry another visitor token (or none) than the original,
	// and must still get the original's answer.
	k := newIdemKey(site.ID, req.IdempotencyKey, "create", in)
	return idempotent(ctx, s, k, 201, func(ctx context.Context, tx *store.Store) (*CreatedConversation, []model.Event, error) {
		now := s.now()
		visitor, err := s.visitorForCreate(ctx, tx, site, req.Token)
		if err != nil {
			return nil, nil, err
		}
		visitor.LastSeenAt = now
		if in.Email != "" {
			visitor.Email = in.Email
		}
		if in.Name != "" {
			visitor.Name = in.Name
		}
		if visitor.CreatedAt.IsZero() {
			visitor.CreatedAt = now
			err = tx.CreateVisitor(ctx, visitor)
		} else {
			err = tx.SaveVisitor(ctx, visitor)
		}
		if err != nil {
			return nil, nil, err
		}
		conv := &model.Conversation{SiteID: site.ID, VisitorID: visitor.ID, Kind: in.Kind, Status: model.StatusOpen,
			PageURL: in.PageURL, UserAgent: req.UserAgent, Email: visitor.Email, Name: visitor.Name,
			Preview: preview(in.Message), CreatedAt: now, UpdatedAt: now, LastMessageAt: now}
		msg := &model.Message{SiteID: site.ID, AuthorKind: model.AuthorVisitor,
			AuthorID: visitor.ID, AuthorName: visitor.Name, Body: in.Message, CreatedAt: now}
		scoreCustomer(site, conv, msg)
		if err := s.routeNew(ctx, tx, site, conv, in.Message); err != nil {
			return nil, nil, err
		}
		if err := s.slaStart(ctx, tx, site, conv); err != nil {
			return nil, nil, err
		}
		if err := tx.CreateConversation(ctx, conv); err != nil {
			return nil, nil, err
		}
		msg.ConversationID = conv.ID
		if err := tx.CreateMessage(ctx, msg); err != nil {
			return nil, nil, err
		}
		ev := model.Event{SiteID: site.ID, Type: model.EventConversationCreated, ConversationID: conv.ID,
			VisitorID: visitor.ID, CreatedAt: now}
		if err := tx.AppendEvent(ctx, &ev,
			map[string]any{"conversation": conv, "message": msg},
			map[string]any{"conversation": conv.ForVisitor(), "message": msg.ForVisitor()}); err != nil {
			return nil, nil, err
		}
		if err := s.mailNewConversation(ctx, tx, conv, msg); err != nil {
			return nil, nil, err
		}
		token, err := s.signer.Visitor(site.ID, visitor.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("sign visitor token: %w", err)
		}
		out := &CreatedConversation{Conversation: conv.ForVisitor(), Message: msg.ForVisitor(), VisitorToken: token}
		return out, []model.Event{ev}, nil
	})
}

// visitorForCreate returns the visitor behind a valid token of this site,
// or a new (unsaved, zero CreatedAt) visitor. A stale or foreign token is
// not an error here: the customer simply starts as a new visitor.
func (s *Service) visitorForCreate(ctx context.Context, tx *store.Store, site *model.Site, token string) (*model.Visitor, error) {
	if token != "" {
		if c, err := s.signer.ParseVisitor(token, site.ID); err == nil {
			v, err := tx.VisitorByID(ctx, site.ID, c.Subject)
			if err == nil {
				return v, nil
			}
			if !errors.Is(err, model.ErrNotFound) {
				return nil, err
			}
		}
	}
	return &model.Visitor{ID: store.NewID(), SiteID: site.ID}, nil
}

// VisitorPage is a visitor's conversation list. EventsCursor is the event
// stream position taken before the list was read, for the widget's socket.
type VisitorPage struct {
	Conversations []model.Conversation `json:"conversations"`
	EventsCursor  string               `json:"events_cursor"`
}

// VisitorConversations lists a visitor's conversations.
func (s *Service) VisitorConversations(ctx context.Context, v *model.Visitor) (*VisitorPage, error) {
	site, err := s.store.SiteByID(ctx, v.SiteID)
	if err != nil {
		return nil, err
	}
	list, err := s.store.VisitorConversations(ctx, v.SiteID, v.ID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i] = list[i].ForVisitor()
	}
	return &VisitorPage{Conversations: list, EventsCursor: model.Cursor{v.SiteID: site.EventSeq}.Encode()}, nil
}

// VisitorThread returns one of the visitor's conversations without notes.
func (s *Service) VisitorThread(ctx context.Context, v *model.Visitor, id string) (*Thread, error) {
	c, err := s.visitorConversation(ctx, v, id)
	if err != nil {
		return nil, err
	}
	msgs, err := s.store.Messages(ctx, id, false)
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		msgs[i] = msgs[i].ForVisitor()
	}
	return &Thread{Conversation: c.ForVisitor(), Messages: msgs}, nil
}

// visitorConversation loads one of the visitor's own conversations; any
// other (another visitor's, another site's, none) is ErrNotFound.
func (s *Service) visitorConversation(ctx context.Context, v *model.Visitor, id string) (*model.Conversation, error) {
	if !validID(id) {
		return nil, model.ErrNotFound
	}
	c, err := s.store.ConversationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.SiteID != v.SiteID || c.VisitorID != v.ID {
		return nil, model.ErrNotFound
	}
	return c, nil
}
