package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/testserver"
)

// teamsEnv is a server with its admin, for the teams and routing tests.
type teamsEnv struct {
	s     *testserver.Server
	admin string
}

func newTeamsEnv(t *testing.T, s *testserver.Server) *teamsEnv {
	return &teamsEnv{s: s, admin: s.AdminToken(t)}
}

// agent creates an agent of the given sites (the demo site when none) and
// signs them in.
func (e *teamsEnv) agent(t *testing.T, email string, sites ...string) (id, token string) {
	t.Helper()
	if len(sites) == 0 {
		sites = []string{e.s.DemoSite}
	}
	r := e.s.Do(t, "POST", "/api/v1/users", e.admin, map[string]any{"email": email, "name": strings.Split(email, "@")[0],
		"password": testserver.Password, "role": "agent", "site_ids": sites,
		"notifications": map[string]any{"new_conversations": "none"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create agent: %d %s", r.Status, r.Body)
	}
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.JSON(t, &out)
	return out.User.ID, e.s.Login(t, email, testserver.Password)
}

// capacity sets a user's capacity of open conversations.
func (e *teamsEnv) capacity(t *testing.T, userID string, n int) {
	t.Helper()
	if r := e.s.Do(t, "PATCH", "/api/v1/users/"+userID, e.admin, map[string]any{"capacity": n}); r.Status != http.StatusOK {
		t.Fatalf("set capacity: %d %s", r.Status, r.Body)
	}
}

type team struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	MemberIDs []string `json:"member_ids"`
}

// team creates a team.
func (e *teamsEnv) team(t *testing.T, name string, members ...string) string {
	t.Helper()
	if members == nil {
		members = []string{}
	}
	r := e.s.Do(t, "POST", "/api/v1/teams", e.admin, map[string]any{"name": name, "member_ids": members})
	if r.Status != http.StatusCreated {
		t.Fatalf("create team: %d %s", r.Status, r.Body)
	}
	var out struct {
		Team team `json:"team"`
	}
	r.JSON(t, &out)
	return out.Team.ID
}

// members replaces a team's members.
func (e *teamsEnv) members(t *testing.T, teamID string, members ...string) {
	t.Helper()
	if members == nil {
		members = []string{}
	}
	if r := e.s.Do(t, "PATCH", "/api/v1/teams/"+teamID, e.admin, map[string]any{"member_ids": members}); r.Status != http.StatusOK {
		t.Fatalf("set members: %d %s", r.Status, r.Body)
	}
}

// route replaces a site's routing rules.
func (e *teamsEnv) route(t *testing.T, siteID string, rules ...map[string]any) {
	t.Helper()
	if rules == nil {
		rules = []map[string]any{}
	}
	if r := e.s.Do(t, "PUT", "/api/v1/sites/"+siteID+"/routing", e.admin, map[string]any{"rules": rules}); r.Status != http.StatusOK {
		t.Fatalf("set routing: %d %s", r.Status, r.Body)
	}
}

// file opens a conversation through the demo site's widget: a complaint
// unless body names a kind.
func (e *teamsEnv) file(t *testing.T, body map[string]any) string {
	t.Helper()
	if body["kind"] == nil {
		body["kind"] = "complaint"
	}
	if body["message"] == nil {
		body["message"] = "My parcel has not arrived."
	}
	r := e.s.Do(t, "POST", createPath(e.s.DemoKey), "", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create conversation: %d %s", r.Status, r.Body)
	}
	var out struct {
		Conversation map[string]any `json:"conversation"`
	}
	r.JSON(t, &out)
	if v, ok := out.Conversation["team_id"]; ok && v != nil {
		t.Errorf("the visitor's answer shows team_id %v", v)
	}
	return out.Conversation["id"].(string)
}

// staffConv is a conversation as staff see it.
type staffConv struct {
	ID         string  `json:"id"`
	SiteID     string  `json:"site_id"`
	Status     string  `json:"status"`
	TeamID     *string `json:"team_id"`
	AssigneeID *string `json:"assignee_id"`
}

func (c staffConv) team() string     { return deref(c.TeamID) }
func (c staffConv) assignee() string { return deref(c.AssigneeID) }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (e *teamsEnv) conv(t *testing.T, id string) staffConv {
	t.Helper()
	r := e.s.Do(t, "GET", "/api/v1/conversations/"+id, e.admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get conversation: %d %s", r.Status, r.Body)
	}
	var out struct {
		Conversation staffConv `json:"conversation"`
	}
	r.JSON(t, &out)
	return out.Conversation
}

// waitAssignee polls until a conversation's assignee is want ("": none).
func (e *teamsEnv) waitAssignee(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := e.conv(t, id)
		if c.assignee() == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation %s: assignee %q, want %q", id, c.assignee(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setStatus changes a conversation's status as the admin.
func (e *teamsEnv) setStatus(t *testing.T, id, status string) {
	t.Helper()
	if r := e.s.Do(t, "PATCH", "/api/v1/conversations/"+id, e.admin, map[string]any{"status": status}); r.Status != http.StatusOK {
		t.Fatalf("set status: %d %s", r.Status, r.Body)
	}
}

// list answers the inbox for a query as token sees it (conversation IDs).
func (e *teamsEnv) list(t *testing.T, token, query string) []string {
	t.Helper()
	r := e.s.Do(t, "GET", "/api/v1/conversations?limit=100&status=&"+query, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list %s: %d %s", query, r.Status, r.Body)
	}
	var out struct {
		Conversations []staffConv `json:"conversations"`
	}
	r.JSON(t, &out)
	ids := []string{}
	for _, c := range out.Conversations {
		ids = append(ids, c.ID)
	}
	return ids
}

// liveFrame is a frame of a staff socket with its conversation, if any.
type liveFrame struct {
	Type           string          `json:"type"`
	SiteID         string          `json:"site_id"`
	ConversationID string          `json:"conversation_id"`
	Data           json.RawMessage `json:"data"`
}

func (f liveFrame) conv() staffConv {
	var d struct {
		Conversation staffConv `json:"conversation"`
	}
	_ = json.Unmarshal(f.Data, &d)
	return d.Conversation
}

// feed records every frame of a staff socket; tests look for frames in it
// (by polling, never by waiting a fixed time).
type feed struct {
	conn   *websocket.Conn
	mu     sync.Mutex
	frames []liveFrame
	closed bool
}

// listen opens a staff socket for token: the user is online from then on
// (see online).
func (e *teamsEnv) listen(t *testing.T, s *testserver.Server, token string) *feed {
	t.Helper()
	conn := dialStaff(t, s, token, nil)
	f := &feed{conn: conn}
	t.Cleanup(func() { conn.Close() })
	go func() {
		for {
			var fr liveFrame
			if err := conn.ReadJSON(&fr); err != nil {
				f.mu.Lock()
				f.closed = true
				f.mu.Unlock()
				return
			}
			f.mu.Lock()
			f.frames = append(f.frames, fr)
			f.mu.Unlock()
		}
	}()
	return f
}

// wait polls the frames received so far for one that ok accepts, after
// index from, and returns its index.
func (f *feed) wait(t *testing.T, what string, from int, ok func(liveFrame) bool) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		f.mu.Lock()
		for i := from; i < len(f.frames); i++ {
			if ok(f.frames[i]) {
				f.mu.Unlock()
				return i
			}
		}
		closed := f.closed
		f.mu.Unlock()
		if closed || time.Now().After(deadline) {
			t.Fatalf("no frame: %s (closed %v)", what, closed)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// snapshot returns the frames received so far.
func (f *feed) snapshot() []liveFrame {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]liveFrame(nil), f.frames...)
}

// assigned matches a conversation.updated frame of conversation id whose
// assignee is who ("": none).
func assigned(id, who string) func(liveFrame) bool {
	return func(f liveFrame) bool {
		return f.Type == "conversation.updated" && f.ConversationID == id && f.conv().assignee() == who
	}
}

// online proves that the sockets are attached (their users count as online
// on their instance): the admin re-saves the demo site's routing, and each
// socket receives that routing.updated event.
func (e *teamsEnv) online(t *testing.T, feeds ...*feed) {
	t.Helper()
	r := e.s.Do(t, "GET", "/api/v1/sites/"+e.s.DemoSite+"/routing", e.admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get routing: %d %s", r.Status, r.Body)
	}
	marks := make([]int, len(feeds))
	for i, f := range feeds {
		marks[i] = len(f.snapshot())
	}
	if r := e.s.Do(t, "PUT", "/api/v1/sites/"+e.s.DemoSite+"/routing", e.admin, r.Body); r.Status != http.StatusOK {
		t.Fatalf("put routing: %d %s", r.Status, r.Body)
	}
	for i, f := range feeds {
		f.wait(t, "routing.updated (socket attached)", marks[i], func(f liveFrame) bool { return f.Type == "routing.updated" })
	}
}
