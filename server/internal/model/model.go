// Package model holds Holler's entities, domain errors and event types.
// It imports nothing internal so every other layer can depend on it.
package model

import "time"

// Roles of staff users.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// Conversation kinds a visitor can choose.
const (
	KindQuestion  = "question"
	KindComplaint = "complaint"
	KindFeedback  = "feedback"
	KindPraise    = "praise"
)

// AllKinds is the default, ordered list of kinds a site offers.
var AllKinds = []string{KindQuestion, KindComplaint, KindFeedback, KindPraise}

// Conversation statuses.
const (
	StatusOpen     = "open"
	StatusPending  = "pending"
	StatusResolved = "resolved"
)

// Message author kinds.
const (
	AuthorVisitor = "visitor"
	AuthorStaff   = "staff"
	AuthorSystem  = "system"
)

// Limits from the contract.
const (
	MaxMessageLen = 10000
	MaxNameLen    = 200
	MaxEmailLen   = 254
	MaxURLLen     = 2048
)

// Site is one website that embeds the widget. Key is the public identifier
// used in the snippet; ID is what staff APIs use.
type Site struct {
	ID             string   `json:"id" gorm:"primaryKey"`
	Key            string   `json:"key"`
	Name           string   `json:"name"`
	AllowedOrigins []string `json:"allowed_origins" gorm:"serializer:json"`
	Color          string   `json:"color"`
	Position       string   `json:"position"`
	Greeting       string   `json:"greeting"`
	ButtonLabel    string   `json:"button_label"`
	Kinds          []string `json:"kinds" gorm:"serializer:json"`
	Locale         string   `json:"locale"`

	// Availability (issue 11): opening hours are wall-clock times in TimeZone.
	TimeZone string       `json:"time_zone"`
	Hours    []HoursRange `json:"hours" gorm:"serializer:json"`
	Holidays []string     `json:"holidays" gorm:"serializer:json"` // YYYY-MM-DD in TimeZone

	EventSeq  int64     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// ReplyEmailDelaySeconds is how long a staff reply may wait unseen by
	// the customer's widget before it is mailed to them (0: at once).
	ReplyEmailDelaySeconds int `json:"reply_email_delay_seconds"`

	// Review invitations (issue 12): where the site's public reviews live;
	// a customer who rates the help 4 or 5 is invited there.
	ReviewURLs []string `json:"review_urls" gorm:"serializer:json"`
}

// HoursRange is one opening range of a weekday: Open and Close are "HH:MM"
// wall-clock times of the site's zone, Close may be "24:00" (end of day).
type HoursRange struct {
	Day   string `json:"day"` // mon, tue, wed, thu, fri, sat, sun
	Open  string `json:"open"`
	Close string `json:"close"`
}

