package e2e_test

// Browser tests of the widget (issue #3), on a customer's page on another
// origin whose CSP allows only Holler: a complaint filed with the mouse is
// answered live and rated; the keyboard alone works; a phone gets a full
// screen panel; a reply typed offline is delivered once, and so is one
// whose answer was lost; a draft survives a reload; a rate-limited send
// keeps the visitor's text.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"holler/server/internal/browsertest"
	"holler/server/internal/storetest"
)

const (
	wComplaint = "The blender I ordered (order 48213) arrived with a cracked jug. I'd like a replacement, please."
	wName      = "Jonas Weber"
	wEmail     = "jonas.weber@example.com"
	wAnswer    = "Sorry about that, Jonas! A new jug is on its way by express, free of charge."
)

// TestWidgetComplaintFlowDesktop: with the mouse, a customer files a
// complaint; the reference shown is the one staff see; the conversation is
// listed under past conversations; a staff answer appears live and is
// announced; resolving shows a rating, and the rating reaches staff. No
// CSP violation happens on the way. Both stores.
func TestWidgetComplaintFlowDesktop(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			wComplaintFlow(t, dialect, dialect == storetest.Dialects[0])
		})
	}
}

func wComplaintFlow(t *testing.T, dialect string, screenshot bool) {
	e := wStart(t, dialect, false, 60*time.Second)
	e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
	e.wStaffOnline()
	e.wLoad()
	// A mark that a reload would lose.
	wEval[chromedp.Void](e, `window.__wNoReload = 1`)

	e.wOpenPanel()
	// The panel's stylesheet (widget.css, loaded from Holler) applied.
	if pos := wEval[string](e, `getComputedStyle(__w.q('#holler-panel')).position`); pos != "fixed" {
		t.Fatalf("panel position %q: widget.css did not apply", pos)
	}
	e.wWait("focus moves into the panel", `__w.q('#holler-panel').contains(__w.active())`)
	e.wWait("the header says staff are online", `__w.vis('.avail[data-online=true]')`)

	e.wPickKind("complaint")
	e.wType("#holler-message", wComplaint)
	e.wType("#holler-name", wName)
	e.wType("#holler-email", wEmail)
	e.wClick("send", wJS(".send"))
	ref := e.wWaitRef()

	// The reference is the one staff see, with what was typed.
	c := e.wByRef(ref)
	if c == nil {
		t.Fatalf("staff do not see a conversation %s: %+v", ref, e.wConvs())
	}
	if c.Kind != "complaint" || c.Name != wName || c.Email != wEmail {
		t.Fatalf("staff see %+v, want a complaint by %s <%s>", *c, wName, wEmail)
	}
	if !strings.HasPrefix(c.PageURL, e.page) {
		t.Errorf("page URL %q, want the host page %s", c.PageURL, e.page)
	}
	if _, msgs := e.wThread(c.ID); len(msgs) != 1 || msgs[0].Body != wComplaint || msgs[0].AuthorKind != "visitor" {
		t.Fatalf("staff see messages %+v, want the complaint once", msgs)
	}
	e.wWait("the visitor's message is in the thread", `__w.thread().some(m => m.author === 'visitor' && m.state === '' && m.text === `+wQ(wComplaint)+`)`)

	// Listed under past conversations.
	e.wClick("back to the start", wJS(".back"))
	conv := fmt.Sprintf(`button.conv[data-id=%q]`, c.ID)
	e.wWait("the conversation is listed under past conversations",
		`__w.vis(`+wQ(conv)+`) && __w.q(`+wQ(conv+" .conv-ref")+`).textContent === `+wQ(ref)+` && __w.q(`+wQ(conv)+`).dataset.status === 'received'`)
	e.wClick("open it again", wJS(conv))
	e.wWait("the conversation opens", `__w.vis('.chat') && __w.q('.ref-code').textContent === `+wQ(ref))

	// A staff answer appears live, without a reload, and is announced.
	e.wStaffReply(c.ID, wAnswer)
	e.wWait("the staff answer appears live", `__w.thread().some(m => m.author === 'staff' && m.text === `+wQ(wAnswer)+`)`)
	e.wWait("the live region announces the answer", `__w.q('[aria-live=polite]').textContent.includes(`+wQ(wAnswer)+`)`)
	e.wWait("the status says answered", `__w.q('.status').dataset.status === 'answered'`)
	if wEval[int](e, `window.__wNoReload || 0`) != 1 {
		t.Fatal("the page was reloaded")
	}
	if screenshot {
		browsertest.Screenshot(t, e.ctx, "widget-desktop")
	}

	// Staff resolve it: the status and the rating show.
	e.wSetStatus(c.ID, "resolved")
	e.wWait("the status shows resolved", `__w.q('.status').dataset.status === 'resolved' && __w.vis('.status')`)
	e.wWait("the rating appears", `__w.vis('section.rate') && __w.vis('.star[data-score="5"]')`)
	if wEval[bool](e, `__w.vis('.rated')`) {
		t.Fatal("'rated' shows before any rating")
	}
	e.wClick("click 4 stars", wJS(`.star[data-score="4"]`))
	e.wWait("4 stars are lit", `__w.qa('.star.on').length === 4 && __w.q('.star[data-score="4"]').getAttribute('aria-pressed') === 'true'`)
	// As rendered: an unlit star is hollow, its outline and a lit star reach
	// 3:1 on the panel (WCAG 1.4.11; widget/contrast_test.go has the figures).
	if c := wEval[[]float64](e, wStarContrastJS); len(c) != 3 || c[0] < 3 || c[1] < 3 || c[2] != 0 {
		t.Fatalf("stars as rendered [unlit outline, lit, unlit fill alpha] = %v, want 3:1, 3:1 and a hollow unlit star", c)
	}
	e.wClick("send the rating", wJS(".rate-send"))
	e.wWait("the widget thanks for the rating", `__w.vis('.rated')`)
	if got, _ := e.wThread(c.ID); got.RatingScore == nil || *got.RatingScore != 4 {
		t.Fatalf("staff see rating %v, want 4", got.RatingScore)
	}
	if wEval[int](e, `window.__wNoReload || 0`) != 1 {
		t.Fatal("the page was reloaded")
	}

	e.wClean()
	if t.Failed() {
		return
	}
	// The probes work: a request the CSP forbids is seen by both.
	wEval[chromedp.Void](e, `fetch('http://127.0.0.1:9/csp-probe').catch(() => {}), undefined`)
	e.wWait("the CSP probe sees a violation", `__wCSP.some(v => v.startsWith('connect-src'))`)
	e.wEventually("the browser log shows the violation", wWaitBound, func() (bool, string) {
		p := e.wProblems()
		return len(p) > 0 && strings.Contains(strings.Join(p, " "), "csp-probe"), fmt.Sprint(p)
	})
}

