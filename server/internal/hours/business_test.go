package hours_test

import (
	"testing"
	"time"
)

const weekdays = "mon 09:00-17:30, tue 09:00-17:30, wed 09:00-17:30, thu 09:00-17:30, fri 09:00-17:30"

// TestAddBusiness: due times of targets counted in opening hours, across
// weekends, holidays, midnight ranges and both clock changes. Expected
// instants carry the zone's offset of that moment.
func TestAddBusiness(t *testing.T) {
	cases := []struct {
		name, zone, spec string
		holidays         []string
		at               string
		minutes          int
		want             string // "" = never
	}{
		{"no hours: plain time", "UTC", "", nil, "2026-06-01T03:00:00Z", 90, "2026-06-01T04:30:00Z"},
		{"zero: the instant itself, even when closed", "Europe/Berlin", weekdays, nil, "2026-03-28T12:00:00+01:00", 0, "2026-03-28T12:00:00+01:00"},
		{"within the day", "Europe/Berlin", weekdays, nil, "2026-03-30T10:00:00+02:00", 60, "2026-03-30T11:00:00+02:00"},
		{"runs out exactly at the close", "Europe/Berlin", weekdays, nil, "2026-03-30T16:30:00+02:00", 60, "2026-03-30T17:30:00+02:00"},
		{"Friday evening to Monday across spring-forward", "Europe/Berlin", weekdays, nil, "2026-03-27T17:00:00+01:00", 60, "2026-03-30T09:30:00+02:00"},
		{"filed on a Saturday: counts from Monday's opening", "Europe/Berlin", weekdays, nil, "2026-03-28T10:00:00+01:00", 30, "2026-03-30T09:30:00+02:00"},
		{"filed before opening", "Europe/Berlin", weekdays, nil, "2026-03-30T06:00:00+02:00", 45, "2026-03-30T09:45:00+02:00"},
		{"several days of business time", "Europe/Berlin", weekdays, nil, "2026-03-30T09:00:00+02:00", 3 * 510, "2026-04-01T17:30:00+02:00"},
		{"holidays skipped", "Europe/Berlin", weekdays, []string{"2026-12-24", "2026-12-25"}, "2026-12-23T17:00:00+01:00", 60, "2026-12-28T09:30:00+01:00"},
		{"a holiday is a date of the site's zone", "Asia/Tokyo", "", []string{"2026-01-01"}, "2025-12-31T23:30:00+09:00", 60, "2026-01-02T00:30:00+09:00"},
		{"a range to 24:00 runs on into the next day's 00:00", "Europe/Berlin", "fri 22:00-24:00, sat 00:00-02:00", nil, "2026-06-05T23:30:00+02:00", 60, "2026-06-06T00:30:00+02:00"},
		{"after the night range: next week", "Europe/Berlin", "fri 22:00-24:00, sat 00:00-02:00", nil, "2026-06-06T01:30:00+02:00", 60, "2026-06-12T22:30:00+02:00"},
		{"spring-forward: the skipped hour is no open time", "Europe/Berlin", "sun 01:00-04:00", nil, "2026-03-29T01:00:00+01:00", 150, "2026-04-05T01:30:00+02:00"},
		{"spring-forward: the range resumes after the jump", "Europe/Berlin", "sun 01:00-04:00", nil, "2026-03-29T01:30:00+01:00", 60, "2026-03-29T03:30:00+02:00"},
		{"fall-back: the repeated hour counts twice", "Europe/Berlin", "sun 01:00-04:00", nil, "2026-10-25T01:00:00+02:00", 150, "2026-10-25T02:30:00+01:00"},
		{"New York weekday hours over the fall-back weekend", "America/New_York", "fri 09:00-17:00, mon 09:00-17:00", nil, "2026-10-30T16:00:00-04:00", 120, "2026-11-02T10:00:00-05:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustParse(t, c.zone, c.spec, c.holidays...)
			at := instant(t, c.at)
			got, ok := s.AddBusiness(at, time.Duration(c.minutes)*time.Minute)
			if c.want == "" {
				if ok {
					t.Fatalf("AddBusiness = %s, want never", got.In(s.Location()).Format(time.RFC3339))
				}
				return
			}
			if !ok || !got.Equal(instant(t, c.want)) {
				t.Fatalf("AddBusiness(%s, %dm) = %s %v, want %s", c.at, c.minutes, got.In(s.Location()).Format(time.RFC3339), ok, c.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("result in %s, want UTC (stored times compare as UTC text)", got.Location())
			}
			if back := s.BusinessBetween(at, got); back != time.Duration(c.minutes)*time.Minute {
				t.Errorf("BusinessBetween(start, due) = %s, want %dm", back, c.minutes)
			}
		})
	}
}

