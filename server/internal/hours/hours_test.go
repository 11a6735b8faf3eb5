package hours_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"holler/server/internal/hours"
	"holler/server/internal/model"
)

// ranges reads "mon 09:00-17:30, sat 10:00-12:00" into ranges.
func ranges(t testing.TB, spec string) []model.HoursRange {
	var out []model.HoursRange
	for _, part := range strings.Split(spec, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		day, span, _ := strings.Cut(part, " ")
		open, closing, _ := strings.Cut(span, "-")
		out = append(out, model.HoursRange{Day: day, Open: open, Close: closing})
	}
	return out
}

func mustParse(t *testing.T, zone, spec string, holidays ...string) *hours.Schedule {
	t.Helper()
	s, _, p := hours.Parse(zone, ranges(t, spec), holidays)
	if len(p) > 0 {
		t.Fatalf("parse %s %q: %v", zone, spec, p)
	}
	return s
}

func instant(t *testing.T, v string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// TestScheduleOpenAndNext: open-now and next-opening, including the days
// Europe/Berlin and America/New_York change their clocks, holidays in the
// site's own zone, and midnight edges. Expected instants are written in the
// zone's offset of that moment, so each line can be checked by a reader.
func TestScheduleOpenAndNext(t *testing.T) {
	cases := []struct {
		name, zone, spec string
		holidays         []string
		at               string
		open             bool
		next             string // "" = none
	}{
		{"weekday evening to Monday across spring-forward", "Europe/Berlin", "mon 09:00-17:30, tue 09:00-17:30, wed 09:00-17:30, thu 09:00-17:30, fri 09:00-17:30", nil,
			"2026-03-27T18:00:00+01:00", false, "2026-03-30T09:00:00+02:00"},
		{"open in a range", "Europe/Berlin", "mon 09:00-17:30", nil, "2026-03-30T10:00:00+02:00", true, ""},
		{"close is exclusive", "Europe/Berlin", "mon 09:00-17:30, tue 09:00-17:30", nil, "2026-03-30T17:30:00+02:00", false, "2026-03-31T09:00:00+02:00"},
		{"open is inclusive", "Europe/Berlin", "mon 09:00-17:30", nil, "2026-03-30T09:00:00+02:00", true, ""},
		{"Berlin spring-forward: a range starting in the skipped hour opens at the jump", "Europe/Berlin", "sun 02:30-04:00", nil,
			"2026-03-29T01:30:00+01:00", false, "2026-03-29T03:00:00+02:00"},
		{"Berlin spring-forward: inside the range after the jump", "Europe/Berlin", "sun 02:30-04:00", nil,
			"2026-03-29T03:10:00+02:00", true, ""},
		{"Berlin spring-forward: a range wholly in the skipped hour does not open that day", "Europe/Berlin", "sun 02:15-02:45", nil,
			"2026-03-28T12:00:00+01:00", false, "2026-04-05T02:15:00+02:00"},
		{"Berlin fall-back: first pass of the repeated hour", "Europe/Berlin", "sun 02:00-02:30", nil,
			"2026-10-24T12:00:00+02:00", false, "2026-10-25T02:00:00+02:00"},
		{"Berlin fall-back: the repeated hour opens again", "Europe/Berlin", "sun 02:00-02:30", nil,
			"2026-10-25T02:45:00+02:00", false, "2026-10-25T02:00:00+01:00"},
		{"Berlin fall-back: the clock turned back into a range", "Europe/Berlin", "sun 01:00-02:30", nil,
			"2026-10-25T02:40:00+02:00", false, "2026-10-25T02:00:00+01:00"},
		{"Berlin fall-back: second pass is open", "Europe/Berlin", "sun 02:00-02:30", nil,
			"2026-10-25T02:10:00+01:00", true, ""},
		{"New York spring-forward: open until the jump", "America/New_York", "sun 01:30-03:00", nil,
			"2026-03-08T01:59:00-05:00", true, ""},
		{"New York spring-forward: before the range", "America/New_York", "sun 01:30-03:00", nil,
			"2026-03-08T00:00:00-05:00", false, "2026-03-08T01:30:00-05:00"},
		{"New York spring-forward: the jump lands on the close", "America/New_York", "sun 01:30-03:00", nil,
			"2026-03-08T03:00:00-04:00", false, "2026-03-15T01:30:00-04:00"},
		{"New York fall-back: the repeated 01:00 opens again", "America/New_York", "sun 01:00-01:30", nil,
			"2026-11-01T01:45:00-04:00", false, "2026-11-01T01:00:00-05:00"},
		{"New York weekday hours over the fall-back weekend", "America/New_York", "fri 09:00-17:00, mon 09:00-17:00", nil,
			"2026-10-30T17:00:00-04:00", false, "2026-11-02T09:00:00-05:00"},
		{"holidays skip days in a row", "Europe/Berlin", "mon 09:00-17:00, tue 09:00-17:00, wed 09:00-17:00, thu 09:00-17:00, fri 09:00-17:00",
			[]string{"2026-12-24", "2026-12-25"}, "2026-12-23T18:00:00+01:00", false, "2026-12-28T09:00:00+01:00"},
		{"a holiday closes an open range", "Europe/Berlin", "thu 09:00-17:00", []string{"2026-12-24"},
			"2026-12-24T10:00:00+01:00", false, "2026-12-31T09:00:00+01:00"},
		{"a holiday is a date in the site's zone, not UTC's", "Asia/Tokyo", "", []string{"2026-01-01"},
			"2026-01-01T00:30:00+09:00", false, "2026-01-02T00:00:00+09:00"},
		{"the UTC date of the same instant is no holiday there", "Asia/Tokyo", "", []string{"2025-12-31"},
			"2026-01-01T00:30:00+09:00", true, ""},
		{"no ranges: always open", "UTC", "", nil, "2026-06-01T03:00:00Z", true, ""},
		{"past midnight: late Friday", "Europe/Berlin", "fri 22:00-24:00, sat 00:00-02:00", nil, "2026-06-05T23:59:59+02:00", true, ""},
		{"past midnight: Saturday after midnight", "Europe/Berlin", "fri 22:00-24:00, sat 00:00-02:00", nil, "2026-06-06T00:00:00+02:00", true, ""},
		{"past midnight: closed after the night", "Europe/Berlin", "fri 22:00-24:00, sat 00:00-02:00", nil, "2026-06-06T02:00:00+02:00", false, "2026-06-12T22:00:00+02:00"},
		{"the next opening later today", "UTC", "wed 08:00-09:00, wed 13:00-17:00", nil, "2026-06-03T10:00:00Z", false, "2026-06-03T13:00:00Z"},
		{"seconds before opening", "UTC", "wed 13:00-17:00", nil, "2026-06-03T12:59:59Z", false, "2026-06-03T13:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustParse(t, c.zone, c.spec, c.holidays...)
			at := instant(t, c.at)
			if got := s.OpenAt(at); got != c.open {
				t.Errorf("OpenAt(%s) = %v, want %v", c.at, got, c.open)
			}
			next, ok := s.NextOpen(at)
			switch {
			case c.next == "" && ok:
				t.Errorf("NextOpen(%s) = %s, want none", c.at, next.In(s.Location()).Format(time.RFC3339))
			case c.next != "" && (!ok || !next.Equal(instant(t, c.next))):
				t.Errorf("NextOpen(%s) = %s %v, want %s", c.at, next.In(s.Location()).Format(time.RFC3339), ok, c.next)
			}
		})
	}
}

