package model

import "time"

// Team is a group of staff that new conversations can be routed to. An
// agent may be in several teams. Teams are not bound to one site: a team
// serves the sites its routing rules name, and its members answer there
// the sites they may see.
type Team struct {
	ID        string    `json:"id" gorm:"primaryKey"`
	Name      string    `json:"name"`
	MemberIDs []string  `json:"member_ids" gorm:"-"`
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// TeamMember is one membership. LastAssignedAt is the round-robin state:
// the member assigned longest ago (never: first) is next.
type TeamMember struct {
	TeamID         string `gorm:"primaryKey"`
	UserID         string `gorm:"primaryKey"`
	LastAssignedAt *time.Time
	CreatedAt      time.Time
}

// RoutingRule sends a new conversation of its site to a team. Empty
// matchers match anything; a site's rules are tried in Position order and
// the first that matches wins.
type RoutingRule struct {
	SiteID       string   `json:"-" gorm:"primaryKey"`
	Position     int      `json:"-" gorm:"primaryKey"`
	Kinds        []string `json:"kinds" gorm:"serializer:json"`
	PageGlob     string   `json:"page_glob"`
	Languages    []string `json:"languages" gorm:"serializer:json"`
	EmailDomains []string `json:"email_domains" gorm:"serializer:json"`
	TeamID       string   `json:"team_id"`
}

// Staff-only events of the teams and routing settings, so open dashboards
// refresh them. A team event goes into every site's log (teams span
// sites) and carries only the team's ID: each dashboard reloads the teams
// it may see.
const (
	EventTeamUpdated    = "team.updated"
	EventRoutingUpdated = "routing.updated"
)
