package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestConversationTokenFitsAMailAddress: the token is the local part of a
// reply address (reply+TOKEN@domain, at most 64 characters) and survives a
// mail system that upper- or lower-cases it.
func TestConversationTokenFitsAMailAddress(t *testing.T) {
	s := signer(t)
	const conv = "01938f0e-7a3c-7b1e-9c4d-0123456789ab"
	tok, err := s.ConversationToken(conv, time.Now().Add(ConversationTokenTTL))
	if err != nil {
		t.Fatal(err)
	}
	if n := len("reply+" + tok); n > 64 {
		t.Fatalf("local part is %d characters, over 64", n)
	}
	if tok != strings.ToLower(tok) {
		t.Fatalf("token %q is not lower case", tok)
	}
	for _, v := range []string{tok, strings.ToUpper(tok)} {
		got, err := s.ParseConversationToken(v)
		if err != nil || got != conv {
			t.Fatalf("parse %q: %q, %v", v, got, err)
		}
	}
}

// TestConversationTokenRefused: every way a token can be wrong is refused,
// and an expired one is told apart (the page answers 410, not 404).
func TestConversationTokenRefused(t *testing.T) {
	s := signer(t)
	const conv = "01938f0e-7a3c-7b1e-9c4d-0123456789ab"
	good, _ := s.ConversationToken(conv, time.Now().Add(time.Hour))
	expired, _ := s.ConversationToken(conv, time.Now().Add(-time.Second))
	other, _ := NewSigner([]byte(strings.Repeat("x", 32)))
	foreign, _ := other.ConversationToken(conv, time.Now().Add(time.Hour))
	flipped := []byte(good)
	if flipped[3] == 'a' {
		flipped[3] = 'b'
	} else {
		flipped[3] = 'a'
	}
	visitor, _ := s.Visitor("site1", "v1")
	for name, tok := range map[string]string{
		"other key": foreign, "one character changed": string(flipped), "cut short": good[:len(good)-1],
		"one longer": good + "a", "visitor JWT": visitor, "empty": "", "not base32": "!!!!",
	} {
		if _, err := s.ParseConversationToken(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: got %v, want ErrInvalidToken", name, err)
		}
	}
	if id, err := s.ParseConversationToken(expired); !errors.Is(err, ErrExpiredToken) || id != conv {
		t.Errorf("expired: got %q, %v; want the ID and ErrExpiredToken", id, err)
	}
	if _, err := s.ConversationToken("not-a-uuid", time.Now()); err == nil {
		t.Error("a token was issued for an ID that is not a UUID")
	}
}

func FuzzParseConversationToken(f *testing.F) {
	s, _ := NewSigner([]byte(strings.Repeat("k", 32)))
	good, _ := s.ConversationToken("01938f0e-7a3c-7b1e-9c4d-0123456789ab", time.Now().Add(time.Hour))
	f.Add(good)
	f.Add("")
	f.Add("reply+abc")
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := s.ParseConversationToken(tok)
		if err == nil && strings.ToLower(tok) != good {
			t.Fatalf("forged token %q accepted as %s", tok, id)
		}
	})
}
