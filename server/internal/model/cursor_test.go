package model

import "testing"

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{"b": 7, "a": 0, "site-3": 1 << 40}
	got, err := DecodeCursor(c.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["b"] != 7 || got["a"] != 0 || got["site-3"] != 1<<40 {
		t.Fatalf("round trip: %v", got)
	}
	if c.Encode() != (Cursor{"site-3": 1 << 40, "a": 0, "b": 7}).Encode() {
		t.Fatal("encoding depends on map order")
	}
	for _, bad := range []string{"!!", "YQ", "YTo", "YTotMQ", "OjE"} { // "a", "a:", "a:-1", ":1"
		if _, err := DecodeCursor(bad); err == nil {
			t.Errorf("DecodeCursor(%q) accepted", bad)
		}
	}
}

// FuzzDecodeCursor: any text either fails cleanly or decodes to a cursor
// that re-encodes to something that decodes to the same positions.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(Cursor{"a": 1, "b": 2}.Encode())
	f.Add("")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeCursor(s)
		if err != nil {
			return
		}
		again, err := DecodeCursor(c.Encode())
		if err != nil {
			t.Fatalf("re-encoded cursor does not decode: %v", err)
		}
		for k, v := range c {
			if again[k] != v || v < 0 {
				t.Fatalf("position of %q changed: %d vs %d", k, v, again[k])
			}
		}
	})
}
