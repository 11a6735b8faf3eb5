package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestRoundRobinWithCapacity: new conversations of a team go to its online
// members in turn, skipping a member at capacity, one who is offline and
// one who may not see the site; with nobody free, one waits in the queue
// until a member's conversation is resolved.
func TestRoundRobinWithCapacity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		e := newTeamsEnv(t, s)
		r := s.Do(t, "POST", "/api/v1/sites", e.admin, map[string]any{"name": "Other shop"})
		var other struct {
			Site struct {
				ID string `json:"id"`
			} `json:"site"`
		}
		r.JSON(t, &other)
		a, aTok := e.agent(t, "a@example.com")
		b, bTok := e.agent(t, "b@example.com")
		c, cTok := e.agent(t, "c@example.com")
		d, _ := e.agent(t, "d@example.com")                   // never online
		f, fTok := e.agent(t, "f@example.com", other.Site.ID) // online, but not of the demo site
		e.capacity(t, a, 1)
		e.capacity(t, c, 2) // b: 0, unlimited
		tm := e.team(t, "Shipping", a, b, c, d, f)
		e.route(t, s.DemoSite, map[string]any{"kinds": []string{"complaint"}, "team_id": tm})
		e.online(t, e.listen(t, s, aTok), e.listen(t, s, bTok), e.listen(t, s, cTok))
		e.listen(t, s, fTok) // f's site never hears of the probe; online all the same

		names := map[string]string{a: "a", b: "b", c: "c", d: "d", f: "f", "": "nobody"}
		var convs []string
		for i, want := range []string{a, b, c, b, c, b, b} {
			id := e.file(t, map[string]any{})
			convs = append(convs, id)
			if got := e.conv(t, id); got.team() != tm || got.assignee() != want {
				t.Fatalf("conversation %d: team %q assignee %s, want %s", i+1, got.team(), names[got.assignee()], names[want])
			}
		}
		// A question is not the team's: no team, no assignee.
		if got := e.conv(t, e.file(t, map[string]any{"kind": "question"})); got.team() != "" || got.assignee() != "" {
			t.Errorf("unrouted question: %+v", got)
		}
		// a's first is resolved: a has room again and is next in turn.
		e.setStatus(t, convs[0], "resolved")
		if got := e.conv(t, e.file(t, map[string]any{})); got.assignee() != a {
			t.Errorf("after a's conversation resolved: %s, want a", names[got.assignee()])
		}
		// Everyone full (b now holds 4 of 4): the next one waits ...
		e.capacity(t, b, 4)
		waiting := e.file(t, map[string]any{})
		if got := e.conv(t, waiting); got.team() != tm || got.assignee() != "" {
			t.Fatalf("with nobody free: %+v, want queued in the team", got)
		}
		// ... until c resolves one of theirs; the loop gives it to c.
		e.setStatus(t, convs[2], "resolved")
		e.waitAssignee(t, waiting, c)
	})
}

// TestQueuedUntilOnline: a conversation routed to a team whose members are
// all away waits unassigned in the team's queue; when a member opens the
// dashboard it is assigned to them, and their socket gets the
// conversation.updated event.
func TestQueuedUntilOnline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		e := newTeamsEnv(t, s)
		a, aTok := e.agent(t, "a@example.com")
		tm := e.team(t, "Shipping", a)
		e.route(t, s.DemoSite, map[string]any{"team_id": tm})
		first, second := e.file(t, map[string]any{}), e.file(t, map[string]any{})
		for _, id := range []string{first, second} {
			if got := e.conv(t, id); got.team() != tm || got.assignee() != "" {
				t.Fatalf("with nobody online: %+v, want queued in the team", got)
			}
		}
		if ids := e.list(t, aTok, "team_id=mine&assignee_id=none"); len(ids) != 2 {
			t.Errorf("a's teams' unassigned: %v, want both", ids)
		}

		live := e.listen(t, s, aTok)
		for _, id := range []string{first, second} {
			i := live.wait(t, "assignment of "+id, 0, assigned(id, a))
			if got := live.snapshot()[i].conv(); got.team() != tm {
				t.Errorf("event's conversation team %q, want %q", got.team(), tm)
			}
			e.waitAssignee(t, id, a)
		}
		if ids := e.list(t, aTok, "assignee_id=me"); len(ids) != 2 {
			t.Errorf("a's own: %v, want both", ids)
		}
	})
}

