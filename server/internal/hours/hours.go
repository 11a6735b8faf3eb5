// Package hours decides, for a site's weekly opening hours, holidays and time
// zone, whether the site is open at an instant and when it opens next. It is
// pure: no store, no clock.
//
// Opening hours are wall-clock times of the site's zone: "open 09:00" means
// whenever a clock on the site's wall reads 09:00, across daylight-saving
// changes. So "open at t" is decided by reading the wall clock at t, and the
// next opening is the first later instant at which the wall clock reads a
// time inside a range (on a spring-forward day a range that starts inside the
// skipped hour opens at the jump; on a fall-back day the repeated hour is
// open both times if a range covers it).
//
// A range never crosses midnight: past-midnight service is two ranges,
// "fri 22:00-24:00" and "sat 00:00-02:00". Why: each day's rules (open <
// close, no overlaps) stay checkable on their own, a holiday closes exactly
// its own date, and there is no question which day's rule governs the night
// of a DST change. "24:00" is allowed as a close (the end of the day) and
// touching ranges join, so a 24-hour operation has no gap at midnight.
package hours

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	// The zone database is embedded: a distroless or scratch container has
	// no /usr/share/zoneinfo, and a site's zone must load the same everywhere.
	_ "time/tzdata"

	"holler/server/internal/model"
)

// Limits: a day may hold a few ranges (split shifts), a year of holidays
// plus some slack for planning ahead.
const (
	MaxRangesPerDay = 6
	MaxHolidays     = 400
)

// Days are the accepted day names, Sunday first as time.Weekday counts.
var Days = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// span is one range in minutes of the day: [open, close), close <= 1440.
type span struct{ open, close int }

// Schedule is a validated site schedule.
type Schedule struct {
	loc      *time.Location
	always   bool      // no ranges: open every day, all day (holidays excepted)
	days     [7][]span // by time.Weekday, sorted, non-overlapping
	holidays map[civil]bool
}

// civil is a calendar date without a zone.
type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

// Problems of a schedule, by field (time_zone, hours, holidays); empty when
// it is valid. One message per field: the first problem found.
type Problems map[string]string

// Parse checks a site's schedule and builds it. The zone name must be an
// IANA name (time/tzdata is embedded in the binary, so this does not depend
// on the host's zoneinfo). Holidays are returned normalised (sorted, unique).
func Parse(zone string, ranges []model.HoursRange, holidays []string) (*Schedule, []string, Problems) {
	p := Problems{}
	s := &Schedule{always: len(ranges) == 0, holidays: map[civil]bool{}}
	loc, err := LoadZone(zone)
	if err != nil {
		p["time_zone"] = err.Error()
	}
	s.loc = loc
	if msg := s.addRanges(ranges); msg != "" {
		p["hours"] = msg
	}
	norm, msg := s.addHolidays(holidays)
	if msg != "" {
		p["holidays"] = msg
	}
	if len(p) > 0 {
		return nil, nil, p
	}
	return s, norm, nil
}

// LoadZone accepts IANA zone names only. "Local" and "" name the server's
// own zone in Go, which is not a place a site is in.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, fmt.Errorf("must be an IANA time zone such as Europe/Berlin")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%+q is not an IANA time zone such as Europe/Berlin", name)
	}
	return loc, nil
}

func (s *Schedule) addRanges(ranges []model.HoursRange) string {
	if len(ranges) > 7*MaxRangesPerDay {
		return fmt.Sprintf("at most %d ranges", 7*MaxRangesPerDay)
	}
	for i, r := range ranges {
		day := slices.Index(Days[:], r.Day)
		if day < 0 {
			return fmt.Sprintf("range %d: day %+q must be one of mon, tue, wed, thu, fri, sat, sun", i+1, r.Day)
		}
		open, ok := ParseClock(r.Open, false)
		if !ok {
			return fmt.Sprintf("range %d: open %+q must be a time like 09:00", i+1, r.Open)
		}
		closing, ok := ParseClock(r.Close, true)
		if !ok {
			return fmt.Sprintf("range %d: close %+q must be a time like 17:30 (24:00 for midnight)", i+1, r.Close)
		}
		if open >= closing {
			return fmt.Sprintf("range %d: open must be before close (past midnight: end at 24:00 and open again at 00:00 the next day)", i+1)
		}
		s.days[day] = append(s.days[day], span{open, closing})
	}
	for day := range s.days {
		spans := s.days[day]
		if len(spans) > MaxRangesPerDay {
			return fmt.Sprintf("at most %d ranges on %s", MaxRangesPerDay, Days[day])
		}
		slices.SortFunc(spans, func(a, b span) int { return a.open - b.open })
		for i := 1; i < len(spans); i++ {
			if spans[i].open < spans[i-1].close {
				return fmt.Sprintf("ranges on %s overlap", Days[day])
			}
		}
	}
	return ""
}

