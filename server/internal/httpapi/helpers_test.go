package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"holler/server/internal/config"
	"holler/server/internal/testserver"
)

// noLimits turns the anonymous limits off for tests that send many widget
// requests from one address but are not about rate limiting.
func noLimits(c *config.Config) { c.RateLimit = false }

// contractError is the binding error body.
type contractError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// wantError checks status, the JSON content type and the contract's error
// shape, and returns the decoded body for further checks.
func wantError(t *testing.T, r *testserver.Response, status int, code string) contractError {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	var e contractError
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.Body, err)
	}
	if e.Error.Code != code {
		t.Errorf("error.code %q, want %q (body %s)", e.Error.Code, code, r.Body)
	}
	if e.Error.Message == "" {
		t.Errorf("error.message is empty (body %s)", r.Body)
	}
	return e
}

// conversationCount is how many conversations the admin sees: the witness
// that a rejected request created nothing.
func conversationCount(t *testing.T, s *testserver.Server, token string) int {
	t.Helper()
	r := s.Do(t, "GET", "/api/v1/conversations?limit=100", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list conversations: %d %s", r.Status, r.Body)
	}
	var out struct {
		Conversations []json.RawMessage `json:"conversations"`
	}
	r.JSON(t, &out)
	return len(out.Conversations)
}

// createPath is the widget's create-conversation route for a site key.
func createPath(key string) string { return "/api/v1/widget/" + key + "/conversations" }
