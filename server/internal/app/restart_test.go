package app_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"holler/server/internal/config"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestFirstRunAndRestart: the first start creates the admin and the Demo
// site; a restart on the same database keeps the admin's password and the
// data and creates no second admin or Demo site.
func TestFirstRunAndRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		opts := storetest.Options(t, d)
		s1 := testserver.Start(t, testserver.Options{Store: &opts})
		if s1.DemoKey == "" {
			t.Fatal("first run created no Demo site")
		}
		token := s1.AdminToken(t)
		assertOneDemoOneAdmin(t, s1, token)

		r := s1.Do(t, "POST", "/api/v1/widget/"+s1.DemoKey+"/conversations", "",
			map[string]string{"kind": "complaint", "message": "the parcel never came"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var created struct {
			Conversation struct {
				ID  string `json:"id"`
				Ref string `json:"ref"`
			} `json:"conversation"`
		}
		r.JSON(t, &created)
		s1.Stop(t)

		// Same database, same admin password in the config: nothing is
		// re-created and the old password still works.
		s2 := testserver.Start(t, testserver.Options{Store: &store.Options{DataDir: opts.DataDir, DatabaseURL: opts.DatabaseURL}})
		if s2.DemoKey != s1.DemoKey {
			t.Errorf("Demo site key changed across restart: %q -> %q", s1.DemoKey, s2.DemoKey)
		}
		token = s2.AdminToken(t)
		assertOneDemoOneAdmin(t, s2, token)

		r = s2.Do(t, "GET", "/api/v1/conversations/"+created.Conversation.ID, token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("conversation after restart: %d %s", r.Status, r.Body)
		}
		r = s2.Do(t, "GET", "/api/v1/conversations?q="+created.Conversation.Ref, token, nil)
		var list struct {
			Conversations []struct {
				ID string `json:"id"`
			} `json:"conversations"`
		}
		r.JSON(t, &list)
		if len(list.Conversations) != 1 || list.Conversations[0].ID != created.Conversation.ID {
			t.Errorf("listed after restart: %s", r.Body)
		}
	})
}

// TestRestartKeepsFirstPassword: a restart with a different
// HOLLER_ADMIN_PASSWORD does not reset the admin's password (it only
// seeds the first admin), so an operator's changed password survives.
func TestRestartKeepsFirstPassword(t *testing.T) {
	opts := storetest.Options(t, store.DialectSQLite)
	s1 := testserver.Start(t, testserver.Options{Store: &opts})
	s1.Stop(t)
	s2 := testserver.Start(t, testserver.Options{Store: &opts, Configure: func(c *config.Config) {
		c.AdminPassword = "a different long password"
	}})
	r := s2.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": s2.Admin, "password": "a different long password"})
	if r.Status != http.StatusUnauthorized {
		t.Errorf("login with the new env password: %d, want 401", r.Status)
	}
	s2.AdminToken(t) // the first password still works
}

// assertOneDemoOneAdmin checks the first-run data exists exactly once.
func assertOneDemoOneAdmin(t *testing.T, s *testserver.Server, token string) {
	t.Helper()
	var sites struct {
		Sites []struct {
			ID, Key, Name string
		} `json:"sites"`
	}
	getJSON(t, s, "/api/v1/sites", token, &sites)
	demos := 0
	for _, site := range sites.Sites {
		if site.Name == "Demo" {
			demos++
			if site.Key != s.DemoKey {
				t.Errorf("Demo site key %q, server says %q", site.Key, s.DemoKey)
			}
		}
	}
	if demos != 1 || len(sites.Sites) != 1 {
		t.Errorf("sites %+v, want exactly one Demo", sites.Sites)
	}

	var users struct {
		Users []struct {
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"users"`
	}
	getJSON(t, s, "/api/v1/users", token, &users)
	if len(users.Users) != 1 || users.Users[0].Email != s.Admin || users.Users[0].Role != "admin" {
		t.Errorf("users %+v, want exactly the one admin %s", users.Users, s.Admin)
	}
}

func getJSON(t *testing.T, s *testserver.Server, path, token string, v any) {
	t.Helper()
	r := s.Do(t, "GET", path, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
