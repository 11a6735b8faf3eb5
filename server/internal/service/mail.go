package service

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"holler/server/internal/auth"
	holmail "holler/server/internal/mail"
	"holler/server/internal/model"
	"holler/server/internal/store"
)

// MailConfig is what the service needs to write mail.
type MailConfig struct {
	From       string // HOLLER_MAIL_FROM; Message-IDs and reply addresses use its domain
	PublicURL  string // links in mails
	Configured bool   // HOLLER_SMTP_URL is set: a worker sends the outbox
}

// MailSender delivers one composed message (implemented by mail.Sender).
type MailSender interface {
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

// MailMetrics counts the outbox (implemented by the HTTP layer's metrics).
type MailMetrics interface {
	MailSent(kind string)
	MailFailed(kind string)
	MailRetried()
	MailQueued(n int64)
}

// Outbox timing. The backoff is capped at 30 s so mail flows again within a
// minute of a mail server's return, however long it was away. The lease
// outlives the longest send the sender allows (a few of its timeouts), so a
// claim only runs out when its instance died.
const (
	mailBackoffCap   = 30 * time.Second
	mailLease        = 5 * time.Minute
	mailBatch        = 20
	mailPermanentMax = 3 // a 5xx refusal is tried this often before the row is marked failed
	// MailKeep is how long sent, skipped and failed rows are kept.
	MailKeep = 30 * 24 * time.Hour
)

// mailBackoff is how long to wait after the n-th failed try.
func mailBackoff(attempts int) time.Duration {
	d := time.Second
	for i := 1; i < attempts && d < mailBackoffCap; i++ {
		d *= 2
	}
	return min(d, mailBackoffCap)
}

// errNoMailServer: the worker runs without a sender (no HOLLER_SMTP_URL).
var errNoMailServer = errors.New("no mail server configured")

// DeliverMail sends the due outbox rows, a batch at a time, and returns how
// many it sent. A mail server that cannot be reached ends the run after the
// first failure (the rest of the batch is released untouched for the next
// run), so an outage costs one timeout per run rather than one per mail.
func (s *Service) DeliverMail(ctx context.Context, sender MailSender) (int, error) {
	if sender == nil {
		return 0, errNoMailServer
	}
	sent := 0
	for {
		rows, err := s.store.ClaimMail(ctx, s.now(), mailLease, mailBatch)
		if err != nil {
			return sent, err
		}
		for i := range rows {
			if ctx.Err() != nil {
				s.releaseMail(rows[i:])
				return sent, ctx.Err()
			}
			status, serverAway := s.deliverOne(ctx, sender, &rows[i])
			if status == model.MailSent {
				sent++
			}
			if serverAway {
				s.releaseMail(rows[i+1:])
				return sent, nil
			}
		}
		if len(rows) < mailBatch {
			return sent, nil
		}
	}
}

// releaseMail hands claimed but untried rows back as they were.
func (s *Service) releaseMail(rows []model.OutboxMail) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range rows {
		if _, err := s.store.FinishMail(ctx, &rows[i]); err != nil {
			s.log.Warn("release claimed mail", "mail_id", rows[i].ID, "err", err)
		}
	}
}

