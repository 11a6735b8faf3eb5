package httpapi_test

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"holler/server/internal/anger"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
	"holler/static"
)

// angerThread is the staff view of a conversation as the anger tests read it.
type angerThread struct {
	Conversation struct {
		ID            string  `json:"id"`
		Anger         float64 `json:"anger"`
		LastMessageAt string  `json:"last_message_at"`
	} `json:"conversation"`
	Messages []struct {
		AuthorKind string   `json:"author_kind"`
		Body       string   `json:"body"`
		Anger      *float64 `json:"anger"`
	} `json:"messages"`
	EmpathyOpeners []string `json:"empathy_openers"`
}

func staffThread(t *testing.T, s *testserver.Server, token, id string) angerThread {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/conversations/"+id, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("thread %s: %d %s", id, r.Status, r.Body)
	}
	var th angerThread
	r.JSON(t, &th)
	return th
}

// wantScores checks each message's score against the scorer (in lang, or
// unscored for nil) and that the conversation holds the highest.
func wantScores(t *testing.T, th angerThread, lang map[string]string) {
	t.Helper()
	highest := 0.0
	for _, m := range th.Messages {
		l, customer := lang[m.Body]
		switch {
		case !customer && m.Anger != nil:
			t.Errorf("%s message %q carries a score %v", m.AuthorKind, m.Body, *m.Anger)
		case customer && m.Anger == nil:
			t.Errorf("customer message %q has no score", m.Body)
		case customer:
			want := anger.Score(m.Body, l).Score
			if *m.Anger > want || want-*m.Anger >= 0.001 {
				t.Errorf("message %q scored %v, the scorer in %q says %v", m.Body, *m.Anger, l, want)
			}
			highest = max(highest, *m.Anger)
		}
	}
	if th.Conversation.Anger != highest {
		t.Errorf("conversation anger %v, want the highest message score %v", th.Conversation.Anger, highest)
	}
}

// setLocale sets a site's language.
func setLocale(t *testing.T, s *testserver.Server, admin, siteID, locale string) {
	t.Helper()
	if r := s.Do(t, "PATCH", "/api/v1/sites/"+siteID, admin, map[string]string{"locale": locale}); r.Status != http.StatusOK {
		t.Fatalf("set locale: %d %s", r.Status, r.Body)
	}
}