// TestScheduleNeverOpens: a week whose only open day is a holiday every
// time it comes round, as far as the search looks (408 days), has no next
// opening.
func TestScheduleNeverOpens(t *testing.T) {
	var mondays []string
	for d := instant(t, "2026-06-01T00:00:00Z"); len(mondays) < 60; d = d.AddDate(0, 0, 7) {
		mondays = append(mondays, d.Format(time.DateOnly))
	}
	s := mustParse(t, "UTC", "mon 09:00-17:00", mondays...)
	if next, ok := s.NextOpen(instant(t, "2026-05-31T12:00:00Z")); ok {
		t.Fatalf("next opening %s, want none", next)
	}
	// Fewer Mondays on the list: the first free one, 407 days ahead, is the answer.
	s = mustParse(t, "UTC", "mon 09:00-17:00", mondays[:58]...)
	if next, ok := s.NextOpen(instant(t, "2026-05-31T12:00:00Z")); !ok || !next.Equal(instant(t, mondays[58]+"T09:00:00Z")) {
		t.Fatalf("next opening %s %v, want %s 09:00", next, ok, mondays[58])
	}
}

// TestScheduleProblems: every rule refuses with a message on its field.
func TestScheduleProblems(t *testing.T) {
	many := strings.Repeat("mon 00:00-00:01, ", 7*hours.MaxRangesPerDay+1)
	sixPlusOne := "mon 01:00-02:00, mon 02:00-03:00, mon 03:00-04:00, mon 04:00-05:00, mon 05:00-06:00, mon 06:00-07:00, mon 07:00-08:00"
	tooManyHolidays := make([]string, hours.MaxHolidays+1)
	for i := range tooManyHolidays {
		tooManyHolidays[i] = "2026-01-01"
	}
	cases := []struct {
		zone, spec string
		holidays   []string
		field      string
	}{
		{"", "", nil, "time_zone"},
		{"Local", "", nil, "time_zone"},
		{"Mars/Olympus", "", nil, "time_zone"},
		{"europe/berlin", "", nil, "time_zone"},
		{"UTC", "monday 09:00-17:00", nil, "hours"},
		{"UTC", "Mon 09:00-17:00", nil, "hours"},
		{"UTC", "mon 9:00-17:00", nil, "hours"},
		{"UTC", "mon 09:00-17:60", nil, "hours"},
		{"UTC", "mon 24:00-24:00", nil, "hours"},
		{"UTC", "mon 09:00-24:01", nil, "hours"},
		{"UTC", "mon 09:00-09:00", nil, "hours"},
		{"UTC", "mon 22:00-02:00", nil, "hours"},
		{"UTC", "mon 09:00-12:00, mon 11:00-14:00", nil, "hours"},
		{"UTC", "mon 09:00-12:00, mon 09:00-12:00", nil, "hours"},
		{"UTC", "mon ０9:00-12:00", nil, "hours"},
		{"UTC", many, nil, "hours"},
		{"UTC", sixPlusOne, nil, "hours"},
		{"UTC", "", []string{"2026-02-30"}, "holidays"},
		{"UTC", "", []string{"2026-2-3"}, "holidays"},
		{"UTC", "", []string{"christmas"}, "holidays"},
		{"UTC", "", tooManyHolidays, "holidays"},
	}
	for _, c := range cases {
		_, _, p := hours.Parse(c.zone, ranges(t, c.spec), c.holidays)
		if p[c.field] == "" || len(p) != 1 {
			t.Errorf("Parse(%q, %.60q, %.3v): problems %v, want one on %s", c.zone, c.spec, c.holidays, p, c.field)
		}
	}
	// Touching ranges and 24:00 are fine; holidays come back sorted and unique.
	_, hol, p := hours.Parse("Europe/Berlin", ranges(t, "mon 09:00-12:00, mon 12:00-24:00, tue 00:00-01:00"), []string{"2026-12-26", "2026-12-25", "2026-12-26"})
	if len(p) > 0 || strings.Join(hol, ",") != "2026-12-25,2026-12-26" {
		t.Fatalf("valid schedule: problems %v, holidays %v", p, hol)
	}
}