// deliverOne composes and sends one row and records the outcome. It returns
// the row's new status and whether the mail server (or the store) failed in
// a way that makes trying the next row now pointless.
func (s *Service) deliverOne(ctx context.Context, sender MailSender, m *model.OutboxMail) (status string, serverAway bool) {
	msg, err := s.composeMail(ctx, m)
	switch {
	case errors.Is(err, errNothingToSay):
		m.Status = model.MailSkipped
	case err != nil:
		// Composing reads the store: a database away is worth a retry.
		m.Attempts++
		m.LastError = err.Error()
		m.SendAfter = s.now().Add(mailBackoff(m.Attempts))
		serverAway = true
		s.log.Warn("compose mail; will retry", "mail_id", m.ID, "kind", m.Kind, "err", err)
	default:
		sendErr := s.sendComposed(ctx, sender, msg, m.Recipient)
		now := s.now()
		m.Attempts++
		switch {
		case sendErr == nil:
			m.Status, m.SentAt, m.LastError = model.MailSent, &now, ""
			s.mailMetric(func(mm MailMetrics) { mm.MailSent(m.Kind) })
		case holmail.IsPermanent(sendErr) && m.Attempts >= mailPermanentMax:
			m.Status, m.LastError = model.MailFailed, sendErr.Error()
			s.log.Error("mail refused for good", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "err", sendErr)
			s.mailMetric(func(mm MailMetrics) { mm.MailFailed(m.Kind) })
		default:
			m.LastError, m.SendAfter = sendErr.Error(), now.Add(mailBackoff(m.Attempts))
			serverAway = !holmail.IsPermanent(sendErr)
			s.log.Warn("mail not sent; will retry", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "retry_at", m.SendAfter, "err", sendErr)
			s.mailMetric(func(mm MailMetrics) { mm.MailRetried() })
		}
	}
	// The mail server's answer is in: record it even if we are stopping,
	// or an accepted mail would be sent again after the restart.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ok, err := s.store.FinishMail(fctx, m)
	if err != nil {
		s.log.Error("record mail outcome", "mail_id", m.ID, "status", m.Status, "err", err)
	} else if !ok {
		s.log.Warn("mail claim ran out before its outcome was recorded", "mail_id", m.ID)
	}
	return m.Status, serverAway
}

func (s *Service) sendComposed(ctx context.Context, sender MailSender, msg *holmail.Message, to string) error {
	raw, err := msg.Bytes()
	if err != nil {
		return err
	}
	return sender.Send(ctx, s.mailFrom.Address, []string{to}, raw)
}

func (s *Service) mailMetric(f func(MailMetrics)) {
	if s.mailMetrics != nil {
		f(s.mailMetrics)
	}
}

// RefreshMailGauge reads how many mails wait, for the queued gauge.
func (s *Service) RefreshMailGauge(ctx context.Context) error {
	counts, err := s.store.MailCounts(ctx)
	if err != nil {
		return err
	}
	s.mailMetric(func(mm MailMetrics) { mm.MailQueued(counts[model.MailQueued]) })
	return nil
}

// PruneMail deletes finished outbox rows older than MailKeep.
func (s *Service) PruneMail(ctx context.Context) (int64, error) {
	return s.store.PruneMail(ctx, s.now().Add(-MailKeep))
}

// MailStatus is what the dashboard shows about outgoing mail.
type MailStatus struct {
	Configured bool               `json:"configured"`
	Queued     int64              `json:"queued"`
	Failed     int64              `json:"failed"`
	Recent     []model.OutboxMail `json:"recent_failures"`
}

// MailStatus tells staff whether mail goes out; admins also see the
// counts and the latest refusals (recipients are customers of any site).
func (s *Service) MailStatus(ctx context.Context, actor *model.User) (*MailStatus, error) {
	out := &MailStatus{Configured: s.mailCfg.Configured, Recent: []model.OutboxMail{}}
	if !actor.IsAdmin() {
		return out, nil
	}
	counts, err := s.store.MailCounts(ctx)
	if err != nil {
		return nil, err
	}
	out.Queued, out.Failed = counts[model.MailQueued], counts[model.MailFailed]
	if out.Recent, err = s.store.FailedMail(ctx, 20); err != nil {
		return nil, err
	}
	return out, nil
}

// errNothingToSay: the mail has become pointless (its replies were seen
// live, its reader is on the dashboard, its conversations are gone).
var errNothingToSay = errors.New("nothing to say")

