package httpapi_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"holler/server/internal/config"
	"holler/server/internal/dbproxy"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
	"holler/server/internal/testserver"
)

const inboundSecret = "webhook-secret-0123456789"

// mailIn turns on both ways in for customers' replies.
func mailIn(c *config.Config) {
	c.RateLimit = false
	c.MailFrom = "Shop Help <help@shop.test>"
	c.SMTPListen = "127.0.0.1:0"
	c.InboundSecret = inboundSecret
}

type inboundFixture struct {
	s      *testserver.Server
	admin  string
	convID string
	socket *websocket.Conn
}

// newInbound starts a server, files a complaint through the widget,
// resolves it (so a reply must reopen it) and opens a staff socket.
func newInbound(t *testing.T, s *testserver.Server) *inboundFixture {
	t.Helper()
	f := &inboundFixture{s: s, admin: s.AdminToken(t)}
	var c created
	r := s.Do(t, "POST", createPath(s.DemoKey), "", map[string]string{"kind": "complaint", "message": "The lamp arrived broken.", "email": "ann@example.com"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &c)
	f.convID = c.Conversation.ID
	if r := s.Do(t, "PATCH", "/api/v1/conversations/"+f.convID, f.admin, map[string]any{"status": "resolved"}); r.Status != http.StatusOK {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	f.socket = dialStaff(t, s, f.admin, http.Header{"Origin": {s.Config.PublicOrigin()}})
	t.Cleanup(func() { f.socket.Close() })
	return f
}

type threadMessage struct {
	AuthorKind string `json:"author_kind"`
	Body       string `json:"body"`
	Via        string `json:"via"`
}

func (f *inboundFixture) thread(t *testing.T) (status string, msgs []threadMessage) {
	t.Helper()
	var out struct {
		Conversation struct {
			Status string `json:"status"`
		} `json:"conversation"`
		Messages []threadMessage `json:"messages"`
	}
	f.s.Do(t, "GET", "/api/v1/conversations/"+f.convID, f.admin, nil).JSON(t, &out)
	return out.Conversation.Status, out.Messages
}

// wantStored checks the thread holds the widget's first message and then
// exactly the replies given, each a visitor message that came by email,
// and that the conversation was reopened.
func (f *inboundFixture) wantStored(t *testing.T, replies ...string) {
	t.Helper()
	status, msgs := f.thread(t)
	if len(msgs) != 1+len(replies) {
		t.Fatalf("%d messages, want %d: %+v", len(msgs), 1+len(replies), msgs)
	}
	for i, body := range replies {
		m := msgs[1+i]
		if m.AuthorKind != "visitor" || m.Body != body || m.Via != "email" {
			t.Errorf("message %d: %+v, want a visitor message by email %q", 1+i, m, body)
		}
	}
	if len(replies) > 0 && status != "open" {
		t.Errorf("status %q after a customer's reply, want open", status)
	}
}

// waitLive reads the staff socket until the reply arrives as message.created.
func (f *inboundFixture) waitLive(t *testing.T, body string) {
	t.Helper()
	_ = f.socket.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var ev struct {
			Type           string `json:"type"`
			ConversationID string `json:"conversation_id"`
			Data           struct {
				Message threadMessage `json:"message"`
			} `json:"data"`
		}
		if err := f.socket.ReadJSON(&ev); err != nil {
			t.Fatalf("waiting for %q on the staff socket: %v", body, err)
		}
		if ev.Type == "message.created" && ev.ConversationID == f.convID && ev.Data.Message.Body == body {
			if ev.Data.Message.Via != "email" {
				t.Errorf("live message %+v, want via email", ev.Data.Message)
			}
			return
		}
	}
}

// wantRefusalLogged finds the service's warning with its reason.
func wantRefusalLogged(t *testing.T, s *testserver.Server, reason string) {
	t.Helper()
	for _, line := range strings.Split(s.Log.String(), "\n") {
		if strings.Contains(line, "inbound mail refused") && strings.Contains(line, reason) {
			return
		}
	}
	t.Errorf("no log line of a refusal for %q in:\n%s", reason, s.Log.String())
}

// forged is a token of the right shape whose MAC does not verify.
func forged(tok string) string {
	c := byte('a')
	if tok[30] == 'a' {
		c = 'b'
	}
	return tok[:30] + string(c) + tok[31:]
}

func (f *inboundFixture) post(t *testing.T, raw []byte, auth string, query string) *testserver.Response {
	t.Helper()
	return f.s.Do(t, "POST", "/api/v1/inbound/email"+query, "", raw, "Authorization", auth, "Content-Type", "message/rfc822")
}

// TestInboundWebhook: a provider's inbound-parse webhook posts the raw mail;
// the reply lands in the thread as a visitor message, live on the staff
// socket, reopening the conversation; a redelivery stores nothing; a bad
// secret, a forged, expired or foreign address, a reply with nothing of its
// own and an oversized mail are refused, logged, and store nothing.
func TestInboundWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: mailIn})
		f := newInbound(t, s)
		addr := s.ReplyAddress(t, f.convID)
		good := "Bearer " + inboundSecret
		raw := testserver.ReplyMail(addr, "reply-1@example.com", "It is still broken -> please send a new one.")

		for _, auth := range []string{"", "Bearer wrong-secret-0123456789", "Basic " + "aG9sbGVyOndyb25n"} {
			wantError(t, f.post(t, raw, auth, ""), http.StatusUnauthorized, "unauthorized")
		}
		f.wantStored(t)

		r := f.post(t, raw, good, "")
		if r.Status != http.StatusAccepted {
			t.Fatalf("good mail: %d %s", r.Status, r.Body)
		}
		f.waitLive(t, "It is still broken -> please send a new one.")
		// The same mail again (the provider retrying): nothing new.
		if r := f.post(t, raw, good, ""); r.Status != http.StatusAccepted {
			t.Fatalf("redelivery: %d %s", r.Status, r.Body)
		}
		f.wantStored(t, "It is still broken -> please send a new one.")

		tok := strings.TrimSuffix(strings.TrimPrefix(addr, "reply+"), "@shop.test")
		expired := "reply+" + s.ConversationToken(t, f.convID, time.Now().Add(-time.Hour)) + "@shop.test"
		unknown := "reply+" + s.ConversationToken(t, uuid.NewString(), time.Now().Add(time.Hour)) + "@shop.test"
		refusals := []struct {
			name, to, code, reason string
		}{
			{"forged", "reply+" + forged(tok) + "@shop.test", "token_invalid", "does not verify"},
			{"expired", expired, "token_expired", "expired"},
			{"unknown conversation", unknown, "token_invalid", "does not exist"},
			{"other domain", "reply+" + tok + "@elsewhere.test", "recipient_unknown", "no reply address"},
		}
		for i, c := range refusals {
			mail := testserver.ReplyMail(c.to, "refused-"+string(rune('a'+i))+"@example.com", "Let me in.")
			wantError(t, f.post(t, mail, good, ""), http.StatusUnprocessableEntity, c.code)
			wantRefusalLogged(t, s, c.reason)
		}
		quoteOnly := testserver.ReplyMail(addr, "empty@example.com", "")
		wantError(t, f.post(t, quoteOnly, good, ""), http.StatusUnprocessableEntity, "empty_reply")
		wantRefusalLogged(t, s, "nothing above the quoted message")
		big := append(testserver.ReplyMail(addr, "big@example.com", "Huge."), bytes.Repeat([]byte("x"), 10<<20)...)
		wantError(t, f.post(t, big, good, ""), http.StatusRequestEntityTooLarge, "body_too_large")
		// An out-of-office answer is taken (so nothing bounces to the
		// auto-responder) and dropped.
		ooo := append([]byte("Auto-Submitted: auto-replied\r\n"), testserver.ReplyMail(addr, "ooo@example.com", "I am away until Monday.")...)
		if r := f.post(t, ooo, good, ""); r.Status != http.StatusAccepted || !strings.Contains(string(r.Body), `"message":null`) {
			t.Fatalf("automatic reply: %d %s", r.Status, r.Body)
		}
		f.wantStored(t, "It is still broken -> please send a new one.")
		if strings.Contains(s.Log.String(), tok) {
			t.Error("a reply token is in the log in full")
		}

		// A mail forwarded to the webhook shows another address in its
		// headers; the provider names the envelope recipient instead, and
		// Basic auth carries the secret for providers that only take a URL.
		fwd := testserver.ReplyMail("support@shop.test", "reply-2@example.com", "Photo is on its way.")
		r = f.s.Do(t, "POST", "/api/v1/inbound/email?recipient="+url.QueryEscape(addr), "", fwd, "Content-Type", "message/rfc822")
		wantError(t, r, http.StatusUnauthorized, "unauthorized")
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/inbound/email?recipient="+url.QueryEscape(addr), bytes.NewReader(fwd))
		req.SetBasicAuth("holler", inboundSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("basic auth with ?recipient=: %d", resp.StatusCode)
		}
		f.wantStored(t, "It is still broken -> please send a new one.", "Photo is on its way.")
	})
}

