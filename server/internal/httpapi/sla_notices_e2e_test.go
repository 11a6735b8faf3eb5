package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/mailtest"
	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// slaNoticeAndUpdate reads frames until the live notice of type typ about
// conversation id and its conversation.updated event with SLA state state
// both arrived (stored events and live notices take different paths, so
// their order is not fixed), and returns the notice.
func slaNoticeAndUpdate(t *testing.T, ws *websocket.Conn, id, typ, state string) socketFrame {
	t.Helper()
	var notice *socketFrame
	updated := false
	for notice == nil || !updated {
		f := readFrame(t, ws)
		switch {
		case f.ConversationID != id:
		case f.Type == typ && notice == nil:
			notice = &f
		case f.Type == model.EventConversationUpdated && slaFrameState(t, f) == state:
			updated = true
		}
	}
	return *notice
}

// slaFrameState is the sla state a conversation.updated frame carries.
func slaFrameState(t *testing.T, f socketFrame) string {
	t.Helper()
	return slaDecode[struct {
		Conversation struct {
			SLA slaView `json:"sla"`
		} `json:"conversation"`
	}](t, f.Data).Conversation.SLA.State
}

// slaUpdates replays the Demo site's log from the start on a new staff
// socket and counts, per conversation, the conversation.updated events by
// SLA state, up to the event in which conversation last reached state
// lastState (the log is ordered: everything before it has arrived).
func slaUpdates(t *testing.T, s *testserver.Server, token, last, lastState string) map[string]map[string]int {
	t.Helper()
	ws, _, err := s.DialSocket("/api/v1/ws", token, model.Cursor{s.DemoSite: 0}.Encode(), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.Close()
	counts := map[string]map[string]int{}
	for {
		f := readFrame(t, ws)
		if f.Type != model.EventConversationUpdated {
			continue
		}
		state := slaFrameState(t, f)
		if counts[f.ConversationID] == nil {
			counts[f.ConversationID] = map[string]int{}
		}
		counts[f.ConversationID][state]++
		if f.ConversationID == last && state == lastState {
			return counts
		}
	}
}

// slaRefsIn counts the escalation mails per conversation ref in subjects.
func slaRefsIn(msgs []mailtest.Received, refs ...string) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		for _, ref := range refs {
			if strings.HasSuffix(m.Subject(), " "+ref) {
				out[ref]++
			}
		}
	}
	return out
}

// TestSLAWarningAndEscalation: when 80 % of a first-response target is
// used, the assignee gets a live warning (on the dashboard only); when it
// passes, the assignee and the admins get a live escalation and a mail
// (in the site's language). Both come with a conversation.updated event
// carrying the new state. Another agent of the site sees the notices
// arrive but is not named in them.
func TestSLAWarningAndEscalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		smtp := mailtest.Start(t)
		clock := testserver.NewClock(slaFriday)
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: slaConfig(clock, withMail(smtp))})
		admin := s.AdminToken(t)
		quietAdmin(t, s, admin)
		var me struct{ User struct{ ID string } }
		s.Do(t, "GET", "/api/v1/me", admin, nil).JSON(t, &me)
		if r := s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]any{"locale": "de"}); r.Status != http.StatusOK {
			t.Fatalf("locale: %d %s", r.Status, r.Body)
		}
		slaPut(t, s, admin, `{"targets": {"complaint": {"first_response_minutes": 10}}}`)
		assignee := createAgent(t, s, admin, "assignee@example.com", "none")
		createAgent(t, s, admin, "watcher@example.com", "none")
		ws := dialStaff(t, s, s.Login(t, "watcher@example.com", testserver.Password), nil)
		defer ws.Close()

		c := customerComplaint(t, s, "kunde@customer.example", "Wo bleibt mein Paket?")
		if r := s.Do(t, "PATCH", "/api/v1/conversations/"+c.ID, admin, map[string]any{"assignee_id": assignee}); r.Status != http.StatusOK {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}

		clock.Advance(9 * time.Minute)
		w := slaDecode[slaNoticeFrame](t, slaNoticeAndUpdate(t, ws, c.ID, model.EventSLAWarning, "warning").Data)
		if w.Target != "first_response" || w.State != "warning" || w.Ref != c.Ref || !slices.Equal(w.UserIDs, []string{assignee}) {
			t.Errorf("warning notice %+v, want the assignee's first-response warning", w)
		}

		clock.Advance(2 * time.Minute)
		e := slaDecode[slaNoticeFrame](t, slaNoticeAndUpdate(t, ws, c.ID, model.EventSLAEscalation, "breached").Data)
		slices.Sort(e.UserIDs)
		want := []string{assignee, me.User.ID}
		slices.Sort(want)
		if e.Target != "first_response" || e.State != "breached" || !slices.Equal(e.UserIDs, want) {
			t.Errorf("escalation notice %+v, want the assignee and the admin, %v", e, want)
		}

		// One mail each, sent after the warning's time: the warning mailed no one.
		for _, to := range []string{"assignee@example.com", s.Admin} {
			mails := smtp.WaitTo(t, to, 1)
			if len(mails) != 1 {
				t.Fatalf("%d mails to %s, want 1", len(mails), to)
			}
			m := mails[0]
			if subj := m.Subject(); subj != "[Demo] Überfällig: Beschwerde "+c.Ref {
				t.Errorf("subject %q", subj)
			}
			text, err := m.Part("text/plain")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"die erste Antwort war bis 2026-03-27 16:10 (UTC) fällig", "Wo bleibt mein Paket?", "/#/inbox/" + c.ID} {
				if !strings.Contains(text, want) {
					t.Errorf("mail to %s lacks %q:\n%s", to, want, text)
				}
			}
		}
		if n := len(smtp.To("watcher@example.com")); n != 0 {
			t.Errorf("%d mails to an agent who is neither assignee nor admin", n)
		}
	})
}

