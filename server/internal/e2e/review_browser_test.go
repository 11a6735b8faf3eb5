package e2e_test

// Browser tests of the review invitation (issue 12): an unhappy rating
// reopens the conversation and asks what is still wrong; a happy one thanks
// the customer and shows the site's review links as buttons that open in a
// new tab; the same on the customer's conversation page.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/storetest"
)

const (
	rvComplaint = "The desk lamp I ordered flickers."
	rvStill     = "The new bulb flickers too."
	rvTrust     = "https://www.trustpilot.com/review/shop.example"
)

// rvReviewURLs sets the Demo site's review links: one on the test server
// itself (so following it can be watched) and Trustpilot's.
func (e *wEnv) rvReviewURLs() []string {
	e.t.Helper()
	urls := []string{e.s.URL + "/healthz?review", rvTrust}
	if r := e.s.Do(e.t, "PATCH", "/api/v1/sites/"+e.s.DemoSite, e.admin, map[string]any{"review_urls": urls}); r.Status != http.StatusOK {
		e.t.Fatalf("set review_urls: %d %s", r.Status, r.Body)
	}
	return urls
}

// rvRate clicks n stars and sends the rating.
func (e *wEnv) rvRate(n string) {
	e.t.Helper()
	e.wWait("the rating appears", `__w.q('.status').dataset.status === 'resolved' && __w.vis('section.rate') && __w.vis('.star[data-score="`+n+`"]')`)
	e.wClick("click "+n+" stars", wJS(`.star[data-score="`+n+`"]`))
	e.wClick("send the rating", wJS(".rate-send"))
}

// rvInvitation waits for the thanks and the invitation with one button per
// review link, each opening it in a new tab without access to the page.
func (e *wEnv) rvInvitation(urls []string) {
	e.t.Helper()
	e.wWait("the widget thanks and invites", `__w.vis('.rated') && __w.qa('a.rv').length === 2 && __w.qa('a.rv').every(a => __w.visEl(a))`)
	links := wEval[[]map[string]string](e, `__w.qa('a.rv').map(a => ({href: a.getAttribute('href'), target: a.target, rel: a.rel, text: a.textContent, display: getComputedStyle(a).display}))`)
	host := strings.TrimPrefix(e.s.URL, "http://")
	for i, want := range []struct{ href, text string }{{urls[0], "Review on " + host}, {urls[1], "Review on trustpilot.com"}} {
		l := links[i]
		if l["href"] != want.href || l["text"] != want.text || l["target"] != "_blank" || !strings.Contains(l["rel"], "noopener") || l["display"] == "inline" {
			e.t.Fatalf("review link %d: %v, want %s labelled %q as a button opening a new tab with rel=noopener", i, l, want.href, want.text)
		}
	}
	// Scrolled into view: the customer sees the invitation without looking for it.
	e.wWait("the review links are in view", `[...__w.qa('a.rv')].every(a => { const r = a.getBoundingClientRect(), v = __w.q('.chat .scroll').getBoundingClientRect(); return r.top >= v.top && r.bottom <= v.bottom; })`)
	if !wEval[bool](e, `__w.q('.rate').innerText.includes('Would you review us publicly?')`) {
		e.t.Fatalf("no invitation text: %s", e.wState())
	}
}

// rvFollow clicks the first review link and waits for the new tab on it: the
// page stays where it is, and the tab cannot reach back into it.
func (e *wEnv) rvFollow(url string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, wWaitBound)
	defer cancel()
	var noOpener bool
	tab := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool {
		noOpener = !info.CanAccessOpener
		return info.URL == url
	})
	e.wClick("follow the first review link", wJS("a.rv"))
	select {
	case id, ok := <-tab:
		if !ok || id == "" {
			e.t.Fatalf("no new tab on %s", url)
		}
		if !noOpener {
			e.t.Fatalf("the review tab on %s can reach the page (no rel=noopener)", url)
		}
	case <-ctx.Done():
		e.t.Fatalf("no new tab on %s within %s\n%s", url, wWaitBound, e.wState())
	}
	if !wEval[bool](e, `!!window.__wNoReload && __w.vis('a.rv')`) {
		e.t.Fatal("following the review link left the page")
	}
}

