package httpapi_test

import (
	"net/http"
	"testing"

	"holler/server/internal/testserver"
)

// FuzzWidgetCreate throws arbitrary bodies at the widget's create endpoint
// of a real server: every answer is a 201 or a 4xx in the contract's
// error shape, never a 500. `go test -fuzz FuzzWidgetCreate ./server/internal/httpapi/`
func FuzzWidgetCreate(f *testing.F) {
	s := testserver.Start(f, testserver.Options{Dialect: "sqlite", Configure: noRateLimit})
	for _, seed := range []string{
		`{"kind":"question","message":"hi"}`,
		`{"kind":"complaint","message":"x","email":"a@b.co","name":"Ann","page_url":"https://shop.example/p?q=1"}`,
		`{"kind":1}`, `[]`, `null`, `{"message":"\u0000"}`, `{"kind":"praise","message":"ok"} trailing`,
		`{"kind":"feedback","message":"` + "\xff\xfe" + `"}`, `{"page_url":"javascript:alert(1)"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := s.Do(t, "POST", "/api/v1/widget/"+s.DemoKey+"/conversations", "", body)
		switch {
		case r.Status == http.StatusCreated:
		case r.Status >= 400 && r.Status < 500:
			if r.ErrorCode() == "" {
				t.Fatalf("4xx without an error code: %d %s", r.Status, r.Body)
			}
		default:
			t.Fatalf("status %d for %q: %s", r.Status, body, r.Body)
		}
	})
}

// FuzzStaffConversationQuery: arbitrary query strings on the inbox never
// produce a server error.
func FuzzStaffConversationQuery(f *testing.F) {
	s := testserver.Start(f, testserver.Options{Dialect: "sqlite", Configure: noRateLimit})
	admin := s.AdminToken(f)
	for _, seed := range []string{"limit=5", "q=%25_%5C", "cursor=abc", "status=open&kind=praise", "limit=-1", "assignee_id=none", "site_id=x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := s.Do(t, "GET", "/api/v1/conversations?"+query, admin, nil)
		if r.Status >= 500 || r.Status == 0 {
			t.Fatalf("status %d for %q: %s", r.Status, query, r.Body)
		}
	})
}