func (s *Schedule) addHolidays(in []string) ([]string, string) {
	if len(in) > MaxHolidays {
		return nil, fmt.Sprintf("at most %d holidays", MaxHolidays)
	}
	out := []string{}
	for _, h := range in {
		d, err := time.Parse(time.DateOnly, h)
		if err != nil || d.Format(time.DateOnly) != h {
			return nil, fmt.Sprintf("%+q is not a date like 2026-12-25", h)
		}
		if c := civilOf(d); !s.holidays[c] {
			s.holidays[c] = true
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out, ""
}

// ParseClock reads "HH:MM" (two digits each) as minutes of the day; "24:00"
// only when end is set.
func ParseClock(v string, end bool) (int, bool) {
	if len(v) != 5 || v[2] != ':' || !digits(v[:2]) || !digits(v[3:]) {
		return 0, false
	}
	h, _ := strconv.Atoi(v[:2])
	m, _ := strconv.Atoi(v[3:])
	if end && h == 24 && m == 0 {
		return 24 * 60, true
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Location is the schedule's zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// OpenAt reports whether the wall clock of the site's zone at t reads a time
// inside an opening range of a day that is not a holiday.
func (s *Schedule) OpenAt(t time.Time) bool {
	w := t.In(s.loc)
	if s.holidays[civilOf(w)] {
		return false
	}
	if s.always {
		return true
	}
	now := w.Hour()*60 + w.Minute()
	for _, sp := range s.days[w.Weekday()] {
		if sp.open <= now && now < sp.close {
			return true
		}
	}
	return false
}

// searchDays bounds the search for the next opening: a year of holidays plus
// a week. An opening further away than that is no promise worth showing.
const searchDays = MaxHolidays + 8

// NextOpen returns the first instant after t at which the site is open, and
// false when it is open at t or never opens again (every day in reach is a
// holiday or has no range).
func (s *Schedule) NextOpen(t time.Time) (time.Time, bool) {
	if s.OpenAt(t) {
		return time.Time{}, false
	}
	w := t.In(s.loc)
	y, m, d := w.Date()
	for i := 0; i <= searchDays; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC) // calendar arithmetic only
		c := civilOf(day)
		if s.holidays[c] {
			continue
		}
		var best time.Time
		consider := func(at time.Time) {
			if at.After(t) && s.OpenAt(at) && (best.IsZero() || at.Before(best)) {
				best = at
			}
		}
		spans := s.days[day.Weekday()]
		if s.always {
			spans = []span{{0, 24 * 60}}
		}
		for _, sp := range spans {
			for _, at := range s.wallInstants(c, sp.open) {
				consider(at)
			}
		}
		// A fall-back change can turn the wall clock back into a range
		// without passing its start again.
		for _, at := range s.transitions(c) {
			consider(at)
		}
		if !best.IsZero() {
			return best, true
		}
	}
	return time.Time{}, false
}

// wallInstants lists the instants at which the wall clock reads minute mins
// of date c: one normally, two in a repeated (fall-back) hour, and in a
// skipped (spring-forward) hour the jump over it, the first instant the
// clock reads later than mins.
func (s *Schedule) wallInstants(c civil, mins int) []time.Time {
	at := time.Date(c.y, c.m, c.d, mins/60, mins%60, 0, 0, s.loc)
	if got := at.Hour()*60 + at.Minute(); civilOf(at) != c || got != mins {
		start, end := at.ZoneBounds()
		if civilOf(at) == c && got > mins || civilOf(at) != c && after(civilOf(at), c) {
			return []time.Time{start} // Go placed it after the jump
		}
		return []time.Time{end}
	}
	out := []time.Time{at}
	// The same reading in the neighbouring zone periods (a repeated hour).
	start, end := at.ZoneBounds()
	_, off := at.Zone()
	for _, edge := range []time.Time{start.Add(-time.Second), end} {
		if edge.IsZero() || edge.Year() < 2 {
			continue
		}
		_, other := edge.Zone()
		if other == off {
			continue
		}
		alt := at.Add(time.Duration(off-other) * time.Second)
		if alt.Equal(at) {
			continue
		}
		aw := alt.In(s.loc)
		if civilOf(aw) == c && aw.Hour()*60+aw.Minute() == mins {
			out = append(out, alt)
		}
	}
	return out
}

func after(a, b civil) bool {
	return a.y > b.y || a.y == b.y && (a.m > b.m || a.m == b.m && a.d > b.d)
}

// transitions lists the zone changes that happen during date c.
func (s *Schedule) transitions(c civil) []time.Time {
	from := time.Date(c.y, c.m, c.d, 0, 0, 0, 0, s.loc)
	to := time.Date(c.y, c.m, c.d+1, 0, 0, 0, 0, s.loc)
	var out []time.Time
	for at := from; at.Before(to); {
		_, end := at.ZoneBounds()
		if end.IsZero() || !end.Before(to) || !end.After(at) {
			break
		}
		out = append(out, end)
		at = end
	}
	return out
}
