package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/testserver"
)

// TestDashboardTeamFilters: a conversation of the admin's team waits until
// the admin's dashboard is open and is then theirs; "u" shows their
// teams' unassigned conversations, "m" their own; the team filter shows one
// team's, and a new conversation of that team appears in it live while
// another team's does not.
func TestDashboardTeamFilters(t *testing.T) {
	browser := browsertest.Browser(t)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	admin := s.AdminToken(t)
	var me struct{ User struct{ ID string } }
	s.Do(t, "GET", "/api/v1/me", admin, nil).JSON(t, &me)
	if r := s.Do(t, "PATCH", "/api/v1/users/"+me.User.ID, admin, map[string]any{"capacity": 1}); r.Status != http.StatusOK {
		t.Fatalf("capacity: %d %s", r.Status, r.Body)
	}
	shipping := dTeam(t, s, admin, "Shipping", me.User.ID)
	billing := dTeam(t, s, admin, "Billing")
	if r := s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", admin, map[string]any{"rules": []map[string]any{
		{"email_domains": []string{"billing.example"}, "team_id": billing},
		{"team_id": shipping},
	}}); r.Status != http.StatusOK {
		t.Fatalf("routing: %d %s", r.Status, r.Body)
	}
	mine := dVisitorFiles(t, s, s.DemoKey, "complaint", "Where is my parcel?", "Pia", "pia@home.example")

	ctx := dBound(t, browser)
	dLogin(t, ctx, s.URL+"/", s.Admin, testserver.Password)
	dWaitAssignee(t, s, admin, mine.ID, me.User.ID)
	queued := dVisitorFiles(t, s, s.DemoKey, "complaint", "Still no parcel", "Quinn", "quinn@home.example")
	bill := dVisitorFiles(t, s, s.DemoKey, "question", "Wrong invoice", "Bea", "bea@billing.example")
	listed := `[...document.querySelectorAll('#inbox .conv-item')].map(e => e.dataset.id).sort().join()`
	dPoll(t, ctx, dWaitBound, "all three listed", listed+` === `+dQuote(sorted(mine.ID, queued.ID, bill.ID)), listed)
	dEval[chromedp.Void](t, ctx, `document.activeElement?.blur()`)

	dPress(t, ctx, "u")
	dPoll(t, ctx, dWaitBound, "u: my teams' unassigned",
		listed+` === `+dQuote(queued.ID)+` && document.getElementById('filter-team').value === 'mine' && document.getElementById('filter-assignee').value === 'none'`, listed)
	dPress(t, ctx, "m")
	dPoll(t, ctx, dWaitBound, "m: mine",
		listed+` === `+dQuote(mine.ID)+` && document.getElementById('filter-team').value === 'any' && document.getElementById('filter-assignee').value === 'me'`, listed)
	if got := dEval[string](t, ctx, `document.querySelector(`+dQuote(dItemSel(mine.ID)+" .ci-team")+`).textContent`); got != "Shipping" {
		t.Errorf("team chip %q, want Shipping", got)
	}

	// The team filter: Billing's only, and live.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#filters-reset"))); err != nil {
		t.Fatal(err)
	}
	dEval[chromedp.Void](t, ctx, `(() => { const s = document.getElementById('filter-team'); s.value = `+dQuote(billing)+`; s.dispatchEvent(new Event('change')); })()`)
	dPoll(t, ctx, dWaitBound, "the Billing team's", listed+` === `+dQuote(bill.ID), listed)
	other := dVisitorFiles(t, s, s.DemoKey, "complaint", "Another parcel", "Ole", "ole@home.example")
	bill2 := dVisitorFiles(t, s, s.DemoKey, "question", "Second invoice", "Ben", "ben@billing.example")
	dPoll(t, ctx, dWaitBound, "a new Billing conversation appears live, the Shipping one does not",
		listed+` === `+dQuote(sorted(bill.ID, bill2.ID)), listed)
	if dCount(t, ctx, dItemSel(other.ID)) != 0 {
		t.Errorf("the Shipping conversation is in the Billing list")
	}
	// The choice survives a reload.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "the team filter is kept", listed+` === `+dQuote(sorted(bill.ID, bill2.ID))+` && document.getElementById('filter-team').value === `+dQuote(billing), listed)
	// The conversation's details name its team.
	dOpenConversation(t, ctx, bill2.ID)
	details := `[...document.querySelectorAll('#conv-details .detail')].map(d => d.textContent).join('|')`
	dPoll(t, ctx, dWaitBound, "the details name the team", details+`.includes('TeamBilling')`, details)
}

