package service

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"holler/server/internal/auth"
	"holler/server/internal/model"
	"holler/server/internal/storetest"
)

// TestRoundReply: a median is shown rounded up to a figure people read
// easily, never below one minute.
func TestRoundReply(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{
		{0, 1}, {time.Second, 1}, {time.Minute, 1}, {61 * time.Second, 2}, {3 * time.Minute, 5},
		{9*time.Minute + 30*time.Second, 10}, {16 * time.Minute, 20}, {59 * time.Minute, 60},
		{61 * time.Minute, 90}, {5 * time.Hour, 360}, {23 * time.Hour, 1440}, {25 * time.Hour, 2880},
	} {
		if got := roundReply(c.d); got != c.want {
			t.Errorf("roundReply(%s) = %d, want %d", c.d, got, c.want)
		}
	}
}

// TestAvailabilityFromHistory drives the service's clock through a month of
// history on both stores: the typical reply time is the rounded median of
// the last 30 days' first responses (older ones and notes do not count),
// and next_open follows the site's hours at that clock, in its own zone.
func TestAvailabilityFromHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		ctx := context.Background()
		st := storetest.Open(t, d)
		key, _ := base64.StdEncoding.DecodeString(auth.NewSigningKey())
		signer, err := auth.NewSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		s := New(Options{Store: st, Signer: signer, Mail: MailConfig{Configured: true}})
		now := time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC) // a Friday
		s.now = func() time.Time { return now }
		first, err := s.Bootstrap(ctx, "admin@example.com", "a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		admin, err := st.UserByEmail(ctx, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		site := first.DemoSite
		answered := func(created time.Time, wait time.Duration, note bool) {
			t.Helper()
			now = created
			c, err := s.CreateConversation(ctx, site, VisitorRequest{}, NewConversationInput{Kind: "question", Message: "Hello?"})
			if err != nil {
				t.Fatal(err)
			}
			now = created.Add(wait)
			if _, err := s.StaffReply(ctx, admin, c.Conversation.ID, MessageInput{Body: "Hi!", Internal: note}); err != nil {
				t.Fatal(err)
			}
		}
		base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		answered(base.AddDate(0, 0, -20), 10*time.Hour, false) // more than 30 days before the look
		answered(base.AddDate(0, 0, -19), 11*time.Hour, false)
		answered(base.AddDate(0, 0, 1), 9*time.Hour, true) // a note only: not answered
		for i, wait := range []time.Duration{3 * time.Minute, 4 * time.Minute, 7 * time.Minute, 12 * time.Minute, 40 * time.Minute, 2 * time.Hour} {
			answered(base.AddDate(0, 0, 2+i), wait, false)
		}
		site, err = s.UpdateSite(ctx, admin, site.ID, SiteInput{TimeZone: ptr("Europe/Berlin"),
			Hours: &[]model.HoursRange{{Day: "mon", Open: "09:00", Close: "17:00"}}})
		if err != nil {
			t.Fatal(err)
		}

		now = time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC) // Saturday; 30 days back is Feb 26
		s.forgetTypical(site.ID)
		a, err := s.SiteAvailability(ctx, site)
		if err != nil {
			t.Fatal(err)
		}
		// Six answers in the window: 3, 4, 7, 12, 40, 120 min -> median 9.5 -> 10.
		if a.TypicalReplyMinutes == nil || *a.TypicalReplyMinutes != 10 {
			t.Fatalf("typical reply minutes %v, want 10", a.TypicalReplyMinutes)
		}
		// Monday 09:00 in Berlin is after the spring-forward: +02:00.
		want := time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC)
		if a.NextOpen == nil || !a.NextOpen.Equal(want) || a.NextOpen.Format(time.RFC3339) != "2026-03-30T09:00:00+02:00" {
			t.Fatalf("next_open %v, want %s in the site's offset", a.NextOpen, want)
		}
		if a.Online || !a.ReplyByEmail {
			t.Fatalf("availability %+v: nobody can be online without presence; mail is on", a)
		}

		// Two months on, the history has aged out: too few samples again.
		now = now.AddDate(0, 2, 0)
		s.forgetTypical(site.ID)
		if a, err = s.SiteAvailability(ctx, site); err != nil || a.TypicalReplyMinutes != nil {
			t.Fatalf("aged out: %v %v, want null", a.TypicalReplyMinutes, err)
		}
	})
}
