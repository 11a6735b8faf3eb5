package service

import (
	"context"
	"errors"

	"holler/server/internal/auth"
	"holler/server/internal/model"
)

// VisitorAccess is who a widget request speaks for: a visitor of the site
// and, when the credential was a conversation token (the link in a mail),
// the one conversation that token grants.
type VisitorAccess struct {
	Visitor *model.Visitor
	// ConversationID is set for a conversation token. Such a caller reaches
	// that conversation and nothing else of the visitor's: a link forwarded
	// or leaked from one mail must not open the customer's other threads.
	ConversationID string
}

// Allow reports whether the caller may act on conversation convID; ""
// stands for a route that names no conversation (the visitor's list).
// Ownership of convID is still checked where the conversation is loaded.
func (a *VisitorAccess) Allow(convID string) error {
	switch {
	case a.ConversationID == "":
		return nil
	case convID == "":
		return model.ErrUnauthorized // the list takes the visitor's own token
	case convID != a.ConversationID:
		return model.ErrNotFound
	}
	return nil
}

// Visitor decides the credential of a widget route: a visitor token of this
// site, or a conversation token of one of this site's conversations. It
// also decides the request's origin, because only the credential can: the
// customer's conversation page is served on Holler's own origin, which a
// site's allowed origins never list, and it may use its conversation's
// routes with its conversation token; a plain visitor token from that
// origin stays subject to the site's list like any other.
func (s *Service) Visitor(ctx context.Context, site *model.Site, token, origin string) (*VisitorAccess, error) {
	convID, err := s.signer.ParseConversationToken(token)
	if !errors.Is(err, auth.ErrInvalidToken) {
		if !OriginAllowed(site, origin) && !s.ownOrigin(origin) {
			return nil, model.ErrOriginNotAllowed
		}
		if errors.Is(err, auth.ErrExpiredToken) {
			return nil, model.ErrTokenExpired
		}
		c, v, err := s.tokenConversation(ctx, convID)
		if err != nil {
			return nil, err
		}
		// Another site's key with this token is another site's route: as
		// with any conversation that is not the caller's, it is not there.
		if c.SiteID != site.ID {
			return nil, model.ErrNotFound
		}
		return &VisitorAccess{Visitor: v, ConversationID: c.ID}, nil
	}
	if !OriginAllowed(site, origin) {
		return nil, model.ErrOriginNotAllowed
	}
	claims, err := s.signer.ParseVisitor(token, site.ID)
	if err != nil {
		return nil, model.ErrUnauthorized
	}
	v, err := s.store.VisitorByID(ctx, site.ID, claims.Subject)
	if errors.Is(err, model.ErrNotFound) {
		return nil, model.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	return &VisitorAccess{Visitor: v}, nil
}

// ownOrigin reports whether origin is Holler's own (HOLLER_PUBLIC_URL's).
func (s *Service) ownOrigin(origin string) bool {
	norm, ok := checkOrigin(origin)
	own, known := checkOrigin(s.publicOrigin)
	return ok && known && norm == own
}

// tokenConversation loads what a verified conversation token names. A
// conversation that is gone answers ErrNotFound, like one never granted.
func (s *Service) tokenConversation(ctx context.Context, convID string) (*model.Conversation, *model.Visitor, error) {
	c, err := s.store.ConversationByID(ctx, convID)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.store.VisitorByID(ctx, c.SiteID, c.VisitorID)
	if err != nil {
		return nil, nil, err
	}
	return c, v, nil
}

// CustomerPage is what the customer's own conversation page (GET /c/{token}) is
// drawn with before its script runs: the site's face and the conversation
// the link grants. The thread itself is fetched by the script with the
// token, through the same visitor routes as the widget's.
type CustomerPage struct {
	Site           *model.Site
	ConversationID string
	Config         WidgetConfig
}

// CustomerPage opens a customer's link. A token that does not verify,
// or names a conversation that is gone, is ErrNotFound; a verified but
// expired one is ErrLinkExpired (with the site, so the page can say it in
// the site's language).
func (s *Service) CustomerPage(ctx context.Context, token string) (*CustomerPage, error) {
	convID, err := s.signer.ParseConversationToken(token)
	if errors.Is(err, auth.ErrInvalidToken) {
		return nil, model.ErrNotFound
	}
	expired := errors.Is(err, auth.ErrExpiredToken)
	c, _, err := s.tokenConversation(ctx, convID)
	if err != nil {
		return nil, err
	}
	site, err := s.store.SiteByID(ctx, c.SiteID)
	if err != nil {
		return nil, err
	}
	cfg, err := s.Config(ctx, site)
	if err != nil {
		return nil, err
	}
	page := &CustomerPage{Site: site, ConversationID: c.ID, Config: *cfg}
	if expired {
		return page, model.ErrLinkExpired
	}
	return page, nil
}