// wStarContrastJS measures, from computed styles, the contrast against the
// panel of an unlit star's outline and of a lit star, and the alpha of an
// unlit star's fill (stars 1-4 lit, 5 unlit).
const wStarContrastJS = `(() => {
  const rgba = s => { const v = s.match(/[\d.]+/g).map(Number); return v.length > 3 ? v : [...v, 1]; };
  const lum = c => c.slice(0, 3).map(v => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const bg = rgba(getComputedStyle(__w.q('#holler-panel')).backgroundColor);
  const off = getComputedStyle(__w.q('.star[data-score="5"]')), on = getComputedStyle(__w.q('.star[data-score="1"]'));
  return [ratio(rgba(off.webkitTextStrokeColor), bg), ratio(rgba(on.color), bg), rgba(off.color)[3]];
})()`

// TestWidgetKeyboard: the button is reached with Tab from the host page and
// has an accessible name; Enter opens the panel with the focus inside;
// everything is filled and sent with the keyboard; Escape closes and gives
// the focus back to the button.
func TestWidgetKeyboard(t *testing.T) {
	e := wStart(t, "sqlite", false, 60*time.Second)
	e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
	e.wLoad()

	// The accessible name, as assistive technology computes it.
	obj, err := chromedp.Run(e.ctx, chromedp.Evaluate[*runtime.RemoteObject](`__w.q('.btn')`))
	if err != nil || obj == nil || obj.ObjectID == "" {
		t.Fatalf("the button: %v %+v", err, obj)
	}
	ax, err := chromedp.Call(e.ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: obj.ObjectID, FetchRelatives: new(false)})
	if err != nil || len(ax.Nodes) == 0 {
		t.Fatalf("accessibility tree of the button: %v", err)
	}
	var name, role string
	if n := ax.Nodes[0]; n.Name != nil && n.Role != nil {
		_ = json.Unmarshal(n.Name.Value, &name)
		_ = json.Unmarshal(n.Role.Value, &role)
	}
	if role != "button" || strings.TrimSpace(name) == "" {
		t.Fatalf("the button's role %q and accessible name %q", role, name)
	}

	// Tab from the host page's last field reaches the button.
	e.wDo("focus the host page's field", chromedp.Focus(chromedp.CSS("#host-input")))
	btnFocused := `document.activeElement?.localName === 'holler-widget' && __w.active() === __w.q('.btn')`
	for i := 0; i < 5 && !wEval[bool](e, btnFocused); i++ {
		e.wDo("Tab", chromedp.KeyEvent(kb.Tab))
	}
	e.wWait("Tab reaches the button", btnFocused)
	if !wEval[bool](e, `__w.q('.btn').matches(':focus-visible')`) {
		t.Error("the keyboard focus on the button is not :focus-visible")
	}

	// Enter opens, the focus is inside the panel.
	e.wDo("Enter", wEnter())
	e.wWaitOpen()
	e.wWait("focus moves into the panel", `__w.q('#holler-panel').contains(__w.active())`)
	if got := wEval[string](e, `__w.active().name + '=' + __w.active().value`); got != "kind=question" {
		t.Fatalf("focus on open is on %q, want the checked kind", got)
	}

	// The arrow keys choose the kind; Tab walks the fields in order.
	e.wDo("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	e.wWait("ArrowDown chooses the next kind", `__w.q('input[name=kind][value=complaint]').checked && __w.active() === __w.q('input[name=kind][value=complaint]')`)
	msg, name2, email := "Keyboard only: the checkout button does nothing.", "Kim Lee", "kim@example.com"
	for _, f := range []struct{ id, text string }{{"holler-message", msg}, {"holler-name", name2}, {"holler-email", email}} {
		e.wDo("Tab", chromedp.KeyEvent(kb.Tab))
		e.wWait("Tab reaches #"+f.id, `__w.active()?.id === `+wQ(f.id))
		e.wDo("type", chromedp.KeyEvent(f.text))
	}
	e.wDo("Tab", chromedp.KeyEvent(kb.Tab))
	e.wWait("Tab reaches the send button (not the hidden honeypot)", `__w.active() === __w.q('.send')`)

	// Escape closes; the focus is back on the button; the text stays.
	e.wDo("Escape", chromedp.KeyEvent(kb.Escape))
	e.wWait("Escape closes the panel", `__w.q('#holler-panel').hidden && __w.q('.btn').getAttribute('aria-expanded') === 'false'`)
	e.wWait("the focus returns to the button", btnFocused)

	// Enter again, Tab to send, Enter sends.
	e.wDo("Enter", wEnter())
	e.wWaitOpen()
	e.wWait("the typed text is still there", `__w.q('#holler-message').value === `+wQ(msg)+` && __w.q('#holler-email').value === `+wQ(email))
	for i := 0; i < 6 && !wEval[bool](e, `__w.active() === __w.q('.send')`); i++ {
		e.wDo("Tab", chromedp.KeyEvent(kb.Tab))
	}
	e.wWait("Tab reaches the send button", `__w.active() === __w.q('.send')`)
	e.wDo("Enter", wEnter())
	ref := e.wWaitRef()
	c := e.wByRef(ref)
	if c == nil || c.Kind != "complaint" || c.Name != name2 || c.Email != email {
		t.Fatalf("staff see %+v for %s, want the keyboard's complaint", c, ref)
	}

	// In the conversation the focus is on the reply box; Enter sends.
	e.wWait("the focus is on the reply box", `__w.active() === __w.q('#holler-reply')`)
	reply := "Also: the coupon field rejects my code."
	e.wDo("type a reply", chromedp.KeyEvent(reply))
	e.wDo("Enter", wEnter())
	e.wEventually("Enter sends the reply", wWaitBound, func() (bool, string) {
		n := e.wCount(c.ID, reply)
		return n == 1, fmt.Sprintf("%d copies", n)
	})
	e.wWait("the reply box is empty again", `__w.q('#holler-reply').value === ''`)

	e.wDo("Escape", chromedp.KeyEvent(kb.Escape))
	e.wWait("Escape closes the panel", `__w.q('#holler-panel').hidden`)
	e.wWait("the focus returns to the button", btnFocused)
	e.wClean()
}

