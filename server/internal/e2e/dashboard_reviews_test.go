package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/testserver"
)

// TestDashboardReviewSettings: on a site's settings the admin sees what
// ratings led to (a turned-around customer among them) and edits the review
// links: a refused link shows its error beside the field and saves nothing,
// a good list is saved.
func TestDashboardReviewSettings(t *testing.T) {
	browser := browsertest.Browser(t)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	admin := s.AdminToken(t)
	// One customer rates 2, is helped again and rates 5: turned around.
	c := dVisitorFiles(t, s, s.DemoKey, "complaint", "The lamp flickers.", "", "")
	rateAs := func(score int) {
		t.Helper()
		if r := s.Do(t, "PATCH", "/api/v1/conversations/"+c.ID, admin, map[string]any{"status": "resolved"}); r.Status != http.StatusOK {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations/"+c.ID+"/rating", c.Token, map[string]any{"score": score}); r.Status != http.StatusOK {
			t.Fatalf("rate %d: %d %s", score, r.Status, r.Body)
		}
	}
	rateAs(2)
	rateAs(5)

	ctx := dBound(t, browser)
	dLogin(t, ctx, s.URL+"/", s.Admin, testserver.Password)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-settings")),
		chromedp.WaitVisible(chromedp.CSS("#reviews-form")),
	); err != nil {
		t.Fatalf("open the site settings: %v", err)
	}
	figure := func(key string) string {
		return `document.querySelector('#review-figures [data-figure=` + key + `] .review-count')?.textContent`
	}
	dPoll(t, ctx, dWaitBound, "the figures show two ratings, one reopened, one turned around",
		figure("ratings")+` === '2' && `+figure("reopened")+` === '1' && `+figure("turned_around")+` === '1' && `+figure("invited")+` === '0'`,
		`document.getElementById('review-figures').innerText`)

	urls := `document.getElementById('site-review-urls')`
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#site-review-urls"), "https://g.page/r/demo/review\nftp://reviews.example"),
		chromedp.Click(chromedp.CSS("#reviews-save")),
	); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "a refused link shows its error beside the field",
		`!document.querySelector('#reviews-form [data-error-for=review_urls]').hidden && document.querySelector('#reviews-form [data-error-for=review_urls]').textContent.includes('entry 2')`,
		`document.getElementById('reviews-form').innerText`)
	var site struct {
		Site struct {
			ReviewURLs []string `json:"review_urls"`
		} `json:"site"`
	}
	s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite, admin, nil).JSON(t, &site)
	if len(site.Site.ReviewURLs) != 0 {
		t.Fatalf("a refused list was saved: %q", site.Site.ReviewURLs)
	}
	dEval[chromedp.Void](t, ctx, urls+`.select()`)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#site-review-urls"), "https://g.page/r/demo/review\nhttps://www.trustpilot.com/review/shop.example"),
		chromedp.Click(chromedp.CSS("#reviews-save")),
	); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "saved", `document.getElementById('reviews-save-status').textContent === 'Saved.'`, `document.getElementById('reviews-form').innerText`)
	s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite, admin, nil).JSON(t, &site)
	if strings.Join(site.Site.ReviewURLs, " ") != "https://g.page/r/demo/review https://www.trustpilot.com/review/shop.example" {
		t.Fatalf("saved review_urls %q", site.Site.ReviewURLs)
	}
	if got := dEval[string](t, ctx, urls+`.value`); got != "https://g.page/r/demo/review\nhttps://www.trustpilot.com/review/shop.example" {
		t.Fatalf("the field shows %q after saving", got)
	}
	dEval[chromedp.Void](t, ctx, `document.getElementById('reviews-form').scrollIntoView()`)
	browsertest.Screenshot(t, ctx, "screenshot-reviews")
}
