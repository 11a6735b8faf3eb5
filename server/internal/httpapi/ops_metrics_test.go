package httpapi_test

import (
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"holler/server/internal/buildinfo"
	"holler/server/internal/config"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// TestBuildVersionExposed: /healthz names the running build's version and
// /metrics carries holler_build_info{version,revision,go_version} = 1.
func TestBuildVersionExposed(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite})
	b := buildinfo.Get()
	var health struct{ Status, Version string }
	s.Do(t, "GET", "/healthz", "", nil).JSON(t, &health)
	if health.Status != "ok" || health.Version == "" || health.Version != b.Version {
		t.Errorf("/healthz %+v, want status ok and version %q", health, b.Version)
	}
	series := `holler_build_info{go_version="` + runtime.Version() + `",revision="` + b.Revision + `",version="` + b.Version + `"}`
	if got := metricValue(metricsText(t, s), series); got != "1" {
		t.Errorf("%s = %q, want 1", series, got)
	}
}

// TestPoolMetrics: the database pool's figures are exported on both stores,
// labelled with the store in use.
func TestPoolMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d})
		s.AdminToken(t) // the pool has served a query
		text := metricsText(t, s)
		for _, name := range []string{"go_sql_max_open_connections", "go_sql_open_connections", "go_sql_in_use_connections",
			"go_sql_idle_connections", "go_sql_wait_count_total", "go_sql_wait_duration_seconds_total"} {
			if metricValue(text, name+`{db_name="`+d+`"}`) == "" {
				t.Errorf("no %s for %s", name, d)
			}
		}
		if v, _ := strconv.Atoi(metricValue(text, `go_sql_max_open_connections{db_name="`+d+`"}`)); v < 1 {
			t.Errorf("go_sql_max_open_connections = %d, want the pool's limit", v)
		}
		if v, _ := strconv.Atoi(metricValue(text, `go_sql_open_connections{db_name="`+d+`"}`)); v < 1 {
			t.Errorf("go_sql_open_connections = %d after a login, want >= 1", v)
		}
	})
}

// TestWebsocketSessionsNotInLatency: a websocket's handler runs for the
// socket's whole life, so sessions are counted (status 101) but never
// observed in the request-latency histogram, for staff and visitor sockets.
func TestWebsocketSessionsNotInLatency(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite})
	token := s.AdminToken(t)
	dialStaff(t, s, token, nil).Close()

	r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "a socket, please"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var created struct {
		VisitorToken string `json:"visitor_token"`
	}
	r.JSON(t, &created)
	conn, resp, err := s.DialSocket("/api/v1/widget/"+s.DemoKey+"/ws", created.VisitorToken, "", nil)
	if err != nil {
		t.Fatalf("visitor socket: %v (%v)", err, resp)
	}
	conn.Close()

	sessions := map[string]string{
		"/api/v1/ws":                  `holler_http_requests_total{method="GET",route="/api/v1/ws",status="101"}`,
		"/api/v1/widget/:site_key/ws": `holler_http_requests_total{method="GET",route="/api/v1/widget/:site_key/ws",status="101"}`,
	}
	// A session is counted when its handler returns, just after the close.
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		text = metricsText(t, s)
		done := true
		for _, series := range sessions {
			done = done && metricValue(text, series) == "1"
		}
		if done || time.Now().After(deadline) {
			break
		}
	}
	for route, series := range sessions {
		if got := metricValue(text, series); got != "1" {
			t.Errorf("%s = %q, want 1 (one closed session)", series, got)
		}
		if strings.Contains(text, `holler_http_request_duration_seconds_count{method="GET",route="`+route+`"}`) {
			t.Errorf("a %s session was observed in the latency histogram", route)
		}
	}
	// Ordinary requests still are.
	if metricValue(text, `holler_http_request_duration_seconds_count{method="POST",route="/api/v1/widget/:site_key/conversations"}`) != "1" {
		t.Error("the widget POST is missing from the latency histogram")
	}
}

// TestMetricLabelsBounded: a client cannot mint label values: an unknown
// method is "other" (on a known route and on an unknown path), and an
// unknown path is "unmatched".
func TestMetricLabelsBounded(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite})
	if r := s.Do(t, "FOO", "/api/v1/sites", "", nil); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("FOO /api/v1/sites: %d, want 405", r.Status)
	}
	s.Do(t, "BREW", "/no/such/path", "", nil)
	s.Do(t, "GET", "/no/such/path/either", "", nil)
	text := metricsText(t, s)
	for series, want := range map[string]string{
		`holler_http_requests_total{method="other",route="/api/v1/sites",status="405"}`: "1",
		`holler_http_requests_total{method="other",route="unmatched",status="404"}`:     "1",
		`holler_http_requests_total{method="GET",route="unmatched",status="404"}`:       "1",
	} {
		if got := metricValue(text, series); got != want {
			t.Errorf("%s = %q, want %s", series, got, want)
		}
	}
	for _, leak := range []string{"FOO", "BREW", "/no/such"} {
		if strings.Contains(text, leak) {
			t.Errorf("%q leaked into a metric label", leak)
		}
	}
}

// TestSeparateMetricsListener: with HOLLER_METRICS_ADDR, /metrics is served
// there and answers 404 on the public listener (which keeps its probes);
// the metrics listener stops with the server.
func TestSeparateMetricsListener(t *testing.T) {
	metricsAddr := testserver.FreeAddr(t)
	s := testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite, Configure: func(c *config.Config) {
		c.MetricsAddr = metricsAddr
	}})
	wantError(t, s.Do(t, "GET", "/metrics", "", nil), http.StatusNotFound, "not_found")
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := s.Do(t, "GET", path, "", nil); r.Status != http.StatusOK {
			t.Errorf("GET %s on the public listener: %d", path, r.Status)
		}
	}

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics listener: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text := string(raw)
	if metricValue(text, `holler_http_requests_total{method="GET",route="/metrics",status="404"}`) != "1" ||
		metricValue(text, `holler_http_requests_total{method="GET",route="/healthz",status="200"}`) != "1" {
		t.Errorf("the metrics listener does not show the public listener's requests:\n%s", text)
	}

	s.Stop(t)
	if conn, err := net.DialTimeout("tcp", metricsAddr, 2*time.Second); err == nil {
		conn.Close()
		t.Error("the metrics listener still accepts connections after the server stopped")
	}
}

// metricsText scrapes /metrics on the public listener.
func metricsText(t *testing.T, s *testserver.Server) string {
	t.Helper()
	r := s.Do(t, "GET", "/metrics", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", r.Status, r.Body)
	}
	return string(r.Body)
}
