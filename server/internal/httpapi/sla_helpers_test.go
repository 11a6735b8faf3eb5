package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"holler/server/internal/config"
	"holler/server/internal/testserver"
)

// slaFriday is where the SLA tests' clock starts: Friday 27 March 2026,
// 17:00 in Berlin (CET, +01:00), half an hour before closing, with the
// spring-forward change that weekend.
var slaFriday = time.Date(2026, 3, 27, 16, 0, 0, 0, time.UTC)

// slaBerlin reads a Berlin wall-clock time of the test's weeks ("2026-03-30 09:30").
func slaBerlin(t *testing.T, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// slaWeekdays are the Demo site's hours in the SLA tests.
var slaWeekdays = []map[string]string{
	{"day": "mon", "open": "09:00", "close": "17:30"}, {"day": "tue", "open": "09:00", "close": "17:30"},
	{"day": "wed", "open": "09:00", "close": "17:30"}, {"day": "thu", "open": "09:00", "close": "17:30"},
	{"day": "fri", "open": "09:00", "close": "17:30"},
}

// slaConfig runs a server on the test's clock, without rate limits.
func slaConfig(clock *testserver.Clock, more ...func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		c.RateLimit = false
		clock.Configure(c)
		for _, f := range more {
			f(c)
		}
	}
}

// slaBerlinHours gives the Demo site weekday hours in Berlin.
func slaBerlinHours(t *testing.T, s *testserver.Server, admin string) {
	t.Helper()
	r := s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]any{"time_zone": "Europe/Berlin", "hours": slaWeekdays})
	if r.Status != http.StatusOK {
		t.Fatalf("set hours: %d %s", r.Status, r.Body)
	}
}

// slaPut sets the Demo site's SLA settings.
func slaPut(t *testing.T, s *testserver.Server, admin string, body string) {
	t.Helper()
	r := s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/sla", admin, body)
	if r.Status != http.StatusOK {
		t.Fatalf("put sla: %d %s", r.Status, r.Body)
	}
}

// slaView is a conversation's sla object in the staff API.
type slaView struct {
	FirstResponseDue *time.Time `json:"first_response_due"`
	ResolutionDue    *time.Time `json:"resolution_due"`
	State            string     `json:"state"`
	DueAt            *time.Time `json:"due_at"`
	PausedAt         *time.Time `json:"paused_at"`
}

// slaOf reads a conversation's sla through the staff API.
func slaOf(t *testing.T, s *testserver.Server, token, id string) slaView {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/conversations/"+id, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get conversation: %d %s", r.Status, r.Body)
	}
	var out struct {
		Conversation struct {
			SLA *slaView `json:"sla"`
		} `json:"conversation"`
	}
	r.JSON(t, &out)
	if out.Conversation.SLA == nil {
		t.Fatalf("staff view without sla: %s", r.Body)
	}
	return *out.Conversation.SLA
}

// slaWaitState polls until the conversation's SLA state is want (the
// scheduler moves it when a warning or due time passes).
func slaWaitState(t *testing.T, s *testserver.Server, token, id, want string) slaView {
	t.Helper()
	var v slaView
	eventually(t, "sla state "+want, func() bool {
		v = slaOf(t, s, token, id)
		return v.State == want
	})
	return v
}

// slaWantTime checks an instant (nil when want is zero).
func slaWantTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	switch {
	case want.IsZero() && got != nil:
		t.Errorf("%s = %s, want null", what, got)
	case !want.IsZero() && (got == nil || !got.Equal(want)):
		t.Errorf("%s = %v, want %s", what, got, want.UTC())
	}
}

// slaFile files a conversation of a kind through the widget.
func slaFile(t *testing.T, s *testserver.Server, kind, text string) customerConv {
	t.Helper()
	return customerFiles(t, s, map[string]any{"kind": kind, "message": text, "name": "Kim Kunde"})
}

// slaSetStatus changes a conversation's status as staff.
func slaSetStatus(t *testing.T, s *testserver.Server, token, id, status string) {
	t.Helper()
	r := s.Do(t, "PATCH", "/api/v1/conversations/"+id, token, map[string]any{"status": status})
	if r.Status != http.StatusOK {
		t.Fatalf("set status %s: %d %s", status, r.Status, r.Body)
	}
}

// slaVisitorSays posts a customer message on their conversation.
func slaVisitorSays(t *testing.T, s *testserver.Server, c customerConv, body string) {
	t.Helper()
	r := s.Do(t, "POST", createPath(s.DemoKey)+"/"+c.ID+"/messages", c.VisitorToken, map[string]any{"body": body})
	if r.Status != http.StatusCreated {
		t.Fatalf("visitor message: %d %s", r.Status, r.Body)
	}
}

// slaNoticeFrame is the data of an sla.warning or sla.escalation frame.
type slaNoticeFrame struct {
	Target  string   `json:"target"`
	State   string   `json:"state"`
	Ref     string   `json:"ref"`
	UserIDs []string `json:"user_ids"`
}

func slaDecode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}
