package store

import (
	"maps"
	"slices"

	"holler/server/internal/model"
)

// A group-commit batch holds writes to one site (new conversations,
// replies, inbound mail), and each of them reads the same site settings:
// the routing rules, the SLA policy, the staff to mail. Read once per batch
// instead of once per write, they cost one statement per batch. That is
// exact: no write in a batch changes those settings, and the writes of a
// batch are concurrent requests, so each may see the settings as of the
// batch's first read.

// ShareReads makes this transaction's site-settings reads (RoutingRules,
// SLAPolicy, SiteStaff) read each site's settings once and hand out copies
// after that. Only for transactions that do not change those settings.
func (s *Store) ShareReads() {
	if s.root != nil && s.shared == nil {
		s.shared = map[sharedKey]any{}
	}
}

type sharedKey struct{ kind, siteID string }

// sharedRead returns read's result for (kind, siteID), read at most once
// per transaction when ShareReads was called; clone keeps the callers'
// copies apart.
func sharedRead[T any](s *Store, kind, siteID string, read func() (T, error), clone func(T) T) (T, error) {
	if s.shared == nil {
		return read()
	}
	k := sharedKey{kind, siteID}
	if v, ok := s.shared[k]; ok {
		return clone(v.(T)), nil
	}
	v, err := read()
	if err != nil {
		return v, err
	}
	s.shared[k] = v
	return clone(v), nil
}

func cloneRules(r []model.RoutingRule) []model.RoutingRule {
	out := slices.Clone(r)
	for i := range out {
		out[i].Kinds = slices.Clone(out[i].Kinds)
		out[i].Languages = slices.Clone(out[i].Languages)
		out[i].EmailDomains = slices.Clone(out[i].EmailDomains)
	}
	return out
}

func clonePolicy(p *model.SLAPolicy) *model.SLAPolicy {
	c := *p
	c.Targets = maps.Clone(p.Targets)
	return &c
}

func cloneUsers(u []model.User) []model.User { return slices.Clone(u) }
