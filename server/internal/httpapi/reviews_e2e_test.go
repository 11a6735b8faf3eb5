package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// reviewSite is the part of a site these tests read.
type reviewSite struct {
	Site struct {
		ID         string   `json:"id"`
		Key        string   `json:"key"`
		ReviewURLs []string `json:"review_urls"`
	} `json:"site"`
}

// reviewRating is the body of a rating.
type reviewRating struct {
	Conversation struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		RatingScore *int   `json:"rating_score"`
	} `json:"conversation"`
	ReviewInvite *struct {
		URLs []string `json:"urls"`
	} `json:"review_invite"`
}

// reviewReport is the body of GET /api/v1/reports/ratings.
type reviewReport struct {
	Report struct {
		SiteID       *string `json:"site_id"`
		Ratings      int     `json:"ratings"`
		Invited      int     `json:"invited"`
		Thanked      int     `json:"thanked"`
		Reopened     int     `json:"reopened"`
		TurnedAround int     `json:"turned_around"`
	} `json:"report"`
}

// reviewResolved is a customer's conversation on the site with key,
// answered and resolved by staff, ready to be rated.
func reviewResolved(t *testing.T, s *testserver.Server, admin, key, text string) created {
	t.Helper()
	var c created
	r := s.Do(t, "POST", createPath(key), "", map[string]string{"kind": "complaint", "message": text})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &c)
	reviewResolve(t, s, admin, c.Conversation.ID)
	return c
}

func reviewResolve(t *testing.T, s *testserver.Server, admin, id string) {
	t.Helper()
	if r := s.Do(t, "PATCH", "/api/v1/conversations/"+id, admin, map[string]any{"status": "resolved"}); r.Status != http.StatusOK {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
}

// rate sends a visitor's rating and expects it accepted.
func reviewRate(t *testing.T, s *testserver.Server, key string, c created, score int, comment string) (reviewRating, string) {
	t.Helper()
	body := map[string]any{"score": score}
	if comment != "" {
		body["comment"] = comment
	}
	r := s.Do(t, "POST", createPath(key)+"/"+c.Conversation.ID+"/rating", c.VisitorToken, body)
	if r.Status != http.StatusOK {
		t.Fatalf("rating %d: %d %s", score, r.Status, r.Body)
	}
	var out reviewRating
	r.JSON(t, &out)
	return out, string(r.Body)
}

func reviewNewSite(t *testing.T, s *testserver.Server, admin string, body map[string]any) reviewSite {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/sites", admin, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create site: %d %s", r.Status, r.Body)
	}
	var out reviewSite
	r.JSON(t, &out)
	return out
}