// TestWidgetPhone: on a phone the panel covers the screen, its fields do
// not make iOS zoom (16 px or more), the send button is on screen, the host
// page does not scroll sideways, and a question is answered live.
func TestWidgetPhone(t *testing.T) {
	e := wStart(t, "sqlite", false, 60*time.Second)
	e.wDo("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch))
	e.wStaffOnline()
	e.wLoad()
	if w := wEval[int](e, `innerWidth`); w != 390 {
		t.Fatalf("viewport width %d, want 390", w)
	}
	e.wDo("tap the button", chromedp.Tap(wJS(".btn")))
	e.wWaitOpen()

	// Full screen.
	full := `(() => { const r = __w.q('#holler-panel').getBoundingClientRect();
		return Math.abs(r.left) <= 1 && Math.abs(r.top) <= 1 && Math.abs(r.width - innerWidth) <= 1 && Math.abs(r.height - innerHeight) <= 1; })()`
	if err := e.wWaitErr(wWaitBound, full); err != nil {
		t.Fatalf("the panel does not cover the screen: %v; panel %v, viewport %dx%d", err,
			wEval[map[string]float64](e, `__w.rect('#holler-panel')`), wEval[int](e, `innerWidth`), wEval[int](e, `innerHeight`))
	}
	if wEval[bool](e, `__w.vis('.btn')`) {
		t.Error("the launcher button stays visible over the full-screen panel")
	}
	// No field below 16 px (iOS zooms into those).
	small := wEval[[]string](e, `__w.qa('input:not([type=radio]), textarea').filter(el => parseFloat(getComputedStyle(el).fontSize) < 16).map(el => (el.id || el.name) + ' ' + getComputedStyle(el).fontSize)`)
	if len(small) > 0 {
		t.Errorf("fields under 16 px on a phone: %q", small)
	}
	onScreen := func(css string) string {
		return `(() => { const r = __w.q(` + wQ(css) + `).getBoundingClientRect();
			return r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; })()`
	}
	if !wEval[bool](e, onScreen(".send")) {
		t.Errorf("the send button is off screen: %v (viewport %dx%d)", wEval[map[string]float64](e, `__w.rect('.send')`), wEval[int](e, `innerWidth`), wEval[int](e, `innerHeight`))
	}
	if sw := wEval[int](e, `document.documentElement.scrollWidth`); sw > 390 {
		t.Errorf("the host page scrolls sideways: scrollWidth %d", sw)
	}

	// A question, answered live.
	question := "Do you ship to Norway, and how long does it take?"
	e.wPickKind("question")
	e.wType("#holler-message", question)
	e.wDo("tap send", chromedp.Tap(wJS(".send")))
	ref := e.wWaitRef()
	c := e.wByRef(ref)
	if c == nil || c.Kind != "question" {
		t.Fatalf("staff see %+v for %s, want a question", c, ref)
	}
	if err := e.wWaitErr(wWaitBound, full); err != nil {
		t.Errorf("the conversation view does not cover the screen: %v", err)
	}
	answer := "Yes! Norway takes 3 to 5 working days."
	e.wStaffReply(c.ID, answer)
	e.wWait("the answer appears live", `__w.thread().some(m => m.author === 'staff' && m.text === `+wQ(answer)+`)`)
	if !wEval[bool](e, onScreen(".reply-send")) {
		t.Errorf("the reply button is off screen: %v", wEval[map[string]float64](e, `__w.rect('.reply-send')`))
	}
	if small := wEval[[]string](e, `__w.qa('textarea').filter(el => parseFloat(getComputedStyle(el).fontSize) < 16).map(el => el.id)`); len(small) > 0 {
		t.Errorf("fields under 16 px on a phone: %q", small)
	}
	browsertest.Screenshot(t, e.ctx, "widget-phone")
	e.wClean()
}

// TestWidgetOfflineQueueDeliversOnce: a reply typed while offline shows as
// queued and does not reach the server; back online it is delivered, and
// exactly once.
func TestWidgetOfflineQueueDeliversOnce(t *testing.T) {
	e := wStart(t, "sqlite", false, 60*time.Second)
	c := e.wFileOnDesktop("My parcel tracking stopped updating.")

	e.wSetOffline(true)
	reply := "Offline note: I will be away on Friday, leave it with a neighbour."
	e.wType("#holler-reply", reply)
	e.wClick("send the reply", wJS(".reply-send"))
	e.wWait("the reply shows as queued after a failed try",
		`__w.thread().some(m => m.author === 'visitor' && m.state === 'queued' && m.text === `+wQ(reply)+`)`)
	if n := e.wCount(c.ID, reply); n != 0 {
		t.Fatalf("the server has the reply %d times while the browser is offline", n)
	}
	if !wEval[bool](e, `(localStorage.getItem('holler:' + document.querySelector('script[data-site]').dataset.site + ':outbox') || '').includes(`+wQ(reply)+`)`) {
		t.Error("the queued reply is not kept in the outbox")
	}

	e.wSetOffline(false)
	e.wEventually("the queued reply is delivered", 30*time.Second, func() (bool, string) {
		n := e.wCount(c.ID, reply)
		return n > 0, fmt.Sprintf("%d copies", n)
	})
	// Give any stray retry time to land, then count.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if n := e.wCount(c.ID, reply); n != 1 {
			t.Fatalf("the reply is on the server %d times, want once", n)
		}
		time.Sleep(250 * time.Millisecond)
	}
	e.wWait("the widget shows it sent, once", `__w.thread().filter(m => m.text === `+wQ(reply)+`).length === 1 && __w.thread().some(m => m.text === `+wQ(reply)+` && m.state === '')`)
	e.wWait("the outbox is empty", `!Object.keys(localStorage).some(k => k.endsWith(':outbox'))`)
	e.wClean()
}