// TestBusinessBetween: open time between two instants.
func TestBusinessBetween(t *testing.T) {
	cases := []struct {
		name, zone, spec string
		holidays         []string
		from, to         string
		want             time.Duration
	}{
		{"no hours", "UTC", "", nil, "2026-06-01T03:00:00Z", "2026-06-02T04:00:00Z", 25 * time.Hour},
		{"b before a", "UTC", "", nil, "2026-06-02T03:00:00Z", "2026-06-01T03:00:00Z", 0},
		{"closed all the while", "Europe/Berlin", weekdays, nil, "2026-03-28T08:00:00+01:00", "2026-03-29T20:00:00+02:00", 0},
		{"a weekend in the middle", "Europe/Berlin", weekdays, nil, "2026-03-27T17:00:00+01:00", "2026-03-30T10:00:00+02:00", 90 * time.Minute},
		{"a holiday in the middle", "Europe/Berlin", weekdays, []string{"2026-03-31"}, "2026-03-30T17:00:00+02:00", "2026-04-01T10:00:00+02:00", 90 * time.Minute},
		{"the night range joins at midnight", "Europe/Berlin", "fri 22:00-24:00, sat 00:00-02:00", nil, "2026-06-05T23:00:00+02:00", "2026-06-06T01:00:00+02:00", 2 * time.Hour},
		{"spring-forward day", "Europe/Berlin", "sun 01:00-04:00", nil, "2026-03-29T00:00:00+01:00", "2026-03-29T05:00:00+02:00", 2 * time.Hour},
		{"fall-back day", "Europe/Berlin", "sun 01:00-04:00", nil, "2026-10-25T00:00:00+02:00", "2026-10-25T05:00:00+01:00", 4 * time.Hour},
		{"no hours but a holiday", "UTC", "", []string{"2026-06-02"}, "2026-06-01T12:00:00Z", "2026-06-03T12:00:00Z", 24 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustParse(t, c.zone, c.spec, c.holidays...)
			if got := s.BusinessBetween(instant(t, c.from), instant(t, c.to)); got != c.want {
				t.Fatalf("BusinessBetween = %s, want %s", got, c.want)
			}
		})
	}
}

// TestAddBusinessNeverOpens: a schedule that opens no more within reach has
// no due time; the open time up to any instant is then 0.
func TestAddBusinessNeverOpens(t *testing.T) {
	var mondays []string
	for d := instant(t, "2026-06-01T00:00:00Z"); len(mondays) < 60; d = d.AddDate(0, 0, 7) {
		mondays = append(mondays, d.Format(time.DateOnly))
	}
	s := mustParse(t, "UTC", "mon 09:00-17:00", mondays...)
	from := instant(t, "2026-05-31T12:00:00Z")
	if due, ok := s.AddBusiness(from, time.Minute); ok {
		t.Fatalf("due %s, want never", due)
	}
	if got := s.BusinessBetween(from, from.AddDate(1, 0, 0)); got != 0 {
		t.Fatalf("open time %s, want 0", got)
	}
}

// FuzzBusiness checks the two functions against OpenAt, minute by minute,
// over two days from any minute since 1990 (older zones have offsets with
// seconds, whose wall minutes do not start on UTC minutes), and against
// each other: the open time up to AddBusiness(t, d) is d.
func FuzzBusiness(f *testing.F) {
	f.Add("Europe/Berlin", `[{"day":"sun","open":"01:00","close":"04:00"}]`, "", int64(1774731600), uint16(150))
	f.Add("Europe/Berlin", `[{"day":"sun","open":"00:00","close":"24:00"},{"day":"mon","open":"00:00","close":"03:00"}]`, "", int64(1792875600), uint16(900))
	f.Add("America/New_York", `[{"day":"fri","open":"09:00","close":"17:00"},{"day":"sat","open":"00:00","close":"24:00"}]`, "2026-10-31", int64(1793390400), uint16(600))
	f.Add("Australia/Lord_Howe", `[{"day":"sun","open":"01:00","close":"03:00"}]`, "", int64(1775390400), uint16(100))
	f.Add("UTC", `[]`, "2026-01-02", int64(1767312000), uint16(2000))
	f.Fuzz(func(t *testing.T, zone, rangesJSON, holidays string, unix int64, minutes uint16) {
		s := fuzzSchedule(t, zone, rangesJSON, holidays)
		if s == nil {
			return
		}
		const since1990 = 631152000
		if unix < 0 {
			unix = -unix
		}
		at := time.Unix(since1990+unix%(60*365*86400), 0).Truncate(time.Minute)
		end := at.Add(48 * time.Hour)
		var open time.Duration
		for m := at; m.Before(end); m = m.Add(time.Minute) {
			if s.OpenAt(m) {
				open += time.Minute
			}
		}
		if got := s.BusinessBetween(at, end); got != open {
			t.Fatalf("BusinessBetween(%s, +48h) = %s, OpenAt minute by minute says %s", at, got, open)
		}
		d := time.Duration(minutes) * time.Minute
		due, ok := s.AddBusiness(at, d)
		if !ok {
			return
		}
		if got := s.BusinessBetween(at, due); got != d {
			t.Fatalf("BusinessBetween(%s, AddBusiness(+%s) = %s) = %s", at, d, due, got)
		}
		if d > 0 && !s.OpenAt(due.Add(-time.Second)) {
			t.Fatalf("AddBusiness(%s, %s) = %s, but the second before it is closed", at, d, due)
		}
	})
}
