package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"holler/server/internal/dbproxy"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestWidgetQueuesWhileDatabaseAway: Holler runs on PostgreSQL through a TCP
// proxy. The line to the database is cut while the customer sends a reply
// and files a new question: the server answers 503 unavailable with
// Retry-After, and the panel shows each as queued and retrying (never as
// failed or lost, the text never handed back as unsent), keeps them in its
// outbox and comes back after Retry-After. When the database returns, each is
// delivered exactly once.
func TestWidgetQueuesWhileDatabaseAway(t *testing.T) {
	proxy, dbURL := dbproxy.For(t, storetest.FreshPostgres(t))
	e := wStartWith(t, testserver.Options{Store: &store.Options{DatabaseURL: dbURL}, Configure: noLimits}, 150*time.Second)
	c := e.wFileOnDesktop("My parcel tracking stopped updating.")

	proxy.Cut(dbproxy.Refuse)
	reply := "Database away: please leave it with the neighbour at number 7."
	e.wType("#holler-reply", reply)
	e.wClick("send the reply", wJS(".reply-send"))
	busy := `/Queued – we’ll retry in 5 s/`
	e.wWait("the reply shows as queued, retrying after Retry-After",
		`__w.thread().some(m => m.author === 'visitor' && m.state === 'queued' && m.text === `+wQ(reply)+`) &&
		 __w.qa('.thread li.msg[data-state=queued] .meta').some(el => `+busy+`.test(el.textContent))`)
	e.wWait("the live region says it is queued", busy+`.test(__w.q('[aria-live=polite]').textContent)`)
	outbox := `JSON.parse(localStorage.getItem('holler:' + document.querySelector('script[data-site]').dataset.site + ':outbox') || '[]')`
	if !wEval[bool](e, outbox+`.some(j => j.body.body === `+wQ(reply)+` && j.e === 'server' && j.ra === 5)`) {
		t.Errorf("the reply is not kept in the outbox to retry after Retry-After: %s", wEval[string](e, `JSON.stringify(`+outbox+`)`))
	}
	if v := wEval[string](e, `__w.q('#holler-reply').value`); v != "" {
		t.Errorf("the reply was handed back as unsent: %q", v)
	}

	// A new question while the database is away: queued in its own view.
	e.wClick("back to the list", wJS(".back"))
	question := "Database away: do you ship to Norway?"
	e.wType("#holler-message", question)
	e.wClick("send the question", wJS(".send"))
	e.wWait("the question shows as queued, retrying",
		`__w.vis('.chat') && __w.q('.status').dataset.status === 'queued' &&
		 __w.thread().some(m => m.state === 'queued' && m.text === `+wQ(question)+`) &&
		 __w.qa('.thread li.msg[data-state=queued] .meta').some(el => `+busy+`.test(el.textContent))`)
	if wEval[bool](e, `__w.qa('.ferr, .err').some(el => __w.visEl(el) && el.textContent.trim() !== '')`) {
		t.Errorf("an error is shown for a queued message:\n%s", e.wState())
	}
	// It keeps retrying (each try answered 503) and stays queued.
	e.wWait("a second try is answered 503 too and stays queued", outbox+`.some(j => j.body.message === `+wQ(question)+` && j.n >= 2 && j.e === 'server')`)

	proxy.Restore()
	// Retries come every Retry-After (5 s); the bound is for a loaded machine.
	if err := e.wWaitErr(45*time.Second, `!Object.keys(localStorage).some(k => k.endsWith(':outbox'))`); err != nil {
		t.Fatalf("the outbox does not empty once the database is back: %v\n%s", err, e.wState())
	}
	// Nothing is left to retry, so these counts are final.
	if n := e.wCount(c.ID, reply); n != 1 {
		t.Errorf("the reply is on the server %d times, want once", n)
	}
	var asked []string
	for _, cv := range e.wConvs() {
		if _, msgs := e.wThread(cv.ID); len(msgs) > 0 && msgs[0].Body == question {
			asked = append(asked, cv.Ref)
		}
	}
	if len(asked) != 1 {
		t.Errorf("the question was filed %d times (%v), want once", len(asked), asked)
	}
	e.wWait("the widget shows the question sent, with its reference",
		`__w.vis('.chat') && /^\S{3}-\S{3}$/.test(__w.q('.ref-code').textContent) && __w.thread().some(m => m.text === `+wQ(question)+` && m.state === '')`)
	if len(asked) == 1 {
		if ref := wEval[string](e, `__w.q('.ref-code').textContent`); ref != asked[0] {
			t.Errorf("the widget shows %s, the server filed %s", ref, asked[0])
		}
	}
	e.wClick("back to the list", wJS(".back"))
	e.wClick("open the first conversation", wJS(fmt.Sprintf(".conv[data-id=%q]", c.ID)))
	e.wWait("the reply shows sent, once", `__w.thread().filter(m => m.text === `+wQ(reply)+`).length === 1 && __w.thread().some(m => m.text === `+wQ(reply)+` && m.state === '')`)
	e.wClean()
}