// TestAngerScoredWhenStored: each customer message is scored as it is
// stored, through every way in (the widget's create and reply, an email
// reply), in the site's language; staff messages are not scored; the
// conversation carries the highest score, rises live on the staff socket
// (and only there), and the customer never sees a score.
func TestAngerScoredWhenStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: mailIn})
		admin := s.AdminToken(t)
		setLocale(t, s, admin, s.DemoSite, "de")
		const (
			calm    = "Hallo, wann kommt meine Bestellung?"
			short   = "Frechheit!!" // angry only when read as German
			fury    = "Seit drei Wochen warte ich auf mein Paket! Eine Frechheit, ich will mein Geld zurück!!"
			reply   = "Das tut mir leid, ich kümmere mich darum."
			emailed = "Unverschämt. Betrug! Ich rufe meinen Anwalt an!!"
		)
		var c created
		s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "complaint", "message": calm}).JSON(t, &c)
		th := staffThread(t, s, admin, c.Conversation.ID)
		wantScores(t, th, map[string]string{calm: "de"})
		if th.Conversation.Anger >= anger.Threshold || th.EmpathyOpeners != nil {
			t.Fatalf("a calm question is angry: %+v", th)
		}

		var spage struct {
			EventsCursor string `json:"events_cursor"`
		}
		s.Do(t, "GET", "/api/v1/conversations", admin, nil).JSON(t, &spage)
		var vpage struct {
			EventsCursor string `json:"events_cursor"`
		}
		s.Do(t, "GET", createPath(s.DemoKey), c.VisitorToken, nil).JSON(t, &vpage)
		staff, _, err := s.DialSocket("/api/v1/ws", admin, spage.EventsCursor, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer staff.Close()
		visitor, _, err := s.DialSocket("/api/v1/widget/"+s.DemoKey+"/ws", c.VisitorToken, vpage.EventsCursor, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer visitor.Close()

		msgPath := createPath(s.DemoKey) + "/" + c.Conversation.ID + "/messages"
		if r := s.Do(t, "POST", msgPath, c.VisitorToken, map[string]string{"body": short}); r.Status != http.StatusCreated {
			t.Fatalf("visitor reply: %d %s", r.Status, r.Body)
		} else if strings.Contains(string(r.Body), "anger") {
			t.Fatalf("the visitor's own answer carries a score: %s", r.Body)
		}
		th = staffThread(t, s, admin, c.Conversation.ID)
		wantScores(t, th, map[string]string{calm: "de", short: "de"})
		if th.Conversation.Anger < anger.Threshold {
			t.Fatalf("%q on a German site is not angry: %v", short, th.Conversation.Anger)
		}
		// The staff socket hears the message (with its score), then the
		// conversation's new anger.
		if f := readFrame(t, staff); f.Type != "message.created" || !strings.Contains(string(f.Data), `"anger":`) {
			t.Fatalf("staff frame: %s %s", f.Type, f.Data)
		}
		if f := readFrame(t, staff); f.Type != "conversation.updated" || !strings.Contains(string(f.Data), fmt.Sprintf(`"anger":%v`, th.Conversation.Anger)) {
			t.Fatalf("staff frame: %s %s, want the new anger %v", f.Type, f.Data, th.Conversation.Anger)
		}

		staffSays(t, s, admin, c.Conversation.ID, reply, false)
		if r := s.Do(t, "POST", msgPath, c.VisitorToken, map[string]string{"body": fury}); r.Status != http.StatusCreated {
			t.Fatalf("visitor reply: %d %s", r.Status, r.Body)
		}
		th = staffThread(t, s, admin, c.Conversation.ID)
		wantScores(t, th, map[string]string{calm: "de", short: "de", fury: "de"})

		// An email reply is scored the same way; a calmer one leaves the
		// conversation's highest score as it was.
		before := th.Conversation.Anger
		hook := func(text, id string) {
			t.Helper()
			to := s.ReplyAddress(t, c.Conversation.ID)
			r := s.Do(t, "POST", "/api/v1/inbound/email", inboundSecret, testserver.ReplyMail(to, id, text))
			if r.Status != http.StatusAccepted {
				t.Fatalf("inbound: %d %s", r.Status, r.Body)
			}
		}
		hook("Danke, alles gut.", "calm-1@example.com")
		th = staffThread(t, s, admin, c.Conversation.ID)
		wantScores(t, th, map[string]string{calm: "de", short: "de", fury: "de", "Danke, alles gut.": "de"})
		if th.Conversation.Anger != before {
			t.Fatalf("a calm email changed the anger from %v to %v", before, th.Conversation.Anger)
		}
		hook(emailed, "angry-1@example.com")
		th = staffThread(t, s, admin, c.Conversation.ID)
		wantScores(t, th, map[string]string{calm: "de", short: "de", fury: "de", "Danke, alles gut.": "de", emailed: "de"})
		if th.Conversation.Anger <= before {
			t.Fatalf("the angrier email left the anger at %v (was %v)", th.Conversation.Anger, before)
		}

		// The customer's views: no score on any message, none on the conversation.
		r := s.Do(t, "GET", createPath(s.DemoKey)+"/"+c.Conversation.ID, c.VisitorToken, nil)
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), `"anger":0.`) || strings.Contains(string(r.Body), "empathy") {
			t.Fatalf("the customer's thread shows scores: %d %s", r.Status, r.Body)
		}
		// The visitor's socket got the messages and the update the first
		// staff reply makes, and none of the staff-only anger updates: its
		// frames in order are exactly these.
		for _, want := range []struct{ typ, has string }{{"message.created", short}, {"message.created", reply},
			{"conversation.updated", `"staff_replied":true`}, {"message.created", fury},
			{"message.created", "Danke, alles gut."}, {"message.created", emailed}} {
			f := readFrame(t, visitor)
			if f.Type != want.typ || !strings.Contains(string(f.Data), want.has) || strings.Contains(string(f.Data), `"anger":0.`) {
				t.Fatalf("visitor frame: %s %s, want %s with %q and no score", f.Type, f.Data, want.typ, want.has)
			}
		}
	})
}

