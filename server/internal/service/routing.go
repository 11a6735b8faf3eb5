package service

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"holler/server/internal/anger"
	"holler/server/internal/model"
	"holler/server/internal/store"
)

// maxRoutingRules bounds a site's rules (each new conversation tries them).
const maxRoutingRules = 100

// Routing is a site's ordered routing rules.
type Routing struct {
	Rules []model.RoutingRule `json:"rules"`
}

// RoutingInput replaces a site's rules.
type RoutingInput struct {
	Rules *[]model.RoutingRule `json:"rules"`
}

// domainRe is a DNS name of two labels or more: letters, digits and
// hyphens, separated by dots (the domains of email addresses).
var domainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Routing returns a site's rules to anyone who may see the site.
func (s *Service) Routing(ctx context.Context, actor *model.User, siteID string) (*Routing, error) {
	if _, err := s.Site(ctx, actor, siteID); err != nil {
		return nil, err
	}
	rules, err := s.store.RoutingRules(ctx, siteID)
	if err != nil {
		return nil, err
	}
	return &Routing{Rules: normalRules(rules)}, nil
}

// SetRouting replaces a site's rules; admins only. Open dashboards hear of
// it through a routing.updated event in the site's log.
func (s *Service) SetRouting(ctx context.Context, actor *model.User, siteID string, in RoutingInput) (*Routing, error) {
	if _, err := s.Site(ctx, actor, siteID); err != nil {
		return nil, err
	}
	if !actor.IsAdmin() {
		return nil, model.ErrForbidden
	}
	rules, err := s.checkRules(ctx, in)
	if err != nil {
		return nil, err
	}
	var ev model.Event
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.SetRoutingRules(ctx, siteID, rules); err != nil {
			return err
		}
		ev = model.Event{SiteID: siteID, Type: model.EventRoutingUpdated, Internal: true, CreatedAt: s.now()}
		return tx.AppendEvent(ctx, &ev, map[string]any{"site_id": siteID, "rules": rules}, nil)
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, []model.Event{ev})
	return &Routing{Rules: rules}, nil
}

// checkRules validates and normalises rules; problems are named by the
// rule's index, like "rules[2].team_id".
func (s *Service) checkRules(ctx context.Context, in RoutingInput) ([]model.RoutingRule, error) {
	var v model.Validator
	if in.Rules == nil {
		v.Add("rules", "is required (an empty list routes nothing)")
		return nil, v.Err()
	}
	rules := normalRules(*in.Rules)
	if len(rules) > maxRoutingRules {
		v.Add("rules", fmt.Sprintf("at most %d rules", maxRoutingRules))
		return nil, v.Err()
	}
	langs := anger.Languages()
	known := map[string]bool{}
	for i := range rules {
		r := &rules[i]
		at := func(field string) string { return fmt.Sprintf("rules[%d].%s", i, field) }
		for _, k := range r.Kinds {
			if !contains(model.AllKinds, k) {
				v.Add(at("kinds"), fmt.Sprintf("%+q is not one of question, complaint, feedback, praise", k))
			}
		}
		r.Kinds = dedupe(r.Kinds)
		r.PageGlob = checkText(&v, at("page_glob"), r.PageGlob, model.MaxURLLen, false, oneLine)
		for j, l := range r.Languages {
			r.Languages[j] = strings.ToLower(strings.TrimSpace(l))
			if !contains(langs, r.Languages[j]) {
				v.Add(at("languages"), fmt.Sprintf("%+q is not one of %s", l, strings.Join(langs, ", ")))
			}
		}
		r.Languages = dedupe(r.Languages)
		for j, d := range r.EmailDomains {
			r.EmailDomains[j] = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "@")
			if len(r.EmailDomains[j]) > 253 || !domainRe.MatchString(r.EmailDomains[j]) {
				v.Add(at("email_domains"), fmt.Sprintf("%+q is not a domain like example.com", d))
			}
		}
		r.EmailDomains = dedupe(r.EmailDomains)
		switch {
		case r.TeamID == "":
			v.Add(at("team_id"), "is required")
		case known[r.TeamID]:
		case !validID(r.TeamID):
			v.Add(at("team_id"), "is not a team")
		default:
			_, err := s.store.TeamByID(ctx, r.TeamID)
			if IsNotFound(err) {
				v.Add(at("team_id"), "is not a team")
			} else if err != nil {
				return nil, err
			}
			known[r.TeamID] = true
		}
	}
	return rules, v.Err()
}

