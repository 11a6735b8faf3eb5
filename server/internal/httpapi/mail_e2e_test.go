package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"holler/server/internal/mailtest"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestMailCustomerReply: a staff reply the widget has not shown reaches the
// customer as exactly one multipart mail after the site's delay, with a
// reply+TOKEN address and a /c/TOKEN link whose token the server signed for
// that conversation, and threading headers. Two replies inside the delay
// make one mail; a reply the widget reported seen and an internal note make
// none. Both stores.
func TestMailCustomerReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		smtp := mailtest.Start(t)
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: withMail(smtp)})
		admin := s.AdminToken(t)
		quietAdmin(t, s, admin)
		// Long enough for the two quick replies and the seen report below
		// to land inside it on a loaded machine.
		setReplyDelay(t, s, admin, 4)

		a := customerComplaint(t, s, "anna@customer.example", "My parcel never came.")
		staffSays(t, s, admin, a.ID, "Sorry! We are looking into it.", false)
		staffSays(t, s, admin, a.ID, "Found it: it ships today.", false)

		b := customerComplaint(t, s, "ben@customer.example", "Wrong size.")
		staffSays(t, s, admin, b.ID, "Check with the warehouse first.", true)

		c := customerComplaint(t, s, "cleo@customer.example", "Where is my refund?")
		seenID := staffSays(t, s, admin, c.ID, "Refunded this morning.", false)
		r := s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations/"+c.ID+"/seen", c.VisitorToken, map[string]string{"message_id": seenID})
		if r.Status != http.StatusNoContent {
			t.Fatalf("seen: %d %s", r.Status, r.Body)
		}

		// The witness: D's mail is due after every row above, and the
		// worker sends in due order, so once it is here the others are done.
		d := customerComplaint(t, s, "dora@customer.example", "Thanks in advance.")
		staffSays(t, s, admin, d.ID, "You're welcome.", false)
		smtp.WaitTo(t, "dora@customer.example", 1)

		if n := len(smtp.To("ben@customer.example")); n != 0 {
			t.Errorf("an internal note was mailed (%d mails)", n)
		}
		if n := len(smtp.To("cleo@customer.example")); n != 0 {
			t.Errorf("a reply the widget showed was mailed (%d mails)", n)
		}
		got := smtp.To("anna@customer.example")
		if len(got) != 1 {
			t.Fatalf("%d mails for two replies inside the delay, want 1", len(got))
		}
		m := got[0]
		text, err := m.Part("text/plain")
		if err != nil {
			t.Fatal(err)
		}
		html, err := m.Part("text/html")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Sorry! We are looking into it.", "Found it: it ships today."} {
			if !strings.Contains(text, want) || !strings.Contains(html, want) {
				t.Errorf("mail lacks %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "My parcel never came") {
			t.Errorf("mail repeats the customer's own message")
		}
		rt := replyToRe.FindStringSubmatch(m.Header.Get("Reply-To"))
		if rt == nil {
			t.Fatalf("Reply-To %q, want <reply+TOKEN@shop.example>", m.Header.Get("Reply-To"))
		}
		conv, err := signerOf(t, s).ParseConversationToken(rt[1])
		if err != nil || conv != a.ID {
			t.Errorf("reply token names %q (%v), want conversation %s", conv, err, a.ID)
		}
		link := s.Config.PublicURL + "/c/" + rt[1]
		if !strings.Contains(text, link) || !strings.Contains(html, `href="`+link+`"`) {
			t.Errorf("mail lacks the conversation link %s:\n%s", link, text)
		}
		root := "<conv-" + a.ID + "@shop.example>"
		if m.Header.Get("In-Reply-To") != root || m.Header.Get("References") != root {
			t.Errorf("threading: In-Reply-To %q References %q, want %s", m.Header.Get("In-Reply-To"), m.Header.Get("References"), root)
		}
		if id := m.Header.Get("Message-ID"); !strings.HasSuffix(id, "@shop.example>") || !strings.HasPrefix(id, "<") {
			t.Errorf("Message-ID %q", id)
		}
		if m.Header.Get("Date") == "" || !strings.Contains(m.Header.Get("From"), "help@shop.example") || m.From != "help@shop.example" {
			t.Errorf("Date %q From %q envelope %q", m.Header.Get("Date"), m.Header.Get("From"), m.From)
		}
		if !strings.Contains(m.Subject(), a.Ref) {
			t.Errorf("subject %q lacks the reference %s", m.Subject(), a.Ref)
		}
		if m.Header.Get("Auto-Submitted") != "" || m.Header.Get("List-Unsubscribe") != "" {
			t.Errorf("a customer's answer is marked as bulk/automatic mail")
		}
		// The other conversation's mail threads on its own root.
		dm := smtp.To("dora@customer.example")[0]
		if dm.Header.Get("References") == root || dm.Header.Get("Message-ID") == m.Header.Get("Message-ID") {
			t.Error("two conversations share threading headers")
		}
		// The token a mail carries grants that conversation only, no site or staff access.
		if r := s.Do(t, "GET", "/api/v1/conversations", rt[1], nil); r.Status != http.StatusUnauthorized {
			t.Errorf("conversation token on a staff route: %d", r.Status)
		}
	})
}