// TestWidgetDraftSurvivesReload: text typed but not sent is there again
// after a reload, with its kind and name; nothing was sent.
func TestWidgetDraftSurvivesReload(t *testing.T) {
	e := wStart(t, "sqlite", false, 60*time.Second)
	e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
	e.wLoad()
	e.wOpenPanel()
	draft := "Half-written: the size chart for the winter boots seems wrong, the 42 is"
	e.wPickKind("feedback")
	e.wType("#holler-message", draft)
	e.wType("#holler-name", "Ana")

	wEval[chromedp.Void](e, `window.__wOld = 1`)
	e.wDo("reload the page", chromedp.Reload())
	e.wWait("the old page is gone", `window.__w && !window.__wOld`)
	e.wLoad()
	if wEval[bool](e, `__w.vis('#holler-panel')`) {
		t.Fatal("the panel is open after a reload before any click")
	}
	e.wOpenPanel()
	e.wWait("the draft is back", `__w.q('#holler-message').value === `+wQ(draft))
	if got := wEval[string](e, `__w.q('input[name=kind]:checked').value + '|' + __w.q('#holler-name').value`); got != "feedback|Ana" {
		t.Errorf("kind and name after the reload: %q, want feedback|Ana", got)
	}
	if cs := e.wConvs(); len(cs) != 0 {
		t.Fatalf("a draft was sent: %+v", cs)
	}
	e.wClean()
}

