package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"holler/server/internal/anger"
	"holler/server/internal/browsertest"
	"holler/server/internal/testserver"
)

// dKey presses a key the way a keyboard does: one keyDown that carries the
// key's text (if any), then keyUp, so a page that cancels the keydown
// stops the text too (chromedp.KeyEvent sends the text as a separate char
// event, which Chromium inserts regardless). modifiers: 2 Ctrl, 8 Shift.
func dKey(t *testing.T, ctx context.Context, key string, modifiers int) {
	t.Helper()
	keys := map[string]struct {
		code, text string
		vk         int
	}{
		"Enter": {"Enter", "\r", 13}, "Escape": {"Escape", "", 27}, "ArrowDown": {"ArrowDown", "", 40},
		"ArrowUp": {"ArrowUp", "", 38}, "Backspace": {"Backspace", "", 8}, "Tab": {"Tab", "", 9},
	}
	k, ok := keys[key]
	if !ok {
		t.Fatalf("dKey: unknown key %q", key)
	}
	ev := func(typ string) map[string]any {
		m := map[string]any{"type": typ, "key": key, "code": k.code, "windowsVirtualKeyCode": k.vk, "nativeVirtualKeyCode": k.vk, "modifiers": modifiers}
		if typ == "keyDown" && k.text != "" && modifiers&2 == 0 {
			m["text"], m["unmodifiedText"] = k.text, k.text
		}
		return m
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if err := tg.Call(ctx, "Input.dispatchKeyEvent", ev("keyDown"), nil); err != nil {
			return err
		}
		return tg.Call(ctx, "Input.dispatchKeyEvent", ev("keyUp"), nil)
	})); err != nil {
		t.Fatalf("press %s: %v", key, err)
	}
}

// dServerThread reads a conversation's messages through the staff API.
func dServerThread(t *testing.T, s *testserver.Server, token, id string) []string {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/conversations/"+id, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("thread: %d %s", r.Status, r.Body)
	}
	var th struct {
		Messages []struct{ Body string } `json:"messages"`
	}
	r.JSON(t, &th)
	var out []string
	for _, m := range th.Messages {
		out = append(out, m.Body)
	}
	return out
}

