package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"holler/server/internal/dbproxy"
	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// TestHotReadsMatchGORM: the inbox list, a visitor's conversations, a
// thread and the event replay, read without GORM, return exactly what GORM's reads of the same rows return (every
// column, NULL or set, tags, booleans, UTC timestamps), inside and outside
// a transaction, and report their statements to CaptureQueries.
func TestHotReadsMatchGORM(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		ctx := context.Background()
		st := storetest.Open(t, d)
		var (
			mu       sync.Mutex
			captured []string
			rows     []int64
		)
		if err := st.CaptureQueries(func(sql string, args []any, n int64) {
			mu.Lock()
			defer mu.Unlock()
			captured, rows = append(captured, sql), append(rows, n)
		}); err != nil {
			t.Fatal(err)
		}
		site := newSite(t, st)
		user := &model.User{Email: "a@example.com", Name: "Ann", Role: model.RoleAgent, SiteIDs: []string{site.ID}}
		if err := st.CreateUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		team := &model.Team{Name: "Support", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
		if err := st.CreateTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		vis := &model.Visitor{SiteID: site.ID, CreatedAt: time.Now().UTC(), LastSeenAt: time.Now().UTC()}
		if err := st.CreateVisitor(ctx, vis); err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		var ids []string
		for i := range 3 {
			at := base.Add(time.Duration(i) * time.Minute)
			c := &model.Conversation{SiteID: site.ID, VisitorID: vis.ID, Kind: "question", Status: "open",
				CreatedAt: at, UpdatedAt: at, LastMessageAt: at}
			if err := st.CreateConversation(ctx, c); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		// The first has every nullable column set and non-default values.
		at := base.Add(time.Hour)
		err := st.Exec(ctx, `UPDATE conversations SET assignee_id = ?, team_id = ?, tags = ?, rating_score = ?,
			rating_comment = ?, staff_replied = ?, first_response_at = ?, visitor_seen_at = ?, anger = ?,
			page_url = ?, user_agent = ?, email = ?, name = ?, preview = ?,
			sla_first_response_due = ?, sla_resolution_due = ?, sla_state = ?, sla_due_at = ?, sla_paused_at = ?,
			sla_first_response_warn = ?, sla_resolution_warn = ?, sla_resolved_at = ?, sla_notified = ?, sla_next_at = ?, last_message_at = ?
			WHERE id = ?`,
			user.ID, team.ID, `["vip","refund"]`, 4, "good", true, at, at.Add(time.Second), 0.75,
			"https://shop.example/p", "UA", "c@example.com", "Cy", "hello",
			at.Add(2*time.Second), at.Add(3*time.Second), "running", at.Add(4*time.Second), at.Add(5*time.Second),
			at.Add(6*time.Second), at.Add(7*time.Second), at.Add(8*time.Second), 3, at.Add(9*time.Second), at, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		for i, internal := range []bool{false, true, false} {
			err := st.InTx(ctx, func(tx *store.Store) error {
				e := model.Event{SiteID: site.ID, Type: model.EventMessageCreated, ConversationID: ids[i], VisitorID: vis.ID,
					Internal: internal}
				return tx.AppendEvent(ctx, &e, map[string]int{"i": i}, map[string]int{"p": i})
			})
			if err != nil {
				t.Fatal(err)
			}
		}

		anger := 0.5
		for i, m := range []*model.Message{
			{AuthorKind: model.AuthorVisitor, Body: "Where is my order?", Anger: &anger},
			{AuthorKind: model.AuthorStaff, AuthorID: user.ID, AuthorName: "Ann", Body: "Looking", Internal: true},
			{AuthorKind: model.AuthorStaff, AuthorID: user.ID, AuthorName: "Ann", Body: "On its way", Via: model.ViaEmail},
		} {
			m.ConversationID, m.SiteID, m.CreatedAt = ids[0], site.ID, base.Add(time.Duration(i)*time.Second)
			if err := st.CreateMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		wantMsgs, err := st.GORMMessages(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		inUTC(reflect.ValueOf(wantMsgs))
		if len(wantMsgs) != 3 || wantMsgs[0].Anger == nil || *wantMsgs[0].Anger != 0.5 {
			t.Fatalf("the setup went wrong: messages %+v", wantMsgs)
		}
		wantConvs, err := st.GORMConversations(ctx, site.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantEvents, err := st.GORMEvents(ctx, site.ID)
		if err != nil {
			t.Fatal(err)
		}
		// GORM's PostgreSQL times are in time.Local (UTC on a server without
		// TZ); the store's own reads give UTC itself.
		inUTC(reflect.ValueOf(wantConvs))
		inUTC(reflect.ValueOf(wantEvents))
		if len(wantConvs) != 3 || len(wantEvents) != 3 || wantConvs[0].AssigneeID == nil || len(wantConvs[0].Tags) != 2 {
			t.Fatalf("the setup went wrong: %d conversations, %d events, first %+v", len(wantConvs), len(wantEvents), wantConvs[0])
		}
		mu.Lock()
		captured, rows = nil, nil
		mu.Unlock()
		check := func(t *testing.T, st *store.Store) {
			t.Helper()
			convs, next, err := st.ListConversations(ctx, store.ConversationFilter{SiteIDs: []string{site.ID}})
			if err != nil || next != "" {
				t.Fatalf("list: %v (next %q)", err, next)
			}
			if !reflect.DeepEqual(convs, wantConvs) {
				t.Errorf("list:\n got  %+v\n want %+v", convs, wantConvs)
			}
			for _, c := range convs {
				for _, tm := range []*time.Time{&c.CreatedAt, &c.UpdatedAt, &c.LastMessageAt, c.FirstResponseAt, c.SLA.NextAt} {
					if tm != nil && tm.Location() != time.UTC {
						t.Errorf("conversation %s: a time in %v, want UTC", c.ID, tm.Location())
					}
				}
			}
			mine, err := st.VisitorConversations(ctx, site.ID, vis.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(mine, wantConvs) {
				t.Errorf("visitor conversations:\n got  %+v\n want %+v", mine, wantConvs)
			}
			msgs, err := st.Messages(ctx, ids[0], true)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(msgs, wantMsgs) {
				t.Errorf("messages:\n got  %+v\n want %+v", msgs, wantMsgs)
			}
			msgs, err = st.Messages(ctx, ids[0], false)
			if err != nil {
				t.Fatal(err)
			}
			if want := []model.Message{wantMsgs[0], wantMsgs[2]}; !reflect.DeepEqual(msgs, want) {
				t.Errorf("messages without notes:\n got  %+v\n want %+v", msgs, want)
			}
			events, err := st.Events(ctx, store.EventFilter{SiteID: site.ID})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(events, wantEvents) {
				t.Errorf("events:\n got  %+v\n want %+v", events, wantEvents)
			}
			// The visitor's view leaves out the internal event.
			events, err = st.Events(ctx, store.EventFilter{SiteID: site.ID, VisitorID: vis.ID, AfterSeq: wantEvents[0].Seq})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || !reflect.DeepEqual(events[0], wantEvents[2]) {
				t.Errorf("visitor events after the first: %+v, want the third only", events)
			}
		}
		t.Run("pool", func(t *testing.T) { check(t, st) })
		t.Run("tx", func(t *testing.T) {
			if err := st.InTx(ctx, func(tx *store.Store) error { check(t, tx); return nil }); err != nil {
				t.Fatal(err)
			}
		})

		mu.Lock()
		defer mu.Unlock()
		want := []struct {
			from string
			rows int64
		}{{"FROM conversations", 3}, {"FROM conversations", 3}, {"FROM messages", 3}, {"FROM messages", 2},
			{"FROM events", 3}, {"FROM events", 1}}
		if len(captured) != 2*len(want) {
			t.Fatalf("captured %d statements, want %d: %q", len(captured), 2*len(want), captured)
		}
		for i, sql := range captured {
			if w := want[i%len(want)]; !strings.Contains(sql, w.from) || rows[i] != w.rows {
				t.Errorf("captured %q with %d rows, want %s with %d", sql, rows[i], w.from, w.rows)
			}
		}
	})
}

// TestHotReadsUnavailable: the reads that bypass GORM still fail with
// model.ErrUnavailable while PostgreSQL is away, and work once it is back.
func TestHotReadsUnavailable(t *testing.T) {
	for _, mode := range []dbproxy.Mode{dbproxy.Refuse, dbproxy.Hang} {
		ctx := context.Background()
		st, proxy := openProxied(t)
		site := newSite(t, st)
		proxy.Cut(mode)
		var wg sync.WaitGroup
		wg.Go(func() {
			_, _, err := st.ListConversations(ctx, store.ConversationFilter{SiteIDs: []string{site.ID}})
			if !errors.Is(err, model.ErrUnavailable) {
				t.Errorf("list with the database away: %v, want ErrUnavailable", err)
			}
		})
		wg.Go(func() {
			if _, err := st.Events(ctx, store.EventFilter{SiteID: site.ID}); !errors.Is(err, model.ErrUnavailable) {
				t.Errorf("events with the database away: %v, want ErrUnavailable", err)
			}
		})
		wg.Wait()
		proxy.Restore()
		waitForStore(t, st)
		if _, _, err := st.ListConversations(ctx, store.ConversationFilter{SiteIDs: []string{site.ID}}); err != nil {
			t.Errorf("list after the database returned: %v", err)
		}
		if _, err := st.Events(ctx, store.EventFilter{SiteID: site.ID}); err != nil {
			t.Errorf("events after the database returned: %v", err)
		}
	}
}

// inUTC sets every time.Time reachable from v (through slices, structs and
// pointers) to UTC.
func inUTC(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			inUTC(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			inUTC(v.Index(i))
		}
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			v.Set(reflect.ValueOf(t.UTC()))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				inUTC(v.Field(i))
			}
		}
	}
}