// composeMail builds the message of an outbox row from the current data.
func (s *Service) composeMail(ctx context.Context, m *model.OutboxMail) (*holmail.Message, error) {
	if s.mailFrom == nil {
		return nil, errors.New("HOLLER_MAIL_FROM is not set")
	}
	out := &holmail.Message{From: s.mailFrom, MessageID: m.ID + "@" + s.mailDomain, Date: s.now(),
		To: &mail.Address{Address: m.Recipient}}
	content := holmail.Content{Kind: m.Kind}
	var conv *model.Conversation
	if m.ConversationID != "" {
		c, err := s.store.ConversationByID(ctx, m.ConversationID)
		if IsNotFound(err) {
			return nil, errNothingToSay
		}
		if err != nil {
			return nil, err
		}
		conv = c
		// Every mail of a conversation points at one root, so mail
		// clients thread them (the root itself is never sent).
		out.References = []string{"conv-" + c.ID + "@" + s.mailDomain}
		site, err := s.store.SiteByID(ctx, c.SiteID)
		if err != nil {
			return nil, err
		}
		content.Locale, content.SiteName, content.Color = site.Locale, site.Name, site.Color
		content.Ref, content.ConvKind = c.Ref, c.Kind
	}
	if m.Kind != holmail.KindCustomerReply {
		u, err := s.store.UserByID(ctx, m.UserID)
		if IsNotFound(err) {
			return nil, errNothingToSay
		}
		if err != nil {
			return nil, err
		}
		if u.Disabled || s.userOnline(u.ID) || (conv != nil && !canSee(u, conv.SiteID)) {
			return nil, errNothingToSay
		}
		out.To = &mail.Address{Name: u.Name, Address: u.Email}
		out.AutoSubmitted = true
		out.ListUnsubscribe = s.publicLink("/#/team")
		content.SettingsLink = out.ListUnsubscribe
		if conv != nil {
			content.Link = s.publicLink("/#/inbox/" + conv.ID)
		}
		if m.Kind == holmail.KindStaffDigest {
			return s.composeDigest(ctx, out, content, u, m)
		}
		if m.Kind == holmail.KindSLAEscalation {
			return s.composeEscalation(ctx, out, content, conv, m)
		}
	}
	msgs, err := s.store.MessagesByIDs(ctx, m.Items)
	if err != nil {
		return nil, err
	}
	for _, msg := range msgs {
		if msg.Internal || msg.ConversationID != m.ConversationID {
			continue
		}
		if m.Kind == holmail.KindCustomerReply && conv.VisitorSeenAt != nil && !msg.CreatedAt.After(*conv.VisitorSeenAt) {
			continue // the widget showed it: the customer has read it
		}
		author := msg.AuthorName
		if author == "" {
			author = content.SiteName
		}
		content.Items = append(content.Items, holmail.Item{Author: author, Body: msg.Body})
	}
	if len(content.Items) == 0 {
		return nil, errNothingToSay
	}
	if m.Kind == holmail.KindCustomerReply {
		// A fresh token per mail: each mail renews the customer's link.
		token, err := s.signer.ConversationToken(conv.ID, s.now().Add(auth.ConversationTokenTTL))
		if err != nil {
			return nil, fmt.Errorf("conversation token: %w", err)
		}
		out.To = &mail.Address{Name: conv.Name, Address: m.Recipient}
		out.ReplyTo = replyLocalPrefix + token + "@" + s.mailDomain
		content.Link = s.publicLink("/c/" + token)
	}
	r, err := holmail.Render(content)
	if err != nil {
		return nil, fmt.Errorf("render mail: %w", err)
	}
	out.Subject, out.Text, out.HTML = r.Subject, r.Text, r.HTML
	return out, nil
}

func (s *Service) composeDigest(ctx context.Context, out *holmail.Message, content holmail.Content, u *model.User, m *model.OutboxMail) (*holmail.Message, error) {
	convs, err := s.store.ConversationsByIDs(ctx, m.Items)
	if err != nil {
		return nil, err
	}
	sites := map[string]*model.Site{}
	for _, c := range convs {
		if !canSee(u, c.SiteID) {
			continue
		}
		site := sites[c.SiteID]
		if site == nil {
			if site, err = s.store.SiteByID(ctx, c.SiteID); err != nil {
				return nil, err
			}
			sites[c.SiteID] = site
		}
		if content.Locale == "" {
			content.Locale = site.Locale
		}
		content.Digest = append(content.Digest, holmail.DigestEntry{SiteName: site.Name, Ref: c.Ref,
			ConvKind: holmail.KindLabel(content.Locale, c.Kind), Preview: c.Preview, Link: s.publicLink("/#/inbox/" + c.ID)})
	}
	if len(content.Digest) == 0 {
		return nil, errNothingToSay
	}
	r, err := holmail.Render(content)
	if err != nil {
		return nil, fmt.Errorf("render mail: %w", err)
	}
	out.Subject, out.Text, out.HTML = r.Subject, r.Text, r.HTML
	return out, nil
}

