package scaleout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// deliveryWait bounds every wait for a delivery: far above what delivery
// takes (a resync repairs a lost notice within 5 s), so a loaded machine
// never fails a test that is right.
const deliveryWait = 90 * time.Second

type frame struct {
	Type           string `json:"type"`
	Cursor         string `json:"cursor"`
	SiteID         string `json:"site_id"`
	ConversationID string `json:"conversation_id"`
}

// dashboard is a staff socket whose frames (typing left out) are collected
// in the order they arrive.
type dashboard struct {
	conn   *websocket.Conn
	mu     sync.Mutex
	frames []frame
	err    error
}

func openDashboard(t *testing.T, s *testserver.Server, token, cursor string) *dashboard {
	t.Helper()
	conn, resp, err := s.DialSocket("/api/v1/ws", token, cursor, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial dashboard on %s: %v (status %d)", s.URL, err, status)
	}
	d := &dashboard{conn: conn}
	t.Cleanup(func() { conn.Close() })
	go func() {
		for {
			_, raw, err := conn.ReadMessage()
			if err != nil {
				d.mu.Lock()
				d.err = err
				d.mu.Unlock()
				return
			}
			var f frame
			if json.Unmarshal(raw, &f) != nil || f.Type == "typing" {
				continue
			}
			d.mu.Lock()
			d.frames = append(d.frames, f)
			d.mu.Unlock()
		}
	}()
	return d
}

func (d *dashboard) snapshot() []frame {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.frames)
}

