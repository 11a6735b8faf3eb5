package e2e_test

// Helpers of the dashboard browser tests. Every name starts with "d" so the
// widget tests of the same package can use plain names.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"holler/server/internal/testserver"
)

// dTestTimeout bounds a whole dashboard test (or one dialect's subtest).
const dTestTimeout = 60 * time.Second

// dWaitBound is the generous bound of a single "it shows up live" wait:
// a bound, never a timing assertion.
const dWaitBound = 10 * time.Second

// dBound returns ctx limited to the whole-test budget.
func dBound(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, dTestTimeout)
	t.Cleanup(cancel)
	return c
}

// dQuote makes a JavaScript string literal (JSON is valid JavaScript).
func dQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// dEval evaluates expr and returns its value, failing the test on error.
func dEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// dPoll waits until the JavaScript expression is truthy, at most bound.
// what says in the failure what was awaited; state (a JavaScript
// expression) is evaluated then to show what the page held instead.
func dPoll(t *testing.T, ctx context.Context, bound time.Duration, what, expr, state string) {
	t.Helper()
	if err := dPollErr(ctx, bound, expr); err != nil {
		got := ""
		if state != "" {
			sc, cancel := context.WithTimeout(ctx, 3*time.Second)
			v, serr := chromedp.Run(sc, chromedp.Evaluate[string](`String(`+state+`)`))
			cancel()
			got = fmt.Sprintf(" (page: %q %v)", v, serr)
		}
		t.Fatalf("%s: not within %s: %v%s", what, bound, err, got)
	}
}

// dPollErr is dPoll that returns the error.
func dPollErr(ctx context.Context, bound time.Duration, expr string) error {
	c, cancel := context.WithTimeout(ctx, bound+2*time.Second)
	defer cancel()
	_, err := chromedp.Run(c, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(25*time.Millisecond),
		chromedp.WithPollingTimeout(bound)))
	return err
}

// dLogin opens the dashboard at url in a 1280x900 viewport, signs in
// through the form and waits until the live socket is open.
func dLogin(t *testing.T, ctx context.Context, url, email, password string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
		chromedp.SendKeys(chromedp.CSS("#login-email"), email),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
	); err != nil {
		t.Fatalf("sign in through the form: %v", err)
	}
	dPoll(t, ctx, dWaitBound, "the dashboard goes live after signing in",
		`document.querySelector('#conn-state[data-state=open]') !== null && document.getElementById('conn-state').textContent === 'connected'`,
		`JSON.stringify({conn: document.getElementById('conn-state').dataset.state, err: document.getElementById('login-error').textContent, login: !document.getElementById('login-view').hidden})`)
}

// dItemSel is the CSS selector of a conversation's inbox item.
func dItemSel(id string) string { return `.conv-item[data-id="` + id + `"]` }

// dCount returns how many elements match a CSS selector.
func dCount(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return dEval[int](t, ctx, `document.querySelectorAll(`+dQuote(sel)+`).length`)
}

// dOpenConversation clicks a conversation in the inbox and waits for its
// thread to be loaded.
func dOpenConversation(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(dItemSel(id)+" a.conv-link"))); err != nil {
		t.Fatalf("open conversation %s: %v", id, err)
	}
	dWaitThread(t, ctx, id)
}

// dWaitThread waits until the conversation id shows with its messages.
func dWaitThread(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	dPoll(t, ctx, dWaitBound, "the conversation "+id+" opens",
		`location.hash === '#/inbox/' + `+dQuote(id)+` && document.getElementById('conv').dataset.id === `+dQuote(id)+` && !document.getElementById('conv').hidden && document.getElementById('thread-status').hidden && document.querySelectorAll('#thread .msg').length > 0`,
		`location.hash + ' ' + document.getElementById('thread-status').textContent`)
}

// dMsgCount counts the messages of the open thread whose body is body.
func dMsgCount(t *testing.T, ctx context.Context, body string) int {
	t.Helper()
	return dEval[int](t, ctx, `[...document.querySelectorAll('#thread .msg .msg-body')].filter(e => e.textContent === `+dQuote(body)+`).length`)
}

// dWidget returns a JavaScript expression for an element of the widget's
// shadow root.
func dWidget(sel string) string {
	return `document.querySelector('holler-widget')?.shadowRoot?.querySelector(` + dQuote(sel) + `)`
}

// dAPIConv is what the tests need of a created conversation.
type dAPIConv struct {
	ID, Ref, Token string
}

// dVisitorFiles creates a conversation through the widget API over HTTP,
// as a visitor's browser would.
func dVisitorFiles(t *testing.T, s *testserver.Server, key, kind, message, name, email string) dAPIConv {
	t.Helper()
	body := map[string]string{"kind": kind, "message": message, "page_url": "https://shop.example.com/orders"}
	if name != "" {
		body["name"] = name
	}
	if email != "" {
		body["email"] = email
	}
	r := s.Do(t, "POST", "/api/v1/widget/"+key+"/conversations", "", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create a conversation on %s: %d %s", key, r.Status, r.Body)
	}
	var out struct {
		Conversation struct {
			ID  string `json:"id"`
			Ref string `json:"ref"`
		} `json:"conversation"`
		VisitorToken string `json:"visitor_token"`
	}
	r.JSON(t, &out)
	if out.Conversation.ID == "" || out.Conversation.Ref == "" || out.VisitorToken == "" {
		t.Fatalf("create a conversation: incomplete answer %s", r.Body)
	}
	return dAPIConv{ID: out.Conversation.ID, Ref: out.Conversation.Ref, Token: out.VisitorToken}
}

