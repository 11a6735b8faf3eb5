package service

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

// Who writes canned replies: a shared reply (site_id null) speaks on every
// site, so only admins, who answer for every site, write one; a site's own
// reply is written by anyone who answers that site (its agents and the
// admins), since the people answering a shop know its words best and
// should not wait for an admin. Everyone reads the shared replies and those
// of their own sites; another site's reply is not there (404).

// CannedInput creates or changes a canned reply; absent fields stay.
type CannedInput struct {
	// SiteID is a site's ID, or null (or absent, on create) for a shared
	// reply. It is fixed at creation: a PATCH may repeat it, not change it.
	SiteID   json.RawMessage `json:"site_id"`
	Shortcut *string         `json:"shortcut"`
	Title    *string         `json:"title"`
	Body     *string         `json:"body"`
}

// CannedQuery filters the list: the replies usable on one site (its own and
// the shared ones), or, without site_id, every reply the caller may use.
type CannedQuery struct {
	SiteID string `query:"site_id"`
	Q      string `query:"q"`
}

// CannedUse is the answer to using a reply in a conversation.
type CannedUse struct {
	Body        string            `json:"body"`
	CannedReply model.CannedReply `json:"canned_reply"`
}

// Canned reply variables and what fills them.
const (
	varCustomerName    = "customer.name"
	varConversationRef = "conversation.ref"
	varAgentName       = "agent.name"
	varSiteName        = "site.name"
)

var cannedVars = []string{varCustomerName, varConversationRef, varAgentName, varSiteName}

// cannedVarRe matches {{name}} and {{name|fallback}}; the fallback fills in
// for an empty value ("Hi {{customer.name|there}}" for an anonymous visitor).
var cannedVarRe = regexp.MustCompile(`\{\{\s*([^{}|]*?)\s*(?:\|([^{}]*))?\}\}`)

// shortcutRe: what follows "/" in the reply box, lower case.
var shortcutRe = regexp.MustCompile(`^[\p{Ll}\p{Lo}\p{N}][\p{Ll}\p{Lo}\p{N}_-]{0,39}$`)

const problemShortcut = "must be 1 to 40 letters, digits, '-' or '_', starting with a letter or digit"

// apply checks in and copies it onto r. An unknown variable is refused
// here, at save time, rather than left for a customer to read.
func (in CannedInput) apply(v *model.Validator, r *model.CannedReply, creating bool) {
	if in.Shortcut != nil || creating {
		sc := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(deref(in.Shortcut, "")), "/"))
		if !shortcutRe.MatchString(sc) {
			v.Add("shortcut", problemShortcut)
		}
		r.Shortcut = sc
	}
	if in.Title != nil || creating {
		r.Title = checkText(v, "title", deref(in.Title, ""), model.MaxNameLen, true, oneLine)
	}
	if in.Body != nil || creating {
		r.Body = checkText(v, "body", deref(in.Body, ""), model.MaxMessageLen, true, multiLine)
		for _, m := range cannedVarRe.FindAllStringSubmatch(r.Body, -1) {
			if !contains(cannedVars, m[1]) {
				v.Add("body", "has an unknown variable "+m[0]+" (known: {{"+strings.Join(cannedVars, "}}, {{")+"}})")
			}
		}
	}
}

// parseSiteID reads the site_id of a request: nil for null or absent.
func parseSiteID(v *model.Validator, raw json.RawMessage) *string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil || id == "" {
		v.Add("site_id", "must be a site id or null")
		return nil
	}
	return &id
}

// mayWriteCanned reports whether actor may write replies of the scope.
func mayWriteCanned(actor *model.User, siteID *string) bool {
	if siteID == nil {
		return actor.IsAdmin()
	}
	return canSee(actor, *siteID)
}

// mayReadCanned reports whether actor may see and use r.
func mayReadCanned(actor *model.User, r *model.CannedReply) bool {
	return r.SiteID == nil || canSee(actor, *r.SiteID)
}

