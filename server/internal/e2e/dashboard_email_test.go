package e2e_test

import (
	"net/smtp"
	"testing"

	"holler/server/internal/browsertest"
	"holler/server/internal/config"
	"holler/server/internal/testserver"
)

// TestDashboardEmailReplyLive: a customer's email reply, delivered to the
// inbound SMTP listener by a real SMTP client, appears live in the thread
// open on the dashboard, marked as having come by email.
func TestDashboardEmailReplyLive(t *testing.T) {
	browser := browsertest.Browser(t)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: func(c *config.Config) {
		c.RateLimit = false
		c.MailFrom = "Shop Help <help@shop.test>"
		c.SMTPListen = "127.0.0.1:0"
	}})
	c := dVisitorFiles(t, s, s.DemoKey, "complaint", "The parcel never arrived.", "Ann Customer", "ann@example.com")
	ctx := dBound(t, browser)
	dLogin(t, ctx, s.URL+"/", s.Admin, testserver.Password)
	dPoll(t, ctx, dWaitBound, "the conversation is listed",
		`document.querySelector(`+dQuote(dItemSel(c.ID))+`) !== null`, `document.getElementById('inbox').textContent`)
	dOpenConversation(t, ctx, c.ID)

	const reply = "Still nothing here. Order 48213."
	to := s.ReplyAddress(t, c.ID)
	if err := smtp.SendMail(s.SMTPAddr, nil, "ann@example.com", []string{to}, testserver.ReplyMail(to, "live-1@example.com", reply)); err != nil {
		t.Fatalf("send the reply: %v", err)
	}
	dPoll(t, ctx, dWaitBound, "the email reply shows in the open thread with its badge",
		`[...document.querySelectorAll('#thread .msg')].some(m => m.querySelector('.msg-body')?.textContent === `+dQuote(reply)+
			` && m.dataset.author === 'visitor' && m.querySelector('.via-label')?.textContent === 'by email')`,
		`document.getElementById('thread').innerText`)
	if n := dMsgCount(t, ctx, "The parcel never arrived."); n != 1 {
		t.Errorf("the first message shows %d times", n)
	}
	if n := dCount(t, ctx, "#thread .via-label"); n != 1 {
		t.Errorf("%d messages carry the email badge, want only the emailed one", n)
	}
}
