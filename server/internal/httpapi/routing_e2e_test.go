package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestRoutingRules: a site's rules are stored in order and read back;
// each matcher (kind, page glob, language, email domain) routes a new
// conversation to its team, the first matching rule wins, and a
// conversation no rule matches gets no team. Staff see team_id, the
// visitor never does.
func TestRoutingRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		e := newTeamsEnv(t, s)
		praise, shipping, german, key, help := e.team(t, "Praise"), e.team(t, "Shipping"), e.team(t, "German"), e.team(t, "Key accounts"), e.team(t, "Help")
		rules := []map[string]any{
			{"kinds": []string{"praise"}, "team_id": praise},
			{"page_glob": "/checkout*", "team_id": shipping},
			{"languages": []string{"de"}, "team_id": german},
			{"email_domains": []string{"@BigCorp.com"}, "team_id": key},
			{"kinds": []string{"question"}, "page_glob": "*://shop.example/help/?*", "team_id": help},
		}
		r := s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", e.admin, map[string]any{"rules": rules})
		if r.Status != http.StatusOK {
			t.Fatalf("put routing: %d %s", r.Status, r.Body)
		}
		var back struct {
			Rules []map[string]any `json:"rules"`
		}
		s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite+"/routing", e.admin, nil).JSON(t, &back)
		if len(back.Rules) != len(rules) {
			t.Fatalf("%d rules back, want %d", len(back.Rules), len(rules))
		}
		for i, want := range []string{praise, shipping, german, key, help} {
			if back.Rules[i]["team_id"] != want {
				t.Errorf("rule %d routes to %v, want %s (order kept)", i, back.Rules[i]["team_id"], want)
			}
			for _, f := range []string{"kinds", "page_glob", "languages", "email_domains"} {
				if _, ok := back.Rules[i][f]; !ok || back.Rules[i][f] == nil {
					t.Errorf("rule %d: %s missing or null: %v", i, f, back.Rules[i])
				}
			}
		}
		if d := back.Rules[3]["email_domains"].([]any); len(d) != 1 || d[0] != "bigcorp.com" {
			t.Errorf("email domain stored as %v, want bigcorp.com", d)
		}

		german1 := "Meine Bestellung ist seit drei Wochen nicht angekommen und niemand antwortet mir. Das ist eine Frechheit!"
		for _, tc := range []struct {
			name string
			body map[string]any
			want string
		}{
			{"kind, ahead of the page rule", map[string]any{"kind": "praise", "message": "Lovely shop", "page_url": "https://shop.example/checkout"}, praise},
			{"page path glob", map[string]any{"page_url": "https://shop.example/checkout/step-2?coupon=x"}, shipping},
			{"glob ignores case", map[string]any{"page_url": "https://shop.example/CHECKOUT"}, shipping},
			{"language", map[string]any{"message": german1, "page_url": "https://shop.example/cart"}, german},
			{"email subdomain", map[string]any{"email": "kim@eu.bigcorp.com"}, key},
			{"email domain", map[string]any{"email": "kim@bigcorp.com", "page_url": "https://shop.example/help/x"}, key},
			{"two matchers", map[string]any{"kind": "question", "message": "Where is my parcel?", "page_url": "https://shop.example/help/returns"}, help},
			{"one of two matchers", map[string]any{"kind": "question", "message": "Where is my parcel?", "page_url": "https://shop.example/help/"}, ""},
			{"not a subdomain", map[string]any{"email": "kim@notbigcorp.com", "page_url": "https://shop.example/about"}, ""},
			{"nothing matches", map[string]any{}, ""},
		} {
			id := e.file(t, tc.body)
			if got := e.conv(t, id).team(); got != tc.want {
				t.Errorf("%s: team %q, want %q", tc.name, got, tc.want)
			}
		}

		// An empty rule matches everything; the visitor's view has no team.
		e.route(t, s.DemoSite, map[string]any{"team_id": help})
		r = s.Do(t, "POST", createPath(s.DemoKey), "", map[string]any{"kind": "feedback", "message": "hi"})
		var created struct {
			Conversation map[string]any `json:"conversation"`
			VisitorToken string         `json:"visitor_token"`
		}
		r.JSON(t, &created)
		id := created.Conversation["id"].(string)
		if got := e.conv(t, id).team(); got != help {
			t.Errorf("empty rule: team %q, want %q", got, help)
		}
		thread := s.Do(t, "GET", createPath(s.DemoKey)+"/"+id, created.VisitorToken, nil)
		var vt struct {
			Conversation map[string]json.RawMessage `json:"conversation"`
		}
		thread.JSON(t, &vt)
		if v, ok := vt.Conversation["team_id"]; ok && string(v) != "null" {
			t.Errorf("the visitor sees team_id %s", v)
		}
	})
}