// TestReleaseToQueue: a member removed from the team gives their open
// conversations of that team back to its queue, and the next member gets
// them; a disabled member gives back all of theirs, which wait until
// someone of the team is online. Every step reaches an open dashboard as a
// conversation.updated event, and the team change as team.updated.
func TestReleaseToQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		e := newTeamsEnv(t, s)
		a, aTok := e.agent(t, "a@example.com")
		b, bTok := e.agent(t, "b@example.com")
		c, cTok := e.agent(t, "c@example.com")
		tm := e.team(t, "Shipping", a, b)
		other := e.team(t, "Billing", a)
		e.route(t, s.DemoSite,
			map[string]any{"email_domains": []string{"billing.example"}, "team_id": other},
			map[string]any{"team_id": tm})
		admin := e.listen(t, s, e.admin)
		e.online(t, admin, e.listen(t, s, aTok), e.listen(t, s, bTok))

		one, two := e.file(t, map[string]any{}), e.file(t, map[string]any{})
		bill := e.file(t, map[string]any{"email": "kim@billing.example"})
		if e.conv(t, one).assignee() != a || e.conv(t, two).assignee() != b || e.conv(t, bill).assignee() != a {
			t.Fatalf("start: %+v %+v %+v", e.conv(t, one), e.conv(t, two), e.conv(t, bill))
		}

		// a leaves Shipping: Shipping's conversation goes back and on to b;
		// Billing's stays with a.
		mark := len(admin.snapshot())
		e.members(t, tm, b)
		admin.wait(t, "team.updated", mark, func(f liveFrame) bool { return f.Type == "team.updated" })
		admin.wait(t, "one released", mark, assigned(one, ""))
		admin.wait(t, "one reassigned to b", mark, assigned(one, b))
		e.waitAssignee(t, one, b)
		if got := e.conv(t, bill).assignee(); got != a {
			t.Errorf("a's Billing conversation moved to %q", got)
		}

		// b is disabled: both of b's go back and wait (nobody else online).
		mark = len(admin.snapshot())
		if r := s.Do(t, "PATCH", "/api/v1/users/"+b, e.admin, map[string]any{"disabled": true}); r.Status != http.StatusOK {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		admin.wait(t, "one released", mark, assigned(one, ""))
		admin.wait(t, "two released", mark, assigned(two, ""))
		for _, id := range []string{one, two} {
			if got := e.conv(t, id); got.assignee() != "" || got.team() != tm {
				t.Errorf("after disable: %+v, want queued in the team", got)
			}
		}
		// c joins and comes online: c gets both.
		e.members(t, tm, b, c)
		e.listen(t, s, cTok)
		admin.wait(t, "one to c", mark, assigned(one, c))
		admin.wait(t, "two to c", mark, assigned(two, c))

		// Deleting a team (after its rule) leaves its conversations teamless.
		e.route(t, s.DemoSite, map[string]any{"email_domains": []string{"billing.example"}, "team_id": other})
		mark = len(admin.snapshot())
		if r := s.Do(t, "DELETE", "/api/v1/teams/"+tm, e.admin, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete team: %d %s", r.Status, r.Body)
		}
		admin.wait(t, "one leaves the team", mark, func(f liveFrame) bool {
			return f.Type == "conversation.updated" && f.ConversationID == one && f.conv().team() == ""
		})
		if got := e.conv(t, two); got.team() != "" || got.assignee() != c {
			t.Errorf("after team delete: %+v, want no team, still c's", got)
		}
	})
}

// TestInboxTeamFilters: the inbox filters by a team, by "my teams" and by
// "me", alone and with "unassigned"; a bad team_id is a 422.
func TestInboxTeamFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		e := newTeamsEnv(t, s)
		a, aTok := e.agent(t, "a@example.com")
		b, _ := e.agent(t, "b@example.com")
		one, two := e.team(t, "One", a), e.team(t, "Two", b)
		e.route(t, s.DemoSite,
			map[string]any{"email_domains": []string{"one.example"}, "team_id": one},
			map[string]any{"email_domains": []string{"two.example"}, "team_id": two})
		e.capacity(t, a, 1)
		e.online(t, e.listen(t, s, aTok))
		mine := e.file(t, map[string]any{"email": "x@one.example"})
		queued := e.file(t, map[string]any{"email": "y@one.example"})
		others := e.file(t, map[string]any{"email": "z@two.example"})
		none := e.file(t, map[string]any{"email": "w@elsewhere.example"})
		if e.conv(t, mine).assignee() != a || e.conv(t, queued).assignee() != "" {
			t.Fatalf("setup: %+v %+v", e.conv(t, mine), e.conv(t, queued))
		}
		for _, tc := range []struct {
			token, query string
			want         []string
		}{
			{aTok, "team_id=mine", []string{queued, mine}},
			{aTok, "team_id=mine&assignee_id=none", []string{queued}},
			{aTok, "assignee_id=me", []string{mine}},
			{aTok, "team_id=" + two, []string{others}},
			{e.admin, "team_id=" + one, []string{queued, mine}},
			{e.admin, "team_id=mine", []string{}},
			{e.admin, "", []string{none, others, queued, mine}},
		} {
			if got := e.list(t, tc.token, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		ve := wantError(t, s.Do(t, "GET", "/api/v1/conversations?team_id=a%00b", e.admin, nil), http.StatusUnprocessableEntity, "validation_failed")
		if ve.Error.Fields["team_id"] == "" {
			t.Errorf("fields %v", ve.Error.Fields)
		}
	})
}