// CannedReplies lists the replies the caller may use, most used first.
func (s *Service) CannedReplies(ctx context.Context, actor *model.User, q CannedQuery) ([]model.CannedReply, error) {
	var v model.Validator
	checkLine(&v, "q", q.Q)
	if len(q.Q) > 200 {
		v.Add("q", "is too long (at most 200 characters)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	ids, err := s.scopeSites(ctx, actor, q.SiteID)
	if err != nil {
		return nil, err
	}
	return s.store.CannedReplies(ctx, store.CannedFilter{SiteIDs: ids, Query: q.Q})
}

// CannedReply loads one reply the caller may see.
func (s *Service) CannedReply(ctx context.Context, actor *model.User, id string) (*model.CannedReply, error) {
	return s.visibleCanned(ctx, s.store, actor, id)
}

func (s *Service) visibleCanned(ctx context.Context, st *store.Store, actor *model.User, id string) (*model.CannedReply, error) {
	if !validID(id) {
		return nil, model.ErrNotFound
	}
	r, err := st.CannedReplyByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !mayReadCanned(actor, r) {
		return nil, model.ErrNotFound
	}
	return r, nil
}

// errShortcutTaken: the shortcut is in use in the same scope.
var errShortcutTaken = &model.ConflictError{Code: "shortcut_taken",
	Message: "Another canned reply of this site (or another shared one) has this shortcut."}

// CreateCannedReply saves a new reply.
func (s *Service) CreateCannedReply(ctx context.Context, actor *model.User, in CannedInput) (*model.CannedReply, error) {
	var v model.Validator
	siteID := parseSiteID(&v, in.SiteID)
	if siteID != nil {
		if _, err := s.Site(ctx, actor, *siteID); IsNotFound(err) {
			v.Add("site_id", "is not a site you answer")
		} else if err != nil {
			return nil, err
		}
	}
	now := s.now()
	r := &model.CannedReply{SiteID: siteID, CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now}
	in.apply(&v, r, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !mayWriteCanned(actor, siteID) {
		return nil, model.ErrForbidden
	}
	return s.cannedChange(ctx, model.EventCannedReplyCreated, func(tx *store.Store) (*model.CannedReply, error) {
		return r, tx.CreateCannedReply(ctx, r)
	})
}

// UpdateCannedReply changes a reply's shortcut, title or body.
func (s *Service) UpdateCannedReply(ctx context.Context, actor *model.User, id string, in CannedInput) (*model.CannedReply, error) {
	return s.cannedChangeOf(ctx, actor, id, model.EventCannedReplyUpdated, func(tx *store.Store, r *model.CannedReply) error {
		var v model.Validator
		if len(in.SiteID) > 0 {
			if to := parseSiteID(&v, in.SiteID); v.Err() == nil && deref(to, "") != deref(r.SiteID, "") {
				v.Add("site_id", "cannot be changed; create the reply where it belongs and delete this one")
			}
		}
		in.apply(&v, r, false)
		if err := v.Err(); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		return tx.SaveCannedReply(ctx, r)
	})
}

// DeleteCannedReply removes a reply.
func (s *Service) DeleteCannedReply(ctx context.Context, actor *model.User, id string) error {
	_, err := s.cannedChangeOf(ctx, actor, id, model.EventCannedReplyDeleted, func(tx *store.Store, r *model.CannedReply) error {
		return tx.DeleteCannedReply(ctx, r.ID)
	})
	return err
}

// cannedChangeOf runs change on a reply the actor may write, as
// cannedChange does. One the actor may see but not write is ErrForbidden;
// one they may not see is ErrNotFound.
func (s *Service) cannedChangeOf(ctx context.Context, actor *model.User, id, event string, change func(tx *store.Store, r *model.CannedReply) error) (*model.CannedReply, error) {
	return s.cannedChange(ctx, event, func(tx *store.Store) (*model.CannedReply, error) {
		r, err := s.visibleCanned(ctx, tx, actor, id)
		if err != nil {
			return nil, err
		}
		if !mayWriteCanned(actor, r.SiteID) {
			return nil, model.ErrForbidden
		}
		return r, change(tx, r)
	})
}

// cannedChange runs change in a transaction with the event that tells
// dashboards about the reply it changed, and publishes after commit. The
// event goes to the log of the reply's site, or of every site for a shared
// reply: each dashboard follows the logs of the sites its user may see.
func (s *Service) cannedChange(ctx context.Context, event string, change func(tx *store.Store) (*model.CannedReply, error)) (*model.CannedReply, error) {
	var r *model.CannedReply
	var events []model.Event
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if r, err = change(tx); err != nil {
			return err
		}
		var sites []string // nil: a shared reply, every site's log
		if r.SiteID != nil {
			sites = []string{*r.SiteID}
		}
		var data any = map[string]any{"canned_reply": r}
		if event == model.EventCannedReplyDeleted {
			data = map[string]any{"canned_reply": map[string]any{"id": r.ID, "site_id": r.SiteID}}
		}
		events, err = s.appendStaffEvents(ctx, tx, sites, event, data)
		return err
	})
	if errors.Is(err, model.ErrConflict) {
		return nil, errShortcutTaken
	}
	if err != nil {
		return nil, err
	}
	s.publish(ctx, events)
	return r, nil
}

// UseCannedReply fills a reply's variables for a conversation and counts
// the use. The count is one UPDATE that adds 1, so uses at the same moment
// all count.
func (s *Service) UseCannedReply(ctx context.Context, actor *model.User, id, convID string) (*CannedUse, error) {
	var v model.Validator
	if convID == "" {
		v.Add("conversation_id", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	r, err := s.CannedReply(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	c, err := s.staffConversation(ctx, actor, convID)
	if err != nil {
		return nil, err
	}
	if r.SiteID != nil && *r.SiteID != c.SiteID {
		return nil, &model.ValidationError{Fields: map[string]string{"conversation_id": "is on another site than this canned reply"}}
	}
	site, err := s.store.SiteByID(ctx, c.SiteID)
	if err != nil {
		return nil, err
	}
	counted, err := s.store.CountCannedUse(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	values := map[string]string{varCustomerName: c.Name, varConversationRef: c.Ref,
		varAgentName: displayName(actor), varSiteName: site.Name}
	body := cannedVarRe.ReplaceAllStringFunc(counted.Body, func(m string) string {
		parts := cannedVarRe.FindStringSubmatch(m)
		if val := values[parts[1]]; val != "" {
			return val
		}
		return strings.TrimSpace(parts[2])
	})
	return &CannedUse{Body: body, CannedReply: *counted}, nil
}