// TestAngerGuessedLanguage: a site that answers in the visitor's language
// scores each message in the language the scorer finds; a site with a
// language scores in it, even where that misses anger of another one.
func TestAngerGuessedLanguage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		const text = "Unverschämt. Betrug!"
		for _, tc := range []struct{ locale, lang string }{{"", ""}, {"en", "en"}} {
			setLocale(t, s, admin, s.DemoSite, tc.locale)
			var c created
			s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "complaint", "message": text}).JSON(t, &c)
			th := staffThread(t, s, admin, c.Conversation.ID)
			wantScores(t, th, map[string]string{text: tc.lang})
			if angry := th.Conversation.Anger >= anger.Threshold; angry != anger.Score(text, tc.lang).Angry {
				t.Fatalf("locale %q: anger %v", tc.locale, th.Conversation.Anger)
			}
		}
	})
}

// TestEmpathyOpeners: the staff thread of an angry conversation offers the
// openers in the site's language; a site without one gets those of the
// angriest message's language; a calm conversation gets none.
func TestEmpathyOpeners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		cases := []struct{ locale, message, want string }{
			{"fr", "This is UNACCEPTABLE!! Three weeks and still nothing, I want a refund now.", "fr"},
			{"es", "This is UNACCEPTABLE!! Three weeks and still nothing, I want a refund now.", "es"},
			{"", "Seit drei Wochen warte ich auf mein Paket! Eine Frechheit, ich will mein Geld zurück!!", "de"},
			{"", "C'est inadmissible !! Trois semaines sans colis.", "fr"},
			{"de", "Hallo, wann kommt meine Bestellung?", ""},
		}
		for _, tc := range cases {
			setLocale(t, s, admin, s.DemoSite, tc.locale)
			var c created
			s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "complaint", "message": tc.message}).JSON(t, &c)
			got := staffThread(t, s, admin, c.Conversation.ID).EmpathyOpeners
			var want []string
			if tc.want != "" {
				want = anger.Openers(tc.want)
			}
			if !slices.Equal(got, want) || (tc.want != "" && len(got) < 3) {
				t.Errorf("locale %q, %q: openers %q, want %q", tc.locale, tc.message, got, want)
			}
		}
		// The openers follow the site's language when it changes later.
		setLocale(t, s, admin, s.DemoSite, "es")
		var page struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		s.Do(t, "GET", "/api/v1/conversations?sort=anger&limit=1", admin, nil).JSON(t, &page)
		if got := staffThread(t, s, admin, page.Conversations[0].ID).EmpathyOpeners; !slices.Equal(got, anger.Openers("es")) {
			t.Errorf("after the site turned Spanish: %q", got)
		}
	})
}

