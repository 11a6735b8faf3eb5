package e2e_test

// Helpers of the widget browser tests (issue #3). Every name starts with
// "w" so they never clash with the dashboard tests of the same package.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/config"
	"holler/server/internal/testserver"
)

// wRefRE is a conversation reference as the widget shows it: two groups of
// three from the alphabet without 0/O/1/I/L.
var wRefRE = regexp.MustCompile(`^[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}$`)

// wWaitBound bounds one wait for the page or the server.
const wWaitBound = 15 * time.Second

// wInit runs in every document of the tab before the page's own scripts
// (DevTools scripts are not subject to the page's CSP). It records CSP
// violations (the event is composed, so violations inside the widget's
// shadow root reach window) and gives the tests short names for the
// widget's shadow root.
const wInit = `(() => {
  const csp = window.__wCSP = [];
  addEventListener('securitypolicyviolation', e => csp.push(e.violatedDirective + ' ' + e.blockedURI), true);
  const R = () => document.querySelector('holler-widget')?.shadowRoot || null;
  const vis = el => !!el && el.isConnected && el.getClientRects().length > 0 && getComputedStyle(el).visibility != 'hidden';
  window.__w = {
    R,
    q: s => R()?.querySelector(s) || null,
    qa: s => [...(R()?.querySelectorAll(s) || [])],
    vis: s => vis(R()?.querySelector(s)),
    visEl: vis,
    // The deepest focused element, through the shadow root.
    active: () => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a; },
    // Messages of the open thread: author, state and text.
    thread: () => [...(R()?.querySelectorAll('.thread li.msg') || [])].map(li => ({ author: li.dataset.author, state: li.dataset.state || '', text: li.querySelector('.text')?.textContent || '' })),
    rect: s => { const r = R()?.querySelector(s)?.getBoundingClientRect(); return r ? { x: r.x, y: r.y, w: r.width, h: r.height, b: r.bottom, r: r.right } : null; },
  };
})();`

// wEnv is one widget test's world: a real server, a browser tab and the
// customer's page on another origin under a strict CSP.
type wEnv struct {
	t     *testing.T
	s     *testserver.Server
	ctx   context.Context // the tab, bounded by the test's timeout
	page  string          // the host page URL
	admin string          // a staff access token

	mu       sync.Mutex
	problems []string // CSP reports in the browser log and uncaught exceptions
}

// wStart starts a server (rate limits off unless limits), a browser and the
// host page; the whole test is bounded by timeout.
func wStart(t *testing.T, dialect string, limits bool, timeout time.Duration) *wEnv {
	t.Helper()
	return wStartWith(t, testserver.Options{Dialect: dialect, Configure: func(c *config.Config) {
		c.RateLimit = limits
	}}, timeout)
}

// wStartWith is wStart with the server's options given in full.
func wStartWith(t *testing.T, o testserver.Options, timeout time.Duration) *wEnv {
	t.Helper()
	browser := browsertest.Browser(t)
	s := testserver.Start(t, o)
	e := &wEnv{t: t, s: s, page: browsertest.HostPage(t, s.URL, s.DemoKey)}
	ctx, cancel := context.WithTimeout(browser, timeout)
	t.Cleanup(cancel)
	e.ctx = ctx
	if err := chromedp.Listen(browser, e.listen); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: wInit}); err != nil {
		t.Fatalf("install the page probes: %v", err)
	}
	e.admin = s.AdminToken(t)
	return e
}

// listen runs in the tab's event loop: it only records.
func (e *wEnv) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *log.EventEntryAdded:
		if ev.Entry != nil && strings.Contains(ev.Entry.Text, "Content Security Policy") {
			p = "browser log: " + ev.Entry.Text
		}
	case *runtime.EventExceptionThrown:
		if d := ev.ExceptionDetails; d != nil {
			p = "uncaught exception: " + d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				p += " " + d.Exception.Description
			}
			p += fmt.Sprintf(" at %s:%d", d.URL, d.LineNumber+1)
		}
	case *runtime.EventConsoleAPICalled:
		// The widget reports its own failures as console.warn("holler: ...").
		if ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			p = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
		}
	}
	if p != "" {
		e.mu.Lock()
		e.problems = append(e.problems, p)
		e.mu.Unlock()
	}
}

