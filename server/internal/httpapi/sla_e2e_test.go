package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestSLASettings: admins write a site's SLA settings, its staff read them,
// anyone else gets 404; bad input is a 422 naming the field and changes
// nothing.
func TestSLASettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		admin := s.AdminToken(t)
		path := "/api/v1/sites/" + s.DemoSite + "/sla"

		r := s.Do(t, "GET", path, admin, nil)
		if r.Status != http.StatusOK || string(r.Body) != `{"targets":{},"pause_when_pending":false}`+"\n" {
			t.Fatalf("default settings: %d %s", r.Status, r.Body)
		}
		// A kind with both targets null has none and is left out.
		put := `{"targets": {"complaint": {"first_response_minutes": 60, "resolution_minutes": 480},
			"question": {"first_response_minutes": 30}, "praise": {"first_response_minutes": null, "resolution_minutes": null}},
			"pause_when_pending": true}`
		want := `{"targets":{"complaint":{"first_response_minutes":60,"resolution_minutes":480},"question":{"first_response_minutes":30,"resolution_minutes":null}},"pause_when_pending":true}` + "\n"
		r = s.Do(t, "PUT", path, admin, put)
		if r.Status != http.StatusOK || string(r.Body) != want {
			t.Fatalf("put: %d %s", r.Status, r.Body)
		}
		if r = s.Do(t, "GET", path, admin, nil); string(r.Body) != want {
			t.Fatalf("read back: %s", r.Body)
		}

		for body, field := range map[string]string{
			`{"targets": {"complaint": {"first_response_minutes": 0}}}`:          "targets.complaint.first_response_minutes",
			`{"targets": {"complaint": {"resolution_minutes": 525601}}}`:         "targets.complaint.resolution_minutes",
			`{"targets": {"complaint": {"first_response_minutes": -5}}}`:         "targets.complaint.first_response_minutes",
			`{"targets": {"refund": {"first_response_minutes": 5}}}`:             "targets",
			`{"targets": {"complaint": {"first_response_minutes": "soon"}}}`:     "targets.complaint.first_response_minutes",
			`{"targets": {"complaint": {"first_response_minutes": 1.5}}}`:        "targets.complaint.first_response_minutes",
			`{"targets": [], "pause_when_pending": true}`:                        "targets",
			`{"targets": {}, "pause_when_pending": "yes"}`:                       "pause_when_pending",
			`{"targets": {"question": {"first_response_minutes": 10}, "x": {}}}`: "targets",
		} {
			e := wantError(t, s.Do(t, "PUT", path, admin, body), http.StatusUnprocessableEntity, "validation_failed")
			if e.Error.Fields[field] == "" {
				t.Errorf("PUT %s: fields %v, want one on %s", body, e.Error.Fields, field)
			}
		}
		wantError(t, s.Do(t, "PUT", path, admin, `{"targets":`), http.StatusBadRequest, "bad_json")
		if r = s.Do(t, "GET", path, admin, nil); string(r.Body) != want {
			t.Fatalf("refused input changed the settings: %s", r.Body)
		}

		// An agent of the site reads but may not write; an agent of another
		// site sees neither; nobody reaches a site that is not there.
		createAgent(t, s, admin, "member@example.com", "none")
		member := s.Login(t, "member@example.com", testserver.Password)
		if r = s.Do(t, "GET", path, member, nil); r.Status != http.StatusOK || string(r.Body) != want {
			t.Fatalf("member reads: %d %s", r.Status, r.Body)
		}
		wantError(t, s.Do(t, "PUT", path, member, `{"targets": {}}`), http.StatusForbidden, "forbidden")
		r = s.Do(t, "POST", "/api/v1/sites", admin, map[string]any{"name": "Other shop"})
		var other siteOut
		r.JSON(t, &other)
		createUser(t, s, admin, map[string]any{"email": "outsider@example.com", "role": "agent", "site_ids": []string{other.Site.ID}})
		outsider := s.Login(t, "outsider@example.com", "a long enough password")
		wantError(t, s.Do(t, "GET", path, outsider, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "PUT", path, outsider, `{"targets": {}}`), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "GET", "/api/v1/sites/01938f0e-7a3c-7b1e-9c4d-0123456789ab/sla", admin, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "PUT", "/api/v1/sites/nope%00/sla", admin, `{"targets": {}}`), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "GET", path, "", nil), http.StatusUnauthorized, "unauthorized")
		if r = s.Do(t, "GET", path, admin, nil); string(r.Body) != want {
			t.Fatalf("refused writes changed the settings: %s", r.Body)
		}
		// The other site's settings are its own.
		if r = s.Do(t, "GET", "/api/v1/sites/"+other.Site.ID+"/sla", outsider, nil); string(r.Body) != `{"targets":{},"pause_when_pending":false}`+"\n" {
			t.Fatalf("other site's settings: %s", r.Body)
		}
	})
}