// normalRules gives every list of every rule a value (never null in JSON).
func normalRules(rules []model.RoutingRule) []model.RoutingRule {
	out := make([]model.RoutingRule, len(rules))
	for i, r := range rules {
		for _, l := range []*[]string{&r.Kinds, &r.Languages, &r.EmailDomains} {
			if *l == nil {
				*l = []string{}
			}
		}
		out[i] = r
	}
	return out
}

// routeFacts are what rules match a new conversation on. Its language is
// guessed only when a rule asks for it.
type routeFacts struct {
	kind, pageURL, emailDomain string
	message, locale            string
	lang                       string
}

func (f *routeFacts) language() string {
	if f.lang == "" {
		// The anger lexicon's language guess, with the site's locale as
		// the hint it keeps unless the text is clearly another language.
		f.lang = anger.Score(f.message, f.locale).Lang
	}
	return f.lang
}

// ruleMatches reports whether every matcher of r that is set matches.
func ruleMatches(r *model.RoutingRule, f *routeFacts) bool {
	if len(r.Kinds) > 0 && !contains(r.Kinds, f.kind) {
		return false
	}
	if r.PageGlob != "" && !pageMatches(r.PageGlob, f.pageURL) {
		return false
	}
	if len(r.EmailDomains) > 0 && !domainMatches(r.EmailDomains, f.emailDomain) {
		return false
	}
	return len(r.Languages) == 0 || contains(r.Languages, f.language())
}

// pageMatches matches a page_glob against a page URL. The glob is matched
// against the URL without its query and fragment or, when it starts with
// "/", against the URL's path alone. "*" stands for any run of characters
// (slashes included), "?" for exactly one; everything else is literal, and
// letter case does not matter. No page URL matches no glob.
func pageMatches(glob, pageURL string) bool {
	u, err := url.Parse(pageURL)
	if pageURL == "" || err != nil {
		return false
	}
	subject := u.Scheme + "://" + u.Host + u.Path
	if strings.HasPrefix(glob, "/") {
		subject = u.Path
		if subject == "" {
			subject = "/"
		}
	}
	return wildcard([]rune(strings.ToLower(glob)), []rune(strings.ToLower(subject)))
}

// wildcard is the classic linear-time "*" and "?" matcher: on a mismatch
// it backtracks only to the last star, letting it take one more character.
func wildcard(p, s []rune) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi, si = pi+1, si+1
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// domainMatches reports whether an email domain is one of domains or a
// subdomain of one ("bigcorp.com" takes "eu.bigcorp.com").
func domainMatches(domains []string, domain string) bool {
	if domain == "" {
		return false
	}
	for _, d := range domains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

// routeNew runs in the transaction that creates c: the site's first
// matching rule gives c its team, and the team's next free online member,
// if any, its assignee (else it waits in the team's queue for the loop).
func (s *Service) routeNew(ctx context.Context, tx *store.Store, site *model.Site, c *model.Conversation, message string) error {
	rules, err := tx.RoutingRules(ctx, site.ID)
	if err != nil || len(rules) == 0 {
		return err
	}
	f := &routeFacts{kind: c.Kind, pageURL: c.PageURL, message: message, locale: site.Locale}
	if at := strings.LastIndexByte(c.Email, '@'); at >= 0 {
		f.emailDomain = strings.ToLower(c.Email[at+1:])
	}
	for i := range rules {
		if ruleMatches(&rules[i], f) {
			c.TeamID = &rules[i].TeamID
			break
		}
	}
	if c.TeamID == nil {
		return nil
	}
	members, err := tx.LockTeamMembers(ctx, *c.TeamID)
	if err != nil {
		return err
	}
	_, err = s.pickAssignee(ctx, tx, c, members)
	return err
}
