package e2e_test

// Browser tests of the customer's own conversation page (issue 11): the
// link from a mail opens the thread on Holler's origin, under the page's
// strict CSP, on a site whose allowed origins do not list Holler.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"holler/server/internal/auth"
	"holler/server/internal/browsertest"
	"holler/server/internal/storetest"
)

const (
	pComplaint = "My order 5521 came without the charger."
	pAnswer    = "So sorry! The charger ships today."
	pNote      = "internal: warehouse missed it"
	pReply     = "Thank you, I'll watch for it."
	pLive      = "Tracking: 00340434161094042557"
)

// pLink is a conversation filed through the widget API, answered by staff
// (and noted internally), on a site that allows only a shop's origin; it
// returns the conversation and the customer's link to it.
func (e *wEnv) pLink() (wConv, string) {
	e.t.Helper()
	var c struct {
		Conversation wConv `json:"conversation"`
	}
	r := e.s.Do(e.t, "POST", "/api/v1/widget/"+e.s.DemoKey+"/conversations", "", map[string]string{"kind": "complaint", "message": pComplaint, "email": "mia@example.com"})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	r.JSON(e.t, &c)
	e.wStaffReply(c.Conversation.ID, pAnswer)
	if r := e.s.Do(e.t, "POST", "/api/v1/conversations/"+c.Conversation.ID+"/messages", e.admin, map[string]any{"body": pNote, "internal": true}); r.Status != http.StatusCreated {
		e.t.Fatalf("note: %d %s", r.Status, r.Body)
	}
	if r := e.s.Do(e.t, "PATCH", "/api/v1/sites/"+e.s.DemoSite, e.admin, map[string]any{"allowed_origins": []string{"https://shop.example"}}); r.Status != http.StatusOK {
		e.t.Fatalf("limit origins: %d %s", r.Status, r.Body)
	}
	return c.Conversation, e.s.URL + "/c/" + e.s.ConversationToken(e.t, c.Conversation.ID, time.Now().Add(auth.ConversationTokenTTL))
}

// pOpen opens the link and waits for the thread as staff left it.
func (e *wEnv) pOpen(c wConv, link string) {
	e.t.Helper()
	e.wDo("open the link", chromedp.Navigate(link))
	e.wWait("the page shows the conversation", `__w.vis('#holler-panel') && __w.vis('.chat') && __w.q('.ref-code').textContent === `+wQ(c.Ref))
	e.wWait("the thread shows the complaint and the answer",
		`__w.thread().some(m => m.author === 'visitor' && m.text === `+wQ(pComplaint)+`) && __w.thread().some(m => m.author === 'staff' && m.text === `+wQ(pAnswer)+`)`)
	if wEval[bool](e, `__w.thread().some(m => m.text.includes('warehouse'))`) {
		e.t.Fatal("the page shows an internal note")
	}
	if wEval[bool](e, `__w.vis('.back') || __w.vis('.x') || __w.vis('.btn')`) {
		e.t.Error("the page shows a back, close or launcher button")
	}
}

// pAnswerFromPage writes the customer's answer with send (clicked or
// tapped) and waits until staff have it, once.
func (e *wEnv) pAnswerFromPage(c wConv, send chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	e.wType("#holler-reply", pReply)
	e.wDo("send the answer", send)
	e.wEventually("staff see the customer's answer", wWaitBound, func() (bool, string) {
		n := e.wCount(c.ID, pReply)
		return n == 1, strings.Repeat("answer ", n)
	})
	e.wWait("the answer is in the page's thread as sent", `__w.thread().some(m => m.author === 'visitor' && m.state === '' && m.text === `+wQ(pReply)+`)`)
}

