package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// client speaks to one server the way the widget and the dashboard do.
type client struct {
	base    string
	http    *http.Client
	token   string
	siteID  string
	siteKey string
}

func newClient(base string) *client {
	return &client{base: base, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute},
	}}
}

// signIn logs in as the bench's admin and finds the Demo site.
func (c *client) signIn(ctx context.Context, email, password string) error {
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.call(ctx, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, http.StatusOK, &login); err != nil {
		return fmt.Errorf("log in: %w", err)
	}
	c.token = login.AccessToken
	var sites struct {
		Sites []struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		} `json:"sites"`
	}
	if err := c.call(ctx, "GET", "/api/v1/sites", nil, http.StatusOK, &sites); err != nil {
		return fmt.Errorf("list sites: %w", err)
	}
	if len(sites.Sites) == 0 {
		return errors.New("the server has no site")
	}
	c.siteID, c.siteKey = sites.Sites[0].ID, sites.Sites[0].Key
	return nil
}

// forSite is a client of another server (instance) on the same database.
func (c *client) forServer(base string) *client {
	o := newClient(base)
	o.token, o.siteID, o.siteKey = c.token, c.siteID, c.siteKey
	return o
}

func (c *client) call(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// submit files one widget conversation whose message carries the marker
// of (tag, seq), so a dashboard can tell which submission a frame is.
func (c *client) submit(ctx context.Context, tag string, seq int) error {
	body := `{"kind":"question","message":"` + marker(tag, seq) + ` Where is my parcel? It was due on Monday."}`
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/api/v1/widget/"+c.siteKey+"/conversations", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("submit: %d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

// timeGet times one GET that must answer 200.
func (c *client) timeGet(ctx context.Context, path string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return time.Since(t0), nil
}

// dial opens one staff dashboard socket, as the dashboard does.
func (c *client) dial(ctx context.Context) (*websocket.Conn, error) {
	d := websocket.Dialer{
		Subprotocols:     []string{"holler.v1", "bearer." + c.token},
		HandshakeTimeout: 30 * time.Second,
		// Small buffers: the bench holds thousands of these itself.
		ReadBufferSize:  2048,
		WriteBufferSize: 256,
	}
	conn, resp, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/api/v1/ws", http.Header{"Origin": {c.base}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial the staff socket: %w (status %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial the staff socket: %w", err)
	}
	return conn, nil
}

// marker is what a submission's message starts with: "bench:TAG:SEQ;".
func marker(tag string, seq int) string {
	return "bench:" + tag + ":" + strconv.Itoa(seq) + ";"
}

var createdType = []byte(`"type":"conversation.created"`)

// markedSeq finds the sequence number of a conversation.created frame of
// run tag; ok is false for any other frame.
func markedSeq(frame []byte, prefix []byte) (seq int, ok bool) {
	if !bytes.Contains(frame, createdType) {
		return 0, false
	}
	i := bytes.Index(frame, prefix)
	if i < 0 {
		return 0, false
	}
	rest := frame[i+len(prefix):]
	j := bytes.IndexByte(rest, ';')
	if j <= 0 {
		return 0, false
	}
	n, err := strconv.Atoi(string(rest[:j]))
	return n, err == nil
}

// counters reads the named counters from the server's /metrics (the public
// listener serves it when no separate metrics address is set).
func (c *client) counters(ctx context.Context, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %d", resp.StatusCode)
	}
	out := map[string]float64{}
	for line := range strings.Lines(string(b)) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		for _, want := range names {
			if ok && name == want {
				if v, err := strconv.ParseFloat(value, 64); err == nil {
					out[name] = v
				}
			}
		}
	}
	if len(out) != len(names) {
		return nil, fmt.Errorf("GET /metrics: want %v, found %v", names, out)
	}
	return out, nil
}
