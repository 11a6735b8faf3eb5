package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"holler/server/internal/auth"
	"holler/server/internal/limiter"
	"holler/server/internal/model"
	"holler/server/internal/store"
)

// Tokens is the answer to a login or a refresh.
type Tokens struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token"`
	TokenType    string      `json:"token_type"`
	ExpiresIn    int         `json:"expires_in"`
	User         *model.User `json:"user"`
}

// dummyHash is verified against when the e-mail is unknown, so a login for
// a missing account costs the same time as a wrong password.
var dummyHash, _ = auth.HashPassword("holler-timing-equaliser")

// Login checks credentials under per-account and per-IP limits.
func (s *Service) Login(ctx context.Context, email, password, ip string) (*Tokens, error) {
	var v model.Validator
	email = strings.ToLower(checkText(&v, "email", email, model.MaxEmailLen, true, oneLine))
	if password == "" {
		v.Add("password", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if ok, wait := s.loginPerIP.Allow(ip); !ok {
		return nil, &model.RateLimitError{RetryAfterSeconds: limiter.RetryAfterSeconds(wait)}
	}
	if ok, wait := s.loginPerAccount.Allow(email); !ok {
		return nil, &model.RateLimitError{RetryAfterSeconds: limiter.RetryAfterSeconds(wait)}
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, model.ErrNotFound) {
		_ = auth.VerifyPassword(dummyHash, password)
		return nil, model.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if err := auth.VerifyPassword(u.PasswordHash, password); err != nil || u.Disabled {
		return nil, model.ErrUnauthorized
	}
	return s.issue(ctx, u, store.NewID())
}

func (s *Service) issue(ctx context.Context, u *model.User, family string) (*Tokens, error) {
	access, err := s.signer.StaffAccess(u.ID, u.SessionVersion)
	if err != nil {
		return nil, fmt.Errorf("sign access token: %w", err)
	}
	refresh, hash := auth.NewRefreshToken()
	rt := &model.RefreshToken{UserID: u.ID, FamilyID: family, TokenHash: hash,
		ExpiresAt: s.now().Add(auth.RefreshTokenTTL), CreatedAt: s.now()}
	if err := s.store.CreateRefreshToken(ctx, rt); err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: int(auth.AccessTokenTTL.Seconds()), User: u}, nil
}

// Refresh rotates a refresh token. Presenting a token that was already
// spent means it was copied: the whole family is revoked.
func (s *Service) Refresh(ctx context.Context, token string) (*Tokens, error) {
	if token == "" {
		return nil, &model.ValidationError{Fields: map[string]string{"refresh_token": "is required"}}
	}
	rt, err := s.store.RefreshTokenByHash(ctx, auth.HashRefreshToken(token))
	if errors.Is(err, model.ErrNotFound) {
		return nil, model.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if rt.RevokedAt != nil || rt.ExpiresAt.Before(now) {
		return nil, model.ErrUnauthorized
	}
	spent, err := s.store.SpendRefreshToken(ctx, rt.ID, now)
	if err != nil {
		return nil, err
	}
	if !spent {
		if err := s.store.RevokeRefreshFamily(ctx, rt.FamilyID, now); err != nil {
			return nil, err
		}
		s.log.WarnContext(ctx, "refresh token reused; family revoked", "user_id", rt.UserID, "family_id", rt.FamilyID)
		return nil, model.ErrUnauthorized
	}
	u, err := s.store.UserByID(ctx, rt.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, model.ErrUnauthorized
	}
	return s.issue(ctx, u, rt.FamilyID)
}

// Logout revokes the refresh token's family. An unknown token is no error:
// the client is logged out either way.
func (s *Service) Logout(ctx context.Context, token string) error {
	rt, err := s.store.RefreshTokenByHash(ctx, auth.HashRefreshToken(token))
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.store.RevokeRefreshFamily(ctx, rt.FamilyID, s.now())
}

// Authenticate turns an access token into the current user. The session
// version in the token must match the user's, so disabling a user or
// changing their password ends their sessions at once.
func (s *Service) Authenticate(ctx context.Context, token string) (*model.User, error) {
	c, err := s.signer.ParseStaff(token)
	if err != nil {
		return nil, model.ErrUnauthorized
	}
	u, err := s.store.UserByID(ctx, c.Subject)
	if errors.Is(err, model.ErrNotFound) {
		return nil, model.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled || u.SessionVersion != c.SessionVersion {
		return nil, model.ErrUnauthorized
	}
	return u, nil
}

// UserInput creates a user or, with nil fields left alone, updates one.
type UserInput struct {
	Email    *string   `json:"email"`
	Name     *string   `json:"name"`
	Password *string   `json:"password"`
	Role     *string   `json:"role"`
	SiteIDs  *[]string `json:"site_ids"`
	Disabled *bool     `json:"disabled"`
	// Notifications: which mails the user gets; they or an admin set them.
	Notifications *NotificationsInput `json:"notifications"`

	AnswerSiteIDs *[]string `json:"answer_site_ids"` // admins only: see answerSites

	// Capacity (admins only): open conversations routing assigns the user
	// at most; 0 is unlimited.
	Capacity *int `json:"capacity"`
}

// NotificationsInput changes a user's mail settings; nil fields stay.
type NotificationsInput struct {
	NewConversations *string `json:"new_conversations"`
	DigestMinutes    *int    `json:"digest_minutes"`
	AssignedReplies  *bool   `json:"assigned_replies"`
}

// apply checks the input into p, recording problems in v.
func (in *NotificationsInput) apply(v *model.Validator, p *model.NotificationPrefs) {
	if in == nil {
		return
	}
	if in.NewConversations != nil {
		switch *in.NewConversations {
		case model.NotifyEach, model.NotifyDigest, model.NotifyNone:
			p.NewConversations = *in.NewConversations
		default:
			v.Add("notifications.new_conversations", "must be each, digest or none")
		}
	}
	if in.DigestMinutes != nil {
		if *in.DigestMinutes < 1 || *in.DigestMinutes > 1440 {
			v.Add("notifications.digest_minutes", "must be between 1 and 1440 minutes")
		}
		p.DigestMinutes = *in.DigestMinutes
	}
	if in.AssignedReplies != nil {
		p.AssignedReplies = *in.AssignedReplies
	}
}

// Users lists staff. Admins see everyone; an agent sees the colleagues who
// share one of their sites (and the admins), so they can assign work to them.
func (s *Service) Users(ctx context.Context, actor *model.User) ([]model.User, error) {
	all, err := s.store.ListUsers(ctx)
	if err != nil || actor.IsAdmin() {
		return all, err
	}
	out := []model.User{}
	for _, u := range all {
		shared := u.ID == actor.ID || u.IsAdmin()
		for _, id := range u.SiteIDs {
			shared = shared || contains(actor.SiteIDs, id)
		}
		if shared {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Service) checkUserInput(ctx context.Context, in UserInput, creating bool) (*model.Validator, error) {
	var v model.Validator
	if creating || in.Email != nil {
		if in.Email == nil {
			in.Email = new(string)
		}
		*in.Email = checkEmail(&v, "email", *in.Email, true)
	}
	if in.Name != nil {
		*in.Name = checkText(&v, "name", *in.Name, model.MaxNameLen, false, oneLine)
	}
	in.Notifications.apply(&v, &model.NotificationPrefs{})
	checkCapacity(&v, in.Capacity)
	if creating && in.Password == nil {
		v.Add("password", "is required")
	}
	if in.Password != nil {
		// A password that holds a control character could never be typed
		// into the sign-in form.
		checkLine(&v, "password", *in.Password)
		if p := auth.CheckPasswordRules(*in.Password); p != "" {
			v.Add("password", p)
		}
	}
	if creating && in.Role == nil {
		in.Role = ptr(model.RoleAgent)
	}
	if in.Role != nil && *in.Role != model.RoleAdmin && *in.Role != model.RoleAgent {
		v.Add("role", "must be admin or agent")
	}
	for field, ids := range map[string]*[]string{"site_ids": in.SiteIDs, "answer_site_ids": in.AnswerSiteIDs} {
		if err := s.checkSiteIDs(ctx, &v, field, ids); err != nil {
			return nil, err
		}
	}
	return &v, nil
}

func (s *Service) checkSiteIDs(ctx context.Context, v *model.Validator, field string, ids *[]string) error {
	if ids == nil {
		return nil
	}
	for _, id := range *ids {
		if !validID(id) {
			v.Add(field, "lists a site that does not exist")
			return nil
		}
	}
	sites, err := s.store.ListSites(ctx, false, *ids)
	if err != nil {
		return err
	}
	if len(sites) != len(dedupe(*ids)) {
		v.Add(field, "lists a site that does not exist")
	}
	return nil
}

// errEmailTaken: e-mail addresses are unique, since they sign people in.
var errEmailTaken = &model.ConflictError{Code: "email_taken", Message: "A user with this email already exists."}

// CreateUser adds a staff member; admins only.
func (s *Service) CreateUser(ctx context.Context, actor *model.User, in UserInput) (*model.User, error) {
	if !actor.IsAdmin() {
		return nil, model.ErrForbidden
	}
	v, err := s.checkUserInput(ctx, in, true)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(*in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u := &model.User{Email: strings.ToLower(strings.TrimSpace(*in.Email)), PasswordHash: hash, Role: deref(in.Role, model.RoleAgent),
		Name: strings.TrimSpace(deref(in.Name, "")), CreatedAt: s.now(), UpdatedAt: s.now()}
	u.SiteIDs = []string{}
	if in.SiteIDs != nil {
		u.SiteIDs = dedupe(*in.SiteIDs)
	}
	u.Notifications = model.DefaultNotificationPrefs()
	in.Notifications.apply(&model.Validator{}, &u.Notifications) // checked above
	u.Capacity = deref(in.Capacity, 0)
	answers, err := answerSites(u, in.AnswerSiteIDs, nil)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if u.IsAdmin() {
			return tx.SetAnswerSites(ctx, u.ID, answers)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, model.ErrConflict) {
			return nil, errEmailTaken
		}
		return nil, err
	}
	u.AnswerSiteIDs = answers
	return u, nil
}

// UpdateUser changes a user. Admins change anyone, e-mail included; a user
// may change their own name and password. Shrinking someone's rights ends their sessions and,
// through a notice, closes their sockets.
func (s *Service) UpdateUser(ctx context.Context, actor *model.User, id string, in UserInput) (*model.User, error) {
	if !validID(id) {
		return nil, model.ErrNotFound
	}
	self := actor.ID == id
	if !actor.IsAdmin() && (!self || in.Role != nil || in.SiteIDs != nil || in.Disabled != nil || in.Email != nil || in.Capacity != nil) {
		if !self {
			return nil, model.ErrNotFound
		}
		return nil, model.ErrForbidden
	}
	v, err := s.checkUserInput(ctx, in, false)
	if err != nil {
		return nil, err
	}
	if self && in.Disabled != nil && *in.Disabled {
		v.Add("disabled", "you cannot disable yourself")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var u *model.User
	var released []model.Event
	revoke := false
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if u, err = tx.UserByID(ctx, id); err != nil {
			return err
		}
		if in.Email != nil {
			u.Email = *in.Email
		}
		if in.Name != nil {
			u.Name = *in.Name
		}
		before := *u
		in.Notifications.apply(&model.Validator{}, &u.Notifications) // checked above
		if in.Role != nil && *in.Role != u.Role {
			revoke = revoke || *in.Role == model.RoleAgent
			u.Role = *in.Role
		}
		if in.Disabled != nil && *in.Disabled != u.Disabled {
			revoke = revoke || *in.Disabled
			u.Disabled = *in.Disabled
		}
		if in.Password != nil {
			hash, err := auth.HashPassword(*in.Password)
			if err != nil {
				return fmt.Errorf("hash password: %w", err)
			}
			u.PasswordHash = hash
			revoke = true
		}
		if in.SiteIDs != nil {
			next := dedupe(*in.SiteIDs)
			for _, old := range u.SiteIDs {
				if !contains(next, old) {
					revoke = true
				}
			}
			if err := tx.SetMemberships(ctx, u.ID, next); err != nil {
				return err
			}
			u.SiteIDs = next
		}
		if u.AnswerSiteIDs, err = answerSites(u, in.AnswerSiteIDs, &before); err != nil {
			return err
		}
		if u.IsAdmin() || before.IsAdmin() {
			if err := tx.SetAnswerSites(ctx, u.ID, adminAnswers(u)); err != nil {
				return err
			}
		}
		if revoke {
			u.SessionVersion++
			if err := tx.RevokeUserRefreshTokens(ctx, u.ID, s.now()); err != nil {
				return err
			}
		}
		if err := tx.SaveUser(ctx, u); err != nil {
			return err
		}
		released, err = s.userRouting(ctx, tx, u, &before, in.Capacity)
		return err
	})
	if errors.Is(err, model.ErrConflict) {
		return nil, errEmailTaken
	}
	if err != nil {
		return nil, err
	}
	s.publish(ctx, released)
	if s.pub != nil {
		// Sockets re-check the user's rights on this notice, on every instance.
		s.pub.Publish(ctx, model.Notice{UserID: u.ID})
	}
	return u, nil
}

// CreateUserCLI is `holler user create`: no actor, used by the site owner
// on the server itself.
func (s *Service) CreateUserCLI(ctx context.Context, in UserInput) (*model.User, error) {
	return s.CreateUser(ctx, &model.User{Role: model.RoleAdmin}, in)
}

// answerSites decides which sites u answers after a create or an update
// (before is u as it was; nil on create). Agents answer the sites they
// belong to, so for them the list can only repeat site_ids. An admin
// answers the sites they chose; one who was an agent keeps answering the
// sites they belonged to, until they choose.
func answerSites(u *model.User, chosen *[]string, before *model.User) ([]string, error) {
	switch {
	case !u.IsAdmin():
		if chosen != nil && !sameSet(*chosen, u.SiteIDs) {
			return nil, &model.ValidationError{Fields: map[string]string{
				"answer_site_ids": "agents answer the sites they belong to: change site_ids instead"}}
		}
		return u.SiteIDs, nil
	case chosen != nil:
		return dedupe(*chosen), nil
	case before != nil && !before.IsAdmin():
		return before.SiteIDs, nil
	case before != nil:
		return before.AnswerSiteIDs, nil
	}
	return []string{}, nil
}

// adminAnswers is what the answerers table holds for u: rows only for admins.
func adminAnswers(u *model.User) []string {
	if u.IsAdmin() {
		return u.AnswerSiteIDs
	}
	return nil
}

func sameSet(a, b []string) bool {
	a, b = dedupe(a), dedupe(b)
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func dedupe(in []string) []string {
	out := []string{}
	for _, x := range in {
		if !contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// displayName is how a staff member signs: their name, or the start of
// their email address.
func displayName(u *model.User) string {
	if u.Name != "" {
		return u.Name
	}
	name, _, _ := strings.Cut(u.Email, "@")
	return name
}
