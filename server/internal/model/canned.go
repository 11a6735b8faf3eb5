package model

import "time"

// CannedReply is a saved answer staff insert with "/shortcut". SiteID nil
// makes it shared: offered on every site.
type CannedReply struct {
	ID       string  `json:"id" gorm:"primaryKey"`
	SiteID   *string `json:"site_id"`
	Shortcut string  `json:"shortcut"`
	Title    string  `json:"title"`
	// Body may hold variables such as {{customer.name}}, filled when the
	// reply is used in a conversation.
	Body string `json:"body"`
	// UseCount counts insertions; the list puts the most used first.
	UseCount  int64     `json:"use_count"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Events of canned replies (data: {"canned_reply": ...}; a deleted one
// carries only its id and site_id). They are written to the log of the
// reply's site, or of every site for a shared reply, so each dashboard that
// may use the reply hears of it.
const (
	EventCannedReplyCreated = "canned_reply.created"
	EventCannedReplyUpdated = "canned_reply.updated"
	EventCannedReplyDeleted = "canned_reply.deleted"
)
