package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestAssignTwoInstances: two servers on one PostgreSQL database assign
// one team's conversations at the same time, at creation (requests to both
// at once) and from both assignment loops (after many conversations are
// resolved at once). Replaying the site's event log proves that no
// conversation was assigned twice and no member ever held more than their
// capacity, and the final state has each member exactly full.
func TestAssignTwoInstances(t *testing.T) {
	db := store.Options{DatabaseURL: storetest.FreshPostgres(t)}
	s1 := testserver.Start(t, testserver.Options{Store: &db, Configure: noLimits})
	s2 := testserver.Start(t, testserver.Options{Store: &db, Configure: noLimits})
	e := newTeamsEnv(t, s1)
	e2 := &teamsEnv{s: s2, admin: e.admin}
	const capacity, total = 3, 24
	a, aTok := e.agent(t, "a@example.com")
	b, bTok := e.agent(t, "b@example.com")
	e.capacity(t, a, capacity)
	e.capacity(t, b, capacity)
	tm := e.team(t, "Shipping", a, b)
	e.route(t, s1.DemoSite, map[string]any{"team_id": tm})
	// Both members are online on both instances.
	e.online(t, e.listen(t, s1, aTok), e.listen(t, s1, bTok), e.listen(t, s2, aTok), e.listen(t, s2, bTok))

	alternate(e, e2, total, func(on *teamsEnv, i int) {
		r := on.s.Do(t, "POST", createPath(on.s.DemoKey), "", map[string]any{"kind": "complaint", "message": "parcel " + strconv.Itoa(i)})
		if r.Status != http.StatusCreated {
			t.Errorf("create: %d %s", r.Status, r.Body)
		}
	})
	held := waitHeld(t, e, 2*capacity)

	// Both members resolve everything at once, half through each instance:
	// both loops then race for the queue.
	alternate(e, e2, len(held), func(on *teamsEnv, i int) {
		r := on.s.Do(t, "PATCH", "/api/v1/conversations/"+held[i], on.admin, map[string]any{"status": "resolved"})
		if r.Status != http.StatusOK {
			t.Errorf("resolve: %d %s", r.Status, r.Body)
		}
	})
	waitHeld(t, e, 2*capacity)
	// Two more passes of each loop after that: anything a loop would wrongly
	// add is in the log before it is checked.
	for _, s := range []*testserver.Server{s1, s2} {
		p := passes(t, s)
		deadline := time.Now().Add(15 * time.Second)
		for passes(t, s) < p+2 {
			if time.Now().After(deadline) {
				t.Fatal("the assignment loop does not run")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Replay the log.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	events, err := st.Events(context.Background(), store.EventFilter{SiteID: s1.DemoSite, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	type state struct{ assignee, status string }
	now := map[string]state{}
	assignments := map[string]int{}
	for _, ev := range events {
		if ev.Type != model.EventConversationCreated && ev.Type != model.EventConversationUpdated {
			continue
		}
		var d struct {
			Conversation staffConv `json:"conversation"`
		}
		if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
			t.Fatal(err)
		}
		c := d.Conversation
		before := now[c.ID]
		if c.assignee() != "" && before.assignee != c.assignee() {
			assignments[c.ID]++
		}
		now[c.ID] = state{c.assignee(), c.Status}
		open := map[string]int{}
		for _, s := range now {
			if s.assignee != "" && s.status != "resolved" {
				open[s.assignee]++
			}
		}
		if open[a] > capacity || open[b] > capacity {
			t.Fatalf("event %d: a holds %d, b holds %d (capacity %d)", ev.Seq, open[a], open[b], capacity)
		}
	}
	for id, n := range assignments {
		if n != 1 {
			t.Errorf("conversation %s was assigned %d times", id, n)
		}
	}
	if len(assignments) != 4*capacity {
		t.Errorf("%d conversations assigned, want %d", len(assignments), 4*capacity)
	}
}

// alternate runs fn for 0..n-1 all at once, the even ones on a and the
// odd ones on b.
func alternate(a, b *teamsEnv, n int, fn func(on *teamsEnv, i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			on := a
			if i%2 == 1 {
				on = b
			}
			fn(on, i)
		}()
	}
	wg.Wait()
}

// waitHeld waits until the team's members hold n open conversations in all
// and returns them.
func waitHeld(t *testing.T, e *teamsEnv, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := e.s.Do(t, "GET", "/api/v1/conversations?status=open&limit=100", e.admin, nil)
		var out struct {
			Conversations []staffConv `json:"conversations"`
		}
		r.JSON(t, &out)
		var held []string
		for _, c := range out.Conversations {
			if c.assignee() != "" {
				held = append(held, c.ID)
			}
		}
		if len(held) == n {
			return held
		}
		if len(held) > n || time.Now().After(deadline) {
			t.Fatalf("%d conversations held, want %d", len(held), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// passes reads how many passes the server's assignment loop completed.
func passes(t *testing.T, s *testserver.Server) int {
	t.Helper()
	r := s.Do(t, "GET", "/metrics", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("metrics: %d", r.Status)
	}
	n, err := strconv.Atoi(metricValue(string(r.Body), "holler_assign_passes_total"))
	if err != nil {
		t.Fatalf("holler_assign_passes_total: %v", err)
	}
	return n
}
