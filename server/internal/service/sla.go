package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"holler/server/internal/hours"
	"holler/server/internal/model"
	"holler/server/internal/store"
)

// SLAs count in the site's opening hours (hours.Schedule; no hours is
// 24/7). The rules, in one place:
//
//   - Due times are set when a conversation is created, in its transaction,
//     from the site's targets for its kind: first response and resolution,
//     each with a warning at model.SLAWarnPercent of its business time.
//     Later changes of the targets, the hours or the kind do not move them.
//   - The first response is met by the first staff reply (not a note);
//     resolving without one ends that target too, at the resolution.
//     Resolution is met by resolving. A target met after its due time is
//     breached, and a breach stays (state "breached") until a reopen.
//   - With the site's pause_when_pending, the clock stands still while the
//     conversation is pending: when it leaves pending, the due and warning
//     times of the running targets move by the business time it spent there.
//   - A reopen (resolved to open or pending) starts the resolution target
//     again from that moment with the site's current targets, and the first
//     response target too when no staff reply was ever sent.
//   - State is computed at every such change and by the scheduler
//     (SLANotices) when a warning or due time passes; each passing writes a
//     conversation.updated event.

// SLASettings is the body of GET and PUT /api/v1/sites/{id}/sla.
type SLASettings struct {
	Targets          map[string]model.SLATarget `json:"targets"`
	PauseWhenPending bool                       `json:"pause_when_pending"`
}

// SLASettings returns a site's SLA settings to its staff.
func (s *Service) SLASettings(ctx context.Context, actor *model.User, siteID string) (*SLASettings, error) {
	if _, err := s.Site(ctx, actor, siteID); err != nil {
		return nil, err
	}
	p, err := s.store.SLAPolicy(ctx, siteID)
	if err != nil {
		return nil, err
	}
	return &SLASettings{Targets: p.Targets, PauseWhenPending: p.PauseWhenPending}, nil
}

// SLAInput is the body of PUT /api/v1/sites/{id}/sla. Each kind's targets
// are decoded here, so a value of the wrong type is reported on its own
// field (targets.complaint.first_response_minutes).
type SLAInput struct {
	Targets          map[string]json.RawMessage `json:"targets"`
	PauseWhenPending bool                       `json:"pause_when_pending"`
}

