package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/testserver"
)

// dCannedCreate adds a canned reply through the API.
func dCannedCreate(t *testing.T, s *testserver.Server, token string, body map[string]any) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/canned-replies", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create canned reply: %d %s", r.Status, r.Body)
	}
	var out struct {
		CannedReply struct{ ID string } `json:"canned_reply"`
	}
	r.JSON(t, &out)
	return out.CannedReply.ID
}

// dMenu is the state of the "/" list: its option shortcuts, the active
// option's shortcut (named by the reply box's aria-activedescendant), and
// whether it shows.
type dMenu struct {
	Open    bool     `json:"open"`
	Options []string `json:"options"`
	Active  string   `json:"active"`
	Roles   bool     `json:"roles"`
	Focus   string   `json:"focus"`
}

const dMenuJS = `(() => {
	const box = document.getElementById('reply-body');
	const list = document.getElementById('canned-menu');
	const open = !list.closest('.canned-pop').hidden;
	const opts = [...list.querySelectorAll('[role=option]')];
	const act = box.getAttribute('aria-activedescendant');
	const active = act ? document.getElementById(act) : null;
	return {open, options: opts.map(o => o.dataset.shortcut), active: active ? active.dataset.shortcut : '',
		roles: list.getAttribute('role') === 'listbox' && box.getAttribute('aria-controls') === list.id &&
			opts.filter(o => o.getAttribute('aria-selected') === 'true').length === 1 && active?.getAttribute('aria-selected') === 'true',
		focus: document.activeElement?.id || ''};
})()`

// dWaitMenu waits until the "/" list shows exactly options (in order) with
// active chosen, the reply box keeping the focus.
func dWaitMenu(t *testing.T, ctx context.Context, what string, options []string, active string) {
	t.Helper()
	want := mustJSON(t, dMenu{Open: true, Options: options, Active: active, Roles: true, Focus: "reply-body"})
	dPoll(t, ctx, dWaitBound, what, `JSON.stringify(`+dMenuJS+`) === `+dQuote(want), `JSON.stringify(`+dMenuJS+`)`)
}

