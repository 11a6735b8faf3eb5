package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

// textFixture is a server with one of everything a text field can belong to.
type textFixture struct {
	s                  *testserver.Server
	admin, visitor     string
	conv, site, user   string
	widget, staffConvs string
}

func newTextFixture(t *testing.T, dialect string) *textFixture {
	t.Helper()
	s := testserver.Start(t, testserver.Options{Dialect: dialect, Configure: noLimits})
	f := &textFixture{s: s, admin: s.AdminToken(t), widget: "/api/v1/widget/" + s.DemoKey}
	var c created
	s.Do(t, "POST", f.widget+"/conversations", "", map[string]string{"kind": "question", "message": "Where is my parcel?"}).JSON(t, &c)
	f.conv, f.visitor, f.staffConvs = c.Conversation.ID, c.VisitorToken, "/api/v1/conversations/"+c.Conversation.ID
	if r := s.Do(t, "PATCH", f.staffConvs, f.admin, map[string]any{"status": "resolved"}); r.Status != http.StatusOK {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	var site struct{ Site struct{ ID string } }
	s.Do(t, "POST", "/api/v1/sites", f.admin, map[string]any{"name": "Shop"}).JSON(t, &site)
	var user struct{ User struct{ ID string } }
	s.Do(t, "POST", "/api/v1/users", f.admin, map[string]any{"email": "agent@example.com", "name": "Agent",
		"password": "a long enough password", "site_ids": []string{site.Site.ID}}).JSON(t, &user)
	f.site, f.user = site.Site.ID, user.User.ID
	if f.site == "" || f.user == "" {
		t.Fatal("fixture site or user missing")
	}
	return f
}

// snapshot is everything staff can read: unchanged means nothing was stored.
func (f *textFixture) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"/api/v1/sites", "/api/v1/users", "/api/v1/conversations?limit=100", f.staffConvs} {
		r := f.s.Do(t, "GET", p, f.admin, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, r.Status, r.Body)
		}
		b.Write(r.Body)
	}
	return b.String()
}

