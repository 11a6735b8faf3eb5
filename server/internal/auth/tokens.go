package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token audiences: a visitor token never works on staff routes and the
// other way round, because each parser demands its own audience.
const (
	Issuer           = "holler"
	AudienceStaff    = "holler-staff"
	AudienceVisitor  = "holler-visitor"
	AccessTokenTTL   = 15 * time.Minute
	RefreshTokenTTL  = 30 * 24 * time.Hour
	VisitorTokenTTL  = 365 * 24 * time.Hour
	signingMethodAlg = "HS256"
)

// ErrInvalidToken covers every reason a token is not accepted.
var ErrInvalidToken = errors.New("invalid token")

// StaffClaims are carried by a staff access token.
type StaffClaims struct {
	SessionVersion int64 `json:"sv"`
	jwt.RegisteredClaims
}

// VisitorClaims are carried by a visitor token.
type VisitorClaims struct {
	SiteID string `json:"sid"`
	jwt.RegisteredClaims
}

// Signer issues and checks tokens with one HMAC key shared by every
// instance (it lives in the database).
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer for a key of at least 32 bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, errors.New("signing key must be at least 32 bytes")
	}
	return &Signer{key: key, now: time.Now}, nil
}

// NewSigningKey returns a fresh random key, base64 encoded for storage.
func NewSigningKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Signer) sign(claims jwt.Claims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
}

func (s *Signer) parse(token string, claims jwt.Claims, audience string) error {
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{signingMethodAlg}),
		jwt.WithAudience(audience),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return nil
}

// StaffAccess issues an access token for a user.
func (s *Signer) StaffAccess(userID string, sessionVersion int64) (string, error) {
	now := s.now()
	return s.sign(StaffClaims{
		SessionVersion: sessionVersion,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Subject: userID, Audience: jwt.ClaimStrings{AudienceStaff},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(AccessTokenTTL)),
		},
	})
}

// ParseStaff checks a staff access token.
func (s *Signer) ParseStaff(token string) (*StaffClaims, error) {
	var c StaffClaims
	if err := s.parse(token, &c, AudienceStaff); err != nil {
		return nil, err
	}
	if c.Subject == "" {
		return nil, ErrInvalidToken
	}
	return &c, nil
}

// Visitor issues a token that identifies a visitor of one site.
func (s *Signer) Visitor(siteID, visitorID string) (string, error) {
	now := s.now()
	return s.sign(VisitorClaims{
		SiteID: siteID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Subject: visitorID, Audience: jwt.ClaimStrings{AudienceVisitor},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(VisitorTokenTTL)),
		},
	})
}

// ParseVisitor checks a visitor token and that it belongs to siteID.
func (s *Signer) ParseVisitor(token, siteID string) (*VisitorClaims, error) {
	var c VisitorClaims
	if err := s.parse(token, &c, AudienceVisitor); err != nil {
		return nil, err
	}
	if c.Subject == "" || c.SiteID != siteID {
		return nil, ErrInvalidToken
	}
	return &c, nil
}

// NewRefreshToken returns an opaque refresh token and the hash to store.
func NewRefreshToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token)
}

// HashRefreshToken is how refresh tokens are looked up: only hashes are stored.
func HashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