// TestSortByAnger: sort=anger lists the angriest first, ties by most recent
// activity then id, across pages with no conversation twice or missing;
// an unknown sort and another order's cursor are refused.
func TestSortByAnger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		setLocale(t, s, admin, s.DemoSite, "en")
		messages := []string{
			"Do you ship to Norway?",
			"This is UNACCEPTABLE!! Three weeks and still nothing, I want a refund now.",
			"The mug arrived cracked.",
			"Where is my invoice?",
			"Worst shop ever!! I will file a chargeback, you are thieves!!",
			"Do you ship to Norway?", // ties with the first: the newer comes first
			"This is UNACCEPTABLE!! Three weeks and still nothing, I want a refund now.",
		}
		ids := map[string]bool{}
		for _, m := range messages {
			var c created
			s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "complaint", "message": m}).JSON(t, &c)
			ids[c.Conversation.ID] = true
		}
		var got []angerThread
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > len(messages) {
				t.Fatal("paging does not end")
			}
			q := url.Values{"sort": {"anger"}, "limit": {"2"}, "cursor": {cursor}}
			r := s.Do(t, "GET", "/api/v1/conversations?"+q.Encode(), admin, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("page: %d %s", r.Status, r.Body)
			}
			var page struct {
				Conversations []struct{ ID string } `json:"conversations"`
				NextCursor    string                `json:"next_cursor"`
			}
			r.JSON(t, &page)
			for _, c := range page.Conversations {
				got = append(got, staffThread(t, s, admin, c.ID))
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(got) != len(messages) {
			t.Fatalf("%d conversations over the pages, want %d", len(got), len(messages))
		}
		seen := map[string]bool{}
		for i, th := range got {
			c := th.Conversation
			if !ids[c.ID] || seen[c.ID] {
				t.Fatalf("conversation %s listed twice or unknown", c.ID)
			}
			seen[c.ID] = true
			if i == 0 {
				continue
			}
			p := got[i-1].Conversation
			pt, _ := time.Parse(time.RFC3339Nano, p.LastMessageAt)
			ct, _ := time.Parse(time.RFC3339Nano, c.LastMessageAt)
			if p.Anger < c.Anger || p.Anger == c.Anger && (pt.Before(ct) || pt.Equal(ct) && p.ID < c.ID) {
				t.Fatalf("position %d (%v, %s) comes after (%v, %s)", i, c.Anger, c.LastMessageAt, p.Anger, p.LastMessageAt)
			}
		}
		if got[0].Conversation.Anger < anger.Threshold || got[len(got)-1].Conversation.Anger >= anger.Threshold {
			t.Fatalf("first %v, last %v: not angriest first", got[0].Conversation.Anger, got[len(got)-1].Conversation.Anger)
		}

		// The default order is still the most recent first.
		var recent struct {
			Conversations []struct{ ID string } `json:"conversations"`
			NextCursor    string                `json:"next_cursor"`
		}
		s.Do(t, "GET", "/api/v1/conversations?limit=2", admin, nil).JSON(t, &recent)
		var explicit struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		s.Do(t, "GET", "/api/v1/conversations?sort=recent&limit=2", admin, nil).JSON(t, &explicit)
		if fmt.Sprint(recent.Conversations) != fmt.Sprint(explicit.Conversations) {
			t.Fatalf("sort=recent %v differs from the default %v", explicit.Conversations, recent.Conversations)
		}

		e := wantError(t, s.Do(t, "GET", "/api/v1/conversations?sort=loudest", admin, nil), http.StatusUnprocessableEntity, "validation_failed")
		if e.Error.Fields["sort"] == "" {
			t.Errorf("no sort field error: %+v", e)
		}
		e = wantError(t, s.Do(t, "GET", "/api/v1/conversations?sort=anger&cursor="+recent.NextCursor, admin, nil), http.StatusUnprocessableEntity, "validation_failed")
		if e.Error.Fields["cursor"] == "" {
			t.Errorf("a recent cursor under sort=anger: %+v", e)
		}
	})
}

// TestDashboardThresholdIsTheScorers: the dashboard marks a conversation
// angry from the scorer's own threshold, the one the server offers empathy
// openers from.
func TestDashboardThresholdIsTheScorers(t *testing.T) {
	src, err := fs.ReadFile(static.FS, "anger.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`export const ANGRY_AT = ([0-9.]+);`).FindSubmatch(src)
	if m == nil {
		t.Fatal("static/anger.js declares no ANGRY_AT")
	}
	if v, err := strconv.ParseFloat(string(m[1]), 64); err != nil || v != anger.Threshold {
		t.Fatalf("static/anger.js ANGRY_AT = %s, anger.Threshold = %v", m[1], anger.Threshold)
	}
}
