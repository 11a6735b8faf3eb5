package hours

import "time"

// Business time is the time a site is open: SLA targets count in it. A
// target of 60 minutes set at 17:00 on a Friday of a site open until 17:30
// on weekdays falls due at 09:30 on Monday.
//
// Open time follows the same rule as OpenAt: an instant is open when the
// wall clock of the site's zone reads a time inside a range of a day that
// is not a holiday. Between two clock changes the wall clock runs evenly, so
// each stretch of constant UTC offset maps ranges to instants one to one;
// a spring-forward day simply has an hour less of some range, a fall-back
// day counts a range that covers the repeated hour twice.

// alwaysSpans is the one range of a schedule without hours.
var alwaysSpans = []span{{0, 24 * 60}}

// AddBusiness returns the instant at which d of open time has passed since
// t: t itself when d <= 0, and false when the site stops opening before
// then (more than searchDays without an opening). The result is in UTC.
// When the time runs out exactly at a closing, that closing is the answer.
func (s *Schedule) AddBusiness(t time.Time, d time.Duration) (time.Time, bool) {
	t = t.UTC()
	if d <= 0 {
		return t, true
	}
	if s.always && len(s.holidays) == 0 {
		return t.Add(d), true
	}
	for {
		start, end, ok := s.openSpan(t)
		if !ok {
			return time.Time{}, false
		}
		if left := end.Sub(start); d <= left {
			return start.Add(d), true
		}
		d -= end.Sub(start)
		t = end
	}
}

// BusinessBetween is how much open time lies between a and b (0 when b is
// not after a).
func (s *Schedule) BusinessBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if s.always && len(s.holidays) == 0 {
		return b.Sub(a)
	}
	var sum time.Duration
	for a.Before(b) {
		start, end, ok := s.openSpan(a)
		if !ok || !start.Before(b) {
			break
		}
		if end.After(b) {
			end = b
		}
		sum += end.Sub(start)
		a = end
	}
	return sum
}

// openSpan returns the first stretch of open time that ends after from,
// starting no earlier than from, in UTC; false when none starts within
// searchDays. A stretch ends at the end of its range, at midnight or at a
// clock change, whichever comes first (the next call continues from there).
func (s *Schedule) openSpan(from time.Time) (time.Time, time.Time, bool) {
	limit := from.AddDate(0, 0, searchDays+1)
	for cur := from.UTC(); cur.Before(limit); {
		local := cur.In(s.loc)
		_, off := local.Zone()
		_, change := local.ZoneBounds()
		if change.IsZero() || change.After(limit) {
			change = limit
		}
		// Wall-clock readings as UTC times: within [cur, change) the
		// offset is constant, so wall = instant + offset exactly.
		shift := time.Duration(off) * time.Second
		wallFrom, wallTo := cur.Add(shift), change.UTC().Add(shift)
		y, m, d := wallFrom.Date()
		for day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); day.Before(wallTo); day = day.AddDate(0, 0, 1) {
			if s.holidays[civilOf(day)] {
				continue
			}
			spans := s.days[day.Weekday()]
			if s.always {
				spans = alwaysSpans
			}
			for _, sp := range spans {
				open := day.Add(time.Duration(sp.open) * time.Minute)
				closing := day.Add(time.Duration(sp.close) * time.Minute)
				if open.Before(wallFrom) {
					open = wallFrom
				}
				if closing.After(wallTo) {
					closing = wallTo
				}
				if open.Before(closing) {
					return open.Add(-shift), closing.Add(-shift), true
				}
			}
		}
		cur = change.UTC()
	}
	return time.Time{}, time.Time{}, false
}
