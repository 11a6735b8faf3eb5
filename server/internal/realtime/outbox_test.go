package realtime

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"holler/server/internal/model"
)

// TestOutboxCoalesces: between two flushes a site is sent once, with its
// highest seq, whatever order the commits published in; other notices
// are kept in order.
func TestOutboxCoalesces(t *testing.T) {
	b := NewBroker(nil, nil, "me", slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, seq := range []int64{3, 5, 4, 1} {
		b.enqueue(model.Notice{SiteID: "a", Seq: seq})
	}
	b.enqueue(model.Notice{SiteID: "b", Seq: 9})
	b.enqueue(model.Notice{UserID: "u1"})
	b.enqueue(model.Notice{SiteID: "a", Ephemeral: &model.Ephemeral{Type: "typing"}})
	batch, dropped := b.take()
	if dropped != 0 || batch.Origin != "me" {
		t.Fatalf("dropped %d, origin %q", dropped, batch.Origin)
	}
	seqs := map[string]int64{}
	var rest []model.Notice
	for _, n := range batch.Notices {
		if n.Seq > 0 {
			if _, twice := seqs[n.SiteID]; twice {
				t.Fatalf("site %s sent twice in one batch", n.SiteID)
			}
			seqs[n.SiteID] = n.Seq
			continue
		}
		rest = append(rest, n)
	}
	if seqs["a"] != 5 || seqs["b"] != 9 || len(seqs) != 2 {
		t.Errorf("seq notices %v, want a:5 b:9", seqs)
	}
	if len(rest) != 2 || rest[0].UserID != "u1" || rest[1].Ephemeral == nil {
		t.Errorf("other notices %+v", rest)
	}
	if batch, _ := b.take(); len(batch.Notices) != 0 {
		t.Errorf("a second take without publishes sent %+v", batch.Notices)
	}
	for range maxPendingOther + 3 {
		b.enqueue(model.Notice{UserID: "u"})
	}
	if batch, dropped := b.take(); len(batch.Notices) != maxPendingOther || dropped != 3 {
		t.Errorf("a full outbox kept %d and dropped %d, want %d and 3", len(batch.Notices), dropped, maxPendingOther)
	}
}

// TestEncodeBatchSplits: a batch over the size limit becomes several
// payloads, each within it, that decode back to every notice; a notice
// too large alone is counted out.
func TestEncodeBatchSplits(t *testing.T) {
	in := Batch{Origin: "instance-1"}
	for i := range 500 {
		in.Notices = append(in.Notices, model.Notice{SiteID: fmt.Sprintf("site-%04d-%s", i, "0190a0b0-c0d0-7000-8000-000000000000"), Seq: int64(i + 1)})
	}
	huge := model.Notice{SiteID: "x", Ephemeral: &model.Ephemeral{Type: "typing", Data: []byte(`"` + strings.Repeat("x", 8000) + `"`)}}
	in.Notices = append(in.Notices, huge)
	payloads, dropped := encodeBatch(in, maxNotifyPayload)
	if dropped != 1 {
		t.Errorf("dropped %d, want the one oversized notice", dropped)
	}
	if len(payloads) < 2 {
		t.Fatalf("%d payloads for 500 notices, want a split", len(payloads))
	}
	var out []model.Notice
	for _, p := range payloads {
		if len(p) > maxNotifyPayload {
			t.Fatalf("payload of %d bytes over the limit", len(p))
		}
		b, err := decodeBatch(p)
		if err != nil || b.Origin != "instance-1" {
			t.Fatalf("decode: %v (origin %q)", err, b.Origin)
		}
		out = append(out, b.Notices...)
	}
	if !slices.EqualFunc(out, in.Notices[:500], func(a, b model.Notice) bool { return a.SiteID == b.SiteID && a.Seq == b.Seq }) {
		t.Errorf("decoded %d notices, want the 500 sent in order", len(out))
	}
	if one, _ := encodeBatch(Batch{Origin: "o", Notices: in.Notices[:3]}, 0); len(one) != 1 {
		t.Errorf("no limit: %d payloads, want 1", len(one))
	}
}