// TestRoutingValidationAndAccess: bad rules are a 422 naming the rule and
// field, and nothing changes; agents read their sites' rules and write
// none; another site's rules answer 404.
func TestRoutingValidationAndAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
		e := newTeamsEnv(t, s)
		tm := e.team(t, "Shipping")
		e.route(t, s.DemoSite, map[string]any{"kinds": []string{"complaint"}, "team_id": tm})

		bad := map[string]any{"rules": []map[string]any{
			{"kinds": []string{"rant"}, "team_id": tm},
			{"languages": []string{"xx"}, "team_id": tm},
			{"email_domains": []string{"not a domain"}, "team_id": tm},
			{"team_id": "0190c0de-0000-7000-8000-000000000000"},
			{"kinds": []string{"complaint"}},
			{"page_glob": "/a\tb", "team_id": tm},
		}}
		ve := wantError(t, s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", e.admin, bad), http.StatusUnprocessableEntity, "validation_failed")
		for _, f := range []string{"rules[0].kinds", "rules[1].languages", "rules[2].email_domains", "rules[3].team_id", "rules[4].team_id", "rules[5].page_glob"} {
			if ve.Error.Fields[f] == "" {
				t.Errorf("no error for %s: %v", f, ve.Error.Fields)
			}
		}
		ve = wantError(t, s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", e.admin, map[string]any{}), http.StatusUnprocessableEntity, "validation_failed")
		if ve.Error.Fields["rules"] == "" {
			t.Errorf("missing rules: fields %v", ve.Error.Fields)
		}
		many := make([]map[string]any, 101)
		for i := range many {
			many[i] = map[string]any{"team_id": tm}
		}
		wantError(t, s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", e.admin, map[string]any{"rules": many}), http.StatusUnprocessableEntity, "validation_failed")
		wantError(t, s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", e.admin, `{"rules": [{"kinds": "complaint"}]}`), http.StatusUnprocessableEntity, "validation_failed")

		var back struct {
			Rules []map[string]any `json:"rules"`
		}
		s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite+"/routing", e.admin, nil).JSON(t, &back)
		if len(back.Rules) != 1 || back.Rules[0]["team_id"] != tm {
			t.Errorf("rules after refused writes: %v", back.Rules)
		}

		// Another site and its agent.
		r := s.Do(t, "POST", "/api/v1/sites", e.admin, map[string]any{"name": "Other shop"})
		var other struct {
			Site struct {
				ID string `json:"id"`
			} `json:"site"`
		}
		r.JSON(t, &other)
		_, demoAgent := e.agent(t, "demo@example.com")
		_, otherAgent := e.agent(t, "other@example.com", other.Site.ID)
		if r := s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite+"/routing", demoAgent, nil); r.Status != http.StatusOK {
			t.Errorf("an agent of the site reads its rules: %d %s", r.Status, r.Body)
		}
		wantError(t, s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", demoAgent, map[string]any{"rules": []any{}}), http.StatusForbidden, "forbidden")
		wantError(t, s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite+"/routing", otherAgent, nil), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "PUT", "/api/v1/sites/"+s.DemoSite+"/routing", otherAgent, map[string]any{"rules": []any{}}), http.StatusNotFound, "not_found")
		wantError(t, s.Do(t, "GET", "/api/v1/sites/0190c0de-0000-7000-8000-000000000000/routing", e.admin, nil), http.StatusNotFound, "not_found")
		s.Do(t, "GET", "/api/v1/sites/"+s.DemoSite+"/routing", e.admin, nil).JSON(t, &back)
		if len(back.Rules) != 1 {
			t.Errorf("rules changed by refused writes: %v", back.Rules)
		}
	})
}
