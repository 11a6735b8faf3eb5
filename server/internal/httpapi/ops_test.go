package httpapi_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestHealthAndReady: a running server is alive and ready on both stores.
func TestHealthAndReady(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d})
		for _, path := range []string{"/healthz", "/readyz"} {
			r := s.Do(t, "GET", path, "", nil)
			if r.Status != http.StatusOK {
				t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
			}
		}
	})
}

// TestReadyzWhenStoreGone: dropping the PostgreSQL database under a running
// server turns /readyz into a 503 unavailable with Retry-After in the contract's error shape, while
// /healthz (liveness) stays 200 so an orchestrator does not kill the pod
// for a database outage.
func TestReadyzWhenStoreGone(t *testing.T) {
	url := storetest.FreshPostgres(t)
	s := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: url}})
	if r := s.Do(t, "GET", "/readyz", "", nil); r.Status != http.StatusOK {
		t.Fatalf("readyz before drop: %d %s", r.Status, r.Body)
	}
	storetest.DropPostgres(t, url)

	// The pool may hold a connection that only fails when used: poll.
	var r *testserver.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if r = s.Do(t, "GET", "/readyz", "", nil); r.Status == http.StatusServiceUnavailable {
			break
		}
	}
	wantError(t, r, http.StatusServiceUnavailable, "unavailable")
	if ra := r.Header.Get("Retry-After"); ra == "" {
		t.Error("readyz 503 without Retry-After")
	}
	if r := s.Do(t, "GET", "/healthz", "", nil); r.Status != http.StatusOK {
		t.Errorf("healthz with the store gone: %d, want 200", r.Status)
	}
}

// TestMetrics: /metrics is Prometheus text with per-route request counts
// (the route pattern, not the raw path), open sockets and published events.
func TestMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d})
		token := s.AdminToken(t)

		// Two requests on one route with different IDs must share one label.
		for i := 0; i < 2; i++ {
			r := s.Do(t, "GET", "/api/v1/sites/nope"+strconv.Itoa(i), token, nil)
			wantError(t, r, http.StatusNotFound, "not_found")
		}
		r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "metrics?"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		ws := dialStaff(t, s, token, nil)
		defer ws.Close()

		// The gauge is updated when the hub attaches the socket, which may
		// be just after the handshake: poll until it shows.
		var text string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			m := s.Do(t, "GET", "/metrics", "", nil)
			if m.Status != http.StatusOK {
				t.Fatalf("metrics: %d", m.Status)
			}
			if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Fatalf("metrics Content-Type %q", ct)
			}
			text = string(m.Body)
			if metricValue(text, `holler_websockets_open{kind="staff"}`) == "1" {
				break
			}
		}
		checks := map[string]string{
			`holler_http_requests_total{method="GET",route="/api/v1/sites/:id",status="404"}`:                       "2",
			`holler_http_requests_total{method="POST",route="/api/v1/widget/:site_key/conversations",status="201"}`: "1",
			`holler_websockets_open{kind="staff"}`:                                                                  "1",
		}
		for series, want := range checks {
			if got := metricValue(text, series); got != want {
				t.Errorf("%s = %q, want %q", series, got, want)
			}
		}
		if v, _ := strconv.ParseFloat(metricValue(text, "holler_events_published_total"), 64); v < 1 {
			t.Errorf("holler_events_published_total = %v, want >= 1 after a create", v)
		}
		for _, name := range []string{"# TYPE holler_http_requests_total counter", "# TYPE holler_websockets_open gauge", "# TYPE holler_events_published_total counter"} {
			if !strings.Contains(text, name) {
				t.Errorf("metrics lack %q", name)
			}
		}
		if strings.Contains(text, "nope0") {
			t.Error("a raw path leaked into a metric label")
		}
	})
}

// TestSocketGaugeIsExposedAtZero: a fresh server exposes holler_websockets_open
// before any socket opened, so dashboards and alerts see 0, not "no data".
func TestSocketGaugeIsExposedAtZero(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite})
	text := string(s.Do(t, "GET", "/metrics", "", nil).Body)
	for _, series := range []string{`holler_websockets_open{kind="staff"}`, `holler_websockets_open{kind="visitor"}`, "holler_events_published_total"} {
		if got := metricValue(text, series); got != "0" {
			t.Errorf("%s = %q, want 0", series, got)
		}
	}
}

// metricValue returns the sample value of one exact series line ("" if absent).
func metricValue(text, series string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	if m := re.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// dialStaff opens the staff socket the way the dashboard does.
func dialStaff(t *testing.T, s *testserver.Server, token string, header http.Header) *websocket.Conn {
	t.Helper()
	conn, resp, err := s.DialSocket("/api/v1/ws", token, "", header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial staff socket: %v (status %d)", err, status)
	}
	return conn
}