// User is a staff member. SessionVersion is bumped whenever the user's
// rights shrink (disabled, password changed, removed from a site) so that
// every token and socket issued before can be recognised as stale.
type User struct {
	ID             string    `json:"id" gorm:"primaryKey"`
	Email          string    `json:"email"`
	Name           string    `json:"name"`
	PasswordHash   string    `json:"-"`
	Role           string    `json:"role"`
	Disabled       bool      `json:"disabled"`
	SessionVersion int64     `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	SiteIDs        []string  `json:"site_ids" gorm:"-"`

	Notifications NotificationPrefs `json:"notifications" gorm:"embedded;embeddedPrefix:notify_"`

	// AnswerSiteIDs are the sites whose widget counts this user as someone
	// who answers: an agent's are their SiteIDs, an admin's are chosen.
	AnswerSiteIDs []string `json:"answer_site_ids" gorm:"-"`

	// Capacity is how many open (unresolved) conversations team routing
	// assigns to the user at most; 0 is unlimited. Admins set it.
	Capacity int `json:"capacity"`
}

// IsAdmin reports whether the user administers every site.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// Membership gives an agent access to one site.
type Membership struct {
	SiteID    string `gorm:"primaryKey"`
	UserID    string `gorm:"primaryKey"`
	CreatedAt time.Time
}

// Visitor is an anonymous (or self-identified) customer of one site. A row
// exists only once the visitor sent a first message.
type Visitor struct {
	ID         string    `json:"id" gorm:"primaryKey"`
	SiteID     string    `json:"site_id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

// Conversation is one question, complaint, feedback or praise thread.
type Conversation struct {
	ID            string   `json:"id" gorm:"primaryKey"`
	SiteID        string   `json:"site_id"`
	VisitorID     string   `json:"visitor_id"`
	Ref           string   `json:"ref"`
	Kind          string   `json:"kind"`
	Status        string   `json:"status"`
	AssigneeID    *string  `json:"assignee_id"`
	Tags          []string `json:"tags" gorm:"serializer:json"`
	PageURL       string   `json:"page_url"`
	UserAgent     string   `json:"user_agent"`
	Email         string   `json:"email"`
	Name          string   `json:"name"`
	Preview       string   `json:"preview"`
	RatingScore   *int     `json:"rating_score"`
	RatingComment string   `json:"rating_comment"`
	StaffReplied  bool     `json:"staff_replied"`

	// FirstResponseAt is when the first staff reply (not a note) committed.
	FirstResponseAt *time.Time `json:"first_response_at"`

	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	LastMessageAt time.Time `json:"last_message_at"`

	// VisitorSeenAt is the time of the newest message the customer's
	// widget reported as shown: replies up to it need no mail.
	VisitorSeenAt *time.Time `json:"-"`

	// TeamID is the team the site's routing sent the conversation to
	// (staff only); while unassigned and unresolved it waits in that
	// team's queue.
	TeamID *string `json:"team_id"`

	// Anger (issue 12) is the highest anger score (0..1) of the customer's
	// messages; staff sort by it. The customer's view leaves it out.
	Anger float64 `json:"anger"`

	// SLA (issue 12): due times and state of the site's targets for the
	// conversation's kind; staff only (ForVisitor drops it).
	SLA ConversationSLA `json:"sla,omitzero" gorm:"embedded;embeddedPrefix:sla_"`
}

// Message is one entry of a conversation's thread. Internal messages are
// staff notes the visitor never sees.
type Message struct {
	ID             string `json:"id" gorm:"primaryKey"`
	ConversationID string `json:"conversation_id"`
	SiteID         string `json:"site_id"`
	AuthorKind     string `json:"author_kind"`
	AuthorID       string `json:"author_id"`
	AuthorName     string `json:"author_name"`
	Body           string `json:"body"`
	Internal       bool   `json:"internal"`
	// Via is how the message arrived: "" (widget, dashboard) or ViaEmail.
	Via       string    `json:"via,omitempty"`
	CreatedAt time.Time `json:"created_at"`

	// Anger (issue 12) is a customer message's anger score (0..1), nil for
	// staff messages and for messages stored before scoring existed. Only
	// staff see it.
	Anger *float64 `json:"anger,omitempty"`
}

// ViaEmail marks a message that came as a customer's email reply.
const ViaEmail = "email"

// RefreshToken is stored hashed; tokens of one login share a FamilyID so a
// reused (stolen) token can revoke all of its descendants.
type RefreshToken struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	FamilyID  string
	TokenHash string
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// IdempotencyKey remembers the response to a widget POST so a retry returns
// it instead of creating a second conversation.
type IdempotencyKey struct {
	SiteID      string `gorm:"primaryKey"`
	Key         string `gorm:"primaryKey"`
	RequestHash string
	StatusCode  int
	Response    string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// ForVisitor is the conversation as its visitor may see it: no assignee,
// tags or other staff-side details.
func (c Conversation) ForVisitor() Conversation {
	c.AssigneeID = nil
	c.TeamID = nil
	c.Tags = nil
	c.UserAgent = ""
	c.Anger = 0
	c.SLA = ConversationSLA{}
	return c
}

// ForVisitor hides which staff account wrote a message.
func (m Message) ForVisitor() Message {
	if m.AuthorKind == AuthorStaff {
		m.AuthorID = ""
	}
	m.Anger = nil
	return m
}