// TestReviewURLsField: review_urls is read and written on the site (empty
// by default, trimmed, duplicates dropped); each bad list is a 422 naming
// the field and changes nothing; agents may not write it and another
// site's agent gets 404.
func TestReviewURLsField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		path := "/api/v1/sites/" + s.DemoSite

		var got reviewSite
		s.Do(t, "GET", path, admin, nil).JSON(t, &got)
		if got.Site.ReviewURLs == nil || len(got.Site.ReviewURLs) != 0 {
			t.Fatalf("default review_urls %v, want []", got.Site.ReviewURLs)
		}
		google, trust := "https://g.page/r/demo-shop/review", "http://www.trustpilot.com/evaluate/shop.example?lang=en#top"
		r := s.Do(t, "PATCH", path, admin, map[string]any{"review_urls": []string{" " + google + " ", trust, google}})
		if r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		s.Do(t, "GET", path, admin, nil).JSON(t, &got)
		if strings.Join(got.Site.ReviewURLs, " ") != google+" "+trust {
			t.Fatalf("stored review_urls %q", got.Site.ReviewURLs)
		}
		// Other settings leave them be.
		s.Do(t, "PATCH", path, admin, map[string]any{"greeting": "Hi!"})
		s.Do(t, "GET", path, admin, nil).JSON(t, &got)
		if len(got.Site.ReviewURLs) != 2 {
			t.Fatalf("a greeting change touched review_urls: %q", got.Site.ReviewURLs)
		}

		six := []string{}
		for _, c := range "abcdef" {
			six = append(six, "https://reviews.example/"+string(c))
		}
		for _, c := range []struct {
			name string
			urls any
		}{
			{"not http", []string{"ftp://files.example/review"}},
			{"script", []string{"javascript:alert(1)"}},
			{"relative", []string{"/reviews"}},
			{"no host", []string{"https://"}},
			{"blank entry", []string{google, "  "}},
			{"credentials", []string{"https://shop.example@evil.example/review"}},
			{"control character", []string{"https://reviews.example/\x00"}},
			{"line break", []string{"https://reviews.example/a\nb"}},
			{"too long", []string{"https://reviews.example/" + strings.Repeat("a", 2048)}},
			{"too many", six},
			{"wrong type", "https://reviews.example/"},
			{"entry of the wrong type", []any{1}},
		} {
			r := s.Do(t, "PATCH", path, admin, map[string]any{"review_urls": c.urls})
			if e := wantError(t, r, http.StatusUnprocessableEntity, "validation_failed"); e.Error.Fields["review_urls"] == "" {
				t.Errorf("%s: fields %v, want review_urls", c.name, e.Error.Fields)
			}
		}
		var after reviewSite
		s.Do(t, "GET", path, admin, nil).JSON(t, &after)
		if strings.Join(after.Site.ReviewURLs, " ") != google+" "+trust {
			t.Fatalf("a refused change was stored: %q", after.Site.ReviewURLs)
		}
		// Five is the most; an empty list clears them.
		if r := s.Do(t, "PATCH", path, admin, map[string]any{"review_urls": six[:5]}); r.Status != http.StatusOK {
			t.Fatalf("five URLs: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "PATCH", path, admin, map[string]any{"review_urls": []string{}}); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"review_urls":[]`) {
			t.Fatalf("clear: %d %s", r.Status, r.Body)
		}
		// A new site takes them at creation.
		shop := reviewNewSite(t, s, admin, map[string]any{"name": "Shop", "review_urls": []string{google}})
		if strings.Join(shop.Site.ReviewURLs, " ") != google {
			t.Fatalf("created with %q", shop.Site.ReviewURLs)
		}

		createUser(t, s, admin, map[string]any{"email": "agent@example.com", "site_ids": []string{shop.Site.ID}})
		agent := s.Login(t, "agent@example.com", "a long enough password")
		wantError(t, s.Do(t, "PATCH", "/api/v1/sites/"+shop.Site.ID, agent, map[string]any{"review_urls": []string{}}), http.StatusForbidden, "forbidden")
		wantError(t, s.Do(t, "PATCH", path, agent, map[string]any{"review_urls": []string{google}}), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "GET", path, agent, nil), http.StatusNotFound, "not_found")
	})
}

// TestRatingReviewInvite: a 4 or 5 on a site with review_urls answers with
// the invitation and leaves the conversation resolved; on a site without
// them, and for a low score, the answer has no invitation at all.
func TestRatingReviewInvite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		urls := []string{"https://g.page/r/demo-shop/review", "https://www.trustpilot.com/evaluate/shop.example"}
		if r := s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]any{"review_urls": urls}); r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}

		c := reviewResolved(t, s, admin, s.DemoKey, "The parcel was late")
		out, raw := reviewRate(t, s, s.DemoKey, c, 5, "Sorted in minutes")
		if out.ReviewInvite == nil || strings.Join(out.ReviewInvite.URLs, " ") != strings.Join(urls, " ") {
			t.Fatalf("rating 5: no invitation to %v: %s", urls, raw)
		}
		if out.Conversation.Status != "resolved" || out.Conversation.RatingScore == nil || *out.Conversation.RatingScore != 5 {
			t.Fatalf("rating 5: %s", raw)
		}
		// Changing one's mind to a 4 still invites.
		if out, raw := reviewRate(t, s, s.DemoKey, c, 4, ""); out.ReviewInvite == nil || len(out.ReviewInvite.URLs) != 2 {
			t.Fatalf("rating 4: %s", raw)
		}
		// Another visitor cannot rate it.
		other := reviewResolved(t, s, admin, s.DemoKey, "Wrong size")
		wantError(t, s.Do(t, "POST", createPath(s.DemoKey)+"/"+c.Conversation.ID+"/rating", other.VisitorToken, map[string]any{"score": 5}), http.StatusNotFound, "not_found")
		// A 3 invites nobody.
		if _, raw := reviewRate(t, s, s.DemoKey, other, 3, ""); strings.Contains(raw, "review_invite") {
			t.Fatalf("rating 3 invited: %s", raw)
		}

		plain := reviewNewSite(t, s, admin, map[string]any{"name": "No reviews yet"})
		p := reviewResolved(t, s, admin, plain.Site.Key, "Where is my order?")
		if out, raw := reviewRate(t, s, plain.Site.Key, p, 5, ""); strings.Contains(raw, "review_invite") || out.Conversation.Status != "resolved" {
			t.Fatalf("rating 5 without review_urls: %s", raw)
		}
		// The visitor of one site cannot rate through another site's key.
		wantError(t, s.Do(t, "POST", createPath(plain.Site.Key)+"/"+c.Conversation.ID+"/rating", c.VisitorToken, map[string]any{"score": 5}), http.StatusUnauthorized, "unauthorized")
	})
}

