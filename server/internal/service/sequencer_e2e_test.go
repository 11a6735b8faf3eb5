package service_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"holler/server/internal/config"
	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

func noLimits(c *config.Config) { c.RateLimit = false }

// watcher is a staff socket that checks, frame by frame, that a site's
// events arrive gap-free from the cursor it opened with: an event numbered
// behind a cursor it already holds would be missed, and show as a gap or a
// short count.
type watcher struct {
	t     *testing.T
	conn  *websocket.Conn
	site  string
	start int64 // the site's position in the cursor it opened with
	last  int64
	types []string
}

func watch(t *testing.T, s *testserver.Server, token, site string) *watcher {
	t.Helper()
	cur := eventsCursor(t, s, token)
	c, err := model.DecodeCursor(cur)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := s.DialSocket("/api/v1/ws", token, cur, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &watcher{t: t, conn: conn, site: site, start: c[site], last: c[site]}
}

// until reads frames until the site reaches seq; it reports the first
// frame out of order.
func (w *watcher) until(seq int64) error {
	for w.last < seq {
		_ = w.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		_, raw, err := w.conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("at %d of %d: %w", w.last, seq, err)
		}
		var f struct {
			Type   string `json:"type"`
			Cursor string `json:"cursor"`
			SiteID string `json:"site_id"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return err
		}
		if f.Cursor == "" || f.SiteID != w.site {
			continue // typing, presence, another site
		}
		c, err := model.DecodeCursor(f.Cursor)
		if err != nil {
			return err
		}
		if c[w.site] != w.last+1 {
			return fmt.Errorf("seq %d after %d (%s)", c[w.site], w.last, f.Type)
		}
		w.last = c[w.site]
		w.types = append(w.types, f.Type)
	}
	return nil
}

func eventsCursor(t *testing.T, s *testserver.Server, token string) string {
	t.Helper()
	var page struct {
		EventsCursor string `json:"events_cursor"`
	}
	s.Do(t, "GET", "/api/v1/conversations?limit=1", token, nil).JSON(t, &page)
	return page.EventsCursor
}

func sitePosition(t *testing.T, s *testserver.Server, token, site string) int64 {
	t.Helper()
	c, err := model.DecodeCursor(eventsCursor(t, s, token))
	if err != nil {
		t.Fatal(err)
	}
	return c[site]
}

// submit opens a conversation, the visitor writes again and staff answer:
// widget submission, visitor reply and staff reply, the three writes that
// commit in groups.
func submit(t *testing.T, s *testserver.Server, admin string, i int) {
	var created struct {
		Conversation struct{ ID string } `json:"conversation"`
		VisitorToken string              `json:"visitor_token"`
	}
	r := s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations", "",
		map[string]string{"kind": "complaint", "message": fmt.Sprintf("parcel %d is late", i)})
	if r.Status != http.StatusCreated {
		t.Errorf("create: %d %s", r.Status, r.Body)
		return
	}
	r.JSON(t, &created)
	r = s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations/"+created.Conversation.ID+"/messages",
		created.VisitorToken, map[string]string{"body": "any news?"})
	if r.Status != http.StatusCreated {
		t.Errorf("visitor reply: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, "POST", "/api/v1/conversations/"+created.Conversation.ID+"/messages", admin,
		map[string]any{"body": "on it", "internal": i%4 == 0})
	if r.Status != http.StatusCreated {
		t.Errorf("staff reply: %d %s", r.Status, r.Body)
	}
}

// TestEventOrderUnderGroupCommit: many writers submit, reply and answer on
// one site while staff sockets open at different moments, each with the
// cursor its inbox page gave it. Every socket gets every event after its
// cursor, gap-free and once, and a replay from its cursor is the same list.
func TestEventOrderUnderGroupCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		const writers, each = 8, 6
		watchers := []*watcher{watch(t, s, admin, s.DemoSite)}
		var wg sync.WaitGroup
		var mu sync.Mutex
		done := 0
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					submit(t, s, admin, w*each+i)
					mu.Lock()
					done++
					mu.Unlock()
				}
			}(w)
		}
		// More sockets join mid-stream, each at the position of its moment.
		for len(watchers) < 4 {
			mu.Lock()
			n := done
			mu.Unlock()
			if n >= len(watchers)*writers*each/4 {
				watchers = append(watchers, watch(t, s, admin, s.DemoSite))
			}
			time.Sleep(5 * time.Millisecond)
		}
		wg.Wait()
		final := sitePosition(t, s, admin, s.DemoSite)
		if final < writers*each*3 {
			t.Fatalf("only %d events", final)
		}
		for i, w := range watchers {
			if err := w.until(final); err != nil {
				t.Fatalf("socket %d (from %d): %v", i, w.start, err)
			}
			// A replay from the same cursor is the same list.
			cur := model.Cursor{s.DemoSite: w.start}.Encode()
			conn, _, err := s.DialSocket("/api/v1/ws", admin, cur, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := &watcher{t: t, conn: conn, site: s.DemoSite, start: w.start, last: w.start}
			err = r.until(final)
			conn.Close()
			if err != nil {
				t.Fatalf("replay %d: %v", i, err)
			}
			if fmt.Sprint(r.types) != fmt.Sprint(w.types) {
				t.Fatalf("replay %d differs:\nlive   %v\nreplay %v", i, w.types, r.types)
			}
		}
	})
}

// TestLongTransactionDelaysOnlyItsOwnEvents (PostgreSQL): a transaction
// that queued an event and stays open does not hold back other writers'
// events; when it commits, its event follows them, gap-free, and a replay
// from the first cursor is the same list.
func TestLongTransactionDelaysOnlyItsOwnEvents(t *testing.T) {
	db := store.Options{DatabaseURL: storetest.FreshPostgres(t)}
	s := testserver.Start(t, testserver.Options{Store: &db, Configure: noLimits})
	admin := s.AdminToken(t)
	w := watch(t, s, admin, s.DemoSite)

	other, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	queued, release, committed := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		ctx := context.Background()
		committed <- other.InTx(ctx, func(tx *store.Store) error {
			e := model.Event{SiteID: s.DemoSite, Type: model.EventTeamUpdated, Internal: true}
			if err := tx.AppendEvent(ctx, &e, map[string]string{"long": "yes"}, nil); err != nil {
				return err
			}
			close(queued)
			<-release
			return nil
		})
	}()
	<-queued
	for i := 0; i < 5; i++ {
		submit(t, s, admin, i)
	}
	during := sitePosition(t, s, admin, s.DemoSite)
	if err := w.until(during); err != nil {
		t.Fatalf("while the transaction is open: %v", err)
	}
	for _, typ := range w.types {
		if typ == model.EventTeamUpdated {
			t.Fatal("the open transaction's event was delivered")
		}
	}
	close(release)
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	if err := w.until(during + 1); err != nil {
		t.Fatalf("after commit: %v", err)
	}
	if got := w.types[len(w.types)-1]; got != model.EventTeamUpdated {
		t.Fatalf("last event %s, want the long transaction's", got)
	}
	conn, _, err := s.DialSocket("/api/v1/ws", admin, model.Cursor{s.DemoSite: w.start}.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := &watcher{t: t, conn: conn, site: s.DemoSite, start: w.start, last: w.start}
	if err := r.until(during + 1); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.types) != fmt.Sprint(w.types) {
		t.Fatalf("replay differs:\nlive   %v\nreplay %v", w.types, r.types)
	}
}

// TestSequencerTwoInstances (PostgreSQL): two servers on one database take
// writes for one site at once; a socket on each gets the whole log
// gap-free. An event a writer committed but never saw numbered (it crashed)
// is numbered by the instances' loop and delivered too.
func TestSequencerTwoInstances(t *testing.T) {
	db := store.Options{DatabaseURL: storetest.FreshPostgres(t)}
	s1 := testserver.Start(t, testserver.Options{Store: &db, Configure: noLimits})
	s2 := testserver.Start(t, testserver.Options{Store: &db, Configure: noLimits})
	admin := s1.AdminToken(t)
	w1, w2 := watch(t, s1, admin, s1.DemoSite), watch(t, s2, admin, s1.DemoSite)

	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			on := []*testserver.Server{s1, s2}[w%2]
			for i := 0; i < 5; i++ {
				submit(t, on, admin, w*5+i)
			}
		}(w)
	}
	wg.Wait()

	raw, err := sql.Open("pgx", db.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_, err = raw.Exec(`INSERT INTO pending_events (site_id, type, internal, data, created_at)
		VALUES ($1, $2, TRUE, '{}', now())`, s1.DemoSite, model.EventTeamUpdated)
	if err != nil {
		t.Fatal(err)
	}
	var final int64
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pending int
		if err := raw.QueryRow("SELECT count(*) FROM pending_events").Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still unnumbered", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := raw.QueryRow("SELECT event_seq FROM sites WHERE id = $1", s1.DemoSite).Scan(&final); err != nil {
		t.Fatal(err)
	}
	var count, maxSeq int64
	if err := raw.QueryRow("SELECT count(*), max(seq) FROM events WHERE site_id = $1", s1.DemoSite).Scan(&count, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if count != final || maxSeq != final {
		t.Fatalf("%d events up to seq %d, site at %d", count, maxSeq, final)
	}
	for i, w := range []*watcher{w1, w2} {
		if err := w.until(final); err != nil {
			t.Fatalf("instance %d: %v", i+1, err)
		}
		if got := w.types[len(w.types)-1]; got != model.EventTeamUpdated {
			t.Fatalf("instance %d: last event %s, want the crashed writer's", i+1, got)
		}
	}
}
