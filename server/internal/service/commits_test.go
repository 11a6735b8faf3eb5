package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"holler/server/internal/auth"
	"holler/server/internal/model"
	"holler/server/internal/store"
	"holler/server/internal/storetest"
)

// commitEnv is a service on a fresh store with its demo site.
type commitEnv struct {
	ctx  context.Context
	s    *Service
	st   *store.Store
	site *model.Site
}

func commitFixture(t *testing.T, d string) *commitEnv {
	t.Helper()
	st := storetest.Open(t, d)
	key, _ := base64.StdEncoding.DecodeString(auth.NewSigningKey())
	signer, err := auth.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Store: st, Signer: signer})
	first, err := s.Bootstrap(context.Background(), "admin@example.com", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	return &commitEnv{ctx: context.Background(), s: s, st: st, site: first.DemoSite}
}

// conversations counts the site's conversations.
func (e *commitEnv) conversations(t *testing.T) int {
	t.Helper()
	list, _, err := e.st.ListConversations(e.ctx, store.ConversationFilter{SiteIDs: []string{e.site.ID}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// holdLane makes the site's committer look busy, so writes to the site
// queue as they would behind a commit in flight. waitQueued blocks until n
// writes queue; release lets them commit as one batch.
func (e *commitEnv) holdLane(t *testing.T) (waitQueued func(n int), release func()) {
	t.Helper()
	c, site := e.s.commits, e.site.ID
	c.mu.Lock()
	if c.lanes[site] != nil {
		c.mu.Unlock()
		t.Fatal("lane already busy")
	}
	l := &lane{running: c.inFlight}
	c.lanes[site] = l
	c.mu.Unlock()
	waitQueued = func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			c.mu.Lock()
			got := len(l.queue)
			c.mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d writes queued, want %d", got, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	release = func() {
		// The commits in flight "end": the next one takes the whole queue.
		c.mu.Lock()
		l.running = 1
		c.mu.Unlock()
		if batch := c.next(site, l); batch != nil {
			go c.drain(site, l, batch)
		}
	}
	return waitQueued, release
}

type outcome[T any] struct {
	out *T
	err error
}

func async[T any](fn func() (*T, error)) chan outcome[T] {
	ch := make(chan outcome[T], 1)
	go func() {
		out, err := fn()
		ch <- outcome[T]{out, err}
	}()
	return ch
}

// TestGroupCommitSameKeyInOneBatch: the same Idempotency-Key twice in one
// batch is one conversation, and both requests get its answer.
func TestGroupCommitSameKeyInOneBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		e := commitFixture(t, d)
		ctx, s, site, before := e.ctx, e.s, e.site, e.conversations(t)
		waitQueued, release := e.holdLane(t)
		in := NewConversationInput{Kind: "question", Message: "Where is my parcel?"}
		req := VisitorRequest{IdempotencyKey: "same-key"}
		create := func() (*CreatedConversation, error) { return s.CreateConversation(ctx, site, req, in) }
		first := async(create)
		waitQueued(1)
		second := async(create)
		waitQueued(2)
		release()
		a, b := <-first, <-second
		if a.err != nil || b.err != nil {
			t.Fatalf("errors: %v, %v", a.err, b.err)
		}
		if a.out.Conversation.ID != b.out.Conversation.ID || a.out.VisitorToken != b.out.VisitorToken {
			t.Fatalf("two answers: %s and %s", a.out.Conversation.ID, b.out.Conversation.ID)
		}
		if got := e.conversations(t); got != before+1 {
			t.Fatalf("%d conversations, want %d", got, before+1)
		}
	})
}

// TestGroupCommitBadItemFailsAlone: in one batch, a key reused with another
// body (a unique violation inside the transaction) and a reply to a
// conversation that is not the visitor's fail; their batch-mates before and
// after them commit.
func TestGroupCommitBadItemFailsAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		e := commitFixture(t, d)
		ctx, s, site := e.ctx, e.s, e.site
		other, err := s.CreateConversation(ctx, site, VisitorRequest{}, NewConversationInput{Kind: "question", Message: "mine"})
		if err != nil {
			t.Fatal(err)
		}
		before := e.conversations(t)
		waitQueued, release := e.holdLane(t)
		create := func(key, msg string) func() (*CreatedConversation, error) {
			return func() (*CreatedConversation, error) {
				return s.CreateConversation(ctx, site, VisitorRequest{IdempotencyKey: key},
					NewConversationInput{Kind: "complaint", Message: msg})
			}
		}
		good := async(create("k", "first"))
		waitQueued(1)
		reused := async(create("k", "second"))
		waitQueued(2)
		stranger := &model.Visitor{ID: store.NewID(), SiteID: site.ID}
		foreign := async(func() (*model.Message, error) {
			return s.VisitorReply(ctx, stranger, other.Conversation.ID, MessageInput{Body: "let me in"}, "")
		})
		waitQueued(3)
		after := async(create("", "third"))
		waitQueued(4)
		release()

		if r := <-good; r.err != nil {
			t.Fatalf("first: %v", r.err)
		}
		if r := <-reused; !errors.Is(r.err, model.ErrIdempotencyReuse) {
			t.Fatalf("reused key: %v, want ErrIdempotencyReuse", r.err)
		}
		if r := <-foreign; !errors.Is(r.err, model.ErrNotFound) {
			t.Fatalf("foreign reply: %v, want ErrNotFound", r.err)
		}
		if r := <-after; r.err != nil {
			t.Fatalf("after the bad ones: %v", r.err)
		}
		if got := e.conversations(t); got != before+2 {
			t.Fatalf("%d conversations, want %d", got, before+2)
		}
		msgs, err := e.st.Messages(ctx, other.Conversation.ID, true)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("the foreign conversation has %d messages (%v), want 1", len(msgs), err)
		}
	})
}

// TestGroupCommitPanicFailsAlone: a write that panics in a batch panics in
// its own request (where the HTTP layer recovers it) and not in the
// committer; its batch-mate commits and the site's lane keeps working.
func TestGroupCommitPanicFailsAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d string) {
		e := commitFixture(t, d)
		ctx, s, site, before := e.ctx, e.s, e.site, e.conversations(t)
		waitQueued, release := e.holdLane(t)
		bad := async(func() (*string, error) {
			var got *string
			func() {
				defer func() {
					if r := recover(); r != nil {
						msg := fmt.Sprint(r)
						got = &msg
					}
				}()
				_ = s.commits.do(ctx, site.ID, func(context.Context, *store.Store) error { panic("boom") })
			}()
			return got, nil
		})
		waitQueued(1)
		good := async(func() (*CreatedConversation, error) {
			return s.CreateConversation(ctx, site, VisitorRequest{}, NewConversationInput{Kind: "question", Message: "still here?"})
		})
		waitQueued(2)
		release()
		if r := <-bad; r.out == nil || !strings.Contains(*r.out, "boom") {
			t.Fatalf("the panicking write did not panic in its caller: %v", r.out)
		}
		if r := <-good; r.err != nil {
			t.Fatalf("batch-mate: %v", r.err)
		}
		if _, err := s.CreateConversation(ctx, site, VisitorRequest{}, NewConversationInput{Kind: "question", Message: "after"}); err != nil {
			t.Fatalf("after the panic: %v", err)
		}
		if got := e.conversations(t); got != before+2 {
			t.Fatalf("%d conversations, want %d", got, before+2)
		}
	})
}