// TestSLANoticesTwoInstances: two servers on one PostgreSQL database run
// the scheduler side by side; every conversation's warning and escalation
// is sent once (one event each, one mail to the admin each), whichever
// instance took it.
func TestSLANoticesTwoInstances(t *testing.T) {
	smtp := mailtest.Start(t)
	clock := testserver.NewClock(slaFriday)
	db := store.Options{DatabaseURL: storetest.FreshPostgres(t)}
	s1 := testserver.Start(t, testserver.Options{Store: &db, Configure: slaConfig(clock, withMail(smtp))})
	s2 := testserver.Start(t, testserver.Options{Store: &db, Configure: slaConfig(clock, withMail(smtp))})
	admin1, admin2 := s1.AdminToken(t), s2.AdminToken(t)
	quietAdmin(t, s1, admin1)
	slaPut(t, s1, admin1, `{"targets": {"complaint": {"first_response_minutes": 10}}}`)

	const n = 12
	var refs, ids []string
	for i := range n {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		c := slaFile(t, s, "complaint", fmt.Sprintf("complaint %d", i))
		refs, ids = append(refs, c.Ref), append(ids, c.ID)
	}
	clock.Advance(9 * time.Minute)
	for _, id := range ids {
		slaWaitState(t, s2, admin2, id, "warning")
	}
	clock.Advance(2 * time.Minute)
	smtp.WaitTo(t, s1.Admin, n)
	// A later witness: filed now, due 10 minutes on; the clock jumps past
	// its warning and due time at once, so only its escalation goes out.
	w := slaFile(t, s2, "complaint", "witness")
	clock.Advance(11 * time.Minute)
	mails := smtp.WaitTo(t, s1.Admin, n+1)
	if len(mails) != n+1 {
		t.Errorf("%d escalation mails, want %d", len(mails), n+1)
	}
	for ref, k := range slaRefsIn(mails, append(refs, w.Ref)...) {
		if k != 1 {
			t.Errorf("%s escalated by mail %d times", ref, k)
		}
	}
	counts := slaUpdates(t, s1, admin1, w.ID, "breached")
	for _, id := range ids {
		if counts[id]["warning"] != 1 || counts[id]["breached"] != 1 {
			t.Errorf("conversation %s: updates by state %v, want one warning and one breach", id, counts[id])
		}
	}
	if counts[w.ID]["warning"] != 0 || counts[w.ID]["breached"] != 1 {
		t.Errorf("witness: updates by state %v, want the breach only (its warning passed over)", counts[w.ID])
	}
}

// TestSLACatchUpAfterRestart: what falls due while no instance runs is sent
// when one starts (the state is in the database), and nothing sent before a
// restart is sent again after it.
func TestSLACatchUpAfterRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		smtp := mailtest.Start(t)
		clock := testserver.NewClock(slaFriday)
		db := storetest.Options(t, dialect)
		start := func() (*testserver.Server, string) {
			s := testserver.Start(t, testserver.Options{Store: &db, Configure: slaConfig(clock, withMail(smtp))})
			return s, s.AdminToken(t)
		}
		s1, admin := start()
		quietAdmin(t, s1, admin)
		slaPut(t, s1, admin, `{"targets": {"complaint": {"first_response_minutes": 10}}}`)
		c := slaFile(t, s1, "complaint", "first")
		clock.Advance(5 * time.Minute)
		d := slaFile(t, s1, "complaint", "second")
		// T+9: c warns while s1 runs.
		clock.Advance(4 * time.Minute)
		slaWaitState(t, s1, admin, c.ID, "warning")
		s1.Stop(t)

		// T+14 while nothing runs: c is past due, d past its warning.
		clock.Advance(5 * time.Minute)
		s2, admin := start()
		slaWaitState(t, s2, admin, c.ID, "breached")
		slaWaitState(t, s2, admin, d.ID, "warning")
		smtp.WaitTo(t, s2.Admin, 1)
		// The outbox records the send before the stop: a stop in the middle
		// of a send may send that mail again (the outbox's rule, not the
		// scheduler's).
		eventually(t, "the escalation mail recorded as sent", func() bool { return mailStatus(t, s2, admin).Queued == 0 })
		s2.Stop(t)

		// T+16 on a third start: d's escalation; c's is not repeated.
		clock.Advance(2 * time.Minute)
		s3, admin := start()
		slaWaitState(t, s3, admin, d.ID, "breached")
		mails := smtp.WaitTo(t, s3.Admin, 2)
		if got := slaRefsIn(mails, c.Ref, d.Ref); len(mails) != 2 || got[c.Ref] != 1 || got[d.Ref] != 1 {
			t.Errorf("escalation mails by ref %v (%d mails), want one each (c %s, d %s)", got, len(mails), c.Ref, d.Ref)
		}
		counts := slaUpdates(t, s3, admin, d.ID, "breached")
		for _, id := range []string{c.ID, d.ID} {
			if counts[id]["warning"] != 1 || counts[id]["breached"] != 1 {
				t.Errorf("conversation %s: updates by state %v, want one warning and one breach", id, counts[id])
			}
		}
	})
}