// TestInboundWebhookOff: without HOLLER_INBOUND_SECRET the route is not there.
func TestInboundWebhookOff(t *testing.T) {
	s := testserver.Start(t, testserver.Options{Dialect: storetest.Dialects[0]})
	r := s.Do(t, "POST", "/api/v1/inbound/email", "", "From: a@b\r\n\r\nhi", "Authorization", "Bearer anything-at-all-here")
	wantError(t, r, http.StatusNotFound, "not_found")
}

func wantSMTPCode(t *testing.T, err error, code int, text string) {
	t.Helper()
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != code || !strings.Contains(te.Msg, text) {
		t.Fatalf("SMTP answer %v, want %d mentioning %q", err, code, text)
	}
}

// TestInboundSMTP: the listener, fed by a real SMTP client, stores a reply
// for a verified reply address (live on the staff socket, reopening the
// conversation), stores a redelivery once, and refuses at RCPT with 550 a
// forged or expired address, one of another domain (no relaying) and an
// unknown conversation, and an oversized mail with 552: all logged,
// nothing stored.
func TestInboundSMTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		s := testserver.Start(t, testserver.Options{Dialect: d, Configure: mailIn})
		f := newInbound(t, s)
		addr := s.ReplyAddress(t, f.convID)
		raw := testserver.ReplyMail(addr, "smtp-1@example.com", "The price went from 19 > 24 EUR, why?")
		if err := testserver.SendSMTP(s.SMTPAddr, []string{addr}, raw); err != nil {
			t.Fatalf("send: %v", err)
		}
		f.waitLive(t, "The price went from 19 > 24 EUR, why?")
		// The sender's server retries (it lost our 250): stored once. The
		// address in upper case (some systems do that) is the same address.
		if err := testserver.SendSMTP(s.SMTPAddr, []string{strings.ToUpper(addr)}, raw); err != nil {
			t.Fatalf("redelivery: %v", err)
		}
		f.wantStored(t, "The price went from 19 > 24 EUR, why?")

		tok := strings.TrimSuffix(strings.TrimPrefix(addr, "reply+"), "@shop.test")
		expired := "reply+" + s.ConversationToken(t, f.convID, time.Now().Add(-time.Hour)) + "@shop.test"
		unknown := "reply+" + s.ConversationToken(t, uuid.NewString(), time.Now().Add(time.Hour)) + "@shop.test"
		refusals := []struct {
			name, to, text, reason string
		}{
			{"forged", "reply+" + forged(tok) + "@shop.test", "not valid", "does not verify"},
			{"expired", expired, "expired", "reply address expired"},
			{"unknown conversation", unknown, "not valid", "does not exist"},
			{"relay", "someone@example.org", "No such mailbox", "not a reply address of ours"},
			{"other domain", "reply+" + tok + "@elsewhere.test", "No such mailbox", "not a reply address of ours"},
		}
		for _, c := range refusals {
			err := testserver.SendSMTP(s.SMTPAddr, []string{c.to}, testserver.ReplyMail(c.to, "x-"+c.name+"@example.com", "Let me in."))
			wantSMTPCode(t, err, 550, c.text)
			wantRefusalLogged(t, s, c.reason)
		}
		big := append(testserver.ReplyMail(addr, "big@example.com", "Huge."), bytes.Repeat([]byte("x\r\n"), 4<<20)...)
		wantSMTPCode(t, testserver.SendSMTP(s.SMTPAddr, []string{addr}, big), 552, "")
		f.wantStored(t, "The price went from 19 > 24 EUR, why?")
	})
}

// TestInboundSMTPDatabaseAway: while the database is unreachable the
// listener answers 451 (the sender keeps the mail and retries) rather than
// accepting a mail it cannot store; once the database is back the retry is
// stored, once.
func TestInboundSMTPDatabaseAway(t *testing.T) {
	proxy, dbURL := dbproxy.For(t, storetest.FreshPostgres(t))
	s := testserver.Start(t, testserver.Options{Store: &store.Options{DatabaseURL: dbURL}, Configure: mailIn})
	f := newInbound(t, s)
	addr := s.ReplyAddress(t, f.convID)
	raw := testserver.ReplyMail(addr, "during-outage@example.com", "Is anyone there?")

	proxy.Cut(dbproxy.Refuse)
	wantSMTPCode(t, testserver.SendSMTP(s.SMTPAddr, []string{addr}, raw), 451, "try again")
	proxy.Restore()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := testserver.SendSMTP(s.SMTPAddr, []string{addr}, raw)
		if err == nil {
			break
		}
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code != 451 || time.Now().After(deadline) {
			t.Fatalf("after the database returned: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := testserver.SendSMTP(s.SMTPAddr, []string{addr}, raw); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	f.wantStored(t, "Is anyone there?")
}
