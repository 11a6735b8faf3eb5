package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestTeamsCRUD: admins create, read, rename, re-staff and delete teams
// with the contract's shape; bad input is a 422 naming the field and
// changes nothing; agents read only the teams they are in, anything else
// answers 404, and they write nothing.
func TestTeamsCRUD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		e := newTeamsEnv(t, s)
		ann, annTok := e.agent(t, "ann@example.com")
		bob, bobTok := e.agent(t, "bob@example.com")

		r := s.Do(t, "POST", "/api/v1/teams", e.admin, map[string]any{"name": "  Shipping ", "member_ids": []string{ann, bob, ann}})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var created struct {
			Team map[string]any `json:"team"`
		}
		r.JSON(t, &created)
		if len(created.Team) != 3 || created.Team["name"] != "Shipping" || created.Team["id"] == "" {
			t.Fatalf("created team %v, want exactly id, name, member_ids", created.Team)
		}
		shipping := created.Team["id"].(string)
		// The wrapped form of the body is taken too.
		r = s.Do(t, "POST", "/api/v1/teams", e.admin, map[string]any{"team": map[string]any{"name": "Billing", "member_ids": []string{bob}}})
		if r.Status != http.StatusCreated {
			t.Fatalf("create wrapped: %d %s", r.Status, r.Body)
		}
		billing := e.team(t, "Returns")
		var got struct {
			Team team `json:"team"`
		}
		s.Do(t, "GET", "/api/v1/teams/"+shipping, e.admin, nil).JSON(t, &got)
		if got.Team.Name != "Shipping" || !slices.Equal(got.Team.MemberIDs, []string{ann, bob}) {
			t.Errorf("team %+v, want Shipping with ann and bob once each", got.Team)
		}

		// Validation: 422 with the field, nothing created or changed.
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"member_ids": []string{ann}}, "name"},
			{map[string]any{"name": " "}, "name"},
			{map[string]any{"name": strings.Repeat("x", 201)}, "name"},
			{map[string]any{"name": "Bad\x00name"}, "name"},
			{map[string]any{"name": "Ghosts", "member_ids": []string{"0190c0de-0000-7000-8000-000000000000"}}, "member_ids"},
			{map[string]any{"name": "Ctl", "member_ids": []string{"a\nb"}}, "member_ids"},
		} {
			e := wantError(t, s.Do(t, "POST", "/api/v1/teams", e.admin, tc.body), http.StatusUnprocessableEntity, "validation_failed")
			if e.Error.Fields[tc.field] == "" {
				t.Errorf("%v: fields %v, want %s", tc.body, e.Error.Fields, tc.field)
			}
		}
		wantError(t, s.Do(t, "POST", "/api/v1/teams", e.admin, map[string]any{"name": "shipping"}), http.StatusConflict, "team_name_taken")
		wantError(t, s.Do(t, "PATCH", "/api/v1/teams/"+billing, e.admin, map[string]any{"name": "SHIPPING"}), http.StatusConflict, "team_name_taken")
		wantError(t, s.Do(t, "PATCH", "/api/v1/teams/"+shipping, e.admin, map[string]any{"name": ""}), http.StatusUnprocessableEntity, "validation_failed")
		if n := len(teamList(t, s, e.admin)); n != 3 {
			t.Errorf("%d teams after refused writes, want 3", n)
		}

		// Rename and re-staff.
		r = s.Do(t, "PATCH", "/api/v1/teams/"+shipping, e.admin, map[string]any{"name": "Delivery", "member_ids": []string{bob}})
		if r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &got)
		if got.Team.Name != "Delivery" || !slices.Equal(got.Team.MemberIDs, []string{bob}) {
			t.Errorf("patched team %+v", got.Team)
		}
		r = s.Do(t, "PATCH", "/api/v1/teams/"+shipping, e.admin, map[string]any{"name": "Shipping"})
		r.JSON(t, &got)
		if got.Team.Name != "Shipping" || !slices.Equal(got.Team.MemberIDs, []string{bob}) {
			t.Errorf("rename kept members? %+v", got.Team)
		}

		// Agents: their own teams only; others are not there; no writes.
		if names := teamNames(teamList(t, s, annTok)); len(names) != 0 {
			t.Errorf("ann (in no team now) sees %v", names)
		}
		if names := teamNames(teamList(t, s, bobTok)); !slices.Equal(names, []string{"Billing", "Shipping"}) {
			t.Errorf("bob sees %v, want his two teams", names)
		}
		wantError(t, s.Do(t, "GET", "/api/v1/teams/"+shipping, annTok, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "PATCH", "/api/v1/teams/"+shipping, annTok, map[string]any{"name": "Mine"}), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "DELETE", "/api/v1/teams/"+shipping, annTok, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "PATCH", "/api/v1/teams/"+shipping, bobTok, map[string]any{"name": "Mine"}), http.StatusForbidden, "forbidden")
		wantError(t, s.Do(t, "DELETE", "/api/v1/teams/"+shipping, bobTok, nil), http.StatusForbidden, "forbidden")
		wantError(t, s.Do(t, "POST", "/api/v1/teams", bobTok, map[string]any{"name": "Rogue"}), http.StatusForbidden, "forbidden")
		if r := s.Do(t, "GET", "/api/v1/teams/"+shipping, bobTok, nil); r.Status != http.StatusOK {
			t.Errorf("bob reads his team: %d %s", r.Status, r.Body)
		}
		for _, id := range []string{"0190c0de-0000-7000-8000-000000000000", "nope", "%00"} {
			wantError(t, s.Do(t, "GET", "/api/v1/teams/"+id, e.admin, nil), http.StatusNotFound, "not_found")
		}

		// A team a rule routes to cannot go; once the rule is gone it can.
		e.route(t, s.DemoSite, map[string]any{"team_id": billing})
		wantError(t, s.Do(t, "DELETE", "/api/v1/teams/"+billing, e.admin, nil), http.StatusConflict, "team_routed")
		e.route(t, s.DemoSite)
		if r := s.Do(t, "DELETE", "/api/v1/teams/"+billing, e.admin, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		wantError(t, s.Do(t, "GET", "/api/v1/teams/"+billing, e.admin, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "DELETE", "/api/v1/teams/"+billing, e.admin, nil), http.StatusNotFound, "not_found")
		if n := len(teamList(t, s, e.admin)); n != 2 {
			t.Errorf("%d teams after delete, want 2", n)
		}
	})
}

