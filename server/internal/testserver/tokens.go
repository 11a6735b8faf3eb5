package testserver

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"holler/server/internal/auth"
	"holler/server/internal/store"
)

// Signer returns a signer with the server's own key (the stored setting
// jwt_signing_key), so a test can mint what the server would issue: a
// customer's conversation link before anything mails one, or an expired one.
func (s *Server) Signer(t testing.TB) *auth.Signer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Options{DatabaseURL: s.Config.DatabaseURL, DataDir: s.Config.DataDir})
	if err != nil {
		t.Fatalf("open the server's store: %v", err)
	}
	defer st.Close()
	key, err := st.EnsureSetting(ctx, "jwt_signing_key", func() string {
		t.Fatal("the server has no signing key yet")
		return ""
	})
	if err != nil {
		t.Fatalf("read the signing key: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatalf("decode the signing key: %v", err)
	}
	signer, err := auth.NewSigner(raw)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// ConversationToken mints a conversation token (the one in a customer's
// link) for convID, expiring at exp.
func (s *Server) ConversationToken(t testing.TB, convID string, exp time.Time) string {
	t.Helper()
	tok, err := s.Signer(t).ConversationToken(convID, exp)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