// fuzzSchedule parses a fuzzed schedule: ranges as JSON, holidays
// comma-separated; nil when Parse refuses it (and then it must not also
// return a schedule).
func fuzzSchedule(t *testing.T, zone, rangesJSON, holidays string) *hours.Schedule {
	var rs []model.HoursRange
	if json.Unmarshal([]byte(rangesJSON), &rs) != nil {
		return nil
	}
	var hol []string
	if holidays != "" {
		hol = strings.Split(holidays, ",")
	}
	s, _, p := hours.Parse(zone, rs, hol)
	if len(p) > 0 && s != nil {
		t.Fatal("a schedule with problems")
	}
	if len(p) > 0 {
		return nil
	}
	return s
}

// FuzzSchedule feeds arbitrary hours, zones, holidays and instants: Parse
// never panics, and a schedule it accepts answers consistently: the next
// opening is later than t, open at that instant, and closed just before it.
func FuzzSchedule(f *testing.F) {
	f.Add("Europe/Berlin", `[{"day":"sun","open":"02:30","close":"04:00"}]`, "2026-03-29", int64(1774740000))
	f.Add("America/New_York", `[{"day":"sun","open":"01:00","close":"01:30"},{"day":"mon","open":"09:00","close":"24:00"}]`, "", int64(1793512800))
	f.Add("UTC", `[]`, "2026-01-01,2026-01-02", int64(1767225600))
	f.Add("Australia/Lord_Howe", `[{"day":"sun","open":"01:45","close":"02:15"}]`, "", int64(1775400000))
	f.Add("Pacific/Apia", `[{"day":"fri","open":"00:00","close":"24:00"}]`, "2011-12-30", int64(1325160000))
	f.Fuzz(func(t *testing.T, zone, rangesJSON, holidays string, unix int64) {
		s := fuzzSchedule(t, zone, rangesJSON, holidays)
		if s == nil {
			return
		}
		at := time.Unix(unix%(400*365*86400), 0) // years 1570..2370: within time.Date's comfort
		next, ok := s.NextOpen(at)
		if !ok {
			return
		}
		if !next.After(at) || !s.OpenAt(next) {
			t.Fatalf("NextOpen(%s) = %s: not after t or not open", at, next)
		}
		if before := next.Add(-time.Second); before.After(at) && s.OpenAt(before) {
			t.Fatalf("NextOpen(%s) = %s, but already open at %s", at, next, before)
		}
	})
}
