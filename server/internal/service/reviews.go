package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

// Review invitations (issue 12). A resolved conversation's customer rates
// the help: 4 or 5 thanks them and, when the site says where its public
// reviews live, invites them there; 1 to 3 reopens the conversation to
// staff, and the widget asks what is still wrong. Every rating's outcome is
// recorded, so the ratings report can show how many unhappy customers were
// turned around.

// applyReviewURLs validates and applies a change of review_urls: absolute
// http(s) URLs without credentials, duplicates dropped, at most
// model.MaxReviewURLs.
func (in SiteInput) applyReviewURLs(v *model.Validator, site *model.Site) {
	if in.ReviewURLs == nil {
		return
	}
	urls := []string{}
	for i, raw := range *in.ReviewURLs {
		u, problem := reviewURL(raw)
		if problem != "" {
			v.Add("review_urls", fmt.Sprintf("entry %d %s", i+1, problem))
			continue
		}
		if !contains(urls, u) {
			urls = append(urls, u)
		}
	}
	if len(urls) > model.MaxReviewURLs {
		v.Add("review_urls", fmt.Sprintf("at most %d URLs", model.MaxReviewURLs))
	}
	site.ReviewURLs = urls
}

// reviewURL checks one review link; problem is empty when it is fine.
func reviewURL(raw string) (u, problem string) {
	var one model.Validator
	u = checkURL(&one, "url", raw)
	var ve *model.ValidationError
	if errors.As(one.Err(), &ve) {
		return u, ve.Fields["url"]
	}
	if u == "" {
		return u, "is blank"
	}
	// A link like https://shop.example@evil.example reads as the shop's
	// but leads elsewhere: customers are sent to these in a new tab.
	if p, err := url.Parse(u); err != nil || p.User != nil {
		return u, "must not carry a user name or password"
	}
	return u, ""
}

// RatingInput is the visitor's verdict on the help they got.
type RatingInput struct {
	Score   int    `json:"score"`
	Comment string `json:"comment"`
}

// RatingResult answers a rating: the conversation as the visitor sees it
// (reopened after a low score) and, for a happy one on a site with review
// URLs, the invitation to review it publicly.
type RatingResult struct {
	Conversation *model.Conversation `json:"conversation"`
	ReviewInvite *ReviewInvite       `json:"review_invite,omitempty"`
}

// ReviewInvite lists where the customer is invited to leave a review.
type ReviewInvite struct {
	URLs []string `json:"urls"`
}

// errNotResolved refuses a rating of a conversation that is still open.
var errNotResolved = &model.ConflictError{Code: "not_resolved",
	Message: "Only a resolved conversation can be rated."}

// Rate stores (or replaces) the visitor's rating of a conversation of
// site, records its outcome and, for a low score, reopens the conversation.
func (s *Service) Rate(ctx context.Context, site *model.Site, v *model.Visitor, convID string, in RatingInput) (*RatingResult, error) {
	var val model.Validator
	if in.Score < 1 || in.Score > 5 {
		val.Add("score", "must be between 1 and 5")
	}
	in.Comment = checkText(&val, "comment", in.Comment, 2000, false, multiLine)
	if err := val.Err(); err != nil {
		return nil, err
	}
	if !validID(convID) {
		return nil, model.ErrNotFound
	}
	outcome := model.OutcomeReopened
	if in.Score >= model.HappyScore {
		outcome = model.OutcomeThanked
		if len(site.ReviewURLs) > 0 {
			outcome = model.OutcomeInvited
		}
	}
	var c *model.Conversation
	var ev model.Event
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if c, err = tx.LockConversation(ctx, convID); err != nil {
			return err
		}
		if c.SiteID != site.ID || c.SiteID != v.SiteID || c.VisitorID != v.ID {
			return model.ErrNotFound
		}
		// A rating judges help that ended; the widget offers it only then.
		if c.Status != model.StatusResolved {
			return errNotResolved
		}
		now := s.now()
		prev := *c
		c.RatingScore, c.RatingComment, c.UpdatedAt = &in.Score, in.Comment, now
		if outcome == model.OutcomeReopened {
			// Not settled after all: back to staff, who keep the low score
			// and comment in view; the customer's next message joins this
			// thread. The resolution clock starts again.
			c.Status = model.StatusOpen
			if err := s.slaTrack(ctx, tx, &prev, c, now); err != nil {
				return err
			}
		}
		if err := tx.SaveConversation(ctx, c); err != nil {
			return err
		}
		if err := recordOutcome(ctx, tx, c, in.Score, outcome, now); err != nil {
			return err
		}
		ev, err = s.conversationUpdated(ctx, tx, c, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, []model.Event{ev})
	out := c.ForVisitor()
	res := &RatingResult{Conversation: &out}
	if outcome == model.OutcomeInvited {
		res.ReviewInvite = &ReviewInvite{URLs: site.ReviewURLs}
	}
	return res, nil
}

