package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"holler/server/internal/config"
	"holler/server/internal/store"
	"holler/server/internal/testserver"
)

// The limiter is in memory and the same whatever the store, so these tests
// run on SQLite only.

// Limits as httpapi.New sets them.
const (
	// siteWriteBurst is the site's shared write bucket: creates and
	// visitor messages from every address together.
	siteWriteBurst = 300
	// socketBurst is how many websocket connects one address may open at once.
	socketBurst = 60
)

// behindProxy starts a server that believes X-Forwarded-For from loopback,
// so a test can speak as many client addresses.
func behindProxy(t *testing.T, edit func(*config.Config)) *testserver.Server {
	t.Helper()
	trusted, err := config.ParsePrefixes("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	return testserver.Start(t, testserver.Options{Dialect: store.DialectSQLite, Configure: func(c *config.Config) {
		c.TrustedProxies = trusted
		if edit != nil {
			edit(c)
		}
	}})
}

// flood sends n JSON requests from one address, 8 at a time, and counts
// the answers by status.
func flood(t *testing.T, s *testserver.Server, n int, ip, method, path, token string, body any) map[int]int {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
		next     = make(chan struct{})
	)
	for range 8 {
		wg.Go(func() {
			for range next {
				status, err := send(s.URL+path, method, token, ip, raw)
				if err != nil {
					t.Error(err) // not Fatal: this is not the test's goroutine
					continue
				}
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		})
	}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	return statuses
}

func send(url, method, token, ip string, body []byte) (int, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// TestFloodingAddressDoesNotThrottleTheSite: one address sending far more
// widget writes than the site's shared bucket holds is refused by its own
// per-address bucket, and those refusals take nothing from the site's
// bucket, so a visitor at another address still files a conversation and
// replies. (Charging the site first let one client at 25/s give every
// visitor of the site a 429.)
func TestFloodingAddressDoesNotThrottleTheSite(t *testing.T) {
	const flooder, visitor = "203.0.113.66", "198.51.100.9"
	n := 2*siteWriteBurst + 40
	// fileAs files one conversation as client address ip.
	fileAs := func(t *testing.T, s *testserver.Server, ip string) created {
		t.Helper()
		r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "Where is my parcel?"},
			"X-Forwarded-For", ip)
		if r.Status != http.StatusCreated {
			t.Fatalf("create as %s: %d %s", ip, r.Status, r.Body)
		}
		var c created
		r.JSON(t, &c)
		return c
	}
	wantRefusals := func(t *testing.T, got map[int]int) {
		t.Helper()
		if got[http.StatusTooManyRequests] == 0 || got[http.StatusTooManyRequests]+got[http.StatusCreated] != n {
			t.Fatalf("flood answered %v, want 201s, then 429s", got)
		}
	}

	t.Run("create", func(t *testing.T) {
		s := behindProxy(t, nil)
		wantRefusals(t, flood(t, s, n, flooder, "POST", createPath(s.DemoKey), "",
			map[string]string{"kind": "question", "message": "flood"}))
		fileAs(t, s, visitor)
	})

	t.Run("reply", func(t *testing.T) {
		s := behindProxy(t, nil)
		mine, theirs := fileAs(t, s, visitor), fileAs(t, s, flooder)
		msgs := func(c created) string { return createPath(s.DemoKey) + "/" + c.Conversation.ID + "/messages" }
		wantRefusals(t, flood(t, s, n, flooder, "POST", msgs(theirs), theirs.VisitorToken, map[string]string{"body": "flood"}))
		r := s.Do(t, "POST", msgs(mine), mine.VisitorToken, map[string]string{"body": "Any news?"}, "X-Forwarded-For", visitor)
		if r.Status != http.StatusCreated {
			t.Fatalf("visitor's reply after another address's flood: %d %s", r.Status, r.Body)
		}
	})
}

// dialFrom opens a websocket as client address ip and closes it at once;
// it returns the HTTP status of the handshake (101 when accepted) and the
// refusal's Retry-After and error code.
func dialFrom(t *testing.T, s *testserver.Server, path, token, ip string) (status int, retryAfter, code string) {
	t.Helper()
	conn, resp, err := s.DialSocket(path, token, "", http.Header{"X-Forwarded-For": {ip}})
	if err == nil {
		conn.Close()
		return http.StatusSwitchingProtocols, "", ""
	}
	if resp == nil {
		t.Fatalf("dial %s as %s: no HTTP answer: %v", path, ip, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e contractError
	_ = json.Unmarshal(body, &e)
	return resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Code
}

// TestSocketConnectFloodIsLimitedPerAddress: an address that keeps opening
// websockets (staff or widget) gets 429 with Retry-After before any
// upgrade, while another address still connects to both.
func TestSocketConnectFloodIsLimitedPerAddress(t *testing.T) {
	s := behindProxy(t, nil)
	staffToken := s.AdminToken(t)
	r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "hello"},
		"X-Forwarded-For", "198.51.100.1")
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var v created
	r.JSON(t, &v)
	sockets := []struct{ name, path, token string }{
		{"staff", "/api/v1/ws", staffToken},
		{"widget", "/api/v1/widget/" + s.DemoKey + "/ws", v.VisitorToken},
	}

	for i, sock := range sockets {
		t.Run(sock.name, func(t *testing.T) {
			flooder := fmt.Sprintf("203.0.113.%d", 10+i)
			// Connect until refused. The bucket refills one connect a
			// second, so ten bursts' worth of connects end in a refusal
			// unless each takes most of a second; the cap only guards
			// against a limit that never bites.
			accepted := 0
			for {
				status, retryAfter, code := dialFrom(t, s, sock.path, sock.token, flooder)
				if status == http.StatusSwitchingProtocols {
					if accepted++; accepted > 10*socketBurst {
						t.Fatalf("%d connects from one address, none refused", accepted)
					}
					continue
				}
				if status != http.StatusTooManyRequests || code != "rate_limited" {
					t.Fatalf("after %d connects: status %d code %q, want 429 rate_limited", accepted, status, code)
				}
				if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 {
					t.Errorf("Retry-After %q, want a positive number of seconds", retryAfter)
				}
				break
			}
			if accepted < socketBurst {
				t.Errorf("refused after %d connects, want a burst of %d first", accepted, socketBurst)
			}
			// Another address is not affected.
			for _, other := range sockets {
				if status, _, _ := dialFrom(t, s, other.path, other.token, fmt.Sprintf("198.51.100.%d", 20+i)); status != http.StatusSwitchingProtocols {
					t.Errorf("%s socket from another address: status %d, want accepted", other.name, status)
				}
			}
		})
	}
}

// TestSocketConnectLimitOff: HOLLER_RATE_LIMIT=off (load tests) lifts the
// connect limit too.
func TestSocketConnectLimitOff(t *testing.T) {
	s := behindProxy(t, noLimits)
	token := s.AdminToken(t)
	for i := range socketBurst + 10 {
		if status, _, _ := dialFrom(t, s, "/api/v1/ws", token, "203.0.113.99"); status != http.StatusSwitchingProtocols {
			t.Fatalf("connect %d with limits off: status %d, want accepted", i+1, status)
		}
	}
}
