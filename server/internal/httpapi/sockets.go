package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"holler/server/internal/model"
	"holler/server/internal/realtime"
)

// socketAuth reads the subprotocol offer: "holler.v1" must be offered and
// the token travels as "bearer.<token>" (browsers cannot set headers on a
// websocket). An Authorization header works too, for non-browser clients.
func socketAuth(r *http.Request) (token string, ok bool) {
	offered := false
	for _, p := range strings.Split(r.Header.Get("Sec-WebSocket-Protocol"), ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == realtime.Subprotocol:
			offered = true
		case strings.HasPrefix(p, "bearer."):
			token = strings.TrimPrefix(p, "bearer.")
		}
	}
	if token == "" {
		token = bearer(r)
	}
	return token, offered && token != ""
}

func cursorParam(c echo.Context) (model.Cursor, error) {
	raw := c.QueryParam("cursor")
	if raw == "" {
		return nil, nil
	}
	cur, err := model.DecodeCursor(raw)
	if err != nil {
		return nil, badRequest("bad_cursor", "The cursor is not one this server issued.")
	}
	return cur, nil
}

// chargeSocket takes a connect token from the client address's bucket
// before any authentication or replay work, so a connect flood costs the
// server almost nothing; refused, it answers 429 with Retry-After before
// the upgrade. Staff and widget sockets share the bucket.
func (a *API) chargeSocket(c echo.Context) error {
	return charge(a.limits.socketsPerIP, c.RealIP())
}

// staffSocket streams the events of every site the user may see.
func (a *API) staffSocket(c echo.Context) error {
	if err := a.chargeSocket(c); err != nil {
		return err
	}
	r := c.Request()
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, a.PublicOrigin) {
		return &httpError{http.StatusForbidden, "origin_not_allowed", "Staff sockets are accepted only from the dashboard's origin."}
	}
	token, ok := socketAuth(r)
	if !ok {
		return &httpError{http.StatusUnauthorized, "unauthorized", "Offer the holler.v1 subprotocol and a bearer.<token> subprotocol."}
	}
	u, err := a.Service.Authenticate(r.Context(), token)
	if err != nil {
		return err
	}
	cur, err := cursorParam(c)
	if err != nil {
		return err
	}
	sites, err := a.staffSiteIDs(r.Context(), u)
	if err != nil {
		return err
	}
	if cur, err = a.Hub.StartCursor(r.Context(), sites, cur); err != nil {
		return err
	}
	conn, err := realtime.Upgrade(c.Response(), r)
	if err != nil {
		return nil // the upgrader already answered
	}
	userID, sv := u.ID, u.SessionVersion
	// The typing closure lives as long as the socket: it keeps only what
	// StaffTyping checks (who, their role, their sites), not the loaded
	// row with its password hash and profile, and builds the actor when a
	// notice comes.
	role, siteIDs := model.RoleAgent, u.SiteIDs
	if u.IsAdmin() {
		role = model.RoleAdmin
	}
	// The socket outlives the request: its context must not keep the
	// request's alive (nor is it cancelled with it).
	a.Hub.Adopt(context.Background(), conn, realtime.Options{
		Sites:  sites,
		Cursor: cur,
		Staff: &realtime.Staff{UserID: userID, SessionVersion: sv, Recheck: func(ctx context.Context) ([]string, bool, error) {
			ids, all, ok, err := a.Service.StaffSites(ctx, userID, sv)
			if err != nil || !ok {
				return nil, ok, err
			}
			if all {
				seqs, err := a.Service.SiteSeqs(ctx)
				if err != nil {
					return nil, false, err
				}
				ids = ids[:0]
				for id := range seqs {
					ids = append(ids, id)
				}
			}
			return ids, true, nil
		}},
		OnFrame: onTyping(func(ctx context.Context, convID string) error {
			actor := &model.User{ID: userID, Role: role, SessionVersion: sv, SiteIDs: siteIDs}
			return a.Service.StaffTyping(ctx, actor, convID)
		}),
	})
	return nil
}

func (a *API) staffSiteIDs(ctx context.Context, u *model.User) ([]string, error) {
	sites, err := a.Service.Sites(ctx, u)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(sites))
	for i, s := range sites {
		ids[i] = s.ID
	}
	return ids, nil
}

// visitorSocket streams one visitor's own conversations, or with a
// conversation token that one conversation.
func (a *API) visitorSocket(c echo.Context) error {
	if err := a.chargeSocket(c); err != nil {
		return err
	}
	r := c.Request()
	s := site(c)
	token, ok := socketAuth(r)
	if !ok {
		return &httpError{http.StatusUnauthorized, "unauthorized", "Offer the holler.v1 subprotocol and a bearer.<visitor_token> subprotocol."}
	}
	acc, err := a.Service.Visitor(r.Context(), s, token, r.Header.Get("Origin"))
	if err != nil {
		return err
	}
	v := acc.Visitor
	cur, err := cursorParam(c)
	if err != nil {
		return err
	}
	if cur, err = a.Hub.StartCursor(r.Context(), []string{s.ID}, cur); err != nil {
		return err
	}
	conn, err := realtime.Upgrade(c.Response(), r)
	if err != nil {
		return nil
	}
	a.Hub.Adopt(context.Background(), conn, realtime.Options{
		Sites:   []string{s.ID},
		Cursor:  cur,
		Visitor: &realtime.Visitor{SiteID: s.ID, VisitorID: v.ID, ConversationID: acc.ConversationID},
		OnFrame: onTyping(func(ctx context.Context, convID string) error {
			if err := acc.Allow(convID); err != nil {
				return err
			}
			return a.Service.VisitorTyping(ctx, v, convID)
		}),
	})
	return nil
}

// onTyping turns a client's typing frames into typing notices. A frame for
// a conversation the sender may not see is dropped without a word: the
// socket has no error channel and a typing hint is not worth one.
func onTyping(notify func(ctx context.Context, convID string) error) func(realtime.ClientFrame) {
	return func(f realtime.ClientFrame) {
		if f.Type != model.EventTyping || f.ConversationID == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = notify(ctx, f.ConversationID)
	}
}
