package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"holler/server/internal/auth"
	"holler/server/internal/inbound"
	"holler/server/internal/model"
)

// replyLocalPrefix starts the local part of every reply address:
// reply+TOKEN@ the domain of HOLLER_MAIL_FROM.
const replyLocalPrefix = "reply+"

// cutMarker ends a reply that was longer than a message may be: the
// customer's text is kept up to the limit rather than refused, since a mail
// cannot be sent back to be shortened the way the widget can.
const cutMarker = "\n\n[…] (This email was longer than 10,000 characters and was cut here.)"

// CheckReplyAddress tells whether addr is a reply address this server
// issued for a conversation that exists: the SMTP listener asks it at RCPT
// time so a mail that cannot be stored is refused before it is sent.
// Refusals are logged here, with their reason.
func (s *Service) CheckReplyAddress(ctx context.Context, addr string) error {
	token, ok := s.replyToken(addr)
	if !ok {
		s.refuseMail(ctx, "not a reply address of ours", "", "", addrHint(addr))
		return model.ErrReplyAddressUnknown
	}
	_, err := s.replyConversation(ctx, token, "")
	return err
}

// InboundReply stores a customer's email reply as a visitor message of the
// conversation its reply address names, through the same path as a reply
// from the widget: it appears live on the dashboards and reopens a resolved
// conversation. to are the envelope recipients when the transport knows
// them (SMTP); when empty, the message's To, Cc, Delivered-To and
// X-Original-To headers are searched, and the first reply address that
// verifies wins. The same mail delivered again (an MTA retrying, or the
// webhook and the listener both receiving it) is stored once: the
// idempotency key is the Message-ID (or, without one, a hash of the sender,
// subject and text) per conversation. An automatic mail (an out-of-office
// answer, a bounce) is accepted and dropped: nil message, nil error.
func (s *Service) InboundReply(ctx context.Context, to []string, raw io.Reader) (*model.Message, error) {
	data, err := io.ReadAll(io.LimitReader(raw, inbound.MaxMessageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read inbound mail: %w", err)
	}
	if len(data) > inbound.MaxMessageBytes {
		return nil, model.ErrMailMalformed
	}
	m, err := inbound.Parse(bytes.NewReader(data))
	if err != nil {
		s.refuseMail(ctx, "unreadable mail", "", "", "")
		return nil, model.ErrMailMalformed
	}
	if len(to) == 0 {
		to = m.Recipients
	}
	var c *model.Conversation
	err = model.ErrReplyAddressUnknown
	for _, addr := range to {
		token, ok := s.replyToken(addr)
		if !ok {
			continue
		}
		if c, err = s.replyConversation(ctx, token, m.MessageID); err == nil || errors.Is(err, model.ErrUnavailable) {
			break
		}
	}
	if errors.Is(err, model.ErrReplyAddressUnknown) {
		hidden := make([]string, len(to))
		for i, a := range to {
			hidden[i] = addrHint(a)
		}
		s.refuseMail(ctx, "no reply address of ours among the recipients", m.MessageID, "", strings.Join(hidden, ","))
	}
	if err != nil {
		return nil, err
	}
	if m.Automatic {
		// Refusing it would only bounce to an auto-responder; storing it
		// would reopen the conversation for an out-of-office notice.
		s.log.InfoContext(ctx, "inbound mail ignored: automatic", "message_id", m.MessageID, "conversation_id", c.ID)
		return nil, nil
	}
	body := replyBody(m.Reply())
	if body == "" {
		s.refuseMail(ctx, "nothing above the quoted message", m.MessageID, c.ID, "")
		return nil, model.ErrReplyEmpty
	}
	name := c.Name
	if name == "" {
		name = scrub(m.FromName, model.MaxNameLen)
	}
	k := newIdemKey(c.SiteID, mailKey(c.ID, m), "email", c.ID, body)
	msg, err := s.addMessage(ctx, c.ID, author{kind: model.AuthorVisitor, id: c.VisitorID, name: name, via: model.ViaEmail,
		allow: func(locked *model.Conversation) bool { return locked.SiteID == c.SiteID }}, MessageInput{Body: body}, k)
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "inbound mail stored", "conversation_id", c.ID, "site_id", c.SiteID,
		"message_id", m.MessageID, "holler_message_id", msg.ID)
	return msg, nil
}

