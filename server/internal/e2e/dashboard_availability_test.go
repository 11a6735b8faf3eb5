package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/testserver"
)

// TestDashboardAvailabilitySettings: the site settings' opening-hours card
// shows what the widget says now, and the line follows the hours as they
// are edited, before saving (computed by the server from the unsaved
// values); a refused value shows its error instead; saving stores the
// hours. On the team page the admin chooses to answer the site, and the
// widget then shows them online.
func TestDashboardAvailabilitySettings(t *testing.T) {
	browser := browsertest.Browser(t)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	admin := s.AdminToken(t)
	// The admin answers no site for now, so their open dashboard does not
	// make the Demo site online.
	var me struct{ User struct{ ID string } }
	s.Do(t, "GET", "/api/v1/me", admin, nil).JSON(t, &me)
	if r := s.Do(t, "PATCH", "/api/v1/users/"+me.User.ID, admin, map[string]any{"answer_site_ids": []string{}}); r.Status != http.StatusOK {
		t.Fatalf("answer nothing: %d %s", r.Status, r.Body)
	}
	ctx := dBound(t, browser)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		t.Fatal(err)
	}
	dLogin(t, ctx, s.URL+"/", s.Admin, testserver.Password)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-settings")),
		chromedp.WaitVisible(chromedp.CSS("#hours-form")),
	); err != nil {
		t.Fatalf("open the site settings: %v", err)
	}
	preview := `document.getElementById('availability-preview').textContent`
	dPoll(t, ctx, dWaitBound, "no hours, nobody answering: away, and honest about email",
		preview+` === "We’re away right nowLeave a message; we’ll answer here when we’re back. (Email is not configured.)"`, preview)

	// Opening hours only on the day after tomorrow (UTC): closed until then.
	day := time.Now().UTC().AddDate(0, 0, 2)
	short := day.Weekday().String()[:3]
	name := strings.ToLower(short)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#hours-add-"+name))); err != nil {
		t.Fatalf("add a range: %v", err)
	}
	dPoll(t, ctx, dWaitBound, "the preview follows the unsaved hours",
		preview+`.startsWith("We’re back `+short+`") && `+preview+`.includes("9:00")`, preview)
	// A refused value: the preview says so, the field error shows.
	open := `#hours-` + name + ` .hours-open`
	// Types into the field as a person would: select what is there, type over it.
	retype := func(value string) {
		t.Helper()
		dEval[chromedp.Void](t, ctx, `document.querySelector(`+dQuote(open)+`).select()`)
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(open), value)); err != nil {
			t.Fatalf("type %s: %v", value, err)
		}
	}
	retype("25:00")
	dPoll(t, ctx, dWaitBound, "a refused time shows its error",
		`!document.querySelector('[data-error-for=hours]').hidden && `+preview+`.startsWith('Fix the hours')`, preview)
	retype("10:30")
	dPoll(t, ctx, dWaitBound, "the preview follows the corrected time",
		preview+`.startsWith("We’re back `+short+`") && `+preview+`.includes("10:30")`, preview)
	// Nothing was saved by previewing.
	var site struct {
		Site struct {
			Hours []map[string]string `json:"hours"`
		} `json:"site"`
	}
	s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite, admin, nil).JSON(t, &site)
	if len(site.Site.Hours) != 0 {
		t.Fatalf("the preview saved hours: %+v", site.Site.Hours)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#hours-save"))); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "saved", `document.getElementById('hours-save-status').textContent === 'Saved.'`, `document.getElementById('hours-save-status').textContent`)
	s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite, admin, nil).JSON(t, &site)
	if len(site.Site.Hours) != 1 || site.Site.Hours[0]["day"] != name || site.Site.Hours[0]["open"] != "10:30" || site.Site.Hours[0]["close"] != "17:00" {
		t.Fatalf("saved hours %+v", site.Site.Hours)
	}
	browsertest.Screenshot(t, ctx, "screenshot-hours")

	// The team page: the admin chooses to answer the Demo site.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-team")),
		chromedp.WaitVisible(chromedp.CSS(`.user-row[data-id="`+me.User.ID+`"] .user-sites-edit`)),
		chromedp.Click(chromedp.CSS(`.user-row[data-id="`+me.User.ID+`"] .user-sites-edit`)),
		chromedp.Click(chromedp.CSS(`#user-`+me.User.ID+`-site-`+s.DemoSite)),
		chromedp.Click(chromedp.CSS(`.user-row[data-id="`+me.User.ID+`"] .user-sites-save`)),
	); err != nil {
		t.Fatalf("choose the answered site: %v", err)
	}
	deadline := time.Now().Add(dWaitBound)
	for {
		r := s.Do(t, "GET", "/api/v1/widget/"+s.DemoKey+"/config", "", nil)
		if strings.Contains(string(r.Body), `"online":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the widget does not show the admin online after they chose the site: %s", r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
