package service

import (
	"context"
	"fmt"

	"holler/server/internal/auth"
	"holler/server/internal/model"
	"holler/server/internal/store"
)

// FirstRun is what Bootstrap did on a fresh store.
type FirstRun struct {
	AdminEmail    string
	AdminPassword string // empty when the admin already existed
	DemoSite      *model.Site
}

// Bootstrap creates the first admin when no user exists and the "Demo" site
// when no site exists. Running it again changes nothing.
func (s *Service) Bootstrap(ctx context.Context, adminEmail, adminPassword string) (*FirstRun, error) {
	var out *FirstRun
	err := s.store.Exclusive(ctx, "holler.bootstrap", func(tx *store.Store) error {
		var err error
		out, err = s.bootstrap(ctx, tx, adminEmail, adminPassword)
		return err
	})
	return out, err
}

func (s *Service) bootstrap(ctx context.Context, tx *store.Store, adminEmail, adminPassword string) (*FirstRun, error) {
	out := &FirstRun{AdminEmail: adminEmail}
	n, err := tx.CountUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if n == 0 {
		pw := adminPassword
		if pw == "" {
			pw = auth.RandomPassword()
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
		u := &model.User{Email: adminEmail, Name: "Admin", PasswordHash: hash, Role: model.RoleAdmin,
			CreatedAt: s.now(), UpdatedAt: s.now()}
		if err := tx.CreateUser(ctx, u); err != nil {
			return nil, fmt.Errorf("bootstrap admin: %w", err)
		}
		out.AdminPassword = pw
	}
	sites, err := tx.ListSites(ctx, true, nil)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if len(sites) > 0 {
		for i := range sites {
			if sites[i].Name == "Demo" {
				out.DemoSite = &sites[i]
			}
		}
		if out.DemoSite == nil {
			out.DemoSite = &sites[0]
		}
		return out, nil
	}
	demo := &model.Site{Name: "Demo", Color: "#2563eb", Position: "right", ButtonLabel: "Help", ReplyEmailDelaySeconds: model.DefaultReplyEmailDelay,
		Greeting:  "Hi! Questions, problems or praise? We read everything and answer fast.",
		CreatedAt: s.now(), UpdatedAt: s.now()}
	if err := tx.CreateSite(ctx, demo); err != nil {
		return nil, fmt.Errorf("bootstrap demo site: %w", err)
	}
	// The admins (on a fresh install: the first one) answer the Demo site,
	// so its widget shows online while they have the dashboard open.
	users, err := tx.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	for _, u := range users {
		if u.IsAdmin() {
			if err := tx.AddAnswerer(ctx, demo.ID, u.ID); err != nil {
				return nil, fmt.Errorf("bootstrap demo site: %w", err)
			}
		}
	}
	out.DemoSite = demo
	return out, nil
}