// TestMailSeenScope: the seen report is the visitor's own business: another
// visitor's conversation, a message of another conversation and an internal
// note all answer 404, and a bad body 422.
func TestMailSeenScope(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: withMail(nil)})
	admin := s.AdminToken(t)
	a := customerComplaint(t, s, "a@customer.example", "one")
	b := customerComplaint(t, s, "b@customer.example", "two")
	note := staffSays(t, s, admin, a.ID, "note", true)
	reply := staffSays(t, s, admin, a.ID, "reply", false)
	path := func(id string) string { return "/api/v1/widget/" + s.DemoKey + "/conversations/" + id + "/seen" }
	cases := []struct {
		name, token, conv, msg string
		status                 int
	}{
		{"own reply", a.VisitorToken, a.ID, reply, http.StatusNoContent},
		{"another visitor's conversation", b.VisitorToken, a.ID, reply, http.StatusNotFound},
		{"message of another conversation", b.VisitorToken, b.ID, reply, http.StatusNotFound},
		{"internal note", a.VisitorToken, a.ID, note, http.StatusNotFound},
		{"no message id", a.VisitorToken, a.ID, "", http.StatusUnprocessableEntity},
		{"no token", "", a.ID, reply, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		r := s.Do(t, "POST", path(tc.conv), tc.token, map[string]string{"message_id": tc.msg})
		if r.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
		}
	}
}

// TestSiteReplyEmailDelay: reply_email_delay_seconds defaults to 120 on the
// demo site and on new sites, takes 0..86400, and refuses the rest with 422.
func TestSiteReplyEmailDelay(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: withMail(nil)})
	admin := s.AdminToken(t)
	var out struct {
		Site struct {
			ID    string `json:"id"`
			Delay *int   `json:"reply_email_delay_seconds"`
		} `json:"site"`
	}
	s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite, admin, nil).JSON(t, &out)
	if out.Site.Delay == nil || *out.Site.Delay != 120 {
		t.Errorf("demo site delay %v, want 120", out.Site.Delay)
	}
	r := s.Do(t, "POST", "/api/v1/sites", admin, map[string]any{"name": "Second"})
	r.JSON(t, &out)
	if r.Status != http.StatusCreated || out.Site.Delay == nil || *out.Site.Delay != 120 {
		t.Errorf("new site: %d %s", r.Status, r.Body)
	}
	for _, bad := range []int{-1, 86401} {
		e := wantError(t, s.Do(t, "PATCH", "/api/v1/sites/"+out.Site.ID, admin, map[string]any{"reply_email_delay_seconds": bad}),
			http.StatusUnprocessableEntity, "validation_failed")
		if e.Error.Fields["reply_email_delay_seconds"] == "" {
			t.Errorf("%d: fields %v", bad, e.Error.Fields)
		}
	}
	for _, good := range []int{0, 86400} {
		r := s.Do(t, "PATCH", "/api/v1/sites/"+out.Site.ID, admin, map[string]any{"reply_email_delay_seconds": good})
		r.JSON(t, &out)
		if r.Status != http.StatusOK || *out.Site.Delay != good {
			t.Errorf("%d: %d %s", good, r.Status, r.Body)
		}
	}
}
