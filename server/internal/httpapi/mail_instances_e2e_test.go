package httpapi_test

import (
	"fmt"
	"testing"

	"holler/server/internal/mailtest"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestMailTwoInstances: two servers on one PostgreSQL database share the
// outbox; both workers run, and every mail is sent once.
func TestMailTwoInstances(t *testing.T) {
	smtp := mailtest.Start(t)
	db := store.Options{DatabaseURL: storetest.FreshPostgres(t)}
	s1 := testserver.Start(t, testserver.Options{Store: &db, Configure: withMail(smtp)})
	s2 := testserver.Start(t, testserver.Options{Store: &db, Configure: withMail(smtp)})
	admin1, admin2 := s1.AdminToken(t), s2.AdminToken(t)
	quietAdmin(t, s1, admin1)
	setReplyDelay(t, s1, admin1, 0)

	const n = 16
	var addrs []string
	for i := range n {
		s, tok := s1, admin1
		if i%2 == 1 {
			s, tok = s2, admin2
		}
		addr := fmt.Sprintf("c%d@customer.example", i)
		c := customerComplaint(t, s, addr, "question")
		staffSays(t, s, tok, c.ID, "answer", false)
		addrs = append(addrs, addr)
	}
	for _, a := range addrs {
		smtp.WaitTo(t, a, 1)
	}
	w := customerComplaint(t, s2, "witness@customer.example", "last")
	staffSays(t, s2, admin2, w.ID, "last answer", false)
	smtp.WaitTo(t, "witness@customer.example", 1)
	all := smtp.Messages()
	for id, k := range smtp.CountByMessageID() {
		if k != 1 {
			t.Errorf("Message-ID %s arrived %d times", id, k)
		}
	}
	if len(all) != n+1 {
		t.Errorf("%d mails, want %d", len(all), n+1)
	}
}

// TestMailQueuedWithoutSMTP: without HOLLER_SMTP_URL a reply's mail is
// queued, not sent, and the mail status says email is not configured; a
// restart with a mail server sends it.
func TestMailQueuedWithoutSMTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		smtp := mailtest.Start(t)
		db := storetest.Options(t, dialect)
		s := testserver.Start(t, testserver.Options{Store: &db, Configure: withMail(nil)})
		admin := s.AdminToken(t)
		quietAdmin(t, s, admin)
		setReplyDelay(t, s, admin, 0)
		c := customerComplaint(t, s, "queued@customer.example", "anyone there?")
		staffSays(t, s, admin, c.ID, "yes, we are", false)

		st := mailStatus(t, s, admin)
		if st.Configured || st.Queued != 1 {
			t.Errorf("mail status %+v, want not configured with 1 queued", st)
		}
		// Agents learn that mail is off too, but not what waits for whom.
		createAgent(t, s, admin, "agent@example.com", "each")
		if st := mailStatus(t, s, s.Login(t, "agent@example.com", testserver.Password)); st.Configured || st.Queued != 0 || len(st.Recent) != 0 {
			t.Errorf("agent's mail status %+v", st)
		}
		s.Stop(t)

		s2 := testserver.Start(t, testserver.Options{Store: &db, Configure: withMail(smtp)})
		got := smtp.WaitTo(t, "queued@customer.example", 1)
		if len(got) != 1 {
			t.Errorf("%d mails, want 1", len(got))
		}
		if st := mailStatus(t, s2, s2.AdminToken(t)); !st.Configured {
			t.Errorf("mail status %+v after restart with a mail server", st)
		}
	})
}
