package realtime

import (
	"math/rand/v2"
	"testing"

	"holler/server/internal/model"
)

// A position encodes exactly as the model.Cursor of the same seqs, through
// any order of sets and removes.
func TestPositionEncodesAsCursor(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	names := []string{"a", "ab", "b", "B", "site-10", "site-9", "01J8ZK3Q4F5XW2", "01J8ZK3Q4F5XW", "zz"}
	for round := range 200 {
		var p position
		cur := model.Cursor{}
		for range r.IntN(20) {
			site := names[r.IntN(len(names))]
			if r.IntN(4) == 0 {
				p.remove(site)
				delete(cur, site)
				continue
			}
			seq := r.Int64N(1 << 40)
			p.set(site, seq)
			cur[site] = seq
		}
		if got, want := p.encode(), cur.Encode(); got != want {
			t.Fatalf("round %d: encode %q, cursor %q (%v)", round, got, want, p)
		}
		for site, seq := range cur {
			if got, ok := p.get(site); !ok || got != seq {
				t.Fatalf("round %d: get(%s) = %d %v, want %d", round, site, got, ok, seq)
			}
		}
		if len(p) != len(cur) {
			t.Fatalf("round %d: %d sites, want %d", round, len(p), len(cur))
		}
		back, err := model.DecodeCursor(p.encode())
		if err != nil || len(back) != len(cur) {
			t.Fatalf("round %d: decode %v %v", round, back, err)
		}
	}
	if _, ok := newPosition([]string{"s1"}, nil).get("s2"); ok {
		t.Fatal("a site the socket does not follow was found")
	}
	if got := newPosition([]string{"s2", "s1"}, model.Cursor{"s1": 7}).encode(); got != (model.Cursor{"s1": 7, "s2": 0}).Encode() {
		t.Fatalf("newPosition encodes %q", got)
	}
}
