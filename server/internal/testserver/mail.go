package testserver

import (
	"net/smtp"
	"strings"
	"testing"
	"time"

	"holler/server/internal/auth"
)

// Signer is the server's own signer, so a test can check or mint what the
// server issues (a customer's link before any mail carries one, or an
// expired one).
func (s *Server) Signer() *auth.Signer { return s.signer }

// ConversationToken mints the token the server's own mail would carry for
// a conversation (its page link and reply address), expiring at exp.
func (s *Server) ConversationToken(t testing.TB, conversationID string, exp time.Time) string {
	t.Helper()
	tok, err := s.signer.ConversationToken(conversationID, exp)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ReplyAddress is the reply+TOKEN@domain address a customer mail of the
// server carries for a conversation, valid for a day.
func (s *Server) ReplyAddress(t testing.TB, conversationID string) string {
	t.Helper()
	return "reply+" + s.ConversationToken(t, conversationID, time.Now().Add(24*time.Hour)) + "@" + s.Config.ReplyDomain()
}

// ReplyMail is a customer's reply as a mail client writes it: their text
// above the quoted original, CRLF line ends.
func ReplyMail(to, messageID, text string) []byte {
	lines := []string{
		"From: Ann Customer <ann@example.com>",
		"To: Shop Help <" + to + ">",
		"Subject: Re: Your complaint",
		"Date: Tue, 3 Mar 2026 11:02:47 +0100",
		"Message-ID: <" + messageID + ">",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=UTF-8",
		"",
		text,
		"",
		"On Tue, 3 Mar 2026 at 10:12, Shop Help <" + to + "> wrote:",
		"> Hello Ann, we are looking into it.",
		"",
	}
	return []byte(strings.Join(lines, "\r\n"))
}

// SendSMTP delivers raw to addr as another mail server would: over TCP,
// with net/smtp, no TLS (the listener under test offers none).
func SendSMTP(addr string, to []string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mx.example.net"); err != nil {
		return err
	}
	if err := c.Mail("ann@example.com"); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
