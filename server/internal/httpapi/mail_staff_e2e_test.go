package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"holler/server/internal/mailtest"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestMailStaffNotifications: a new conversation is mailed to each staff
// member who asked for "each" and is not on the dashboard; one who chose
// "none" and one with a staff socket open get nothing; a customer reply on a
// conversation assigned to someone away is mailed to them, unless they
// turned assigned replies off. Staff mail carries Auto-Submitted and
// List-Unsubscribe and threads with the conversation. Both stores.
func TestMailStaffNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		smtp := mailtest.Start(t)
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: withMail(smtp)})
		admin := s.AdminToken(t)
		quietAdmin(t, s, admin)
		eachID := createAgent(t, s, admin, "each@staff.example", "each")
		createAgent(t, s, admin, "none@staff.example", "none")
		createAgent(t, s, admin, "online@staff.example", "each")
		quietID := createAgent(t, s, admin, "quiet@staff.example", "none")
		if r := s.Do(t, "PATCH", "/api/v1/users/"+quietID, s.Login(t, "quiet@staff.example", testserver.Password),
			map[string]any{"notifications": map[string]any{"assigned_replies": false}}); r.Status != http.StatusOK {
			t.Fatalf("a user changes their own notifications: %d %s", r.Status, r.Body)
		}
		// "online" watches the dashboard: a real staff socket.
		ws := dialStaff(t, s, s.Login(t, "online@staff.example", testserver.Password), nil)
		defer ws.Close()

		c := customerComplaint(t, s, "kim@customer.example", "The blender broke after a day.")
		got := smtp.WaitTo(t, "each@staff.example", 1)
		m := got[0]
		if !strings.Contains(m.Subject(), c.Ref) {
			t.Errorf("subject %q lacks %s", m.Subject(), c.Ref)
		}
		text, err := m.Part("text/plain")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "The blender broke after a day.") || !strings.Contains(text, s.Config.PublicURL+"/#/inbox/"+c.ID) {
			t.Errorf("staff mail lacks the message or the dashboard link:\n%s", text)
		}
		if m.Header.Get("Auto-Submitted") != "auto-generated" || m.Header.Get("List-Unsubscribe") != "<"+s.Config.PublicURL+"/#/team>" {
			t.Errorf("Auto-Submitted %q List-Unsubscribe %q", m.Header.Get("Auto-Submitted"), m.Header.Get("List-Unsubscribe"))
		}
		if m.Header.Get("References") != "<conv-"+c.ID+"@shop.example>" {
			t.Errorf("References %q", m.Header.Get("References"))
		}

		// Assigned to "each" (away): the customer's next message reaches them.
		assign := func(id string) {
			if r := s.Do(t, "PATCH", "/api/v1/conversations/"+c.ID, admin, map[string]any{"assignee_id": id}); r.Status != http.StatusOK {
				t.Fatalf("assign: %d %s", r.Status, r.Body)
			}
		}
		visitorSays := func(body string) {
			r := s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations/"+c.ID+"/messages", c.VisitorToken, map[string]string{"body": body})
			if r.Status != http.StatusCreated {
				t.Fatalf("visitor reply: %d %s", r.Status, r.Body)
			}
		}
		assign(quietID)
		visitorSays("Hello? (to quiet)")
		assign(eachID)
		visitorSays("Still waiting. (to each)")
		got = smtp.WaitTo(t, "each@staff.example", 2)
		text, _ = got[1].Part("text/plain")
		if !strings.Contains(text, "Still waiting. (to each)") || !strings.HasPrefix(got[1].Subject(), "Re: ") {
			t.Errorf("assigned reply mail: subject %q\n%s", got[1].Subject(), text)
		}
		// The rows for quiet, none and online were due before the witness
		// above (or never written): nothing may have reached them.
		for _, addr := range []string{"none@staff.example", "online@staff.example", "quiet@staff.example", "admin@example.com"} {
			if n := len(smtp.To(addr)); n != 0 {
				t.Errorf("%s got %d mails, want none", addr, n)
			}
		}
	})
}

