package service

import (
	"context"
	"slices"
	"sync"
	"time"

	"holler/server/internal/hours"
	"holler/server/internal/model"
)

// Availability is what the widget tells a visitor about getting an answer.
//
// Online is the truth about people, not about the clock: at least one staff
// member who answers the site has a dashboard open (here or on another
// instance). Outside opening hours someone who is there will still answer,
// so they count; inside opening hours with nobody there the widget does
// not pretend. NextOpen is the next opening by the site's hours (null while
// open, and when no opening is in reach); the widget shows it only when
// nobody is online.
type Availability struct {
	Online              bool       `json:"online"`
	NextOpen            *time.Time `json:"next_open"`
	TypicalReplyMinutes *int       `json:"typical_reply_minutes"`
	ReplyByEmail        bool       `json:"reply_by_email"`
}

// Figures behind typical_reply_minutes: the median first response of the
// last 30 days, from at least minReplySamples conversations (fewer say
// nothing reliable), recomputed at most once a minute per site.
const (
	replyWindow     = 30 * 24 * time.Hour
	minReplySamples = 5
	maxReplySamples = 1000
	replyCacheTTL   = time.Minute
)

// replySteps are the figures a visitor is shown: a median is rounded up to
// the next one, so the promise errs on the side of being kept.
var replySteps = []int{1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440}

// typicalCache remembers each site's typical reply minutes briefly.
type typicalCache struct {
	mu    sync.Mutex
	sites map[string]typicalEntry
}

type typicalEntry struct {
	minutes *int
	at      time.Time
}

// roundReply turns a median wait into the figure shown.
func roundReply(d time.Duration) int {
	m := int((d + time.Minute - 1) / time.Minute)
	for _, step := range replySteps {
		if m <= step {
			return step
		}
	}
	day := 24 * 60
	return (m + day - 1) / day * day
}

// typicalReplyMinutes is the site's median first response, rounded, or nil
// with too little history.
func (s *Service) typicalReplyMinutes(ctx context.Context, siteID string) (*int, error) {
	now := s.now()
	s.typical.mu.Lock()
	e, ok := s.typical.sites[siteID]
	s.typical.mu.Unlock()
	if ok && now.Sub(e.at) < replyCacheTTL {
		return e.minutes, nil
	}
	waits, err := s.store.FirstResponseTimes(ctx, siteID, now.Add(-replyWindow), maxReplySamples)
	if err != nil {
		return nil, err
	}
	var minutes *int
	if len(waits) >= minReplySamples {
		slices.Sort(waits)
		median := waits[len(waits)/2]
		if len(waits)%2 == 0 {
			median = (waits[len(waits)/2-1] + median) / 2
		}
		minutes = ptr(roundReply(median))
	}
	s.typical.mu.Lock()
	if s.typical.sites == nil {
		s.typical.sites = map[string]typicalEntry{}
	}
	s.typical.sites[siteID] = typicalEntry{minutes: minutes, at: now}
	s.typical.mu.Unlock()
	return minutes, nil
}

// forgetTypical drops a site's cached figure after a first response
// committed, so this instance shows the new figure at once (others within
// the cache's minute).
func (s *Service) forgetTypical(siteID string) {
	s.typical.mu.Lock()
	delete(s.typical.sites, siteID)
	s.typical.mu.Unlock()
}

// schedule builds a site's stored (validated) schedule.
func schedule(site *model.Site) *hours.Schedule {
	sch, _, problems := hours.Parse(orUTC(site.TimeZone), site.Hours, site.Holidays)
	if len(problems) > 0 {
		// Stored values were validated; a zone the embedded database no
		// longer knows falls back to always open rather than failing.
		sch, _, _ = hours.Parse("UTC", nil, nil)
	}
	return sch
}

func orUTC(zone string) string {
	if zone == "" {
		return "UTC"
	}
	return zone
}

// SiteAvailability computes what the widget of site says now.
func (s *Service) SiteAvailability(ctx context.Context, site *model.Site) (*Availability, error) {
	out := &Availability{ReplyByEmail: s.mailCfg.Configured}
	sch := schedule(site)
	if next, ok := sch.NextOpen(s.now()); ok {
		next = next.In(sch.Location()) // RFC 3339 with the site's own offset
		out.NextOpen = &next
	}
	var err error
	if out.TypicalReplyMinutes, err = s.typicalReplyMinutes(ctx, site.ID); err != nil {
		return nil, err
	}
	if s.presence == nil {
		return out, nil
	}
	ids, err := s.store.SiteAnswererIDs(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if s.presence.UserOnline(id) {
			out.Online = true
			break
		}
	}
	return out, nil
}

// PreviewAvailability is what the widget of a site the actor may see says
// now, or (with a change) would say with that schedule: the settings'
// preview line, shown while hours are edited and before they are saved.
// Only time_zone, hours and holidays of the change are looked at.
func (s *Service) PreviewAvailability(ctx context.Context, actor *model.User, siteID string, change *SiteInput) (*Availability, error) {
	site, err := s.Site(ctx, actor, siteID)
	if err != nil {
		return nil, err
	}
	if change != nil {
		var v model.Validator
		change.applySchedule(&v, site) // site is this request's copy: nothing is saved
		if err := v.Err(); err != nil {
			return nil, err
		}
	}
	return s.SiteAvailability(ctx, site)
}

// applySchedule validates the schedule a site would have after a change of
// any of its three parts, and applies it.
func (in SiteInput) applySchedule(v *model.Validator, site *model.Site) {
	if in.TimeZone == nil && in.Hours == nil && in.Holidays == nil {
		return
	}
	zone, ranges, holidays := orUTC(site.TimeZone), site.Hours, site.Holidays
	if in.TimeZone != nil {
		zone = checkText(v, "time_zone", *in.TimeZone, 64, true, oneLine)
	}
	if in.Hours != nil {
		ranges = *in.Hours
		for _, r := range ranges {
			checkLine(v, "hours", r.Day+r.Open+r.Close)
		}
	}
	if in.Holidays != nil {
		holidays = *in.Holidays
		for _, h := range holidays {
			checkLine(v, "holidays", h)
		}
	}
	_, holidays, problems := hours.Parse(zone, ranges, holidays)
	for field, p := range problems {
		v.Add(field, p)
	}
	if len(problems) > 0 {
		return
	}
	if ranges == nil {
		ranges = []model.HoursRange{}
	}
	site.TimeZone, site.Hours, site.Holidays = zone, ranges, holidays
}