// TestDashboardAngerFirst: on a German site, an angry complaint carries the
// inbox marker and a calm question does not; "Angriest first" puts it on
// top. Its reply box offers the German empathy openers; choosing one with
// the keyboard puts it at the start of the reply, which is sent as such. A
// calm conversation that turns angry while open gets the openers live, and
// the openers are never offered for an internal note.
func TestDashboardAngerFirst(t *testing.T) {
	browser := browsertest.Browser(t)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	admin := s.AdminToken(t)
	if r := s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]string{"locale": "de"}); r.Status != http.StatusOK {
		t.Fatalf("set locale: %d %s", r.Status, r.Body)
	}
	angry := dVisitorFiles(t, s, s.DemoKey, "complaint",
		"Seit drei Wochen warte ich auf mein Paket! Eine Frechheit, ich will mein Geld zurück!!", "Ute Unzufrieden", "")
	calm := dVisitorFiles(t, s, s.DemoKey, "question", "Hallo, habt ihr das Hemd auch in L?", "Carl Calm", "")
	openers := anger.Openers("de")

	ctx := dBound(t, browser)
	dLogin(t, ctx, s.URL+"/", s.Admin, testserver.Password)
	dPoll(t, ctx, dWaitBound, "both conversations are listed",
		`document.querySelectorAll('#inbox .conv-item').length === 2`, `document.getElementById('inbox').textContent`)
	if ids := dEval[[]string](t, ctx, `[...document.querySelectorAll('#inbox .conv-item')].map(e => e.dataset.id)`); !slices.Equal(ids, []string{calm.ID, angry.ID}) {
		t.Fatalf("inbox order %q, want the newest first", ids)
	}
	if n := dCount(t, ctx, dItemSel(angry.ID)+" .anger-mark"); n != 1 {
		t.Errorf("the angry complaint has %d markers", n)
	}
	if n := dCount(t, ctx, dItemSel(calm.ID)+" .anger-mark"); n != 0 {
		t.Errorf("the calm question has %d markers", n)
	}
	dEval[chromedp.Void](t, ctx, `(() => { const s = document.getElementById('filter-sort'); s.value = 'anger'; s.dispatchEvent(new Event('change')); })()`)
	dPoll(t, ctx, dWaitBound, "angriest first",
		`[...document.querySelectorAll('#inbox .conv-item')].map(e => e.dataset.id).join() === `+dQuote(angry.ID+","+calm.ID),
		`[...document.querySelectorAll('#inbox .conv-item')].map(e => e.dataset.id).join()`)

	dOpenConversation(t, ctx, angry.ID)
	dPoll(t, ctx, dWaitBound, "the German openers show above the reply box",
		`!document.getElementById('openers').hidden && JSON.stringify([...document.querySelectorAll('#openers .opener')].map(b => b.textContent)) === `+dQuote(mustJSON(t, openers)),
		`document.getElementById('openers').textContent`)

	// An internal note gets no openers.
	dEval[chromedp.Void](t, ctx, `document.getElementById('reply-internal').click()`)
	dPoll(t, ctx, dWaitBound, "no openers for a note", `document.getElementById('openers').hidden`, `document.getElementById('openers').hidden`)
	dEval[chromedp.Void](t, ctx, `document.getElementById('reply-internal').click()`)
	dPoll(t, ctx, dWaitBound, "the openers are back for a reply", `!document.getElementById('openers').hidden`, `document.getElementById('openers').hidden`)

	// Write first, then choose the second opener by keyboard: it goes
	// before what was written, and the reply box has the focus again.
	const text = "Ich kümmere mich sofort um Ihr Paket."
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#reply-body"), text)); err != nil {
		t.Fatal(err)
	}
	dEval[chromedp.Void](t, ctx, `document.querySelectorAll('#openers .opener')[1].focus()`)
	dKey(t, ctx, "Enter", 0)
	want := openers[1] + " " + text
	dPoll(t, ctx, dWaitBound, "the opener starts the reply",
		`document.getElementById('reply-body').value === `+dQuote(want)+` && document.activeElement?.id === 'reply-body'`,
		`document.getElementById('reply-body').value + ' | ' + document.activeElement?.id`)
	browsertest.Screenshot(t, ctx, "screenshot-anger")
	// Choosing another replaces it rather than stacking up.
	dEval[chromedp.Void](t, ctx, `document.querySelectorAll('#openers .opener')[0].focus()`)
	dKey(t, ctx, "Enter", 0)
	want = openers[0] + " " + text
	dPoll(t, ctx, dWaitBound, "the other opener replaces the first",
		`document.getElementById('reply-body').value === `+dQuote(want), `document.getElementById('reply-body').value`)
	dKey(t, ctx, "Enter", 2) // Ctrl+Enter sends
	dPoll(t, ctx, dWaitBound, "the reply is sent",
		`document.getElementById('reply-body').value === '' && [...document.querySelectorAll('#thread .msg[data-author=staff] .msg-body')].some(e => e.textContent === `+dQuote(want)+`)`,
		`document.getElementById('thread').textContent`)
	if got := dServerThread(t, s, admin, angry.ID); got[len(got)-1] != want {
		t.Fatalf("the server's last message %q, want %q", got[len(got)-1], want)
	}

	// The calm conversation turns angry while it is open.
	dOpenConversation(t, ctx, calm.ID)
	if !dEval[bool](t, ctx, `document.getElementById('openers').hidden`) {
		t.Fatal("a calm conversation offers openers")
	}
	dVisitorWrites(t, s, s.DemoKey, calm, "Unverschämt! Seit ZWEI WOCHEN keine Antwort!!")
	dPoll(t, ctx, dWaitBound, "the openers appear live once it is angry",
		`!document.getElementById('openers').hidden && document.querySelectorAll('#openers .opener').length === `+fmt.Sprint(len(openers)),
		`document.getElementById('openers').hidden`)
	dPoll(t, ctx, dWaitBound, "its inbox item gets the marker", `document.querySelector(`+dQuote(dItemSel(calm.ID)+" .anger-mark")+`) !== null`, `''`)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