// wProblems returns what the listener recorded so far.
func (e *wEnv) wProblems() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.problems...)
}

// wClean fails the test on any CSP violation (seen by the page or in the
// browser log), uncaught exception or widget warning.
func (e *wEnv) wClean() {
	e.t.Helper()
	if v := wEval[[]string](e, `window.__wCSP || ['the probe is missing']`); len(v) > 0 {
		e.t.Errorf("CSP violations on the host page: %q", v)
	}
	if p := e.wProblems(); len(p) > 0 {
		e.t.Errorf("browser problems: %q", p)
	}
}

// wQ quotes s as a JavaScript string.
func wQ(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// wJS selects an element of the widget's shadow root for chromedp actions.
func wJS(css string) chromedp.JSPath {
	return chromedp.JSPath(`document.querySelector('holler-widget')?.shadowRoot?.querySelector(` + wQ(css) + `)`)
}

// wEval evaluates a JavaScript expression, failing the test on error.
func wEval[T any](e *wEnv, expr string) T {
	e.t.Helper()
	v, err := chromedp.Run(e.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		e.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// wDo runs chromedp steps, failing the test with what was being done.
func (e *wEnv) wDo(what string, steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	if err := chromedp.Do(e.ctx, steps...); err != nil {
		e.t.Fatalf("%s: %v\n%s", what, err, e.wState())
	}
}

// wClick clicks an element of the widget with the mouse. The widget redraws
// lists when data arrives, so a node found a moment ago can be replaced by
// an identical one before the click: then it looks again.
func (e *wEnv) wClick(what string, sel chromedp.JSPath) {
	e.t.Helper()
	var err error
	for try := 0; try < 5; try++ {
		if err = chromedp.Do(e.ctx, chromedp.Click(sel)); err == nil || !strings.Contains(err.Error(), "find node") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatalf("%s: %v\n%s", what, err, e.wState())
	}
}

// wWait polls the page until the JavaScript expression is truthy, at most
// wWaitBound, and fails with the panel's state otherwise.
func (e *wEnv) wWait(what, expr string) {
	e.t.Helper()
	if err := e.wWaitErr(wWaitBound, expr); err != nil {
		e.t.Fatalf("%s: %v\n%s", what, err, e.wState())
	}
}

// wWaitErr polls expr every 50 ms for at most bound.
func (e *wEnv) wWaitErr(bound time.Duration, expr string) error {
	ctx, cancel := context.WithTimeout(e.ctx, bound)
	defer cancel()
	js := `(() => { try { return !!(` + expr + `); } catch (e) { return false; } })()`
	var last error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("not within %s (last error: %v)", bound, last)
			}
			return fmt.Errorf("not within %s", bound)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// wState describes the widget for a failure message.
func (e *wEnv) wState() string {
	ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		panel: (window.__w && __w.q('#holler-panel')?.innerText || '').slice(0, 1500),
		hidden: window.__w && __w.q('#holler-panel')?.hidden,
		thread: window.__w && __w.thread(),
		active: window.__w && (__w.active()?.outerHTML || '').slice(0, 200),
		live: window.__w && __w.q("[aria-live=polite]")?.textContent, visibility: document.visibilityState,
		storage: Object.fromEntries(Object.entries(localStorage).filter(([k]) => k.startsWith('holler:'))),
	})`))
	if err != nil {
		v = "(page state unavailable: " + err.Error() + ")"
	}
	logs := e.s.Log.String()
	if len(logs) > 3000 {
		logs = "…" + logs[len(logs)-3000:]
	}
	return "widget: " + v + "\nbrowser problems: " + strings.Join(e.wProblems(), "; ") + "\nserver log: " + logs
}

// wEventually polls cond (Go side, e.g. the staff API) until it holds, at
// most bound; cond returns whether it holds and what it saw.
func (e *wEnv) wEventually(what string, bound time.Duration, cond func() (bool, string)) {
	e.t.Helper()
	deadline := time.Now().Add(bound)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) || e.ctx.Err() != nil {
			e.t.Fatalf("%s: not within %s; saw %s\n%s", what, bound, saw, e.wState())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wLoad opens the host page and waits for the widget's button.
func (e *wEnv) wLoad() {
	e.t.Helper()
	e.wDo("open the host page", chromedp.Navigate(e.page))
	e.wWait("the widget's button appears", `__w.vis('.btn') && __w.q('.lbl').textContent.trim() !== ''`)
}

// wOpenPanel clicks the button and waits for the panel (with its styles).
func (e *wEnv) wOpenPanel() {
	e.t.Helper()
	e.wClick("click the button", wJS(".btn"))
	e.wWaitOpen()
}

// wWaitOpen waits until the panel is shown, styled and has the focus.
func (e *wEnv) wWaitOpen() {
	e.t.Helper()
	e.wWait("the panel opens", `__w.vis('#holler-panel') && getComputedStyle(__w.q('#holler-panel')).position === 'fixed' && __w.q('.btn').getAttribute('aria-expanded') === 'true'`)
}

// wPickKind clicks the visible box of a kind (the radio itself is hidden
// under its label).
func (e *wEnv) wPickKind(kind string) {
	e.t.Helper()
	e.wClick("pick "+kind, chromedp.JSPath(`__w.q('input[name=kind][value=`+kind+`]')?.nextElementSibling`))
	e.wWait(kind+" is checked", `__w.q('input[name=kind][value=`+kind+`]').checked`)
}

// wType types text into an element of the widget through key events.
func (e *wEnv) wType(css, text string) {
	e.t.Helper()
	e.wDo("type into "+css, chromedp.SendKeys(wJS(css), text))
}

// wWaitRef waits for the conversation view with its reference and returns it.
func (e *wEnv) wWaitRef() string {
	e.t.Helper()
	e.wWait("the conversation view shows a reference", `__w.vis('.chat') && /^\S{3}-\S{3}$/.test(__w.q('.ref-code').textContent)`)
	ref := wEval[string](e, `__w.q('.ref-code').textContent`)
	if !wRefRE.MatchString(ref) {
		e.t.Fatalf("reference %q does not match %s", ref, wRefRE)
	}
	return ref
}

// wSetOffline turns the tab's network off or on: requests fail (fetch and
// new sockets) and navigator.onLine follows, with its offline/online event.
// Network.emulateNetworkConditions is gone from this protocol version; its
// successors are the two commands below.
func (e *wEnv) wSetOffline(off bool) {
	e.t.Helper()
	var rules []*network.Conditions
	if off {
		rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
	}
	if _, err := chromedp.Call(e.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
		e.t.Fatalf("network conditions offline=%v: %v", off, err)
	}
	if _, err := chromedp.Call(e.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		e.t.Fatalf("network state offline=%v: %v", off, err)
	}
	e.wWait(fmt.Sprintf("navigator.onLine becomes %v", !off), fmt.Sprintf(`navigator.onLine === %v`, !off))
}

// wEnter presses Enter as a keyboard does: one keyDown that carries the
// text, so the character is not inserted when a keydown handler prevents
// the default (kb.Enter sends a separate char event that a page cannot
// cancel, which inserts a line break no real keyboard would), then keyUp.
func wEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter",
			Text: "\r", UnmodifiedText: "\r", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return err
		}
		up := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "Enter", Code: "Enter",
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
		return err
	})
}

// The staff side, through the HTTP API.

// wConv is what the tests read of a conversation.
type wConv struct {
	ID           string `json:"id"`
	Ref          string `json:"ref"`
	Kind         string `json:"kind"`
	Status       string `json:"status"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	PageURL      string `json:"page_url"`
	RatingScore  *int   `json:"rating_score"`
	StaffReplied bool   `json:"staff_replied"`
}

// wMsg is what the tests read of a message.
type wMsg struct {
	ID         string `json:"id"`
	AuthorKind string `json:"author_kind"`
	Body       string `json:"body"`
	Internal   bool   `json:"internal"`
}

// wConvs lists every conversation the admin sees.
func (e *wEnv) wConvs() []wConv {
	e.t.Helper()
	r := e.s.Do(e.t, "GET", "/api/v1/conversations?limit=100", e.admin, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("list conversations: %d %s", r.Status, r.Body)
	}
	var out struct {
		Conversations []wConv `json:"conversations"`
	}
	r.JSON(e.t, &out)
	return out.Conversations
}

// wByRef finds a conversation by its reference (nil if none).
func (e *wEnv) wByRef(ref string) *wConv {
	e.t.Helper()
	for _, c := range e.wConvs() {
		if c.Ref == ref {
			return &c
		}
	}
	return nil
}

// wThread reads one conversation with its messages.
func (e *wEnv) wThread(id string) (wConv, []wMsg) {
	e.t.Helper()
	r := e.s.Do(e.t, "GET", "/api/v1/conversations/"+id, e.admin, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("read conversation %s: %d %s", id, r.Status, r.Body)
	}
	var out struct {
		Conversation wConv  `json:"conversation"`
		Messages     []wMsg `json:"messages"`
	}
	r.JSON(e.t, &out)
	return out.Conversation, out.Messages
}

// wCount counts the messages of a conversation whose body is body.
func (e *wEnv) wCount(id, body string) int {
	e.t.Helper()
	_, msgs := e.wThread(id)
	n := 0
	for _, m := range msgs {
		if m.Body == body {
			n++
		}
	}
	return n
}

// wStaffOnline keeps a staff socket open (as a dashboard would) and waits
// until the widget's config says someone is online.
func (e *wEnv) wStaffOnline() {
	e.t.Helper()
	ws, resp, err := e.s.DialSocket("/api/v1/ws", e.admin, "", http.Header{"Origin": {e.s.Config.PublicURL}})
	if err != nil {
		e.t.Fatalf("staff socket: %v %v", err, resp)
	}
	e.t.Cleanup(func() { ws.Close() })
	go func() { // reading answers the server's pings
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	e.wEventually("staff show as online", wWaitBound, func() (bool, string) {
		r := e.s.Do(e.t, "GET", "/api/v1/widget/"+e.s.DemoKey+"/config", "", nil)
		return r.Status == http.StatusOK && strings.Contains(string(r.Body), `"online":true`), string(r.Body)
	})
}

// wStaffReply answers a conversation as the admin.
func (e *wEnv) wStaffReply(id, body string) {
	e.t.Helper()
	r := e.s.Do(e.t, "POST", "/api/v1/conversations/"+id+"/messages", e.admin, map[string]any{"body": body})
	if r.Status != http.StatusCreated {
		e.t.Fatalf("staff reply: %d %s", r.Status, r.Body)
	}
}

// wSetStatus changes a conversation's status as the admin.
func (e *wEnv) wSetStatus(id, status string) {
	e.t.Helper()
	r := e.s.Do(e.t, "PATCH", "/api/v1/conversations/"+id, e.admin, map[string]any{"status": status})
	if r.Status != http.StatusOK {
		e.t.Fatalf("set status %s: %d %s", status, r.Status, r.Body)
	}
}

// wFileOnDesktop files a question at a desktop viewport through the panel
// and returns the conversation as staff see it.
func (e *wEnv) wFileOnDesktop(text string) *wConv {
	e.t.Helper()
	e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
	e.wLoad()
	e.wOpenPanel()
	e.wType("#holler-message", text)
	e.wClick("send", wJS(".send"))
	ref := e.wWaitRef()
	c := e.wByRef(ref)
	if c == nil {
		e.t.Fatalf("staff do not see %s", ref)
	}
	return c
}