// TestWidgetReviewInvitation: the customer rates a resolved complaint 2: the
// widget says sorry, asks what is still wrong with the reply box ready, and
// what they write joins the same conversation, open again for staff. Staff
// resolve it once more, the customer rates 5: the widget thanks them and
// shows the site's review links as buttons that open in a new tab. The
// report counts one turned-around customer. Both stores.
func TestWidgetReviewInvitation(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := wStart(t, dialect, false, 90*time.Second)
			urls := e.rvReviewURLs()
			c := e.wFileOnDesktop(rvComplaint)
			wEval[chromedp.Void](e, `window.__wNoReload = 1`)
			e.wStaffReply(c.ID, wAnswer)
			e.wSetStatus(c.ID, "resolved")

			e.rvRate("2")
			e.wWait("the widget says sorry and asks what is still wrong", `__w.vis('.so') && __w.q('.so').textContent === 'Sorry! What is still wrong?'`)
			if dialect == storetest.Dialects[0] {
				browsertest.Screenshot(t, e.ctx, "widget-review-sorry")
			}
			e.wWait("the reply box is ready", `__w.active() === __w.q('#holler-reply') && !__w.vis('section.rate') && __w.q('.status').dataset.status !== 'resolved'`)
			if wEval[bool](e, `__w.vis('a.rv') || __w.vis('.rated')`) {
				t.Fatal("a low rating shows thanks or review links")
			}
			if got, _ := e.wThread(c.ID); got.Status != "open" || got.RatingScore == nil || *got.RatingScore != 2 {
				t.Fatalf("staff see %+v, want open and rated 2", got)
			}
			e.wType("#holler-reply", rvStill)
			e.wDo("send with Enter", wEnter())
			e.wEventually("staff get what is still wrong in the same conversation", wWaitBound, func() (bool, string) {
				n := e.wCount(c.ID, rvStill)
				return n == 1, strings.Repeat("message ", n)
			})
			e.wWait("the question goes once the customer answered it", `!__w.vis('.so')`)
			if n := len(e.wConvs()); n != 1 {
				t.Fatalf("%d conversations, want the one", n)
			}

			e.wStaffReply(c.ID, "A new lamp is on its way.")
			e.wSetStatus(c.ID, "resolved")
			e.rvRate("5")
			e.rvInvitation(urls)
			if dialect == storetest.Dialects[0] {
				browsertest.Screenshot(t, e.ctx, "widget-review-invitation")
			}
			if got, _ := e.wThread(c.ID); got.Status != "resolved" || got.RatingScore == nil || *got.RatingScore != 5 {
				t.Fatalf("staff see %+v, want resolved and rated 5", got)
			}
			e.rvFollow(urls[0])

			var rep struct {
				Report struct {
					Ratings, Invited, Reopened int
					TurnedAround               int `json:"turned_around"`
				} `json:"report"`
			}
			e.s.Do(t, "GET", "/api/v1/reports/ratings?site_id="+e.s.DemoSite, e.admin, nil).JSON(t, &rep)
			if r := rep.Report; r.Ratings != 2 || r.Invited != 1 || r.Reopened != 1 || r.TurnedAround != 1 {
				t.Fatalf("report %+v, want 2 ratings: 1 reopened, 1 invited and turned around", r)
			}
			e.wClean()
		})
	}
}

// TestCustomerPageReviewInvitation: on the customer's conversation page (a
// site that does not allow Holler's origin), a 5 shows the same invitation.
func TestCustomerPageReviewInvitation(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := wStart(t, dialect, false, 90*time.Second)
			e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
			c, link := e.pLink()
			urls := e.rvReviewURLs()
			e.pOpen(c, link)
			wEval[chromedp.Void](e, `window.__wNoReload = 1`)
			e.wSetStatus(c.ID, "resolved")
			e.rvRate("5")
			e.rvInvitation(urls)
			e.rvFollow(urls[0])
			e.wClean()
		})
	}
}
