package httpapi_test

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"holler/server/internal/auth"
	"holler/server/internal/testserver"
)

var pageLangRE = regexp.MustCompile(`<html lang="(en|de|fr|es)">`)

// FuzzCustomerPage throws arbitrary link tokens and Accept-Language headers
// at GET /c/{token} of a real server: the page (200) comes only for a token
// the server's key verifies, an expired one is 410, anything else 404; each
// answer is HTML in one of the page's languages, and an error page carries
// no data. `go test -fuzz FuzzCustomerPage ./server/internal/httpapi/`
func FuzzCustomerPage(f *testing.F) {
	s := testserver.Start(f, testserver.Options{Dialect: "sqlite", Configure: noRateLimit})
	r := s.Do(f, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "question", "message": "hi"})
	var c created
	r.JSON(f, &c)
	signer := s.Signer()
	good := s.ConversationToken(f, c.Conversation.ID, time.Now().Add(time.Hour))
	old := s.ConversationToken(f, c.Conversation.ID, time.Now().Add(-time.Hour))
	for _, seed := range [][2]string{
		{good, "de-CH,de;q=0.9"}, {strings.ToUpper(good), ""}, {old, "fr"}, {good[:51] + "a", "es;q=1, en"},
		{"", ""}, {"not-a-token", "*"}, {c.VisitorToken, "xx, ,;,-"}, {"../../etc/passwd", "en-US"},
		{"%00", ";q=0"}, {strings.Repeat("a", 52), "EN"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, token, acceptLanguage string) {
		for _, ch := range acceptLanguage {
			if ch < 0x20 || ch > 0x7e {
				t.Skip("not a header value an HTTP client sends")
			}
		}
		r := s.Do(t, "GET", "/c/"+url.PathEscape(token), "", nil, "Accept-Language", acceptLanguage)
		want := http.StatusNotFound
		_, err := signer.ParseConversationToken(token)
		switch {
		case err == nil:
			want = http.StatusOK
		case errors.Is(err, auth.ErrExpiredToken):
			want = http.StatusGone
		}
		if r.Status != want {
			t.Fatalf("GET /c/%q: %d, want %d: %s", token, r.Status, want, r.Body)
		}
		if !pageLangRE.Match(r.Body) {
			t.Fatalf("GET /c/%q (Accept-Language %q): no page language: %s", token, acceptLanguage, r.Body)
		}
		if want != http.StatusOK && strings.Contains(string(r.Body), "data-") {
			t.Fatalf("an error page carries data: %s", r.Body)
		}
	})
}