// TestWidgetRateLimitKeepsText: with the default limits (5 new
// conversations per IP, then one per 20 s), the browser's send is refused
// with 429. The panel says so in plain words, the text is kept where the
// visitor sees it, and it is delivered, once, when the limit allows.
func TestWidgetRateLimitKeepsText(t *testing.T) {
	e := wStart(t, "sqlite", true, 90*time.Second)
	e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
	e.wLoad()
	e.wOpenPanel()
	text := "Sixth message in a row: where is my refund for order 77120?"
	e.wType("#holler-message", text)

	// Use up the burst from the same IP (127.0.0.1) as the browser.
	for i := 0; i < 5; i++ {
		r := e.s.Do(t, "POST", "/api/v1/widget/"+e.s.DemoKey+"/conversations", "", map[string]any{"kind": "question", "message": fmt.Sprintf("burst %d", i)})
		if r.Status != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i, r.Status, r.Body)
		}
	}
	e.wClick("send", wJS(".send"))

	// A friendly, visible message, and the text is still in view.
	e.wWait("the panel says the limit was hit", `[...__w.qa('.ferr, .meta, .err')].some(el => __w.visEl(el) && /Too many messages.*\d+ s/.test(el.textContent))`)
	kept := wEval[string](e, `__w.q('#holler-message').value === `+wQ(text)+` && __w.vis('#holler-message') ? 'textarea'
		: __w.thread().some(m => m.author === 'visitor' && m.state !== '' && m.text === `+wQ(text)+`) && __w.vis('.chat') ? 'queued' : ''`)
	if kept == "" {
		t.Fatalf("the text is not in view after the 429\n%s", e.wState())
	}
	t.Logf("after the 429 the text is kept in the %s; the panel says %q", kept,
		wEval[string](e, `__w.qa('.ferr, .meta, .err').map(el => el.textContent).find(s => /Too many/.test(s))`))
	refused := time.Now()
	if n := len(e.wConvs()); n != 5 {
		t.Fatalf("the server has %d conversations, want the 5 of the burst", n)
	}
	e.wWait("the live region says why", `/Too many messages/.test(__w.q('[aria-live=polite]').textContent)`)
	if kept == "textarea" {
		return // a manual resend is the visitor's call
	}

	// Queued: it goes out once when the bucket has a token again (≤ 20 s).
	var id string
	e.wEventually("the queued text is delivered when the limit allows", 40*time.Second, func() (bool, string) {
		var refs []string
		for _, c := range e.wConvs() {
			refs = append(refs, c.Ref)
			if _, msgs := e.wThread(c.ID); len(msgs) > 0 && msgs[0].Body == text {
				id = c.ID
			}
		}
		return id != "", fmt.Sprint(refs)
	})
	t.Logf("delivered %s after the 429", time.Since(refused).Round(time.Second))
	ref := e.wWaitRef()
	if c := e.wByRef(ref); c == nil || c.ID != id {
		t.Fatalf("the widget shows %s, the text is in %s", ref, id)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if n := len(e.wConvs()); n != 6 {
			t.Fatalf("%d conversations, want the 5 of the burst and the text once", n)
		}
		time.Sleep(250 * time.Millisecond)
	}
	e.wClean()
}

