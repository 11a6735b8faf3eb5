package e2e_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"holler/server/internal/config"
	"holler/server/internal/mailtest"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// mLinkRE finds the conversation page link in a mail's text part: the
// token is 52 lower-case base32 characters (auth.ConversationToken).
var mLinkRE = regexp.MustCompile(`https?://\S+/c/([a-z2-7]{52})\b`)

// TestMailLinkToConversationPage is the customer's whole round trip by
// email, with nothing staged: the complaint is filed and closed, the staff
// reply arrives as a real mail over SMTP, the link in that mail opens the
// conversation page in a real browser, the customer answers there, and then
// answers the mail itself through the built-in SMTP listener: that answer
// appears live on the open page. Both stores.
func TestMailLinkToConversationPage(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			smtpd := mailtest.Start(t)
			e := wStartWith(t, testserver.Options{Dialect: dialect, Configure: func(c *config.Config) {
				c.RateLimit = false
				c.SMTPURL, c.MailFrom = smtpd.URL(), "Shop Help <help@shop.example>"
				c.SMTPListen = "127.0.0.1:0"
			}}, 150*time.Second)
			e.wDo("desktop viewport", chromedp.EmulateViewport(1280, 900))
			if r := e.s.Do(t, "PATCH", "/api/v1/sites/"+e.s.DemoSite, e.admin, map[string]any{"reply_email_delay_seconds": 0}); r.Status != http.StatusOK {
				t.Fatalf("delay: %d %s", r.Status, r.Body)
			}

			// The complaint is filed and answered while the customer is
			// away; the answer is mailed (the link itself is under test, so
			// the test does not mint one).
			c, _ := e.pLink()
			m := smtpd.WaitTo(t, "mia@example.com", 1)[0]
			text, err := m.Part("text/plain")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, pAnswer) || strings.Contains(text, "warehouse") {
				t.Fatalf("the mail does not carry the answer alone:\n%s", text)
			}
			link := mLinkRE.FindStringSubmatch(text)
			if link == nil || !strings.HasPrefix(link[0], e.s.URL+"/c/") {
				t.Fatalf("no conversation link to %s in the mail:\n%s", e.s.URL, text)
			}
			replyAddr := "reply+" + link[1] + "@shop.example"
			if got := m.Header.Get("Reply-To"); !strings.Contains(got, replyAddr) {
				t.Fatalf("Reply-To %q, want %s (the link's token)", got, replyAddr)
			}

			e.pOpen(c, link[0])
			e.pAnswerFromPage(c, wEnter())

			// The customer answers the mail too, from their mail client.
			const byMail = "Also: the box was open when it came."
			raw := testserver.ReplyMail(replyAddr, "answer-1@mail.example", byMail)
			if err := testserver.SendSMTP(e.s.SMTPAddr, []string{replyAddr}, raw); err != nil {
				t.Fatalf("send the mail answer to the listener: %v", err)
			}
			e.wWait("the mailed answer appears live on the page", `__w.thread().some(m => m.author === 'visitor' && m.text === `+wQ(byMail)+`)`)
			if n := e.wCount(c.ID, byMail); n != 1 {
				t.Fatalf("staff see the mailed answer %d times", n)
			}
			e.wClean()
		})
	}
}