// TestMailStaffDigest: a staff member on "digest" gets one mail listing the
// conversations that arrived while they were away, after their digest
// period, instead of one mail each. Both stores, in parallel (the shortest
// period is a minute).
func TestMailStaffDigest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		t.Parallel()
		smtp := mailtest.Start(t)
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: withMail(smtp)})
		admin := s.AdminToken(t)
		quietAdmin(t, s, admin)
		id := createAgent(t, s, admin, "digest@staff.example", "digest")
		if r := s.Do(t, "PATCH", "/api/v1/users/"+id, admin, map[string]any{"notifications": map[string]any{"digest_minutes": 1}}); r.Status != http.StatusOK {
			t.Fatalf("digest minutes: %d %s", r.Status, r.Body)
		}
		a := customerComplaint(t, s, "a@customer.example", "First problem")
		b := customerComplaint(t, s, "b@customer.example", "Second problem")
		got := smtp.WaitTo(t, "digest@staff.example", 1)
		text, err := got[0].Part("text/plain")
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{a.Ref, b.Ref} {
			if !strings.Contains(text, ref) {
				t.Errorf("digest lacks %s:\n%s", ref, text)
			}
		}
		if !strings.Contains(got[0].Subject(), "2 new conversations") || got[0].Header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("digest subject %q, Auto-Submitted %q", got[0].Subject(), got[0].Header.Get("Auto-Submitted"))
		}
		// A witness after the digest's due time: a mail to the customer.
		setReplyDelay(t, s, admin, 0)
		staffSays(t, s, admin, b.ID, "On it.", false)
		smtp.WaitTo(t, "b@customer.example", 1)
		if n := len(smtp.To("digest@staff.example")); n != 1 {
			t.Errorf("%d digests, want 1", n)
		}
	})
}

// TestMailNotificationSettings: the settings are validated, shown on /me,
// and only the user and admins change them.
func TestMailNotificationSettings(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: withMail(nil)})
	admin := s.AdminToken(t)
	id := createAgent(t, s, admin, "agent@staff.example", "each")
	other := createAgent(t, s, admin, "other@staff.example", "each")
	agent := s.Login(t, "agent@staff.example", testserver.Password)
	var me struct {
		User struct {
			Notifications struct {
				NewConversations string `json:"new_conversations"`
				DigestMinutes    int    `json:"digest_minutes"`
				AssignedReplies  bool   `json:"assigned_replies"`
			} `json:"notifications"`
		} `json:"user"`
	}
	s.Do(t, "GET", "/api/v1/me", agent, nil).JSON(t, &me)
	if n := me.User.Notifications; n.NewConversations != "each" || n.DigestMinutes != 60 || !n.AssignedReplies {
		t.Errorf("defaults %+v", n)
	}
	for body, field := range map[string]string{
		`{"notifications":{"new_conversations":"sometimes"}}`: "notifications.new_conversations",
		`{"notifications":{"digest_minutes":0}}`:              "notifications.digest_minutes",
		`{"notifications":{"digest_minutes":1441}}`:           "notifications.digest_minutes",
	} {
		e := wantError(t, s.Do(t, "PATCH", "/api/v1/users/"+id, agent, body), http.StatusUnprocessableEntity, "validation_failed")
		if e.Error.Fields[field] == "" {
			t.Errorf("%s: fields %v lack %s", body, e.Error.Fields, field)
		}
	}
	r := s.Do(t, "PATCH", "/api/v1/users/"+id, agent, `{"notifications":{"new_conversations":"digest","digest_minutes":30}}`)
	if r.Status != http.StatusOK {
		t.Fatalf("own settings: %d %s", r.Status, r.Body)
	}
	s.Do(t, "GET", "/api/v1/me", agent, nil).JSON(t, &me)
	if n := me.User.Notifications; n.NewConversations != "digest" || n.DigestMinutes != 30 || !n.AssignedReplies {
		t.Errorf("after patch %+v", n)
	}
	if r := s.Do(t, "PATCH", "/api/v1/users/"+other, agent, `{"notifications":{"new_conversations":"none"}}`); r.Status != http.StatusNotFound {
		t.Errorf("an agent changed a colleague's settings: %d", r.Status)
	}
}
