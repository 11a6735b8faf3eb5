package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ConversationTokenTTL is how long a customer's link (the conversation page
// and the reply address of a mail) works; every mail carries a fresh one.
const ConversationTokenTTL = 30 * 24 * time.Hour

// ErrExpiredToken is a conversation token that verified but is past its
// expiry: the page answers 410 instead of 404 so the customer is told the
// link is old rather than wrong.
var ErrExpiredToken = errors.New("expired token")

// conversationTokenLen is 16 bytes of conversation ID (a UUID), 4 of expiry
// (Unix seconds) and 12 of MAC.
const (
	convIDLen           = 16
	convExpLen          = 4
	convMACLen          = 12
	conversationTokenLn = convIDLen + convExpLen + convMACLen
)

// tokenEncoding is lower-case base32 without padding: the token travels in a
// mail address local part (reply+TOKEN@domain), which must stay within 64
// characters and which some mail systems lower-case. A JWT is both too long
// and case-sensitive, hence this compact form (52 characters).
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ConversationToken issues the token that lets a customer read and answer
// one conversation (its page, its visitor routes, and mail replies), and
// nothing else. It expires at exp.
func (s *Signer) ConversationToken(conversationID string, exp time.Time) (string, error) {
	id, err := uuid.Parse(conversationID)
	if err != nil {
		return "", errors.New("conversation token: conversation ID is not a UUID")
	}
	var raw [conversationTokenLn]byte
	copy(raw[:convIDLen], id[:])
	binary.BigEndian.PutUint32(raw[convIDLen:], uint32(exp.Unix()))
	copy(raw[convIDLen+convExpLen:], s.conversationMAC(raw[:convIDLen+convExpLen]))
	return tokenEncoding.EncodeToString(raw[:]), nil
}

// ParseConversationToken returns the conversation a token grants. A token
// that does not verify is ErrInvalidToken; one that verifies but has expired
// is ErrExpiredToken (with the conversation ID, for logging).
func (s *Signer) ParseConversationToken(token string) (conversationID string, err error) {
	token = strings.ToLower(token)
	raw, err := tokenEncoding.DecodeString(token)
	// Re-encoding refuses spellings that differ only in the unused low
	// bits of the last character: one conversation link, one token.
	if err != nil || len(raw) != conversationTokenLn || tokenEncoding.EncodeToString(raw) != token {
		return "", ErrInvalidToken
	}
	body, mac := raw[:convIDLen+convExpLen], raw[convIDLen+convExpLen:]
	if !hmac.Equal(mac, s.conversationMAC(body)) {
		return "", ErrInvalidToken
	}
	id, _ := uuid.FromBytes(raw[:convIDLen])
	exp := time.Unix(int64(binary.BigEndian.Uint32(raw[convIDLen:])), 0)
	if !s.now().Before(exp) {
		return id.String(), ErrExpiredToken
	}
	return id.String(), nil
}

// conversationMAC is keyed by the signing key but bound to this purpose, so
// no other HMAC the signer makes can be replayed as a conversation token.
func (s *Signer) conversationMAC(body []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("holler-conversation-token-v1\x00"))
	m.Write(body)
	return m.Sum(nil)[:convMACLen]
}