// TestSLADueInBusinessHours: due times count in the site's opening hours
// (weekdays 09:00-17:30 in Berlin; the clock starts on a Friday at 17:00,
// before the spring-forward weekend), and the state follows the
// conversation: ok, warning at 80 % of the time, met by a staff reply (not
// a note), breached when the resolution time passes, still breached once
// resolved late; a reopen starts the resolution time again. Kinds without
// targets have state none; customers never see any of it.
func TestSLADueInBusinessHours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clock := testserver.NewClock(slaFriday)
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: slaConfig(clock)})
		admin := s.AdminToken(t)
		slaBerlinHours(t, s, admin)
		slaPut(t, s, admin, `{"targets": {"complaint": {"first_response_minutes": 60, "resolution_minutes": 480},
			"question": {"first_response_minutes": 30}}}`)

		r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]any{"kind": "complaint", "message": "the parcel is late"})
		if r.Status != http.StatusCreated || strings.Contains(string(r.Body), `"sla"`) {
			t.Fatalf("create: %d %s (the customer's answer must not carry the sla)", r.Status, r.Body)
		}
		var created struct {
			Conversation struct{ ID string } `json:"conversation"`
			VisitorToken string              `json:"visitor_token"`
		}
		r.JSON(t, &created)
		c := customerConv{ID: created.Conversation.ID, VisitorToken: created.VisitorToken}
		if r := s.Do(t, "GET", createPath(s.DemoKey)+"/"+c.ID, c.VisitorToken, nil); strings.Contains(string(r.Body), `"sla"`) {
			t.Fatalf("the customer's thread carries the sla: %s", r.Body)
		}
		q := slaFile(t, s, "question", "do you ship to Austria?")
		spam := slaFile(t, s, "question", "buy cheap watches")
		f := slaFile(t, s, "feedback", "nice shop")

		// 60 minutes: the last 30 of Friday and 30 of Monday (now CEST);
		// 480: 30 on Friday and 450 on Monday. Warnings at 48 and 384.
		v := slaOf(t, s, admin, c.ID)
		if v.State != "ok" || v.PausedAt != nil {
			t.Errorf("new complaint: %+v, want ok", v)
		}
		slaWantTime(t, "first_response_due", v.FirstResponseDue, slaBerlin(t, "2026-03-30 09:30"))
		slaWantTime(t, "resolution_due", v.ResolutionDue, slaBerlin(t, "2026-03-30 16:30"))
		slaWantTime(t, "due_at", v.DueAt, slaBerlin(t, "2026-03-30 09:30"))
		// 30 minutes run out exactly at Friday's closing.
		v = slaOf(t, s, admin, q.ID)
		slaWantTime(t, "question first_response_due", v.FirstResponseDue, slaBerlin(t, "2026-03-27 17:30"))
		slaWantTime(t, "question resolution_due", v.ResolutionDue, time.Time{})
		if v = slaOf(t, s, admin, f.ID); v.State != "none" || v.FirstResponseDue != nil || v.ResolutionDue != nil || v.DueAt != nil {
			t.Errorf("feedback: %+v, want none", v)
		}

		// A note is no response; a reply is, and meets the only target.
		clock.Advance(10 * time.Minute)
		staffSays(t, s, admin, q.ID, "checking with the warehouse", true)
		if v = slaOf(t, s, admin, q.ID); v.State != "ok" || v.DueAt == nil {
			t.Errorf("after a note: %+v, want ok and still due", v)
		}
		staffSays(t, s, admin, q.ID, "yes, we do", false)
		if v = slaOf(t, s, admin, q.ID); v.State != "met" || v.DueAt != nil {
			t.Errorf("answered in time: %+v, want met", v)
		}
		// Resolved without a reply: nothing is left to answer, in time; a
		// reply after the due time does not undo that.
		slaSetStatus(t, s, admin, spam.ID, "resolved")
		if v = slaOf(t, s, admin, spam.ID); v.State != "met" || v.DueAt != nil {
			t.Errorf("resolved without a reply: %+v, want met", v)
		}

		// Monday 09:20: 50 of the 60 minutes are used.
		clock.Set(slaBerlin(t, "2026-03-30 09:20"))
		slaWaitState(t, s, admin, c.ID, "warning")
		staffSays(t, s, admin, c.ID, "sorry, we are on it", false)
		staffSays(t, s, admin, spam.ID, "we do not buy watches", false)
		if v = slaOf(t, s, admin, spam.ID); v.State != "met" {
			t.Errorf("a late reply after resolving: %+v, want met", v)
		}
		v = slaOf(t, s, admin, c.ID)
		if v.State != "ok" {
			t.Errorf("answered in time, resolution running: %+v, want ok", v)
		}
		slaWantTime(t, "due_at after the first response", v.DueAt, slaBerlin(t, "2026-03-30 16:30"))

		clock.Set(slaBerlin(t, "2026-03-30 16:31"))
		slaWaitState(t, s, admin, c.ID, "breached")
		slaSetStatus(t, s, admin, c.ID, "resolved")
		if v = slaOf(t, s, admin, c.ID); v.State != "breached" || v.DueAt != nil {
			t.Errorf("resolved late: %+v, want breached with nothing running", v)
		}
		// The customer writes again at 16:40: 480 minutes from now are 50 on
		// Monday and 430 on Tuesday.
		clock.Set(slaBerlin(t, "2026-03-30 16:40"))
		slaVisitorSays(t, s, c, "it is still not here")
		v = slaOf(t, s, admin, c.ID)
		if v.State != "ok" {
			t.Errorf("reopened: %+v, want ok", v)
		}
		slaWantTime(t, "reopened resolution_due", v.ResolutionDue, slaBerlin(t, "2026-03-31 16:10"))
		slaWantTime(t, "reopened first_response_due (met, kept)", v.FirstResponseDue, slaBerlin(t, "2026-03-30 09:30"))
		slaSetStatus(t, s, admin, c.ID, "resolved")
		if v = slaOf(t, s, admin, c.ID); v.State != "met" {
			t.Errorf("resolved in time after the reopen: %+v, want met", v)
		}
	})
}

