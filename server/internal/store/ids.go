package store

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/google/uuid"
)

// NewID returns an opaque, time-ordered identifier (UUIDv7).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// refAlphabet leaves out 0/O, 1/I/L so a reference read aloud or copied by
// hand is unambiguous.
const refAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newRef is randomRef; tests replace it to force a clash.
var newRef = randomRef

// randomRef returns a short human reference such as "K7Q-4M2".
func randomRef() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 7)
	for i, v := range b {
		if i == 3 {
			out = append(out, '-')
		}
		out = append(out, refAlphabet[int(v)%len(refAlphabet)])
	}
	return string(out)
}

// RandomToken returns n random bytes as URL-safe base64 text.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
