package httpapi_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"regexp"
	"testing"

	"holler/server/internal/auth"
	"holler/server/internal/config"
	"holler/server/internal/mailtest"
	"holler/server/internal/store"
	"holler/server/internal/testserver"
)

const mailFrom = "Shop Help <help@shop.example>"

// withMail points a test server at the test SMTP server (nil: no
// HOLLER_SMTP_URL, mail stays queued).
func withMail(smtp *mailtest.Server) func(*config.Config) {
	return func(c *config.Config) {
		c.RateLimit = false
		c.MailFrom = mailFrom
		if smtp != nil {
			c.SMTPURL = smtp.URL()
		}
	}
}

// setReplyDelay sets the demo site's reply_email_delay_seconds.
func setReplyDelay(t *testing.T, s *testserver.Server, admin string, secs int) {
	t.Helper()
	r := s.Do(t, "PATCH", "/api/v1/sites/"+s.DemoSite, admin, map[string]any{"reply_email_delay_seconds": secs})
	if r.Status != http.StatusOK {
		t.Fatalf("set delay: %d %s", r.Status, r.Body)
	}
}

// quietAdmin turns the admin's new-conversation mails off, so a test counts
// only the mails it is about.
func quietAdmin(t *testing.T, s *testserver.Server, admin string) {
	t.Helper()
	me := s.Do(t, "GET", "/api/v1/me", admin, nil)
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	me.JSON(t, &out)
	r := s.Do(t, "PATCH", "/api/v1/users/"+out.User.ID, admin, map[string]any{
		"notifications": map[string]any{"new_conversations": "none", "assigned_replies": false}})
	if r.Status != http.StatusOK {
		t.Fatalf("quiet admin: %d %s", r.Status, r.Body)
	}
}

type customerConv struct {
	ID, Ref, VisitorToken string
}

// customerComplaint files a complaint through the widget with an email.
func customerComplaint(t *testing.T, s *testserver.Server, email, text string) customerConv {
	t.Helper()
	return customerFiles(t, s, map[string]any{"kind": "complaint", "message": text, "email": email, "name": "Kim Kunde"})
}

// customerFiles opens a conversation through the widget with body.
func customerFiles(t *testing.T, s *testserver.Server, body map[string]any) customerConv {
	t.Helper()
	r := s.Do(t, "POST", createPath(s.DemoKey), "", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var out struct {
		Conversation struct {
			ID  string `json:"id"`
			Ref string `json:"ref"`
		} `json:"conversation"`
		VisitorToken string `json:"visitor_token"`
	}
	r.JSON(t, &out)
	return customerConv{ID: out.Conversation.ID, Ref: out.Conversation.Ref, VisitorToken: out.VisitorToken}
}

// staffSays posts a staff reply (or note) and returns the message ID; the
// request must answer 201 whatever the mail server is doing.
func staffSays(t *testing.T, s *testserver.Server, token, convID, body string, internal bool) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/conversations/"+convID+"/messages", token, map[string]any{"body": body, "internal": internal})
	if r.Status != http.StatusCreated {
		t.Fatalf("staff reply: %d %s", r.Status, r.Body)
	}
	var out struct {
		Message struct {
			ID string `json:"id"`
		} `json:"message"`
	}
	r.JSON(t, &out)
	return out.Message.ID
}

// signerOf reads the server's signing key from its store, to verify the
// tokens it put in mails exactly as the server itself would.
func signerOf(t *testing.T, s *testserver.Server) *auth.Signer {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DatabaseURL: s.Config.DatabaseURL, DataDir: s.Config.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := st.EnsureSetting(context.Background(), "jwt_signing_key", func() string { t.Fatal("no signing key"); return "" })
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := auth.NewSigner(raw)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

var replyToRe = regexp.MustCompile(`^<reply\+([a-z2-7]{52})@shop\.example>$`)

// createAgent adds an agent of the demo site with a new-conversation
// notification mode and returns their ID.
func createAgent(t *testing.T, s *testserver.Server, admin, email, mode string) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": email, "name": "Agent " + mode,
		"password": testserver.Password, "role": "agent", "site_ids": []string{s.DemoSite},
		"notifications": map[string]any{"new_conversations": mode}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create agent: %d %s", r.Status, r.Body)
	}
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.JSON(t, &out)
	return out.User.ID
}
