package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func signer(t *testing.T) *Signer {
	t.Helper()
	s, err := NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStaffTokenRoundTrip(t *testing.T) {
	s := signer(t)
	tok, err := s.StaffAccess("u1", 3)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.ParseStaff(tok)
	if err != nil || c.Subject != "u1" || c.SessionVersion != 3 {
		t.Fatalf("parse: %+v %v", c, err)
	}
}

// TestTokensRefused: each way a token can be wrong is refused.
func TestTokensRefused(t *testing.T) {
	s := signer(t)
	visitor, _ := s.Visitor("site1", "v1")
	staff, _ := s.StaffAccess("u1", 1)
	now := time.Now()
	claims := func(aud string, exp time.Time) StaffClaims {
		return StaffClaims{SessionVersion: 1, RegisteredClaims: jwt.RegisteredClaims{Issuer: Issuer, Subject: "u1",
			Audience: jwt.ClaimStrings{aud}, ExpiresAt: jwt.NewNumericDate(exp)}}
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(AudienceStaff, now.Add(time.Hour))).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, claims(AudienceStaff, now.Add(time.Hour))).SignedString([]byte(strings.Repeat("k", 32)))
	expired, _ := s.sign(claims(AudienceStaff, now.Add(-time.Hour)))
	otherKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(AudienceStaff, now.Add(time.Hour))).SignedString([]byte(strings.Repeat("x", 32)))
	noExp, _ := s.sign(StaffClaims{RegisteredClaims: jwt.RegisteredClaims{Issuer: Issuer, Subject: "u1", Audience: jwt.ClaimStrings{AudienceStaff}}})
	wrongIssuer, _ := s.sign(StaffClaims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "evil", Subject: "u1",
		Audience: jwt.ClaimStrings{AudienceStaff}, ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}})

	for name, tok := range map[string]string{
		"visitor token as staff": visitor, "alg none": none, "HS384": hs384, "expired": expired,
		"other key": otherKey, "no expiry": noExp, "wrong issuer": wrongIssuer, "garbage": "a.b.c",
	} {
		if _, err := s.ParseStaff(tok); err == nil {
			t.Errorf("%s: accepted as a staff token", name)
		}
	}
	if _, err := s.ParseVisitor(staff, "site1"); err == nil {
		t.Error("staff token accepted as a visitor token")
	}
	if _, err := s.ParseVisitor(visitor, "site2"); err == nil {
		t.Error("visitor token of site1 accepted on site2")
	}
	if c, err := s.ParseVisitor(visitor, "site1"); err != nil || c.Subject != "v1" {
		t.Errorf("own visitor token: %+v %v", c, err)
	}
}

func TestPasswords(t *testing.T) {
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("hash %q", hash)
	}
	if err := VerifyPassword(hash, "correct horse battery"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if err := VerifyPassword(hash, "correct horse batterY"); err != ErrPasswordMismatch {
		t.Fatalf("wrong password: %v", err)
	}
	if other, _ := HashPassword("correct horse battery"); other == hash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if p := CheckPasswordRules("short"); p == "" {
		t.Fatal("short password accepted")
	}
	if p := CheckPasswordRules(strings.Repeat("a", MaxPasswordLen+1)); p == "" {
		t.Fatal("over-long password accepted")
	}
	if _, err := HashPassword(strings.Repeat("a", MaxPasswordLen+1)); err == nil {
		t.Fatal("over-long password hashed")
	}
	if p := CheckPasswordRules("twelve chars"); p != "" {
		t.Fatalf("12 characters refused: %s", p)
	}
}

func TestRefreshTokens(t *testing.T) {
	tok, hash := NewRefreshToken()
	if HashRefreshToken(tok) != hash || strings.Contains(hash, tok) {
		t.Fatal("refresh token hash")
	}
	if other, _ := NewRefreshToken(); other == tok {
		t.Fatal("two refresh tokens are equal")
	}
}
