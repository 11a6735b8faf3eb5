package model

import "time"

// Statuses of an outbox mail.
const (
	MailQueued  = "queued"  // waiting for its send time or for the mail server
	MailSent    = "sent"    // the mail server accepted it
	MailFailed  = "failed"  // the mail server refused it for good
	MailSkipped = "skipped" // nothing left to say (the reply was seen live) or no one to tell
)

// OutboxMail is one mail to send. It is written in the transaction of the
// change that causes it, so a committed change never loses its mail; a
// worker sends it later. Rows of one GroupKey that are still waiting for
// their SendAfter gather Items (several staff replies in one customer
// mail, several conversations in one digest).
type OutboxMail struct {
	ID             string     `json:"id" gorm:"primaryKey"`
	Kind           string     `json:"kind"`
	SiteID         string     `json:"site_id"`
	ConversationID string     `json:"conversation_id"`
	UserID         string     `json:"user_id"`
	Recipient      string     `json:"recipient"`
	GroupKey       string     `json:"-"`
	Items          []string   `json:"-" gorm:"serializer:json"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	SendAfter      time.Time  `json:"send_after"`
	ClaimedUntil   *time.Time `json:"-"`
	ClaimID        string     `json:"-"`
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	SentAt         *time.Time `json:"sent_at"`
}

// TableName is the outbox table.
func (OutboxMail) TableName() string { return "mail_outbox" }

// What staff want to hear about new conversations.
const (
	NotifyEach   = "each"
	NotifyDigest = "digest"
	NotifyNone   = "none"
)

// NotificationPrefs are a staff member's mail settings.
type NotificationPrefs struct {
	NewConversations string `json:"new_conversations"` // each, digest or none
	DigestMinutes    int    `json:"digest_minutes"`
	AssignedReplies  bool   `json:"assigned_replies"` // mail customer replies on conversations assigned to them
}

// DefaultNotificationPrefs: a complaint filed at night reaches someone.
func DefaultNotificationPrefs() NotificationPrefs {
	return NotificationPrefs{NewConversations: NotifyEach, DigestMinutes: 60, AssignedReplies: true}
}

// DefaultReplyEmailDelay is a new site's reply_email_delay_seconds: long
// enough that a customer still on the page reads the reply in the widget.
const DefaultReplyEmailDelay = 120
