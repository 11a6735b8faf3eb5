package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"holler/server/internal/model"
	"holler/server/internal/store"
)

var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

var locales = []string{"", "en", "de", "fr", "es"}

// SiteInput is a create or a partial update: nil fields stay as they are.
type SiteInput struct {
	Name           *string   `json:"name"`
	AllowedOrigins *[]string `json:"allowed_origins"`
	Color          *string   `json:"color"`
	Position       *string   `json:"position"`
	Greeting       *string   `json:"greeting"`
	ButtonLabel    *string   `json:"button_label"`
	Kinds          *[]string `json:"kinds"`
	Locale         *string   `json:"locale"`
	// ReplyEmailDelaySeconds: how long a staff reply may wait unseen in
	// the widget before it is mailed (0..86400).
	ReplyEmailDelaySeconds *int `json:"reply_email_delay_seconds"`

	TimeZone *string             `json:"time_zone"`
	Hours    *[]model.HoursRange `json:"hours"`
	Holidays *[]string           `json:"holidays"`

	// Review invitations (issue 12): where the site's public reviews live.
	ReviewURLs *[]string `json:"review_urls"`
}

func (in SiteInput) apply(site *model.Site) error {
	var v model.Validator
	if in.Name != nil {
		site.Name = checkText(&v, "name", *in.Name, model.MaxNameLen, true, oneLine)
	}
	if in.AllowedOrigins != nil {
		origins := []string{}
		for _, o := range *in.AllowedOrigins {
			norm, ok := checkOrigin(o)
			if !ok {
				v.Add("allowed_origins", fmt.Sprintf("%+q is not an origin like https://shop.example.com", o))
				continue
			}
			if !contains(origins, norm) {
				origins = append(origins, norm)
			}
		}
		if len(origins) > 50 {
			v.Add("allowed_origins", "at most 50 origins")
		}
		site.AllowedOrigins = origins
	}
	if in.Color != nil {
		if !colorRe.MatchString(*in.Color) {
			v.Add("color", "must be a colour like #2563eb")
		}
		site.Color = strings.ToLower(*in.Color)
	}
	if in.Position != nil {
		if *in.Position != "right" && *in.Position != "left" {
			v.Add("position", "must be right or left")
		}
		site.Position = *in.Position
	}
	if in.Greeting != nil {
		site.Greeting = checkText(&v, "greeting", *in.Greeting, 500, false, multiLine)
	}
	if in.ButtonLabel != nil {
		site.ButtonLabel = checkText(&v, "button_label", *in.ButtonLabel, 40, false, oneLine)
	}
	if in.Kinds != nil {
		kinds := []string{}
		for _, k := range model.AllKinds { // keep the canonical order
			if contains(*in.Kinds, k) {
				kinds = append(kinds, k)
			}
		}
		for _, k := range *in.Kinds {
			if !contains(model.AllKinds, k) {
				v.Add("kinds", fmt.Sprintf("%+q is not one of question, complaint, feedback, praise", k))
			}
		}
		if len(kinds) == 0 {
			v.Add("kinds", "must list at least one kind")
		}
		site.Kinds = kinds
	}
	if in.Locale != nil {
		if !contains(locales, *in.Locale) {
			v.Add("locale", "must be empty (visitor's language), en, de, fr or es")
		}
		site.Locale = *in.Locale
	}
	if in.ReplyEmailDelaySeconds != nil {
		if d := *in.ReplyEmailDelaySeconds; d < 0 || d > 86400 {
			v.Add("reply_email_delay_seconds", "must be between 0 and 86400 seconds")
		}
		site.ReplyEmailDelaySeconds = *in.ReplyEmailDelaySeconds
	}
	in.applySchedule(&v, site)
	in.applyReviewURLs(&v, site)
	return v.Err()
}

// CreateSite adds a site; only admins may.
func (s *Service) CreateSite(ctx context.Context, actor *model.User, in SiteInput) (*model.Site, error) {
	if !actor.IsAdmin() {
		return nil, model.ErrForbidden
	}
	site := &model.Site{Color: "#2563eb", Position: "right", ButtonLabel: "Help", Kinds: model.AllKinds, ReplyEmailDelaySeconds: model.DefaultReplyEmailDelay,
		AllowedOrigins: []string{}, CreatedAt: s.now(), UpdatedAt: s.now()}
	if in.Name == nil {
		in.Name = new(string)
	}
	if err := in.apply(site); err != nil {
		return nil, err
	}
	// The creator answers the new site, so its widget shows them online.
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateSite(ctx, site); err != nil {
			return err
		}
		return tx.AddAnswerer(ctx, site.ID, actor.ID)
	})
	if err != nil {
		return nil, err
	}
	if s.pub != nil {
		// The creator's open dashboards subscribe to the new site now; other
		// admins' sockets pick it up at their next periodic recheck.
		s.pub.Publish(ctx, model.Notice{UserID: actor.ID})
	}
	return site, nil
}