// TestLowRatingReopens: a 1 to 3 reopens the conversation, the change
// reaches staff sockets live as conversation.updated, staff keep the score
// and comment in view, and the customer's next message joins the thread.
func TestLowRatingReopens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]any{"review_urls": []string{"https://g.page/r/demo-shop/review"}})
		c := reviewResolved(t, s, admin, s.DemoKey, "The lamp arrived broken")

		var page struct {
			EventsCursor string `json:"events_cursor"`
		}
		s.Do(t, "GET", "/api/v1/conversations", admin, nil).JSON(t, &page)
		staff, _, err := s.DialSocket("/api/v1/ws", admin, page.EventsCursor, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer staff.Close()

		out, raw := reviewRate(t, s, s.DemoKey, c, 2, "The replacement is broken too")
		if out.Conversation.Status != "open" || out.ReviewInvite != nil {
			t.Fatalf("rating 2: %s", raw)
		}
		f := readFrame(t, staff)
		var data struct {
			Conversation struct {
				ID            string `json:"id"`
				Status        string `json:"status"`
				RatingScore   *int   `json:"rating_score"`
				RatingComment string `json:"rating_comment"`
			} `json:"conversation"`
		}
		if err := json.Unmarshal(f.Data, &data); err != nil {
			t.Fatal(err)
		}
		if f.Type != "conversation.updated" || data.Conversation.ID != c.Conversation.ID || data.Conversation.Status != "open" ||
			data.Conversation.RatingScore == nil || *data.Conversation.RatingScore != 2 || data.Conversation.RatingComment != "The replacement is broken too" {
			t.Fatalf("staff frame: %s %s", f.Type, f.Data)
		}
		// Open again: no second rating until staff resolve it.
		wantError(t, s.Do(t, "POST", createPath(s.DemoKey)+"/"+c.Conversation.ID+"/rating", c.VisitorToken, map[string]any{"score": 1}), http.StatusConflict, "not_resolved")

		// What is still wrong goes into the same thread.
		r := s.Do(t, "POST", createPath(s.DemoKey)+"/"+c.Conversation.ID+"/messages", c.VisitorToken, map[string]string{"body": "The cable is frayed"})
		if r.Status != http.StatusCreated {
			t.Fatalf("reply: %d %s", r.Status, r.Body)
		}
		if f := readFrame(t, staff); f.Type != "message.created" || f.ConversationID != c.Conversation.ID || !strings.Contains(string(f.Data), "The cable is frayed") {
			t.Fatalf("staff frame after the reply: %s %s", f.Type, f.Data)
		}
		body := string(s.Do(t, "GET", "/api/v1/conversations/"+c.Conversation.ID, admin, nil).Body)
		if !strings.Contains(body, `"status":"open"`) || !strings.Contains(body, "The lamp arrived broken") || !strings.Contains(body, "The cable is frayed") {
			t.Fatalf("staff thread: %s", body)
		}
		if n := conversationCount(t, s, admin); n != 1 {
			t.Fatalf("%d conversations, want the one", n)
		}
	})
}