// TestWidgetLostAnswerDeliversOnce: the server stores a reply but its
// answer never reaches the browser (the connection breaks after the
// response started). The widget retries, and the reply still exists once.
func TestWidgetLostAnswerDeliversOnce(t *testing.T) {
	e := wStart(t, "sqlite", false, 60*time.Second)
	c := e.wFileOnDesktop("The discount code SPRING10 is refused at checkout.")

	// Break the first answer to a visitor's reply, after the server made it.
	paused := chromedp.Events(e.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(e.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*/conversations/*/messages", RequestStage: fetch.RequestStageResponse},
	}}); err != nil {
		t.Fatalf("intercept replies: %v", err)
	}
	dropped := make(chan int64, 1)
	var posts atomic.Int32
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			if ev.Request.Method == http.MethodPost && posts.Add(1) == 1 {
				_, _ = chromedp.Call(e.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionReset})
				dropped <- ev.ResponseStatusCode
				continue
			}
			_, _ = chromedp.Call(e.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()

	reply := "Update: SPRING10 also fails on the app."
	e.wType("#holler-reply", reply)
	e.wClick("send the reply", wJS(".reply-send"))
	select {
	case code := <-dropped:
		if code != http.StatusCreated {
			t.Fatalf("the server answered the reply with %d, want 201", code)
		}
	case <-time.After(wWaitBound):
		t.Fatalf("the reply's request was never seen\n%s", e.wState())
	}
	if n := e.wCount(c.ID, reply); n != 1 {
		t.Fatalf("after the lost answer the server has the reply %d times, want 1", n)
	}
	e.wWait("the widget settles with the reply sent, once", `__w.thread().filter(m => m.text === `+wQ(reply)+`).length === 1 && __w.thread().some(m => m.text === `+wQ(reply)+` && m.state === '') && !Object.keys(localStorage).some(k => k.endsWith(':outbox'))`)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if n := e.wCount(c.ID, reply); n != 1 {
			t.Fatalf("the reply is on the server %d times, want once", n)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("the widget posted the reply %d time(s)", posts.Load())
	e.wClean()
}