// dTeam creates a team through the API.
func dTeam(t *testing.T, s *testserver.Server, token, name string, members ...string) string {
	t.Helper()
	if members == nil {
		members = []string{}
	}
	r := s.Do(t, "POST", "/api/v1/teams", token, map[string]any{"name": name, "member_ids": members})
	if r.Status != http.StatusCreated {
		t.Fatalf("create team: %d %s", r.Status, r.Body)
	}
	var out struct{ Team struct{ ID string } }
	r.JSON(t, &out)
	return out.Team.ID
}

// dWaitAssignee polls the API until a conversation's assignee is want.
func dWaitAssignee(t *testing.T, s *testserver.Server, token, id, want string) {
	t.Helper()
	deadline := time.Now().Add(dWaitBound)
	for {
		var out struct {
			Conversation struct {
				AssigneeID *string `json:"assignee_id"`
			} `json:"conversation"`
		}
		s.Do(t, "GET", "/api/v1/conversations/"+id, token, nil).JSON(t, &out)
		if a := out.Conversation.AssigneeID; a != nil && *a == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation %s is not assigned to %s", id, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sorted joins ids in sorted order, as the page expressions do.
func sorted(ids ...string) string {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ","
		}
		out += id
	}
	return out
}

// TestDashboardTeamsAdmin: on the team page an admin creates a team with a
// member through the form and sets a capacity; on the site's settings they
// add a routing rule and save it; a team and rules changed elsewhere show
// up live.
func TestDashboardTeamsAdmin(t *testing.T) {
	browser := browsertest.Browser(t)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	admin := s.AdminToken(t)
	r := s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "ann@example.com", "name": "Ann Agent",
		"password": testserver.Password, "role": "agent", "site_ids": []string{s.DemoSite}})
	var ann struct{ User struct{ ID string } }
	r.JSON(t, &ann)

	ctx := dBound(t, browser)
	dLogin(t, ctx, s.URL+"/#/team", s.Admin, testserver.Password)
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#team-form-new")),
		chromedp.SendKeys(chromedp.CSS("#team-name-new"), "Shipping"),
		chromedp.Click(chromedp.CSS(`#team-form-new input.team-member[value="`+ann.User.ID+`"]`)),
		chromedp.Click(chromedp.CSS("#team-form-new button[type=submit]")),
	); err != nil {
		t.Fatalf("create a team through the form: %v", err)
	}
	dPoll(t, ctx, dWaitBound, "the new team is listed with its member",
		`[...document.querySelectorAll('#team-list .team-row')].some(e => e.querySelector('.team-name').textContent === 'Shipping' && e.textContent.includes('Ann Agent'))`,
		`document.getElementById('teams').textContent`)
	var teams struct {
		Teams []struct {
			ID        string   `json:"id"`
			Name      string   `json:"name"`
			MemberIDs []string `json:"member_ids"`
		} `json:"teams"`
	}
	s.Do(t, "GET", "/api/v1/teams", admin, nil).JSON(t, &teams)
	if len(teams.Teams) != 1 || teams.Teams[0].Name != "Shipping" || len(teams.Teams[0].MemberIDs) != 1 || teams.Teams[0].MemberIDs[0] != ann.User.ID {
		t.Fatalf("teams %+v", teams.Teams)
	}
	shipping := teams.Teams[0].ID

	// Capacity: type 2 and leave the field.
	capSel := "#capacity-" + ann.User.ID
	dEval[chromedp.Void](t, ctx, `document.querySelector(`+dQuote(capSel)+`).select()`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(capSel), "2"), chromedp.Blur(chromedp.CSS(capSel))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(dWaitBound)
	for {
		var users struct {
			Users []struct {
				ID       string `json:"id"`
				Capacity int    `json:"capacity"`
			} `json:"users"`
		}
		s.Do(t, "GET", "/api/v1/users", admin, nil).JSON(t, &users)
		got := -1
		for _, u := range users.Users {
			if u.ID == ann.User.ID {
				got = u.Capacity
			}
		}
		if got == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("capacity %d, want 2", got)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A team made elsewhere appears live.
	dTeam(t, s, admin, "Billing")
	dPoll(t, ctx, dWaitBound, "a team created elsewhere shows up",
		`[...document.querySelectorAll('#team-list .team-name')].map(e => e.textContent).join() === 'Billing,Shipping'`,
		`document.getElementById('teams').textContent`)

	// Routing: add a rule for checkout pages and save it.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-settings")),
		chromedp.WaitVisible(chromedp.CSS("#routing-form")),
	); err != nil {
		t.Fatalf("open the site settings: %v", err)
	}
	dPoll(t, ctx, dWaitBound, "no rules yet", `document.getElementById('routing-status').textContent.startsWith('No rules')`, `document.getElementById('routing-status').textContent`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#routing-add"))); err != nil {
		t.Fatal(err)
	}
	dEval[chromedp.Void](t, ctx, `(() => { const s = document.querySelector('#routing-rules .rule-team'); s.value = `+dQuote(shipping)+`; })()`)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#routing-rules .rule-glob"), "/checkout*"),
		chromedp.Click(chromedp.CSS(`#routing-rules input.rule-lang[value="de"]`)),
		chromedp.Click(chromedp.CSS("#routing-save")),
	); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "saved", `document.getElementById('routing-status').textContent === 'Saved.'`, `document.querySelector('#routing-form .form-error').textContent`)
	var routing struct {
		Rules []struct {
			PageGlob  string   `json:"page_glob"`
			Languages []string `json:"languages"`
			TeamID    string   `json:"team_id"`
		} `json:"rules"`
	}
	s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite+"/routing", admin, nil).JSON(t, &routing)
	if len(routing.Rules) != 1 || routing.Rules[0].PageGlob != "/checkout*" || routing.Rules[0].TeamID != shipping ||
		len(routing.Rules[0].Languages) != 1 || routing.Rules[0].Languages[0] != "de" {
		t.Fatalf("rules %+v", routing.Rules)
	}
	// A refused rule shows its error beside the field.
	dEval[chromedp.Void](t, ctx, `document.querySelector('#routing-rules .rule-domains').value = 'not_a_domain.example'`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#routing-save"))); err != nil {
		t.Fatal(err)
	}
	dPoll(t, ctx, dWaitBound, "the field error shows", `!document.querySelector('[data-error-for="rules[0].email_domains"]').hidden`, `document.querySelector('#routing-form .form-error').textContent`)

	// Rules changed elsewhere replace what the card shows.
	if r := s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", admin, map[string]any{"rules": []map[string]any{
		{"page_glob": "/cart*", "team_id": shipping}, {"kinds": []string{"praise"}, "team_id": shipping},
	}}); r.Status != http.StatusOK {
		t.Fatalf("routing: %d %s", r.Status, r.Body)
	}
	dPoll(t, ctx, dWaitBound, "the card shows the new rules",
		`[...document.querySelectorAll('#routing-rules .rule-glob')].map(e => e.value).join() === '/cart*,'`,
		`[...document.querySelectorAll('#routing-rules .rule-glob')].map(e => e.value).join()`)
}