// dVisitorWrites adds a visitor message to the visitor's conversation.
func dVisitorWrites(t *testing.T, s *testserver.Server, key string, c dAPIConv, body string) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/widget/"+key+"/conversations/"+c.ID+"/messages", c.Token, map[string]string{"body": body})
	if r.Status != http.StatusCreated {
		t.Fatalf("visitor message: %d %s", r.Status, r.Body)
	}
	var out struct {
		Message struct {
			ID string `json:"id"`
		} `json:"message"`
	}
	r.JSON(t, &out)
	return out.Message.ID
}

// dStaffWrites adds a staff reply (or internal note) through the staff API.
func dStaffWrites(t *testing.T, s *testserver.Server, token, convID, body string, internal bool) {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/conversations/"+convID+"/messages", token, map[string]any{"body": body, "internal": internal})
	if r.Status != http.StatusCreated {
		t.Fatalf("staff message: %d %s", r.Status, r.Body)
	}
}

// dRenameMe gives the signed-in user a display name.
func dRenameMe(t *testing.T, s *testserver.Server, token, name string) {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/me", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.JSON(t, &me)
	r = s.Do(t, "PATCH", "/api/v1/users/"+me.User.ID, token, map[string]string{"name": name})
	if r.Status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.Status, r.Body)
	}
}

// dProxy is a TCP proxy in front of the server whose connections can be cut
// for real: Cut closes every live connection and refuses new ones (they are
// accepted and closed at once) until Restore.
type dProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	target string
	cut    bool
	conns  map[net.Conn]struct{}
	served int // connections proxied (not refused)
	wg     sync.WaitGroup
}

// dStartProxy listens on a free port of 127.0.0.1; SetTarget names the
// server once it runs.
func dStartProxy(t *testing.T) *dProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dProxy{ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.closeAll()
		p.wg.Wait()
	})
	return p
}

// URL is the proxy's http://127.0.0.1:PORT.
func (p *dProxy) URL() string { return "http://" + p.ln.Addr().String() }

// SetTarget sets the host:port connections are forwarded to.
func (p *dProxy) SetTarget(hostport string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.target = hostport
}

// Cut closes every live connection and refuses new ones.
func (p *dProxy) Cut() {
	p.mu.Lock()
	p.cut = true
	p.mu.Unlock()
	p.closeAll()
}

// Restore lets connections through again.
func (p *dProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Served returns how many connections were proxied so far.
func (p *dProxy) Served() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.served
}

func (p *dProxy) closeAll() {
	p.mu.Lock()
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

func (p *dProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *dProxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *dProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut, target := p.cut, p.target
		if !cut && target != "" {
			p.served++
		}
		p.mu.Unlock()
		if cut || target == "" {
			_ = c.Close() // refused
			continue
		}
		p.wg.Add(1)
		go p.pipe(c, target)
	}
}

func (p *dProxy) pipe(client net.Conn, target string) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client) || !p.track(server) {
		_ = client.Close()
		_ = server.Close()
		p.untrack(client)
		return
	}
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Either side ending ends both, as a cut does.
		_ = dst.Close()
		_ = src.Close()
		done <- struct{}{}
	}
	go cp(server, client)
	go cp(client, server)
	<-done
	<-done
	p.untrack(client)
	p.untrack(server)
}

// dHostPort returns the host:port of an http:// URL.
func dHostPort(u string) string {
	return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
}

// dPress presses and releases a letter key the way a keyboard does: one
// keyDown that carries the text, then keyUp. (chromedp.KeyEvent sends the
// text as a separate char event, which Chromium inserts even when the
// page cancelled the keydown, unlike a real key press.)
func dPress(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	if len(key) != 1 || key[0] < 'a' || key[0] > 'z' {
		t.Fatalf("dPress: %q is not a lower-case letter", key)
	}
	upper := strings.ToUpper(key)
	ev := func(typ, text string) map[string]any {
		m := map[string]any{"type": typ, "key": key, "code": "Key" + upper, "windowsVirtualKeyCode": int(upper[0]), "nativeVirtualKeyCode": int(upper[0])}
		if text != "" {
			m["text"], m["unmodifiedText"] = text, text
		}
		return m
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if err := tg.Call(ctx, "Input.dispatchKeyEvent", ev("keyDown", key), nil); err != nil {
			return err
		}
		return tg.Call(ctx, "Input.dispatchKeyEvent", ev("keyUp", ""), nil)
	})); err != nil {
		t.Fatalf("press %s: %v", key, err)
	}
}
