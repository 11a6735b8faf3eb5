package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// availability is the widget config's availability object.
type availability struct {
	Online              bool       `json:"online"`
	NextOpen            *time.Time `json:"next_open"`
	TypicalReplyMinutes *int       `json:"typical_reply_minutes"`
	ReplyByEmail        bool       `json:"reply_by_email"`
}

// widgetConfig reads a site's widget config; the top-level online must
// agree with availability.online.
func widgetConfig(t *testing.T, s *testserver.Server, key string) availability {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/widget/"+key+"/config", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("config: %d %s", r.Status, r.Body)
	}
	var cfg struct {
		Online       *bool         `json:"online"`
		Availability *availability `json:"availability"`
	}
	r.JSON(t, &cfg)
	if cfg.Availability == nil || cfg.Online == nil {
		t.Fatalf("config without online or availability: %s", r.Body)
	}
	if *cfg.Online != cfg.Availability.Online {
		t.Fatalf("online %v but availability.online %v: %s", *cfg.Online, cfg.Availability.Online, r.Body)
	}
	if !strings.Contains(string(r.Body), `"next_open":`) || !strings.Contains(string(r.Body), `"typical_reply_minutes":`) {
		t.Fatalf("availability must carry next_open and typical_reply_minutes (null or a value): %s", r.Body)
	}
	return *cfg.Availability
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

type siteOut struct {
	Site struct {
		ID       string           `json:"id"`
		Key      string           `json:"key"`
		TimeZone string           `json:"time_zone"`
		Hours    []map[string]any `json:"hours"`
		Holidays []string         `json:"holidays"`
	} `json:"site"`
}

type userOut struct {
	User struct {
		ID            string   `json:"id"`
		AnswerSiteIDs []string `json:"answer_site_ids"`
	} `json:"user"`
}

func createUser(t *testing.T, s *testserver.Server, admin string, body map[string]any) userOut {
	t.Helper()
	body["password"] = "a long enough password"
	r := s.Do(t, "POST", "/api/v1/users", admin, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	var u userOut
	r.JSON(t, &u)
	return u
}

// closedUntil returns hours that open only on the weekday two days from now
// (UTC), 09:00-10:00, and that opening instant: closed now, whatever the
// time of day, and still the same answer if midnight passes mid-test.
func closedUntil(now time.Time) ([]map[string]string, time.Time) {
	day := now.UTC().AddDate(0, 0, 2)
	open := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, time.UTC)
	name := strings.ToLower(day.Weekday().String()[:3])
	return []map[string]string{{"day": name, "open": "09:00", "close": "10:00"}}, open
}

