// Package testserver starts the real Holler server (the same Serve that
// `go run ./server` runs) on a free port for end-to-end tests, and offers a
// small HTTP client for them.
package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/app"
	"holler/server/internal/auth"
	"holler/server/internal/config"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// Password is the admin password of every test server.
const Password = "correct horse battery staple"

// Server is a running Holler.
type Server struct {
	URL      string
	Config   config.Config
	DemoKey  string
	DemoSite string
	Admin    string
	// SMTPAddr is the inbound SMTP listener's address when it is on.
	SMTPAddr string
	signer   *auth.Signer
	cancel   context.CancelFunc
	done     chan error
	Log      *LogBuffer
}

// Options tweak the configuration before start.
type Options struct {
	Dialect string
	// Store, when set, reuses a database (restart tests) instead of a fresh one.
	Store *store.Options
	// Configure edits the configuration before start.
	Configure func(*config.Config)
}

// Start runs a server until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.AdminPassword = Password
	cfg.AdminEmail = "admin@example.com"
	cfg.LogFormat = "json"
	cfg.LogLevel = "warn"
	cfg.ShutdownGrace = 5 * time.Second
	so := o.Store
	if so == nil {
		opts := storetest.Options(t, o.Dialect)
		so = &opts
	}
	cfg.DataDir, cfg.DatabaseURL = so.DataDir, so.DatabaseURL
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	s := StartConfig(t, cfg)
	return s
}

// StartConfig runs a server with exactly cfg (Addr should be 127.0.0.1:0).
// The public URL is set to the listening address unless cfg names one.
func StartConfig(t testing.TB, cfg config.Config) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan app.Started, 1)
	s := &Server{Config: cfg, cancel: cancel, done: make(chan error, 1), Log: &LogBuffer{}, Admin: cfg.AdminEmail}
	// The public URL must be known before start (it is printed and used for
	// origin checks), but the port is not: listen first on a fixed free port.
	if cfg.Addr == "127.0.0.1:0" {
		cfg.Addr = FreeAddr(t)
		if cfg.PublicURL == config.Default().PublicURL {
			cfg.PublicURL = "http://" + cfg.Addr
		}
	}
	s.Config = cfg
	go func() { s.done <- app.Serve(ctx, cfg, s.Log, s.Log, started) }()
	select {
	case st := <-started:
		s.URL = "http://" + st.Addr
		s.SMTPAddr, s.signer = st.SMTPAddr, st.Signer
		if st.FirstRun.DemoSite != nil {
			s.DemoKey, s.DemoSite = st.FirstRun.DemoSite.Key, st.FirstRun.DemoSite.ID
		}
	case err := <-s.done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, s.Log.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start within 60 s")
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Stop shuts the server down gracefully and waits for it.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("server did not stop within 20 s")
	}
}

// Response is a decoded reply.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// ErrorCode returns error.code of a contract error body ("" if none).
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do sends a request. body may be nil, a []byte/string (sent as is) or a
// value to encode as JSON. headers are name, value pairs.
func (s *Server) Do(t testing.TB, method, path, token string, body any, headers ...string) *Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// Login signs in and returns an access token.
func (s *Server) Login(t testing.TB, email, password string) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	r.JSON(t, &out)
	return out.AccessToken
}

// AdminToken signs in as the first admin.
func (s *Server) AdminToken(t testing.TB) string { return s.Login(t, s.Admin, Password) }

// DialSocket opens a websocket on path (with ?cursor= when cursor is set),
// offering the holler.v1 subprotocol and, when token is set, bearer.<token>.
func (s *Server) DialSocket(path, token, cursor string, header http.Header) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(s.URL, "http") + path
	if cursor != "" {
		u += "?cursor=" + url.QueryEscape(cursor)
	}
	protos := []string{"holler.v1"}
	if token != "" {
		protos = append(protos, "bearer."+token)
	}
	d := websocket.Dialer{Subprotocols: protos, HandshakeTimeout: 5 * time.Second}
	return d.Dial(u, header)
}
