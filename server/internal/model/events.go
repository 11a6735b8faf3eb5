package model

import (
	"encoding/json"
	"time"
)

// Event types of the websocket protocol.
const (
	EventConversationCreated = "conversation.created"
	EventMessageCreated      = "message.created"
	EventConversationUpdated = "conversation.updated"
	EventTyping              = "typing"
)

// Event is one row of a site's ordered event log. Seq is gap-free per site
// and advances sites.event_seq: on SQLite in the transaction that made the
// change, on PostgreSQL just after its commit (store's sequencer).
type Event struct {
	SiteID         string `gorm:"primaryKey"`
	Seq            int64  `gorm:"primaryKey"`
	Type           string
	ConversationID string
	VisitorID      string
	Internal       bool
	Data           string // the JSON payload sent to staff
	PublicData     string // the JSON payload sent to the visitor; empty when Internal
	CreatedAt      time.Time
}

// Notice tells the realtime layer that a site's log advanced (Seq > 0),
// carries an ephemeral event (Ephemeral != nil) that is never stored, or
// names a user whose rights changed (UserID).
type Notice struct {
	SiteID    string     `json:"s,omitempty"`
	UserID    string     `json:"u,omitempty"` // a user's rights changed: re-check their sockets
	Seq       int64      `json:"q,omitempty"`
	Ephemeral *Ephemeral `json:"e,omitempty"`
	// OnlineUsers are the staff users with a dashboard open on the sending
	// instance (presence: which sites that makes "online" is the service's rule).
	OnlineUsers []string `json:"pu,omitempty"`
}

// Ephemeral is a typing indicator or other event that is delivered live only.
type Ephemeral struct {
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id"`
	VisitorID      string          `json:"visitor_id"`
	FromStaff      bool            `json:"from_staff"`
	Data           json.RawMessage `json:"data"`
	At             time.Time       `json:"at"`
}
