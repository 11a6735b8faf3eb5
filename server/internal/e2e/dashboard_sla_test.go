package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/config"
	"holler/server/internal/testserver"
)

// TestDashboardSLACountdown: the inbox shows a live countdown to each
// conversation's due time that ticks every second in the browser, coloured
// by the SLA state (on time, due soon, overdue); the due-first order puts
// the most urgent first; an escalation that falls due while the dashboard
// is open shows as a notice; the site settings hold the targets.
//
// The server's clock is set back while a conversation is filed, so its
// due time is near (or past) by the time the clock follows the real one
// again: the browser counts down against its own clock.
func TestDashboardSLACountdown(t *testing.T) {
	browser := browsertest.Browser(t)
	now := time.Now().UTC()
	clock := testserver.NewClock(now)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: func(c *config.Config) {
		noLimits(c)
		clock.Configure(c)
	}})
	admin := s.AdminToken(t)
	if r := s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/sla", admin, `{"targets": {"complaint": {"first_response_minutes": 60}}}`); r.Status != http.StatusOK {
		t.Fatalf("put sla: %d %s", r.Status, r.Body)
	}
	// Filed two hours ago (an hour overdue), 55 minutes ago (5 left:
	// warning) and now (an hour left).
	clock.Set(now.Add(-2 * time.Hour))
	late := dVisitorFiles(t, s, s.DemoKey, "complaint", "still nothing", "Lena Late", "")
	clock.Set(now.Add(-55 * time.Minute))
	soon := dVisitorFiles(t, s, s.DemoKey, "complaint", "where is it", "Sami Soon", "")
	clock.Live()
	fresh := dVisitorFiles(t, s, s.DemoKey, "complaint", "just asking", "Fred Fresh", "")
	dVisitorFiles(t, s, s.DemoKey, "praise", "lovely", "Pia Praise", "")

	ctx := dBound(t, browser)
	dLogin(t, ctx, s.URL+"/", s.Admin, testserver.Password)
	sla := func(c dAPIConv) string { return `document.querySelector(` + dQuote(dItemSel(c.ID)+" .sla") + `)` }
	dPoll(t, ctx, dWaitBound, "an hour left, on time", sla(fresh)+`?.className === 'sla sla-ok' && /^(59|60):\d\d$/.test(`+sla(fresh)+`.textContent)`,
		sla(fresh)+`?.className + ' ' + `+sla(fresh)+`?.textContent`)
	first := dEval[string](t, ctx, sla(fresh)+`.textContent`)
	dPoll(t, ctx, dWaitBound, "the countdown ticks", sla(fresh)+`.textContent !== `+dQuote(first)+` && /^5\d:\d\d$/.test(`+sla(fresh)+`.textContent)`,
		sla(fresh)+`.textContent`)
	dPoll(t, ctx, dWaitBound, "five minutes left: due soon", sla(soon)+`?.className === 'sla sla-warning' && /^[45]:\d\d$/.test(`+sla(soon)+`.textContent)`,
		sla(soon)+`?.className + ' ' + `+sla(soon)+`?.textContent`)
	dPoll(t, ctx, dWaitBound, "an hour late: overdue", sla(late)+`?.className === 'sla sla-breached' && /^−1:00:\d\d$/.test(`+sla(late)+`.textContent)`,
		sla(late)+`?.className + ' ' + `+sla(late)+`?.textContent`)
	if n := dCount(t, ctx, `.conv-item .sla`); n != 3 {
		t.Errorf("%d countdowns, want 3 (praise has no target)", n)
	}

	// Due first: the overdue one, the one due soon, the fresh one, then
	// the one without a target.
	dEval[chromedp.Void](t, ctx, `(() => { const s = document.getElementById('filter-sort'); s.value = 'due'; s.dispatchEvent(new Event('change')); })()`)
	order := `[...document.querySelectorAll('#inbox .conv-item')].map(li => li.dataset.id).slice(0, 3).join(',')`
	dPoll(t, ctx, dWaitBound, "due first", order+` === `+dQuote(late.ID+","+soon.ID+","+fresh.ID), order)
	browsertest.Screenshot(t, ctx, "screenshot-sla")

	// A conversation whose first response fell due an hour ago is filed
	// while the dashboard is open: its escalation (for the admins) shows.
	clock.Set(time.Now().UTC().Add(-61 * time.Minute))
	missed := dVisitorFiles(t, s, s.DemoKey, "complaint", "hello?", "Mo Missed", "")
	clock.Live()
	dPoll(t, ctx, dWaitBound, "the escalation notice",
		`!document.getElementById('toast').hidden && document.getElementById('toast').dataset.kind === 'error' && document.getElementById('toast').textContent.startsWith('Overdue: complaint #'+`+dQuote(missed.Ref)+`)`,
		`document.getElementById('toast').textContent`)

	// The settings page shows and saves the targets.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-settings")),
		chromedp.WaitVisible(chromedp.CSS("#sla-form[data-loaded]")),
	); err != nil {
		t.Fatalf("open the SLA settings: %v", err)
	}
	if v := dEval[string](t, ctx, `document.getElementById('sla-complaint-first').value`); v != "60" {
		t.Errorf("complaint first response shows %q, want 60", v)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#sla-question-first"), "30"),
		chromedp.Click(chromedp.CSS("#sla-pause")),
		chromedp.Click(chromedp.CSS("#sla-save")),
	); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "saved", `document.getElementById('sla-save-status').textContent === 'Saved.'`, `document.getElementById('sla-save-status').textContent`)
	r := s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite+"/sla", admin, nil)
	if want := `{"targets":{"complaint":{"first_response_minutes":60,"resolution_minutes":null},"question":{"first_response_minutes":30,"resolution_minutes":null}},"pause_when_pending":true}` + "\n"; string(r.Body) != want {
		t.Errorf("saved settings %s, want %s", r.Body, want)
	}
}