// waitFor polls until ok holds for the frames so far.
func (d *dashboard) waitFor(t *testing.T, what string, ok func([]frame) bool) []frame {
	t.Helper()
	deadline := time.Now().Add(deliveryWait)
	for {
		fs := d.snapshot()
		if ok(fs) {
			return fs
		}
		d.mu.Lock()
		err := d.err
		d.mu.Unlock()
		if err != nil {
			t.Fatalf("waiting for %s: the socket closed: %v (%d frames)", what, err, len(fs))
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %v (%d frames)", what, deliveryWait, len(fs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// created reports the index of conversation convID's conversation.created
// frame, or -1.
func created(fs []frame, convID string) int {
	return slices.IndexFunc(fs, func(f frame) bool { return f.Type == "conversation.created" && f.ConversationID == convID })
}

// hasAll reports whether fs holds a conversation.created frame for each of ids.
func hasAll(fs []frame, ids []string) bool {
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Type == "conversation.created" {
			seen[f.ConversationID] = true
		}
	}
	for _, id := range ids {
		if !seen[id] {
			return false
		}
	}
	return true
}

// checkOnce fails on a frame delivered twice (the same cursor, or the
// same conversation created twice).
func checkOnce(t *testing.T, who string, fs []frame) {
	t.Helper()
	cursors, convs := map[string]bool{}, map[string]bool{}
	for i, f := range fs {
		if cursors[f.Cursor] {
			t.Fatalf("%s: frame %d (%s %s) repeats cursor %q", who, i, f.Type, f.ConversationID, f.Cursor)
		}
		cursors[f.Cursor] = true
		if f.Type == "conversation.created" {
			if convs[f.ConversationID] {
				t.Fatalf("%s: conversation %s created twice", who, f.ConversationID)
			}
			convs[f.ConversationID] = true
		}
	}
}

// submit files a widget conversation; ok is false when the server did not
// acknowledge it (a 201), e.g. because it was just killed.
func submit(client *http.Client, s *testserver.Server, key, body string) (convID string, ok bool) {
	raw, _ := json.Marshal(map[string]string{"kind": "complaint", "message": body})
	resp, err := client.Post(s.URL+"/api/v1/widget/"+key+"/conversations", "application/json", bytes.NewReader(raw))
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", false
	}
	var out struct {
		Conversation struct{ ID string } `json:"conversation"`
	}
	if json.NewDecoder(resp.Body).Decode(&out) != nil || out.Conversation.ID == "" {
		return "", false
	}
	return out.Conversation.ID, true
}

// mustSubmit is submit for a test that needs the 201.
func mustSubmit(t *testing.T, s *testserver.Server, key, body string) string {
	t.Helper()
	id, ok := submit(&http.Client{Timeout: 30 * time.Second}, s, key, body)
	if !ok {
		t.Fatalf("submission %q on %s was not acknowledged", body, s.URL)
	}
	return id
}

// load files widget submissions round-robin on its targets, one at a time
// per worker, and records the acknowledged ones.
type load struct {
	mu    sync.Mutex
	acked []string
	tries int
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startLoad(key string, workers int, targets ...*testserver.Server) *load {
	l := &load{stop: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				s := targets[(w+i)%len(targets)]
				id, ok := submit(client, s, key, fmt.Sprintf("load w%d i%d", w, i))
				l.mu.Lock()
				l.tries++
				if ok {
					l.acked = append(l.acked, id)
				}
				l.mu.Unlock()
				if !ok {
					// A dead target answers at once; do not spin on it.
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

func (l *load) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitAcked polls until n more submissions than before were acknowledged.
func (l *load) waitAcked(t *testing.T, more int) {
	t.Helper()
	want := l.count() + more
	deadline := time.Now().Add(deliveryWait)
	for l.count() < want {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d submissions acknowledged within %v", l.count(), want, deliveryWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *load) finish() (acked []string, tries int) {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.acked), l.tries
}

// exactReplay checks that a socket opened on s with the cursor of live's
// first frame replays exactly live's later frames, in the same order, up
// to the marker conversation (filed after everything else, so once it
// arrived everything before it in the log has too).
func exactReplay(t *testing.T, s *testserver.Server, token string, live []frame, marker string) {
	t.Helper()
	end := created(live, marker)
	if len(live) < 2 || end < 0 {
		t.Fatalf("nothing to replay: %d frames, marker at %d", len(live), end)
	}
	want := live[1 : end+1]
	replay := openDashboard(t, s, token, live[0].Cursor)
	got := replay.waitFor(t, "the replay up to the marker", func(fs []frame) bool { return created(fs, marker) >= 0 })
	got = got[:created(got, marker)+1]
	checkOnce(t, "the replay", got)
	if len(got) != len(want) {
		t.Fatalf("replay on %s has %d frames up to the marker, the live socket had %d", s.URL, len(got), len(want))
	}
	// Cursors are compared only within one socket (checkOnce): their
	// encoding is the server's business; the events must match.
	same := func(a, b frame) bool {
		return a.Type == b.Type && a.SiteID == b.SiteID && a.ConversationID == b.ConversationID
	}
	for i := range want {
		if !same(got[i], want[i]) {
			t.Fatalf("replay frame %d: %+v, live had %+v", i, got[i], want[i])
		}
	}
}

// eventNotices reads how many event notices s has heard from other
// instances (its /metrics): proof that the transport carries them, since
// the periodic resync alone would also deliver every event, seconds late.
func eventNotices(t *testing.T, s *testserver.Server) float64 {
	t.Helper()
	r := s.Do(t, "GET", "/metrics", "", nil)
	total := 0.0
	for _, line := range strings.Split(string(r.Body), "\n") {
		if !strings.HasPrefix(line, "holler_realtime_notices_received_total{") || !strings.Contains(line, `kind="event"`) {
			continue
		}
		_, value, _ := strings.Cut(line, "} ")
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		total += v
	}
	return total
}

// untilHeard files submissions on from until watch has heard an event
// notice over the transport more than before. One is not always enough: a
// notice sent while watch's subscription is not (yet, or again) in place
// is lost by design, and that event reaches watch by a resync instead.
func untilHeard(t *testing.T, from, watch *testserver.Server, what string) {
	t.Helper()
	before := eventNotices(t, watch)
	deadline := time.Now().Add(deliveryWait)
	for i := 0; ; i++ {
		mustSubmit(t, from, from.DemoKey, fmt.Sprintf("%s, probe %d", what, i))
		for wait := time.Now().Add(2 * time.Second); time.Now().Before(wait); {
			if eventNotices(t, watch) > before {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s heard no event notice from %s over the transport within %v", what, watch.URL, from.URL, deliveryWait)
		}
	}
}
