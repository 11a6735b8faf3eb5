package realtime_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestPresenceAcrossInstances: an agent's dashboard open on one instance
// makes their site online in the widget config served by another (through
// the presence notices on PostgreSQL), while a site they do not answer
// stays offline there.
func TestPresenceAcrossInstances(t *testing.T) {
	url := storetest.FreshPostgres(t)
	a := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: url}, Configure: noLimits})
	b := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: url}, Configure: noLimits})
	admin := a.AdminToken(t)
	var shop struct{ Site struct{ ID, Key string } }
	a.Do(t, "POST", "/api/v1/sites", admin, map[string]any{"name": "Shop"}).JSON(t, &shop)
	// The admin answers Demo and Shop; hand Shop to an agent alone.
	var me struct{ User struct{ ID string } }
	a.Do(t, "GET", "/api/v1/me", admin, nil).JSON(t, &me)
	if r := a.Do(t, "PATCH", "/api/v1/users/"+me.User.ID, admin, map[string]any{"answer_site_ids": []string{a.DemoSite}}); r.Status != http.StatusOK {
		t.Fatalf("admin answers Demo only: %d %s", r.Status, r.Body)
	}
	if r := a.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "agent@example.com", "password": "a long enough password",
		"site_ids": []string{shop.Site.ID}}); r.Status != http.StatusCreated {
		t.Fatalf("create agent: %d %s", r.Status, r.Body)
	}
	online := func(s *testserver.Server, key string) bool {
		r := s.Do(t, "GET", "/api/v1/widget/"+key+"/config", "", nil)
		return r.Status == http.StatusOK && strings.Contains(string(r.Body), `"online":true`)
	}
	if online(b, shop.Site.Key) || online(b, b.DemoKey) {
		t.Fatal("online with nobody connected")
	}
	conn := dial(t, a, "/api/v1/ws", a.Login(t, "agent@example.com", "a long enough password"), "", nil)
	defer conn.Close()
	deadline := time.Now().Add(30 * time.Second)
	for !online(b, shop.Site.Key) {
		if time.Now().After(deadline) {
			t.Fatal("instance B does not see the agent connected to A within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if online(b, b.DemoKey) || online(a, a.DemoKey) {
		t.Fatal("the agent made a site they do not answer online")
	}
}