// replyToken returns the token of a reply address at our domain.
func (s *Service) replyToken(addr string) (string, bool) {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || s.mailDomain == "" || !strings.EqualFold(addr[at+1:], s.mailDomain) {
		return "", false
	}
	local := addr[:at]
	if len(local) <= len(replyLocalPrefix) || !strings.EqualFold(local[:len(replyLocalPrefix)], replyLocalPrefix) {
		return "", false
	}
	return local[len(replyLocalPrefix):], true
}

// replyConversation verifies a reply token and loads its conversation. A
// forged or expired token, or one for a conversation that no longer
// exists, is refused and logged.
func (s *Service) replyConversation(ctx context.Context, token, messageID string) (*model.Conversation, error) {
	convID, err := s.signer.ParseConversationToken(token)
	switch {
	case errors.Is(err, auth.ErrExpiredToken):
		s.refuseMail(ctx, "reply address expired", messageID, convID, tokenHint(token))
		return nil, model.ErrReplyTokenExpired
	case err != nil:
		s.refuseMail(ctx, "reply address does not verify", messageID, "", tokenHint(token))
		return nil, model.ErrReplyTokenInvalid
	}
	c, err := s.store.ConversationByID(ctx, convID)
	if IsNotFound(err) {
		s.refuseMail(ctx, "conversation of the reply address does not exist", messageID, convID, tokenHint(token))
		return nil, model.ErrReplyTokenInvalid
	}
	return c, err
}

// refuseMail logs why a mail (or a recipient) was refused: refusals are
// how a forged reply address or a misrouted mail shows up to operators.
func (s *Service) refuseMail(ctx context.Context, reason, messageID, convID, recipient string) {
	s.log.WarnContext(ctx, "inbound mail refused", "reason", reason, "message_id", messageID,
		"conversation_id", convID, "recipient", recipient)
}

// tokenHint is enough of a token to match log lines, never the whole
// credential.
func tokenHint(token string) string {
	if len(token) > 8 {
		return replyLocalPrefix + token[:8] + "…"
	}
	return replyLocalPrefix + token
}

// addrHint is an address for the log: a reply+ address (at any domain)
// shows only the start of its token.
func addrHint(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || len(addr) < len(replyLocalPrefix) || !strings.EqualFold(addr[:len(replyLocalPrefix)], replyLocalPrefix) {
		return addr
	}
	return tokenHint(addr[len(replyLocalPrefix):at]) + addr[at:]
}

// replyBody makes the cut reply obey the message rules: the text rules
// (scrubbed, since a mail cannot be sent back for fixing) and the length
// limit (cut with a marker).
func replyBody(text string) string {
	body := strings.TrimSpace(scrubLines(text))
	if utf8.RuneCountInString(body) > model.MaxMessageLen {
		keep := model.MaxMessageLen - utf8.RuneCountInString(cutMarker)
		body = strings.TrimSpace(string([]rune(body)[:keep])) + cutMarker
	}
	return body
}

// mailKey is the idempotency key of a mail for one conversation.
func mailKey(convID string, m *inbound.Mail) string {
	id := m.MessageID
	if id == "" {
		// Without a Message-ID, what identifies the mail across transports
		// (trace headers differ between the webhook and the listener).
		id = strings.Join([]string{m.From, m.Subject, m.Text()}, "\x00")
	}
	sum := sha256.Sum256([]byte(convID + "\x00" + id))
	return "email:" + hex.EncodeToString(sum[:])
}