// TestRatingsReport: the report counts rating rounds by outcome on the
// caller's sites; a reopened conversation later rated 4 or 5 counts as
// turned around (once, however often the customer changes their happy
// mind); the time range and another tenant's site are respected.
func TestRatingsReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]any{"review_urls": []string{"https://g.page/r/demo-shop/review"}})
		plain := reviewNewSite(t, s, admin, map[string]any{"name": "Plain"})

		// Demo: turned around (2, then 5, then a change to 4), invited, reopened.
		a := reviewResolved(t, s, admin, s.DemoKey, "late")
		reviewRate(t, s, s.DemoKey, a, 2, "still late")
		reviewResolve(t, s, admin, a.Conversation.ID)
		reviewRate(t, s, s.DemoKey, a, 5, "")
		reviewRate(t, s, s.DemoKey, a, 4, "")
		b := reviewResolved(t, s, admin, s.DemoKey, "question")
		reviewRate(t, s, s.DemoKey, b, 5, "")
		c := reviewResolved(t, s, admin, s.DemoKey, "broken")
		reviewRate(t, s, s.DemoKey, c, 1, "")
		// Plain: a happy customer, nowhere to invite them.
		p := reviewResolved(t, s, admin, plain.Site.Key, "hello")
		reviewRate(t, s, plain.Site.Key, p, 5, "")

		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		report := func(token, query string) reviewReport {
			t.Helper()
			r := s.Do(t, "GET", "/api/v1/reports/ratings?"+query, token, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("report %s: %d %s", query, r.Status, r.Body)
			}
			var out reviewReport
			r.JSON(t, &out)
			return out
		}
		demo := report(admin, "site_id="+s.DemoSite+"&to="+tomorrow)
		if got := demo.Report; got.SiteID == nil || *got.SiteID != s.DemoSite || got.Ratings != 4 || got.Invited != 2 || got.Thanked != 0 || got.Reopened != 2 || got.TurnedAround != 1 {
			t.Fatalf("demo report: %+v", got)
		}
		all := report(admin, "")
		if got := all.Report; got.SiteID != nil || got.Ratings != 5 || got.Invited != 2 || got.Thanked != 1 || got.Reopened != 2 || got.TurnedAround != 1 {
			t.Fatalf("report of every site: %+v", got)
		}
		later := time.Now().UTC().AddDate(0, 0, 3).Format(time.DateOnly)
		if got := report(admin, "from="+tomorrow+"&to="+later).Report; got.Ratings != 0 {
			t.Fatalf("report from tomorrow: %+v", got)
		}
		if got := report(admin, "to="+url.QueryEscape(time.Now().UTC().Add(-time.Hour).Format(time.RFC3339))).Report; got.Ratings != 0 {
			t.Fatalf("report up to an hour ago: %+v", got)
		}

		// An agent of the plain site sees its figures only.
		createUser(t, s, admin, map[string]any{"email": "plain@example.com", "site_ids": []string{plain.Site.ID}})
		agent := s.Login(t, "plain@example.com", "a long enough password")
		if got := report(agent, "").Report; got.Ratings != 1 || got.Thanked != 1 || got.Invited != 0 {
			t.Fatalf("agent's report: %+v", got)
		}
		wantError(t, s.Do(t, "GET", "/api/v1/reports/ratings?site_id="+s.DemoSite, agent, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "GET", "/api/v1/reports/ratings?site_id=nope", admin, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "GET", "/api/v1/reports/ratings", "", nil), http.StatusUnauthorized, "unauthorized")
		for query, field := range map[string]string{
			"from=yesterday":                "from",
			"to=2026-13-01":                 "to",
			"from=2026-05-02&to=2026-05-01": "from",
			"site_id=%00":                   "site_id",
		} {
			e := wantError(t, s.Do(t, "GET", "/api/v1/reports/ratings?"+query, admin, nil), http.StatusUnprocessableEntity, "validation_failed")
			if e.Error.Fields[field] == "" {
				t.Errorf("%s: fields %v, want %s", query, e.Error.Fields, field)
			}
		}
	})
}
