package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"holler/server/internal/config"
	"holler/server/internal/mailtest"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestWidgetSeenReplyIsNotMailed: a staff reply the customer reads in the
// open widget is reported seen and never mailed; once the customer closed
// the panel, the next reply reaches them by mail (and only that one). Real
// browser, real SMTP server, both stores.
func TestWidgetSeenReplyIsNotMailed(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			smtp := mailtest.Start(t)
			e := wStartWith(t, testserver.Options{Dialect: dialect, Configure: func(c *config.Config) {
				c.RateLimit = false
				c.SMTPURL, c.MailFrom = smtp.URL(), "Shop Help <help@shop.example>"
			}}, 150*time.Second)
			// Long enough for the widget to show the reply and say so first.
			if r := e.s.Do(t, "PATCH", "/api/v1/sites/"+e.s.DemoSite, e.admin, map[string]any{"reply_email_delay_seconds": 15}); r.Status != http.StatusOK {
				t.Fatalf("delay: %d %s", r.Status, r.Body)
			}
			e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
			e.wLoad()
			e.wOpenPanel()
			e.wPickKind("complaint")
			e.wType("#holler-message", wComplaint)
			e.wType("#holler-email", wEmail)
			e.wClick("send", wJS(".send"))
			c := e.wByRef(e.wWaitRef())
			if c == nil {
				t.Fatal("staff do not see the complaint")
			}
			e.wStaffReply(c.ID, "Read live in the widget.")
			e.wWait("the answer shows in the open panel", `__w.thread().some(m => m.author === 'staff' && m.text === 'Read live in the widget.')`)

			// The witness: a conversation answered later, with the same delay;
			// the worker sends in due order, so when its mail is here the
			// widget customer's row has been decided.
			w := dVisitorFiles(t, e.s, e.s.DemoKey, "question", "?", "", "witness@customer.example")
			e.wStaffReply(w.ID, "Witness answer")
			smtp.WaitTo(t, "witness@customer.example", 1)
			if n := len(smtp.To(wEmail)); n != 0 {
				t.Fatalf("a reply the widget showed was mailed (%d mails)", n)
			}

			// The customer leaves: the next reply is mailed, alone.
			e.wDo("Escape", chromedp.KeyEvent(kb.Escape))
			e.wWait("the panel closes", `__w.q('#holler-panel').hidden`)
			e.wStaffReply(c.ID, "Mailed because unseen.")
			m := smtp.WaitTo(t, wEmail, 1)[0]
			text, err := m.Part("text/plain")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, "Mailed because unseen.") || strings.Contains(text, "Read live in the widget.") {
				t.Errorf("mail text:\n%s", text)
			}
		})
	}
}