// TestDashboardCannedReplies: in the reply box, "/" after a space opens
// the list of the site's canned replies, filtered as you type; Escape
// closes it and leaves the focus in the box; the arrow keys move the
// active option (aria-activedescendant) and Enter replaces "/…" with the
// reply, its variables filled for this conversation; the reply is sent
// like any other and the use counted. A reply added on the Replies page
// shows in the list at once.
func TestDashboardCannedReplies(t *testing.T) {
	browser := browsertest.Browser(t)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	admin := s.AdminToken(t)
	dRenameMe(t, s, admin, "Sam Support")
	// Never used yet: listed by title.
	dCannedCreate(t, s, admin, map[string]any{"site_id": s.DemoSite, "shortcut": "sorry", "title": "Apology for a delay",
		"body": "Hi {{customer.name|there}}, I am sorry about {{conversation.ref}}. {{agent.name}}, {{site.name}}"})
	dCannedCreate(t, s, admin, map[string]any{"site_id": s.DemoSite, "shortcut": "refund", "title": "Refund sent", "body": "Your refund is on its way."})
	thanks := dCannedCreate(t, s, admin, map[string]any{"shortcut": "thanks", "title": "Thanks", "body": "Thank you for your patience."})
	c := dVisitorFiles(t, s, s.DemoKey, "complaint", "My parcel is late.", "Ann Kunde", "")

	ctx := dBound(t, browser)
	dLogin(t, ctx, s.URL+"/", s.Admin, testserver.Password)
	dPoll(t, ctx, dWaitBound, "the conversation is listed", `document.querySelector(`+dQuote(dItemSel(c.ID))+`) !== null`, `''`)
	dOpenConversation(t, ctx, c.ID)

	typeIn := func(text string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#reply-body"), text)); err != nil {
			t.Fatalf("type %q: %v", text, err)
		}
	}
	box := func() string { return dEval[string](t, ctx, `document.getElementById('reply-body').value`) }

	typeIn("Hello /")
	dWaitMenu(t, ctx, "/ after a space lists every reply", []string{"sorry", "refund", "thanks"}, "sorry")
	browsertest.Screenshot(t, ctx, "screenshot-canned")
	typeIn("re")
	// A shortcut that starts so comes first, then replies that hold it.
	dWaitMenu(t, ctx, "typing filters", []string{"refund", "sorry"}, "refund")
	dKey(t, ctx, "Backspace", 0)
	dKey(t, ctx, "Backspace", 0)
	dWaitMenu(t, ctx, "erasing widens it again", []string{"sorry", "refund", "thanks"}, "sorry")
	dKey(t, ctx, "Escape", 0)
	dPoll(t, ctx, dWaitBound, "Escape closes the list and keeps the focus in the box",
		`document.querySelector('.canned-pop').hidden && document.activeElement?.id === 'reply-body' && !document.getElementById('reply-body').hasAttribute('aria-activedescendant')`,
		`document.activeElement?.id`)
	if got := box(); got != "Hello /" {
		t.Fatalf("the box holds %q after Escape", got)
	}
	dKey(t, ctx, "Backspace", 0)
	typeIn("x/") // a "/" inside a word is just a slash
	if dEval[bool](t, ctx, `!document.querySelector('.canned-pop').hidden`) {
		t.Fatal("a / after a letter opened the list")
	}

	// Start over: "/" at the start of the box; Down, Down, Up, Enter
	// inserts the second reply in place of "/".
	dEval[chromedp.Void](t, ctx, `(() => { const b = document.getElementById('reply-body'); b.value = ''; b.dispatchEvent(new Event('input')); })()`)
	typeIn("/")
	dWaitMenu(t, ctx, "/ at the start lists every reply", []string{"sorry", "refund", "thanks"}, "sorry")
	dKey(t, ctx, "ArrowDown", 0)
	dWaitMenu(t, ctx, "Down moves on", []string{"sorry", "refund", "thanks"}, "refund")
	dKey(t, ctx, "ArrowDown", 0)
	dKey(t, ctx, "ArrowUp", 0)
	dKey(t, ctx, "ArrowUp", 0)
	dWaitMenu(t, ctx, "Up moves back", []string{"sorry", "refund", "thanks"}, "sorry")
	dKey(t, ctx, "Enter", 0)
	filled := "Hi Ann Kunde, I am sorry about " + c.Ref + ". Sam Support, Demo"
	dPoll(t, ctx, dWaitBound, "Enter puts the filled reply in the box",
		`document.getElementById('reply-body').value === `+dQuote(filled)+` && document.querySelector('.canned-pop').hidden && document.activeElement?.id === 'reply-body'`,
		`document.getElementById('reply-body').value`)

	// Go on writing, add a second reply after a space, and send.
	typeIn(" /than")
	dWaitMenu(t, ctx, "a second reply", []string{"thanks"}, "thanks")
	dKey(t, ctx, "Enter", 0)
	want := filled + " Thank you for your patience."
	dPoll(t, ctx, dWaitBound, "the second reply follows", `document.getElementById('reply-body').value === `+dQuote(want), `document.getElementById('reply-body').value`)
	dKey(t, ctx, "Enter", 2)
	dPoll(t, ctx, dWaitBound, "the reply is sent",
		`document.getElementById('reply-body').value === '' && [...document.querySelectorAll('#thread .msg[data-author=staff] .msg-body')].some(e => e.textContent === `+dQuote(want)+`)`,
		`document.getElementById('thread').textContent + ' | ' + document.getElementById('reply-error').textContent`)
	if got := dServerThread(t, s, admin, c.ID); got[len(got)-1] != want {
		t.Fatalf("the server's last message %q, want %q", got[len(got)-1], want)
	}
	r := s.Do(t, "GET", "/api/v1/canned-replies/"+thanks, admin, nil)
	if !strings.Contains(string(r.Body), `"use_count":1`) {
		t.Errorf("the thanks reply after one use: %s", r.Body)
	}
	// The used ones come first now (sorry and thanks once each, by title).
	typeIn("/")
	dWaitMenu(t, ctx, "used replies first", []string{"sorry", "thanks", "refund"}, "sorry")
	dKey(t, ctx, "Escape", 0)

	// Another admin adds a reply: the open dashboard lists it at once.
	dCannedCreate(t, s, admin, map[string]any{"site_id": s.DemoSite, "shortcut": "size", "title": "Size chart", "body": "Our size chart: {{site.name}}"})
	dKey(t, ctx, "Backspace", 0)
	typeIn("/siz")
	dWaitMenu(t, ctx, "the new reply is listed", []string{"size"}, "size")
	dKey(t, ctx, "Escape", 0)

	// The Replies page lists them all, with their uses, and adds one.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-canned"))); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "the Replies page lists four replies",
		`document.querySelectorAll('#canned-admin-list .canned-admin-row').length === 4`, `document.getElementById('page-body').textContent`)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#canned-scope"), s.DemoSite),
		chromedp.SendKeys(chromedp.CSS("#canned-shortcut"), "late"),
		chromedp.SendKeys(chromedp.CSS("#canned-title"), "Late parcel"),
		chromedp.SendKeys(chromedp.CSS("#canned-body"), "Your parcel {{order.id}} is late."),
		chromedp.Click(chromedp.CSS("#canned-save")),
	); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "an unknown variable is refused beside the text",
		`/unknown variable/.test(document.querySelector('[data-error-for=body]').textContent)`, `document.getElementById('canned-form').textContent`)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#canned-body"), "Your parcel for {{conversation.ref}} is late, {{customer.name|there}}."),
		chromedp.Click(chromedp.CSS("#canned-save")),
	); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "the new reply is listed on the page",
		`document.querySelector('#canned-admin-list .canned-admin-row[data-shortcut=late]') !== null`, `document.getElementById('canned-admin-list').textContent`)
	browsertest.Screenshot(t, ctx, "screenshot-canned-admin")
}