// recordOutcome writes a rating's outcome under the conversation's row
// lock. A reopening ends a round: the next rating starts a new one, and a
// happy verdict then counts as turned around. A rating after a happy one
// (the customer changed their mind) replaces that round's verdict, so a
// round is counted once.
func recordOutcome(ctx context.Context, tx *store.Store, c *model.Conversation, score int, outcome string, at time.Time) error {
	last, err := tx.LatestRatingOutcome(ctx, c.ID)
	if err != nil {
		return err
	}
	happy := outcome != model.OutcomeReopened
	o := &model.RatingOutcome{SiteID: c.SiteID, ConversationID: c.ID, Round: 1}
	switch {
	case last == nil:
	case last.Outcome == model.OutcomeReopened:
		o.Round, o.TurnedAround = last.Round+1, happy
	default:
		o = last
		o.TurnedAround = last.TurnedAround && happy
	}
	o.Score, o.Outcome, o.RatedAt = score, outcome, at
	return tx.SaveRatingOutcome(ctx, o)
}

// RatingsQuery selects the ratings report: one site or all the caller's,
// and a time range (RFC 3339 times, or dates: "to" includes its day).
type RatingsQuery struct {
	SiteID string `query:"site_id"`
	From   string `query:"from"`
	To     string `query:"to"`
}

// defaultReportDays is the report's range when "from" is not given.
const defaultReportDays = 30

// RatingsReport counts rating outcomes in [From, To).
type RatingsReport struct {
	SiteID *string   `json:"site_id"` // nil: every site the caller may see
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	model.RatingCounts
}

// RatingsReport counts the outcomes of ratings on the sites the actor may
// see; another tenant's site answers ErrNotFound.
func (s *Service) RatingsReport(ctx context.Context, actor *model.User, q RatingsQuery) (*RatingsReport, error) {
	var v model.Validator
	to := s.now()
	from := to.AddDate(0, 0, -defaultReportDays)
	if q.To != "" {
		to = reportTime(&v, "to", q.To, true)
		from = to.AddDate(0, 0, -defaultReportDays)
	}
	if q.From != "" {
		from = reportTime(&v, "from", q.From, false)
	}
	if v.Err() == nil && !from.Before(to) {
		v.Add("from", "must be before to")
	}
	if !validID(q.SiteID) {
		v.Add("site_id", problemControl)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rep := &RatingsReport{From: from, To: to}
	ids, err := s.scopeSites(ctx, actor, q.SiteID)
	if err != nil {
		return nil, err
	}
	if q.SiteID != "" {
		rep.SiteID = &ids[0]
	}
	counts, err := s.store.CountRatings(ctx, ids, from, to)
	if err != nil {
		return nil, err
	}
	rep.RatingCounts = counts
	return rep, nil
}

// reportTime parses a report bound: an RFC 3339 time, or a date (UTC) that
// stands for its start, or with end for the start of the next day.
func reportTime(v *model.Validator, field, s string, end bool) time.Time {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t
	}
	v.Add(field, "must be a date like 2026-05-31 or an RFC 3339 time")
	return time.Time{}
}