// TestSiteScheduleFields: time_zone, hours and holidays are read and
// written on the site, each rule refuses with 422 naming its field, a
// partial change is judged together with what is stored, and another
// site's agent gets 404.
func TestSiteScheduleFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		path := "/api/v1/sites/" + s.DemoSite

		var got siteOut
		s.Do(t, "GET", path, admin, nil).JSON(t, &got)
		if got.Site.TimeZone != "UTC" || got.Site.Hours == nil || len(got.Site.Hours) != 0 || got.Site.Holidays == nil || len(got.Site.Holidays) != 0 {
			t.Fatalf("defaults: %+v", got.Site)
		}

		r := s.Do(t, "PATCH", path, admin, map[string]any{"time_zone": "Europe/Berlin",
			"hours": []map[string]string{{"day": "mon", "open": "09:00", "close": "12:00"}, {"day": "mon", "open": "13:00", "close": "17:30"},
				{"day": "fri", "open": "22:00", "close": "24:00"}, {"day": "sat", "open": "00:00", "close": "02:00"}},
			"holidays": []string{"2026-12-26", "2026-12-25", "2026-12-26"}})
		if r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		s.Do(t, "GET", path, admin, nil).JSON(t, &got)
		if got.Site.TimeZone != "Europe/Berlin" || len(got.Site.Hours) != 4 || got.Site.Hours[3]["day"] != "sat" ||
			got.Site.Hours[2]["close"] != "24:00" || strings.Join(got.Site.Holidays, ",") != "2026-12-25,2026-12-26" {
			t.Fatalf("after patch: %+v", got.Site)
		}
		// A change of one part is judged with the stored others and keeps them.
		if r := s.Do(t, "PATCH", path, admin, map[string]any{"time_zone": "America/New_York"}); r.Status != http.StatusOK {
			t.Fatalf("patch zone: %d %s", r.Status, r.Body)
		}
		s.Do(t, "GET", path, admin, nil).JSON(t, &got)
		if got.Site.TimeZone != "America/New_York" || len(got.Site.Hours) != 4 || len(got.Site.Holidays) != 2 {
			t.Fatalf("after zone patch: %+v", got.Site)
		}

		rng := func(day, open, close string) []map[string]string {
			return []map[string]string{{"day": day, "open": open, "close": close}}
		}
		var sevenRanges []map[string]string
		for h := 1; h <= 7; h++ {
			sevenRanges = append(sevenRanges, map[string]string{"day": "wed", "open": fmt.Sprintf("%02d:00", h), "close": fmt.Sprintf("%02d:30", h)})
		}
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"unknown zone", map[string]any{"time_zone": "Mars/Olympus"}, "time_zone"},
			{"empty zone", map[string]any{"time_zone": ""}, "time_zone"},
			{"Local is no place", map[string]any{"time_zone": "Local"}, "time_zone"},
			{"zone with a control character", map[string]any{"time_zone": "UTC\x00"}, "time_zone"},
			{"zone of the wrong type", map[string]any{"time_zone": 1}, "time_zone"},
			{"day name", map[string]any{"hours": rng("monday", "09:00", "17:00")}, "hours"},
			{"open format", map[string]any{"hours": rng("mon", "9:00", "17:00")}, "hours"},
			{"close format", map[string]any{"hours": rng("mon", "09:00", "17:61")}, "hours"},
			{"open at 24:00", map[string]any{"hours": rng("mon", "24:00", "24:00")}, "hours"},
			{"open not before close", map[string]any{"hours": rng("mon", "17:00", "09:00")}, "hours"},
			{"empty range", map[string]any{"hours": rng("mon", "09:00", "09:00")}, "hours"},
			{"overlap", map[string]any{"hours": append(rng("tue", "09:00", "12:00"), rng("tue", "11:59", "13:00")...)}, "hours"},
			{"too many ranges a day", map[string]any{"hours": sevenRanges}, "hours"},
			{"hours with a control character", map[string]any{"hours": rng("mon\x00", "09:00", "17:00")}, "hours"},
			{"hours of the wrong type", map[string]any{"hours": "mon 9-5"}, "hours"},
			{"holiday not a date", map[string]any{"holidays": []string{"2026-02-30"}}, "holidays"},
			{"holiday format", map[string]any{"holidays": []string{"25.12.2026"}}, "holidays"},
			{"holiday with a control character", map[string]any{"holidays": []string{"2026-12-25\x00"}}, "holidays"},
		} {
			r := s.Do(t, "PATCH", path, admin, c.body)
			e := wantError(t, r, http.StatusUnprocessableEntity, "validation_failed")
			if e.Error.Fields[c.field] == "" {
				t.Errorf("%s: fields %v, want %s", c.name, e.Error.Fields, c.field)
			}
			// The preview judges unsaved values by the same rules.
			r = s.Do(t, "POST", path+"/availability/preview", admin, c.body)
			if e := wantError(t, r, http.StatusUnprocessableEntity, "validation_failed"); e.Error.Fields[c.field] == "" {
				t.Errorf("preview %s: fields %v, want %s", c.name, e.Error.Fields, c.field)
			}
		}
		var after siteOut
		s.Do(t, "GET", path, admin, nil).JSON(t, &after)
		if a, b := mustJSON(t, after.Site), mustJSON(t, got.Site); a != b {
			t.Fatalf("a refused change was stored:\n%s\n%s", a, b)
		}
		// Creating a site takes the fields too.
		r = s.Do(t, "POST", "/api/v1/sites", admin, map[string]any{"name": "Night shop", "time_zone": "Asia/Tokyo", "hours": rng("sun", "00:00", "24:00")})
		var shop siteOut
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &shop)
		if shop.Site.TimeZone != "Asia/Tokyo" || len(shop.Site.Hours) != 1 || shop.Site.Holidays == nil {
			t.Fatalf("created: %s", r.Body)
		}

		// Tenant isolation: an agent of the other site sees none of this.
		createUser(t, s, admin, map[string]any{"email": "other@example.com", "site_ids": []string{shop.Site.ID}})
		tok := s.Login(t, "other@example.com", "a long enough password")
		for _, c := range []struct{ method, path string }{
			{"GET", path}, {"PATCH", path}, {"GET", path + "/availability"}, {"POST", path + "/availability/preview"},
		} {
			r := s.Do(t, c.method, c.path, tok, map[string]any{"time_zone": "UTC"})
			wantError(t, r, http.StatusNotFound, "not_found")
		}
		// Their own site's availability they may read; its settings only admins write.
		if r := s.Do(t, "GET", "/api/v1/sites/"+shop.Site.ID+"/availability", tok, nil); r.Status != http.StatusOK {
			t.Fatalf("own site availability: %d %s", r.Status, r.Body)
		}
		wantError(t, s.Do(t, "PATCH", "/api/v1/sites/"+shop.Site.ID, tok, map[string]any{"time_zone": "UTC"}), http.StatusForbidden, "forbidden")
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestAvailabilityPresence: a site closed by its hours with nobody there is
// offline with the right next opening; a dashboard of an agent of the site
// makes it online; an admin's counts only for the sites they answer, and a
// change of their answer_site_ids shows in the config at once.
func TestAvailabilityPresence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		origin := http.Header{"Origin": {s.Config.PublicURL}}

		hrs, opens := closedUntil(time.Now())
		r := s.Do(t, "POST", "/api/v1/sites", admin, map[string]any{"name": "Shop", "hours": hrs})
		if r.Status != http.StatusCreated {
			t.Fatalf("create site: %d %s", r.Status, r.Body)
		}
		var shop siteOut
		r.JSON(t, &shop)
		site := shop.Site.ID
		agent := createUser(t, s, admin, map[string]any{"email": "agent@example.com", "site_ids": []string{site}})
		admin2 := createUser(t, s, admin, map[string]any{"email": "boss@example.com", "role": "admin"})
		if strings.Join(agent.User.AnswerSiteIDs, ",") != site || admin2.User.AnswerSiteIDs == nil || len(admin2.User.AnswerSiteIDs) != 0 {
			t.Fatalf("answer_site_ids: agent %v, new admin %v", agent.User.AnswerSiteIDs, admin2.User.AnswerSiteIDs)
		}
		// The creator answers the site they created.
		var first userOut
		s.Do(t, "GET", "/api/v1/me", admin, nil).JSON(t, &first)
		if !strings.Contains(strings.Join(first.User.AnswerSiteIDs, ","), site) || !strings.Contains(strings.Join(first.User.AnswerSiteIDs, ","), s.DemoSite) {
			t.Fatalf("first admin answers %v, want the Demo site and %s", first.User.AnswerSiteIDs, site)
		}

		a := widgetConfig(t, s, shop.Site.Key)
		if a.Online || a.NextOpen == nil || !a.NextOpen.Equal(opens) || a.TypicalReplyMinutes != nil || a.ReplyByEmail {
			t.Fatalf("closed, nobody there: %+v, want offline, next_open %s", a, opens)
		}
		var staffView struct{ Availability availability }
		s.Do(t, "GET", "/api/v1/sites/"+site+"/availability", admin, nil).JSON(t, &staffView)
		if staffView.Availability.Online || staffView.Availability.NextOpen == nil || !staffView.Availability.NextOpen.Equal(opens) {
			t.Fatalf("staff view of availability: %+v", staffView.Availability)
		}

		// The second admin opens the dashboard. They answer the Demo site
		// once they choose it: that proves their socket counts...
		boss := s.Login(t, "boss@example.com", "a long enough password")
		bossWS := dialStaff(t, s, boss, origin)
		defer bossWS.Close()
		go drain(bossWS)
		if r := s.Do(t, "PATCH", "/api/v1/users/"+admin2.User.ID, admin, map[string]any{"answer_site_ids": []string{s.DemoSite}}); r.Status != http.StatusOK {
			t.Fatalf("choose demo: %d %s", r.Status, r.Body)
		}
		eventually(t, "Demo online with its answering admin connected", func() bool { return widgetConfig(t, s, s.DemoKey).Online })
		// ...while the shop, which they can see but do not answer, stays offline.
		if a := widgetConfig(t, s, shop.Site.Key); a.Online {
			t.Fatalf("an admin who does not answer the shop made it online: %+v", a)
		}
		// They choose the shop too (themselves): it is online at once, no reconnect.
		r = s.Do(t, "PATCH", "/api/v1/users/"+admin2.User.ID, boss, map[string]any{"answer_site_ids": []string{s.DemoSite, site}})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), site) {
			t.Fatalf("choose shop: %d %s", r.Status, r.Body)
		}
		if a := widgetConfig(t, s, shop.Site.Key); !a.Online || a.NextOpen == nil {
			t.Fatalf("after the admin chose the shop: %+v, want online (outside hours: someone is there)", a)
		}
		if r := s.Do(t, "PATCH", "/api/v1/users/"+admin2.User.ID, boss, map[string]any{"answer_site_ids": []string{s.DemoSite}}); r.Status != http.StatusOK {
			t.Fatalf("unchoose: %d %s", r.Status, r.Body)
		}
		if a := widgetConfig(t, s, shop.Site.Key); a.Online {
			t.Fatalf("still online after the admin stopped answering: %+v", a)
		}

		// An agent of the shop opens the dashboard: online; closes it: offline.
		agentTok := s.Login(t, "agent@example.com", "a long enough password")
		agentWS := dialStaff(t, s, agentTok, origin)
		go drain(agentWS)
		eventually(t, "shop online with its agent connected", func() bool { return widgetConfig(t, s, shop.Site.Key).Online })
		if a := widgetConfig(t, s, s.DemoKey); !a.Online {
			t.Fatal("Demo went offline although its answering admin is still connected")
		}
		agentWS.Close()
		eventually(t, "shop offline after its agent left", func() bool { return !widgetConfig(t, s, shop.Site.Key).Online })

		// Agents answer their sites: they cannot choose others, and an
		// admin cannot give them a list that differs from site_ids.
		r = s.Do(t, "PATCH", "/api/v1/users/"+agent.User.ID, agentTok, map[string]any{"answer_site_ids": []string{s.DemoSite}})
		if e := wantError(t, r, http.StatusUnprocessableEntity, "validation_failed"); e.Error.Fields["answer_site_ids"] == "" {
			t.Fatalf("agent answer_site_ids: %s", r.Body)
		}
		r = s.Do(t, "PATCH", "/api/v1/users/"+agent.User.ID, admin, map[string]any{"answer_site_ids": []string{"nope"}, "role": "admin"})
		if e := wantError(t, r, http.StatusUnprocessableEntity, "validation_failed"); e.Error.Fields["answer_site_ids"] == "" {
			t.Fatalf("unknown site: %s", r.Body)
		}
		// An agent made admin keeps answering the sites they belonged to.
		var promoted userOut
		r = s.Do(t, "PATCH", "/api/v1/users/"+agent.User.ID, admin, map[string]any{"role": "admin"})
		r.JSON(t, &promoted)
		if r.Status != http.StatusOK || strings.Join(promoted.User.AnswerSiteIDs, ",") != site {
			t.Fatalf("promoted agent answers %v (%d %s), want [%s]", promoted.User.AnswerSiteIDs, r.Status, r.Body, site)
		}
	})
}

