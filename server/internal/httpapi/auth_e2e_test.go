package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// TestRefreshRotationAndReuse: a refresh token works once; presenting a
// spent one revokes its whole family, including the newest token.
func TestRefreshRotationAndReuse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d})
		var first tokens
		r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": s.Admin, "password": testserver.Password})
		r.JSON(t, &first)
		if first.TokenType != "Bearer" || first.ExpiresIn != 900 || first.RefreshToken == "" {
			t.Fatalf("login: %s", r.Body)
		}
		var second tokens
		r = s.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})
		r.JSON(t, &second)
		if r.Status != http.StatusOK || second.RefreshToken == first.RefreshToken {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/me", second.AccessToken, nil); r.Status != http.StatusOK {
			t.Fatalf("me with new token: %d", r.Status)
		}
		// Reuse of the spent token: refused, and the family dies.
		if r := s.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken}); r.Status != http.StatusUnauthorized {
			t.Fatalf("reuse: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": second.RefreshToken}); r.Status != http.StatusUnauthorized {
			t.Fatalf("newest token of a revoked family: %d", r.Status)
		}
		// Logout kills a fresh login's refresh token.
		var third tokens
		s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": s.Admin, "password": testserver.Password}).JSON(t, &third)
		if r := s.Do(t, "POST", "/api/v1/auth/logout", third.AccessToken, map[string]string{"refresh_token": third.RefreshToken}); r.Status != http.StatusNoContent {
			t.Fatalf("logout: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": third.RefreshToken}); r.Status != http.StatusUnauthorized {
			t.Fatalf("refresh after logout: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": s.Admin, "password": "wrong password!"}); r.Status != http.StatusUnauthorized || r.ErrorCode() != "unauthorized" {
			t.Fatalf("wrong password: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/me", "not-a-jwt", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("garbage token: %d", r.Status)
		}
	})
}

// TestLoginThrottle: repeated failures for one account answer 429 with
// Retry-After, and the right password is throttled too until then.
func TestLoginThrottle(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite"})
	var last *testserver.Response
	for i := 0; i < 12; i++ {
		last = s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": s.Admin, "password": "wrong password!"})
		if last.Status == http.StatusTooManyRequests {
			break
		}
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || last.ErrorCode() != "rate_limited" {
		t.Fatalf("no throttle after 12 failures: %d %v %s", last.Status, last.Header, last.Body)
	}
	if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": s.Admin, "password": testserver.Password}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("throttled account logged in: %d", r.Status)
	}
}

// TestRevokedRightsEndSessionsAndSockets: disabling an agent ends their
// access token at once and closes their open socket; removing them from a
// site stops that site's events reaching them.
func TestRevokedRightsEndSessionsAndSockets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noRateLimit})
		admin := s.AdminToken(t)
		var u struct {
			User struct{ ID string } `json:"user"`
		}
		s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "kim@example.com", "password": "kim's password!", "role": "agent",
			"site_ids": []string{s.DemoSite}}).JSON(t, &u)
		agent := s.Login(t, "kim@example.com", "kim's password!")

		conn, _, err := s.DialSocket("/api/v1/ws", agent, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()

		// Removing the site: events of that site stop reaching the socket.
		if r := s.Do(t, "PATCH", "/api/v1/users/"+u.User.ID, admin, map[string]any{"site_ids": []string{}}); r.Status != http.StatusOK {
			t.Fatalf("remove site: %d %s", r.Status, r.Body)
		}
		// Shrunk rights end the session: the old access token is dead and
		// the socket is closed with a policy-violation code.
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, _, err := conn.ReadMessage()
			if err == nil {
				continue // an event that raced the change; keep reading
			}
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Fatalf("socket ended with %v, want close 1008", err)
			}
			break
		}
		if r := s.Do(t, "GET", "/api/v1/me", agent, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("old token after rights change: %d", r.Status)
		}

		// Disabling: login refused.
		s.Do(t, "PATCH", "/api/v1/users/"+u.User.ID, admin, map[string]any{"disabled": true})
		if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "kim@example.com", "password": "kim's password!"}); r.Status != http.StatusUnauthorized {
			t.Fatalf("disabled user logs in: %d", r.Status)
		}
		// Short passwords are refused with a field error.
		r := s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "lee@example.com", "password": "short"})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"password"`) {
			t.Fatalf("short password: %d %s", r.Status, r.Body)
		}
	})
}
