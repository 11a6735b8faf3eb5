package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"holler/server/internal/service"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPanicBecomesInternalError: a handler panic is answered with the
// contract's 500 internal_error, leaks nothing of the panic to the client,
// is logged for the operator, counted in metrics, and the server keeps
// serving. No route panics on purpose, so this builds the real middleware
// stack (New) and adds one that does.
func TestPanicBecomesInternalError(t *testing.T) {
	st := storetest.Open(t, store.DialectSQLite)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	metrics := NewMetrics()
	e := New(Deps{
		Service: service.New(service.Options{Store: st, Logger: logger}),
		Metrics: metrics, Logger: logger,
		PublicURL: "http://localhost:8080", PublicOrigin: "http://localhost:8080",
	})
	e.GET("/boom", func(echo.Context) error { panic("secret internals") })
	srv := httptest.NewServer(e)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body errorBody
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body %q: %v", raw, err)
	}
	if resp.StatusCode != http.StatusInternalServerError || body.Error.Code != "internal_error" {
		t.Errorf("got %d %q, want 500 internal_error", resp.StatusCode, body.Error.Code)
	}
	if strings.Contains(string(raw), "secret") || strings.Contains(string(raw), "goroutine") {
		t.Errorf("the response leaks the panic: %s", raw)
	}
	if resp.Header.Get(echo.HeaderXRequestID) == "" {
		t.Error("no X-Request-ID to match the log line")
	}
	if !strings.Contains(logs.String(), "secret internals") {
		t.Errorf("the panic was not logged: %s", logs)
	}

	// The server survived the panic.
	r2, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusOK {
		t.Errorf("healthz after a panic: %d", r2.StatusCode)
	}

	// The 500 is counted under the route, like any other response.
	mr := httptest.NewRecorder()
	e.ServeHTTP(mr, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(mr.Body.String(), `holler_http_requests_total{method="GET",route="/boom",status="500"} 1`) {
		t.Errorf("the panic is not counted as a 500 on /boom")
	}
}