// UpdateSite changes a site's settings; admins only.
func (s *Service) UpdateSite(ctx context.Context, actor *model.User, id string, in SiteInput) (*model.Site, error) {
	site, err := s.Site(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !actor.IsAdmin() {
		return nil, model.ErrForbidden
	}
	if err := in.apply(site); err != nil {
		return nil, err
	}
	site.UpdatedAt = s.now()
	if err := s.store.SaveSite(ctx, site); err != nil {
		return nil, err
	}
	return site, nil
}

// Sites lists the sites the actor may see.
func (s *Service) Sites(ctx context.Context, actor *model.User) ([]model.Site, error) {
	return s.store.ListSites(ctx, actor.IsAdmin(), actor.SiteIDs)
}

// Site loads one site the actor may see; any other answers ErrNotFound.
func (s *Service) Site(ctx context.Context, actor *model.User, id string) (*model.Site, error) {
	if !validID(id) || !canSee(actor, id) {
		return nil, model.ErrNotFound
	}
	return s.store.SiteByID(ctx, id)
}

// scopeSites names the sites a listing covers: the one site asked for
// (ErrNotFound unless the actor may see it), or else every site the actor
// may see.
func (s *Service) scopeSites(ctx context.Context, actor *model.User, siteID string) ([]string, error) {
	if siteID != "" {
		site, err := s.Site(ctx, actor, siteID)
		if err != nil {
			return nil, err
		}
		return []string{site.ID}, nil
	}
	sites, err := s.Sites(ctx, actor)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(sites))
	for _, site := range sites {
		ids = append(ids, site.ID)
	}
	return ids, nil
}

func canSee(actor *model.User, siteID string) bool {
	return actor.IsAdmin() || contains(actor.SiteIDs, siteID)
}

// WidgetSite loads a site by public key and checks the request's Origin
// against its allowed origins (an empty list allows every origin).
func (s *Service) WidgetSite(ctx context.Context, key, origin string) (*model.Site, error) {
	if key == "" || len(key) > 64 || !validID(key) {
		return nil, model.ErrNotFound
	}
	site, err := s.store.SiteByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	if !OriginAllowed(site, origin) {
		return site, model.ErrOriginNotAllowed
	}
	return site, nil
}

// OriginAllowed reports whether a browser on origin may use the site's
// widget. Requests without Origin (server-to-server, same-origin GETs)
// pass: CORS protects browsers, and the widget API needs no cookies.
func OriginAllowed(site *model.Site, origin string) bool {
	if len(site.AllowedOrigins) == 0 || origin == "" {
		return true
	}
	norm, ok := checkOrigin(origin)
	return ok && contains(site.AllowedOrigins, norm)
}

// WidgetConfig is what the widget loader needs. Online repeats
// Availability.Online for widgets that predate availability.
type WidgetConfig struct {
	Site         WidgetSiteView `json:"site"`
	Online       bool           `json:"online"`
	Availability *Availability  `json:"availability"`
}

// WidgetSiteView is the public face of a site.
type WidgetSiteView struct {
	Name        string   `json:"name"`
	Color       string   `json:"color"`
	Position    string   `json:"position"`
	Greeting    string   `json:"greeting"`
	ButtonLabel string   `json:"button_label"`
	Kinds       []string `json:"kinds"`
	Locale      string   `json:"locale"`
}

// Config returns the public widget configuration of a site.
func (s *Service) Config(ctx context.Context, site *model.Site) (*WidgetConfig, error) {
	avail, err := s.SiteAvailability(ctx, site)
	if err != nil {
		return nil, err
	}
	return &WidgetConfig{Online: avail.Online, Availability: avail, Site: WidgetSiteView{Name: site.Name, Color: site.Color,
		Position: site.Position, Greeting: site.Greeting, ButtonLabel: site.ButtonLabel, Kinds: site.Kinds, Locale: site.Locale}}, nil
}

// IsNotFound reports a missing entity.
func IsNotFound(err error) bool { return errors.Is(err, model.ErrNotFound) }