func drain(c interface {
	ReadMessage() (int, []byte, error)
}) {
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
	}
}

// TestTypicalReplyMinutes: the site's typical reply time is null until
// enough conversations got a first staff reply, then a rounded figure;
// internal notes are no reply, and the first reply's time is kept.
func TestTypicalReplyMinutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		file := func() string {
			var c created
			r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "Where is my parcel?"})
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			r.JSON(t, &c)
			return c.Conversation.ID
		}
		reply := func(id string, internal bool) {
			r := s.Do(t, "POST", "/api/v1/conversations/"+id+"/messages", admin, map[string]any{"body": "On its way.", "internal": internal})
			if r.Status != http.StatusCreated {
				t.Fatalf("reply: %d %s", r.Status, r.Body)
			}
		}
		firstResponse := func(id string) *time.Time {
			var th struct {
				Conversation struct {
					FirstResponseAt *time.Time `json:"first_response_at"`
				} `json:"conversation"`
			}
			s.Do(t, "GET", "/api/v1/conversations/"+id, admin, nil).JSON(t, &th)
			return th.Conversation.FirstResponseAt
		}
		noted := file()
		reply(noted, true) // a note is no response
		if firstResponse(noted) != nil {
			t.Fatal("an internal note set first_response_at")
		}
		for i := 0; i < 4; i++ {
			reply(file(), false)
			if a := widgetConfig(t, s, s.DemoKey); a.TypicalReplyMinutes != nil {
				t.Fatalf("typical reply minutes %d after %d answered conversations; want null below 5", *a.TypicalReplyMinutes, i+1)
			}
		}
		last := file()
		reply(last, false)
		at := firstResponse(last)
		if at == nil {
			t.Fatal("first_response_at not set by a staff reply")
		}
		if a := widgetConfig(t, s, s.DemoKey); a.TypicalReplyMinutes == nil || *a.TypicalReplyMinutes != 1 {
			t.Fatalf("typical reply minutes %v after 5 answered within seconds, want 1", a.TypicalReplyMinutes)
		}
		reply(last, false)
		if again := firstResponse(last); again == nil || !again.Equal(*at) {
			t.Fatalf("a second reply moved first_response_at from %s to %v", at, again)
		}
	})
}
