package model

import "time"

// Review invitations (issue 12): a customer who rates the help 4 or 5 is
// invited to review the site publicly; one who rates it 1 to 3 is asked
// what is still wrong and the conversation goes back to staff.
const (
	// MaxReviewURLs bounds a site's review_urls: a few places (Google,
	// Trustpilot, an app store) are useful, a long list is noise.
	MaxReviewURLs = 5
	// HappyScore is the lowest rating that invites a public review; a lower
	// one reopens the conversation.
	HappyScore = 4
)

// Outcomes of a rating.
const (
	OutcomeInvited  = "invited"  // 4-5 on a site with review_urls: the invitation was shown
	OutcomeThanked  = "thanked"  // 4-5 on a site without review_urls
	OutcomeReopened = "reopened" // 1-3: back to staff
)

// RatingOutcome records what one rating of a conversation led to, so
// reports can count invitations, reopenings and the unhappy customers who
// were turned around. A conversation has one row per rating round: the
// customer changing a happy rating replaces that round's row, and each
// reopening starts a new round.
type RatingOutcome struct {
	ID             string `gorm:"primaryKey"`
	SiteID         string
	ConversationID string
	// Round numbers the conversation's rounds from 1 (under its row lock).
	Round   int
	Score   int
	Outcome string
	// TurnedAround: a happy rating right after a reopening of the same
	// conversation, the customer who was unhappy and then was not.
	TurnedAround bool
	RatedAt      time.Time
}

// RatingCounts are the figures of the ratings report: every rating round,
// split by outcome, and how many of the happy ones were turned around.
type RatingCounts struct {
	Ratings      int64 `json:"ratings"`
	Invited      int64 `json:"invited"`
	Thanked      int64 `json:"thanked"`
	Reopened     int64 `json:"reopened"`
	TurnedAround int64 `json:"turned_around"`
}