// TestCustomerPageDesktop: the link opens a centred card with the thread
// (no internal note); the customer answers by keyboard and staff get it; a staff reply
// sent while the page is open appears live; Escape does not close the page;
// once resolved, the customer rates from the page. No CSP violation, no
// script error. Both stores.
func TestCustomerPageDesktop(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := wStart(t, dialect, false, 90*time.Second)
			e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
			c, link := e.pLink()
			e.pOpen(c, link)

			centred := `(() => { const r = __w.q('#holler-panel').getBoundingClientRect();
				return getComputedStyle(__w.q('#holler-panel')).position !== 'fixed' && r.width >= 500 && r.width < innerWidth - 200
					&& Math.abs(r.left - (innerWidth - r.right)) <= 2 && r.top > 0 && r.bottom < innerHeight; })()`
			if !wEval[bool](e, centred) {
				t.Errorf("the page is not a centred card: panel %v, viewport %dx%d", wEval[map[string]float64](e, `__w.rect('#holler-panel')`), wEval[int](e, `innerWidth`), wEval[int](e, `innerHeight`))
			}
			if got := wEval[string](e, `document.title`); got != "Demo" {
				t.Errorf("title %q, want the site's name", got)
			}

			// By keyboard: the focus starts in the reply box, Enter sends.
			e.wWait("the focus is in the reply box", `__w.active() === __w.q('#holler-reply')`)
			e.pAnswerFromPage(c, wEnter())
			e.wStaffReply(c.ID, pLive)
			e.wWait("the staff reply appears live", `__w.thread().some(m => m.author === 'staff' && m.text === `+wQ(pLive)+`)`)

			e.wDo("press Escape in the reply box", chromedp.Focus(wJS("#holler-reply")), chromedp.KeyEvent("\x1b"))
			if !wEval[bool](e, `__w.vis('#holler-panel')`) {
				t.Fatal("Escape closed the page's panel")
			}

			e.wSetStatus(c.ID, "resolved")
			e.wWait("the rating appears", `__w.q('.status').dataset.status === 'resolved' && __w.vis('section.rate')`)
			e.wClick("click 5 stars", wJS(`.star[data-score="5"]`))
			e.wClick("send the rating", wJS(".rate-send"))
			e.wWait("the page thanks for the rating", `__w.vis('.rated')`)
			if got, _ := e.wThread(c.ID); got.RatingScore == nil || *got.RatingScore != 5 {
				t.Fatalf("staff see rating %v, want 5", got.RatingScore)
			}
			if dialect == storetest.Dialects[0] {
				browsertest.Screenshot(t, e.ctx, "conversation-page-desktop")
			}
			e.wClean()
		})
	}
}

// TestCustomerPagePhone: on a phone the page's panel fills the screen, the
// reply box and its button are on screen, a tap sends the answer and a
// staff reply appears live.
func TestCustomerPagePhone(t *testing.T) {
	e := wStart(t, storetest.Dialects[0], false, 90*time.Second)
	e.wDo("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch))
	c, link := e.pLink()
	e.pOpen(c, link)
	full := `(() => { const r = __w.q('#holler-panel').getBoundingClientRect();
		return Math.abs(r.left) <= 1 && Math.abs(r.top) <= 1 && Math.abs(r.width - innerWidth) <= 1 && Math.abs(r.height - innerHeight) <= 1; })()`
	if err := e.wWaitErr(wWaitBound, full); err != nil {
		t.Fatalf("the panel does not cover the screen: %v; panel %v, viewport %dx%d", err,
			wEval[map[string]float64](e, `__w.rect('#holler-panel')`), wEval[int](e, `innerWidth`), wEval[int](e, `innerHeight`))
	}
	onScreen := func(css string) bool {
		return wEval[bool](e, `(() => { const r = __w.q(`+wQ(css)+`).getBoundingClientRect();
			return r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; })()`)
	}
	for _, css := range []string{"#holler-reply", ".reply-send"} {
		if !onScreen(css) {
			t.Errorf("%s is off screen: %v", css, wEval[map[string]float64](e, `__w.rect(`+wQ(css)+`)`))
		}
	}
	if sw := wEval[int](e, `document.documentElement.scrollWidth`); sw > 390 {
		t.Errorf("the page scrolls sideways: scrollWidth %d", sw)
	}
	e.pAnswerFromPage(c, chromedp.Tap(wJS(".reply-send")))
	e.wStaffReply(c.ID, pLive)
	e.wWait("the staff reply appears live", `__w.thread().some(m => m.author === 'staff' && m.text === `+wQ(pLive)+`)`)
	browsertest.Screenshot(t, e.ctx, "conversation-page-phone")
	e.wClean()
}