// TestControlCharactersRefused: a NUL in any text field of any endpoint is
// a 422 naming the field on both stores, and nothing is stored; a NUL (or
// invalid UTF-8) in an ID of a path or a query names nothing: 404 or 422,
// never a 500. Before, a NUL in a message was stored on SQLite and a 500 on
// PostgreSQL.
func TestControlCharactersRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		f := newTextFixture(t, d)
		s := f.s
		newConv := func(field, value string) map[string]string {
			body := map[string]string{"kind": "question", "message": "hello", "name": "Ann", "email": "ann@example.com", "page_url": "https://shop.example.com/"}
			body[field] = value
			return body
		}
		site := func(field string, value any) map[string]any {
			return map[string]any{"name": "Shop two", field: value}
		}
		user := func(field string, value any) map[string]any {
			body := map[string]any{"email": "new@example.com", "name": "New", "password": "a long enough password"}
			body[field] = value
			return body
		}
		type call struct {
			name, method, path, token string
			body                      any
			headers                   []string
			status                    int
			field                     string // 422: the field named; "" for 404
		}
		const nul = "a\x00b"
		calls := []call{}
		for _, field := range []string{"message", "name", "email", "page_url", "kind"} {
			calls = append(calls, call{"widget create " + field, "POST", f.widget + "/conversations", "", newConv(field, nul), nil, 422, field})
		}
		calls = append(calls,
			call{"widget create returning visitor", "POST", f.widget + "/conversations", f.visitor, newConv("message", "hi\x00"), nil, 422, "message"},
			call{"widget create idempotency key", "POST", f.widget + "/conversations", "", newConv("message", "hi"), []string{"Idempotency-Key", "key-\xff"}, 422, "idempotency_key"},
			call{"visitor reply", "POST", f.widget + "/conversations/" + f.conv + "/messages", f.visitor, map[string]string{"body": nul}, nil, 422, "body"},
			call{"visitor reply idempotency key", "POST", f.widget + "/conversations/" + f.conv + "/messages", f.visitor, map[string]string{"body": "hi"}, []string{"Idempotency-Key", "key-\xff"}, 422, "idempotency_key"},
			call{"rating comment", "POST", f.widget + "/conversations/" + f.conv + "/rating", f.visitor, map[string]any{"score": 5, "comment": nul}, nil, 422, "comment"},
			call{"staff reply", "POST", f.staffConvs + "/messages", f.admin, map[string]any{"body": nul}, nil, 422, "body"},
			call{"staff note", "POST", f.staffConvs + "/messages", f.admin, map[string]any{"body": nul, "internal": true}, nil, 422, "body"},
			call{"patch tags", "PATCH", f.staffConvs, f.admin, map[string]any{"tags": []string{"ok", nul}}, nil, 422, "tags"},
			call{"patch kind", "PATCH", f.staffConvs, f.admin, map[string]any{"kind": "question\x00"}, nil, 422, "kind"},
			call{"patch status", "PATCH", f.staffConvs, f.admin, map[string]any{"status": "open\x00"}, nil, 422, "status"},
			call{"patch assignee", "PATCH", f.staffConvs, f.admin, map[string]any{"assignee_id": f.user + "\x00"}, nil, 422, "assignee_id"},
			call{"login email", "POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@example.com\x00", "password": testserver.Password}, nil, 422, "email"},
			call{"search", "GET", "/api/v1/conversations?q=a%00b", f.admin, nil, nil, 422, "q"},
			call{"search invalid UTF-8", "GET", "/api/v1/conversations?q=a%FFb", f.admin, nil, nil, 422, "q"},
			call{"filter site", "GET", "/api/v1/conversations?site_id=%00", f.admin, nil, nil, 422, "site_id"},
			call{"filter assignee", "GET", "/api/v1/conversations?assignee_id=%00", f.admin, nil, nil, 422, "assignee_id"},
			call{"list cursor", "GET", "/api/v1/conversations?cursor=MTIzfAA", f.admin, nil, nil, 422, "cursor"}, // "123|\x00"
		)
		for _, sf := range []struct {
			field string
			value any
		}{{"name", nul}, {"greeting", nul}, {"button_label", nul}, {"color", "#2563eb\x00"}, {"position", "left\x00"},
			{"locale", "en\x00"}, {"kinds", []string{"question\x00"}}, {"allowed_origins", []string{"https://shop.example.com\x00"}},
			{"time_zone", "UTC\x00"}, {"hours", []map[string]string{{"day": "mon", "open": "09:00\x00", "close": "17:00"}}}, {"holidays", []string{"2026-12-25\x00"}}} {
			calls = append(calls,
				call{"create site " + sf.field, "POST", "/api/v1/sites", f.admin, site(sf.field, sf.value), nil, 422, sf.field},
				call{"patch site " + sf.field, "PATCH", "/api/v1/sites/" + f.site, f.admin, map[string]any{sf.field: sf.value}, nil, 422, sf.field})
		}
		for _, uf := range []struct {
			field string
			value any
		}{{"email", "x\x00@example.com"}, {"name", nul}, {"password", "a long enough\x00password"}, {"role", "agent\x00"}, {"site_ids", []string{f.site + "\x00"}},
			{"answer_site_ids", []string{f.site + "\x00"}}} {
			calls = append(calls,
				call{"create user " + uf.field, "POST", "/api/v1/users", f.admin, user(uf.field, uf.value), nil, 422, uf.field},
				call{"patch user " + uf.field, "PATCH", "/api/v1/users/" + f.user, f.admin, map[string]any{uf.field: uf.value}, nil, 422, uf.field})
		}
		for _, p := range []call{
			{"GET", "GET", "/api/v1/conversations/%00", f.admin, nil, nil, 404, ""},
			{"GET invalid UTF-8", "GET", "/api/v1/conversations/%FF", f.admin, nil, nil, 404, ""},
			{"PATCH", "PATCH", "/api/v1/conversations/%00", f.admin, map[string]any{"status": "open"}, nil, 404, ""},
			{"staff reply", "POST", "/api/v1/conversations/%00/messages", f.admin, map[string]any{"body": "hi"}, nil, 404, ""},
			{"site", "GET", "/api/v1/sites/%00", f.admin, nil, nil, 404, ""},
			{"site PATCH", "PATCH", "/api/v1/sites/%FF", f.admin, map[string]any{"name": "x"}, nil, 404, ""},
			{"user PATCH", "PATCH", "/api/v1/users/%00", f.admin, map[string]any{"name": "x"}, nil, 404, ""},
			{"widget key", "GET", "/api/v1/widget/%00/config", "", nil, nil, 404, ""},
			{"widget key invalid UTF-8", "POST", "/api/v1/widget/%FF/conversations", "", newConv("message", "hi"), nil, 404, ""},
			{"visitor thread", "GET", f.widget + "/conversations/%00", f.visitor, nil, nil, 404, ""},
			{"visitor reply", "POST", f.widget + "/conversations/%00/messages", f.visitor, map[string]string{"body": "hi"}, nil, 404, ""},
			{"rating", "POST", f.widget + "/conversations/%FF/rating", f.visitor, map[string]any{"score": 5}, nil, 404, ""},
		} {
			p.name = "path id " + p.name
			calls = append(calls, p)
		}

		for _, c := range calls {
			t.Run(c.name, func(t *testing.T) {
				before := f.snapshot(t)
				r := s.Do(t, c.method, c.path, c.token, c.body, c.headers...)
				if c.status == http.StatusNotFound {
					wantError(t, r, http.StatusNotFound, "not_found")
				} else {
					e := wantError(t, r, c.status, "validation_failed")
					if e.Error.Fields[c.field] == "" {
						t.Fatalf("fields %v do not name %s", e.Error.Fields, c.field)
					}
				}
				if after := f.snapshot(t); after != before {
					t.Fatalf("%s %s changed what is stored:\nbefore %s\nafter  %s", c.method, c.path, before, after)
				}
			})
		}
	})
}

// TestTextStoredAlikeOnBothStores: line breaks in bodies are normalised to
// "\n" and tabs kept, so every client's text reads the same; a long
// User-Agent with a character cut at the 512-byte limit is stored as valid
// text instead of failing on PostgreSQL.
func TestTextStoredAlikeOnBothStores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: noLimits})
		admin := s.AdminToken(t)
		ua := strings.Repeat("a", 511) + "é and the rest"
		r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question",
			"message": "line 1\r\nline 2\rline 3\n\tindented"}, "User-Agent", ua)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var c created
		r.JSON(t, &c)
		if want := "line 1\nline 2\nline 3\n\tindented"; c.Message.Body != want {
			t.Fatalf("body %q, want %q", c.Message.Body, want)
		}
		var thread struct {
			Conversation struct {
				UserAgent string `json:"user_agent"`
			} `json:"conversation"`
			Messages []struct{ Body string } `json:"messages"`
		}
		s.Do(t, "GET", "/api/v1/conversations/"+c.Conversation.ID, admin, nil).JSON(t, &thread)
		if got := thread.Conversation.UserAgent; got != strings.Repeat("a", 511) {
			t.Fatalf("user agent stored as %q (%d bytes, valid %v)", got, len(got), utf8.ValidString(got))
		}
		if len(thread.Messages) != 1 || thread.Messages[0].Body != c.Message.Body {
			t.Fatalf("stored messages %+v", thread.Messages)
		}
	})
}