func (s *Service) publicLink(path string) string {
	return strings.TrimRight(s.mailCfg.PublicURL, "/") + path
}

func (s *Service) userOnline(userID string) bool {
	return s.presence != nil && s.presence.UserOnline(userID)
}

// mailStaffReply queues the customer's mail for a staff reply, inside the
// reply's transaction. Replies that come while the first one still waits
// for the site's delay join its mail.
func (s *Service) mailStaffReply(ctx context.Context, tx *store.Store, c *model.Conversation, msg *model.Message) error {
	if c.Email == "" {
		return nil
	}
	site, err := tx.SiteByID(ctx, c.SiteID)
	if err != nil {
		return err
	}
	now := s.now()
	return tx.EnqueueMail(ctx, &model.OutboxMail{Kind: holmail.KindCustomerReply, SiteID: c.SiteID, ConversationID: c.ID,
		Recipient: c.Email, GroupKey: "reply:" + c.ID, Items: []string{msg.ID},
		SendAfter: now.Add(time.Duration(site.ReplyEmailDelaySeconds) * time.Second)}, now)
}

// mailAssignee tells the assignee of c that its customer wrote again,
// unless they watch the dashboard or chose not to hear about it.
func (s *Service) mailAssignee(ctx context.Context, tx *store.Store, c *model.Conversation, msg *model.Message) error {
	if c.AssigneeID == nil || s.userOnline(*c.AssigneeID) {
		return nil
	}
	u, err := tx.UserByID(ctx, *c.AssigneeID)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.Disabled || !u.Notifications.AssignedReplies || !canSee(u, c.SiteID) {
		return nil
	}
	now := s.now()
	return tx.EnqueueMail(ctx, &model.OutboxMail{Kind: holmail.KindStaffReply, SiteID: c.SiteID, ConversationID: c.ID,
		UserID: u.ID, Recipient: u.Email, Items: []string{msg.ID}, SendAfter: now}, now)
}

// mailNewConversation tells the site's staff who are not on the dashboard
// about a new conversation: a mail each, or a line in their next digest.
func (s *Service) mailNewConversation(ctx context.Context, tx *store.Store, c *model.Conversation, first *model.Message) error {
	staff, err := tx.SiteStaff(ctx, c.SiteID)
	if err != nil {
		return err
	}
	now := s.now()
	for _, u := range staff {
		if s.userOnline(u.ID) {
			continue // they saw it arrive live
		}
		var m *model.OutboxMail
		switch u.Notifications.NewConversations {
		case model.NotifyEach:
			m = &model.OutboxMail{Kind: holmail.KindStaffNew, ConversationID: c.ID, Items: []string{first.ID}, SendAfter: now}
		case model.NotifyDigest:
			m = &model.OutboxMail{Kind: holmail.KindStaffDigest, GroupKey: "digest:" + u.ID, Items: []string{c.ID},
				SendAfter: now.Add(time.Duration(u.Notifications.DigestMinutes) * time.Minute)}
		default:
			continue
		}
		m.SiteID, m.UserID, m.Recipient = c.SiteID, u.ID, u.Email
		if err := tx.EnqueueMail(ctx, m, now); err != nil {
			return err
		}
	}
	return nil
}

// SeenInput names the newest message the widget showed.
type SeenInput struct {
	MessageID string `json:"message_id"`
}

// VisitorSeen records that the customer's widget showed a message in an
// open, visible panel: replies up to it are not mailed.
func (s *Service) VisitorSeen(ctx context.Context, v *model.Visitor, convID string, in SeenInput) error {
	var val model.Validator
	in.MessageID = checkText(&val, "message_id", in.MessageID, 64, true, oneLine)
	if err := val.Err(); err != nil {
		return err
	}
	c, err := s.visitorConversation(ctx, v, convID)
	if err != nil {
		return err
	}
	msg, err := s.store.MessageByID(ctx, in.MessageID)
	if err != nil {
		return err
	}
	if msg.ConversationID != c.ID || msg.Internal {
		return model.ErrNotFound
	}
	return s.store.MarkVisitorSeen(ctx, c.ID, msg.CreatedAt)
}
