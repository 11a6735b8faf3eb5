package model

import "time"

// SLA states of a conversation (ConversationSLA.State).
const (
	SLANone     = "none"     // no target for its kind
	SLAOK       = "ok"       // a target runs, less than SLAWarnPercent of its time used
	SLAWarning  = "warning"  // a target runs with SLAWarnPercent or more of its time used
	SLABreached = "breached" // a target was missed (its due time passed before it was met)
	SLAMet      = "met"      // every target was met in time
)

// SLAWarnPercent is the share of a target's business time after which the
// conversation is in warning: the last fifth is left to act.
const SLAWarnPercent = 80

// MaxSLAMinutes bounds a target: a year of business time.
const MaxSLAMinutes = 525600

// SLA targets of a conversation, and the notices the scheduler sends for them.
const (
	SLAFirstResponse = "first_response"
	SLAResolution    = "resolution"
)

// Ephemeral event types of SLA notices: shown on the dashboards of the
// users the data names (all of the site's staff when it names nobody).
const (
	EventSLAWarning    = "sla.warning"
	EventSLAEscalation = "sla.escalation"
)

// SLATarget is what a site promises for one kind; nil is no promise.
type SLATarget struct {
	FirstResponseMinutes *int `json:"first_response_minutes"`
	ResolutionMinutes    *int `json:"resolution_minutes"`
}

// SLAPolicy is a site's SLA settings: targets by kind (counted in the
// site's opening hours) and whether "pending" stops the clock.
type SLAPolicy struct {
	SiteID           string               `json:"-" gorm:"primaryKey"`
	Targets          map[string]SLATarget `json:"targets" gorm:"serializer:json"`
	PauseWhenPending bool                 `json:"pause_when_pending"`
	UpdatedAt        time.Time            `json:"-"`
}

// TableName is the policies table.
func (SLAPolicy) TableName() string { return "sla_policies" }

// ConversationSLA is a conversation's SLA bookkeeping. The due times are
// fixed when the conversation is created (or reopened) and move only by
// the business time spent paused; State is recomputed at every change and
// by the scheduler when a warning or due time passes.
type ConversationSLA struct {
	FirstResponseDue *time.Time `json:"first_response_due"`
	ResolutionDue    *time.Time `json:"resolution_due"`
	State            string     `json:"state"`
	// DueAt is the nearest due time of a target still running (null when
	// none runs): what the inbox counts down to and sort=due orders by.
	DueAt *time.Time `json:"due_at"`
	// PausedAt is set while the clock stands still (pending, with the
	// site's pause_when_pending): due times move when it runs again.
	PausedAt *time.Time `json:"paused_at"`

	FirstResponseWarn *time.Time `json:"-"`
	ResolutionWarn    *time.Time `json:"-"`
	// ResolvedAt is when the resolution target ended (the conversation was
	// resolved); cleared when it reopens.
	ResolvedAt *time.Time `json:"-"`
	// Notified holds the SLANotice* bits of the notices already sent (or
	// passed over) in the current cycle.
	Notified int `json:"-"`
	// NextAt is when the scheduler must look at the conversation next:
	// the earliest warning or due time with its notice not yet sent.
	NextAt *time.Time `json:"-"`
}

// Bits of ConversationSLA.Notified.
const (
	SLANoticeFirstWarning = 1 << iota
	SLANoticeFirstBreach
	SLANoticeResolutionWarning
	SLANoticeResolutionBreach
)