// TestSLAPauseWhenPending: with pause_when_pending, the clock stands still
// while a conversation is pending: no warning or escalation comes while it
// waits (a twin that is not pending breaches at the same time), and when
// the customer answers, the due times move by the business time it spent
// pending. A first reply while pending meets the target with the clock
// stopped. Without the setting, pending changes nothing.
func TestSLAPauseWhenPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clock := testserver.NewClock(slaFriday)
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: slaConfig(clock)})
		admin := s.AdminToken(t)
		slaBerlinHours(t, s, admin)
		slaPut(t, s, admin, `{"targets": {"complaint": {"first_response_minutes": 60, "resolution_minutes": 480}}, "pause_when_pending": true}`)

		paused := slaFile(t, s, "complaint", "where is my order?")
		twin := slaFile(t, s, "complaint", "where is my refund?")
		clock.Set(slaBerlin(t, "2026-03-27 17:10"))
		slaSetStatus(t, s, admin, paused.ID, "pending")
		v := slaOf(t, s, admin, paused.ID)
		slaWantTime(t, "paused_at", v.PausedAt, slaBerlin(t, "2026-03-27 17:10"))
		slaWantTime(t, "due while paused", v.FirstResponseDue, slaBerlin(t, "2026-03-30 09:30"))

		// Monday 10:00, half an hour past both due times: the twin breaches,
		// the paused one does not (the scheduler looked at both: it handles
		// every due row in one pass, earliest first).
		clock.Set(slaBerlin(t, "2026-03-30 10:00"))
		slaWaitState(t, s, admin, twin.ID, "breached")
		if v = slaOf(t, s, admin, paused.ID); v.State != "ok" || v.PausedAt == nil {
			t.Fatalf("paused conversation: %+v, want ok and paused", v)
		}
		// The customer answers: 20 minutes on Friday and 60 on Monday were
		// spent pending, and every running due time moves by 80 business
		// minutes (resolution: 16:30 + 60 to closing + 20 on Tuesday).
		slaVisitorSays(t, s, paused, "here is my order number")
		v = slaOf(t, s, admin, paused.ID)
		if v.State != "ok" || v.PausedAt != nil {
			t.Errorf("after pending: %+v, want ok, running", v)
		}
		slaWantTime(t, "moved first_response_due", v.FirstResponseDue, slaBerlin(t, "2026-03-30 10:50"))
		slaWantTime(t, "moved resolution_due", v.ResolutionDue, slaBerlin(t, "2026-03-31 09:20"))
		staffSays(t, s, admin, paused.ID, "thanks, found it", false)
		clock.Set(slaBerlin(t, "2026-03-30 10:30"))
		slaSetStatus(t, s, admin, paused.ID, "resolved")
		if v = slaOf(t, s, admin, paused.ID); v.State != "met" {
			t.Errorf("resolved in time: %+v, want met", v)
		}

		// Pending before any reply; the reply comes after the first response
		// was due by the wall clock, but the clock stood still.
		early := slaFile(t, s, "complaint", "broken on arrival")
		slaSetStatus(t, s, admin, early.ID, "pending")
		clock.Set(slaBerlin(t, "2026-03-30 12:00"))
		staffSays(t, s, admin, early.ID, "we will send a new one", false)
		v = slaOf(t, s, admin, early.ID)
		if v.State != "ok" {
			t.Errorf("first reply while paused: %+v, want ok (met, resolution paused)", v)
		}
		slaWantTime(t, "still paused, from the reply", v.PausedAt, slaBerlin(t, "2026-03-30 12:00"))
		slaWantTime(t, "first response due moved by the pause so far", v.FirstResponseDue, slaBerlin(t, "2026-03-30 13:00"))

		// Without the setting, pending is just a status.
		slaPut(t, s, admin, `{"targets": {"complaint": {"first_response_minutes": 60, "resolution_minutes": 480}}}`)
		plain := slaFile(t, s, "complaint", "wrong size")
		slaSetStatus(t, s, admin, plain.ID, "pending")
		v = slaOf(t, s, admin, plain.ID)
		if v.PausedAt != nil {
			t.Errorf("pending without pause_when_pending: %+v, want running", v)
		}
		slaWantTime(t, "unpaused due", v.FirstResponseDue, slaBerlin(t, "2026-03-30 13:00"))
	})
}