// SetSLASettings replaces a site's SLA settings; admins only. A kind left
// out, or with both targets null, has no targets.
func (s *Service) SetSLASettings(ctx context.Context, actor *model.User, siteID string, in SLAInput) (*SLASettings, error) {
	if _, err := s.Site(ctx, actor, siteID); err != nil {
		return nil, err
	}
	if !actor.IsAdmin() {
		return nil, model.ErrForbidden
	}
	var v model.Validator
	targets := map[string]model.SLATarget{}
	for kind, raw := range in.Targets {
		if !contains(model.AllKinds, kind) {
			v.Add("targets", "kinds must be question, complaint, feedback or praise")
			continue
		}
		var t model.SLATarget
		if err := json.Unmarshal(raw, &t); err != nil {
			field := "targets." + kind
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				field += "." + te.Field
			}
			v.Add(field, "must be a whole number of minutes, or null for no target")
			continue
		}
		for field, m := range map[string]*int{"first_response_minutes": t.FirstResponseMinutes, "resolution_minutes": t.ResolutionMinutes} {
			if m != nil && (*m < 1 || *m > model.MaxSLAMinutes) {
				v.Add("targets."+kind+"."+field, fmt.Sprintf("must be between 1 and %d minutes, or null for no target", model.MaxSLAMinutes))
			}
		}
		if t.FirstResponseMinutes != nil || t.ResolutionMinutes != nil {
			targets[kind] = t
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p := &model.SLAPolicy{SiteID: siteID, Targets: targets, PauseWhenPending: in.PauseWhenPending, UpdatedAt: s.now()}
	if err := s.store.SaveSLAPolicy(ctx, p); err != nil {
		return nil, err
	}
	return &SLASettings{Targets: targets, PauseWhenPending: p.PauseWhenPending}, nil
}

// slaStart sets a new conversation's due times and state, before it is
// inserted in the transaction that creates it.
func (s *Service) slaStart(ctx context.Context, tx *store.Store, site *model.Site, c *model.Conversation) error {
	p, err := tx.SLAPolicy(ctx, site.ID)
	if err != nil {
		return err
	}
	c.SLA = model.ConversationSLA{}
	sch := schedule(site)
	restartTarget(&c.SLA, model.SLAFirstResponse, p.Targets[c.Kind].FirstResponseMinutes, sch, c.CreatedAt)
	restartTarget(&c.SLA, model.SLAResolution, p.Targets[c.Kind].ResolutionMinutes, sch, c.CreatedAt)
	slaRefresh(c, c.CreatedAt)
	return nil
}

// slaTrack brings c's SLA up to date after a change from prev (a status
// change or the first staff reply), inside the change's transaction, and
// saves it. Other changes leave the SLA as it is.
func (s *Service) slaTrack(ctx context.Context, tx *store.Store, prev, c *model.Conversation, now time.Time) error {
	answered := prev.FirstResponseAt == nil && c.FirstResponseAt != nil
	reopened := prev.Status == model.StatusResolved && c.Status != model.StatusResolved
	if prev.Status == c.Status && !answered {
		return nil
	}
	sla := &c.SLA
	if sla.FirstResponseDue == nil && sla.ResolutionDue == nil && !reopened {
		return nil // no targets, and none can start
	}
	env := slaEnv{s: s, tx: tx, siteID: c.SiteID}
	wasPaused := sla.PausedAt != nil
	if wasPaused {
		// The clock ran again (or is rebased to now while still pending):
		// the running targets move by the open time spent paused.
		sch, err := env.schedule(ctx)
		if err != nil {
			return err
		}
		spent := sch.BusinessBetween(*sla.PausedAt, now)
		if prev.FirstResponseAt == nil {
			sla.FirstResponseDue, sla.FirstResponseWarn = later(sch, sla.FirstResponseDue, spent), later(sch, sla.FirstResponseWarn, spent)
		}
		sla.ResolutionDue, sla.ResolutionWarn = later(sch, sla.ResolutionDue, spent), later(sch, sla.ResolutionWarn, spent)
		sla.PausedAt = nil
	}
	if reopened {
		p, err := env.policy(ctx)
		if err != nil {
			return err
		}
		sch, err := env.schedule(ctx)
		if err != nil {
			return err
		}
		sla.ResolvedAt = nil
		restartTarget(sla, model.SLAResolution, p.Targets[c.Kind].ResolutionMinutes, sch, now)
		if c.FirstResponseAt == nil {
			restartTarget(sla, model.SLAFirstResponse, p.Targets[c.Kind].FirstResponseMinutes, sch, now)
		}
	}
	if c.Status == model.StatusResolved && prev.Status != model.StatusResolved {
		sla.ResolvedAt = &now
	}
	if c.Status == model.StatusPending && slaRunning(c) {
		pause := wasPaused
		if !pause && prev.Status != model.StatusPending {
			p, err := env.policy(ctx)
			if err != nil {
				return err
			}
			pause = p.PauseWhenPending
		}
		if pause {
			sla.PausedAt = &now
		}
	}
	slaRefresh(c, now)
	return tx.SaveConversationSLA(ctx, c)
}

// slaEnv loads what a change needs of the site, once and only if needed.
type slaEnv struct {
	s      *Service
	tx     *store.Store
	siteID string
	site   *model.Site
	pol    *model.SLAPolicy
}

func (e *slaEnv) schedule(ctx context.Context) (*hours.Schedule, error) {
	if e.site == nil {
		site, err := e.tx.SiteByID(ctx, e.siteID)
		if err != nil {
			return nil, err
		}
		e.site = site
	}
	return schedule(e.site), nil
}

func (e *slaEnv) policy(ctx context.Context) (*model.SLAPolicy, error) {
	if e.pol == nil {
		p, err := e.tx.SLAPolicy(ctx, e.siteID)
		if err != nil {
			return nil, err
		}
		e.pol = p
	}
	return e.pol, nil
}

// later moves t by d of open time (nil stays nil; a schedule that never
// opens again leaves it).
func later(sch *hours.Schedule, t *time.Time, d time.Duration) *time.Time {
	if t == nil || d <= 0 {
		return t
	}
	at, ok := sch.AddBusiness(*t, d)
	if !ok {
		return t
	}
	return &at
}

// restartTarget sets one target's warning and due times counted from
// start (none when minutes is nil or the site never opens again) and
// forgets the notices sent for it.
func restartTarget(sla *model.ConversationSLA, target string, minutes *int, sch *hours.Schedule, start time.Time) {
	var warn, due *time.Time
	if minutes != nil {
		total := time.Duration(*minutes) * time.Minute
		if d, ok := sch.AddBusiness(start, total); ok {
			w, _ := sch.AddBusiness(start, total*model.SLAWarnPercent/100)
			warn, due = &w, &d
		}
	}
	if target == model.SLAFirstResponse {
		sla.FirstResponseWarn, sla.FirstResponseDue = warn, due
		sla.Notified &^= model.SLANoticeFirstWarning | model.SLANoticeFirstBreach
	} else {
		sla.ResolutionWarn, sla.ResolutionDue = warn, due
		sla.Notified &^= model.SLANoticeResolutionWarning | model.SLANoticeResolutionBreach
	}
}

// slaTarget is one target of a conversation as the rules see it.
type slaTarget struct {
	name               string
	due, warn, done    *time.Time
	warnBit, breachBit int
}

func slaTargets(c *model.Conversation) [2]slaTarget {
	// Resolved without a reply: nothing was left to answer from then on.
	firstDone := earlier(c.FirstResponseAt, c.SLA.ResolvedAt)
	return [2]slaTarget{
		{model.SLAFirstResponse, c.SLA.FirstResponseDue, c.SLA.FirstResponseWarn, firstDone,
			model.SLANoticeFirstWarning, model.SLANoticeFirstBreach},
		{model.SLAResolution, c.SLA.ResolutionDue, c.SLA.ResolutionWarn, c.SLA.ResolvedAt,
			model.SLANoticeResolutionWarning, model.SLANoticeResolutionBreach},
	}
}

// slaRunning reports whether a target of c still runs.
func slaRunning(c *model.Conversation) bool {
	for _, t := range slaTargets(c) {
		if t.due != nil && t.done == nil {
			return true
		}
	}
	return false
}

// slaRefresh recomputes State, DueAt and NextAt from the due times at now
// (at the pause while paused: the clock stands still).
func slaRefresh(c *model.Conversation, now time.Time) {
	sla := &c.SLA
	paused := sla.PausedAt != nil
	if paused {
		now = *sla.PausedAt
	}
	var due, next *time.Time
	targets, running, warning, breached := false, false, false, false
	for _, t := range slaTargets(c) {
		if t.due == nil {
			continue
		}
		targets = true
		if t.done != nil {
			breached = breached || t.done.After(*t.due)
			continue
		}
		running = true
		due = earlier(due, t.due)
		if !now.Before(*t.due) {
			breached = true
		} else if t.warn != nil && !now.Before(*t.warn) {
			warning = true
		}
		if paused {
			continue
		}
		if sla.Notified&t.breachBit == 0 {
			next = earlier(next, t.due)
		}
		if sla.Notified&(t.warnBit|t.breachBit) == 0 {
			next = earlier(next, t.warn)
		}
	}
	switch {
	case !targets:
		sla.State = model.SLANone
	case breached:
		sla.State = model.SLABreached
	case warning:
		sla.State = model.SLAWarning
	case running:
		sla.State = model.SLAOK
	default:
		sla.State = model.SLAMet
	}
	sla.DueAt, sla.NextAt = due, next
}

func earlier(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}