func teamList(t *testing.T, s *testserver.Server, token string) []team {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/teams", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list teams: %d %s", r.Status, r.Body)
	}
	var out struct {
		Teams []team `json:"teams"`
	}
	r.JSON(t, &out)
	return out.Teams
}

func teamNames(teams []team) []string {
	out := []string{}
	for _, t := range teams {
		out = append(out, t.Name)
	}
	return out
}

// TestUserCapacity: admins set a user's capacity (0..1000); the user
// cannot set their own; it shows on the user.
func TestUserCapacity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		e := newTeamsEnv(t, s)
		ann, annTok := e.agent(t, "ann@example.com")
		for _, bad := range []any{-1, 1001, "three"} {
			wantError(t, s.Do(t, "PATCH", "/api/v1/users/"+ann, e.admin, map[string]any{"capacity": bad}), http.StatusUnprocessableEntity, "validation_failed")
		}
		wantError(t, s.Do(t, "PATCH", "/api/v1/users/"+ann, annTok, map[string]any{"capacity": 9}), http.StatusForbidden, "forbidden")
		e.capacity(t, ann, 3)
		var out struct {
			Users []struct {
				ID       string `json:"id"`
				Capacity int    `json:"capacity"`
			} `json:"users"`
		}
		s.Do(t, "GET", "/api/v1/users", e.admin, nil).JSON(t, &out)
		for _, u := range out.Users {
			if u.ID == ann && u.Capacity != 3 {
				t.Errorf("capacity %d, want 3", u.Capacity)
			}
		}
		r := s.Do(t, "POST", "/api/v1/users", e.admin, map[string]any{"email": "cap@example.com", "password": testserver.Password, "capacity": 2})
		if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"capacity":2`) {
			t.Errorf("create with capacity: %d %s", r.Status, r.Body)
		}
	})
}