// TestSLASortByDue: sort=due lists the nearest due time first (overdue
// first of all), conversations without a running target last; its cursor
// pages through every conversation once, and a cursor of another order or
// an unknown order is refused.
func TestSLASortByDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clock := testserver.NewClock(slaFriday)
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: slaConfig(clock)})
		admin := s.AdminToken(t)
		slaPut(t, s, admin, `{"targets": {"complaint": {"first_response_minutes": 60}, "question": {"first_response_minutes": 15}}}`)

		// Filed a minute apart, 24/7: due times interleave by kind.
		var want []string
		complaints, questions, none := []string{}, []string{}, []string{}
		for range 4 {
			complaints = append(complaints, slaFile(t, s, "complaint", "late").ID)
			questions = append(questions, slaFile(t, s, "question", "when?").ID)
			none = append(none, slaFile(t, s, "praise", "great").ID)
			clock.Advance(time.Minute)
		}
		answered := slaFile(t, s, "question", "answered")
		staffSays(t, s, admin, answered.ID, "here you go", false)
		// Questions are due at 15, 16, 17, 18 minutes; complaints at 60..63;
		// the rest have none, and come last in id order.
		want = append(append(want, questions...), complaints...)
		rest := append(append([]string{}, none...), answered.ID)
		slices.Sort(rest)
		want = append(want, rest...)

		var got []string
		cursor := ""
		for page := 0; ; page++ {
			r := s.Do(t, "GET", "/api/v1/conversations?sort=due&limit=3&cursor="+cursor, admin, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("page %d: %d %s", page, r.Status, r.Body)
			}
			var out struct {
				Conversations []struct{ ID string } `json:"conversations"`
				NextCursor    string                `json:"next_cursor"`
			}
			r.JSON(t, &out)
			for _, c := range out.Conversations {
				got = append(got, c.ID)
			}
			if out.NextCursor == "" {
				break
			}
			cursor = out.NextCursor
			if page > 10 {
				t.Fatal("paging does not end")
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("sort=due order:\n got %v\nwant %v", got, want)
		}

		// The recent order (the default) is unchanged: the answered one
		// was active last.
		r := s.Do(t, "GET", "/api/v1/conversations?limit=1", admin, nil)
		var recent struct {
			Conversations []struct{ ID string } `json:"conversations"`
			NextCursor    string                `json:"next_cursor"`
		}
		r.JSON(t, &recent)
		if len(recent.Conversations) != 1 || recent.Conversations[0].ID != answered.ID {
			t.Errorf("default order: %s", r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/conversations?sort=recent&limit=1", admin, nil); !strings.Contains(string(r.Body), answered.ID) {
			t.Errorf("sort=recent: %s", r.Body)
		}
		e := wantError(t, s.Do(t, "GET", "/api/v1/conversations?sort=due&cursor="+recent.NextCursor, admin, nil), http.StatusUnprocessableEntity, "validation_failed")
		if e.Error.Fields["cursor"] == "" {
			t.Errorf("a recent cursor with sort=due: %+v", e.Error)
		}
		e = wantError(t, s.Do(t, "GET", "/api/v1/conversations?sort=oldest", admin, nil), http.StatusUnprocessableEntity, "validation_failed")
		if !strings.Contains(e.Error.Fields["sort"], "due") {
			t.Errorf("unknown sort: %+v", e.Error)
		}
	})
}
