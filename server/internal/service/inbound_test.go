package service

import (
	"strings"
	"testing"
	"unicode/utf8"

	"holler/server/internal/model"
)

// TestReplyBody: an email reply obeys the message rules without being
// refused: control characters scrubbed, line breaks normalised, and a text
// over the limit cut to exactly the limit, ending with the marker.
func TestReplyBody(t *testing.T) {
	if got := replyBody("  a\r\nb\x00c\x1b\td\u0085 "); got != "a\nbc\td" {
		t.Errorf("scrubbed %q", got)
	}
	long := strings.Repeat("ü", model.MaxMessageLen+500)
	got := replyBody(long)
	if n := utf8.RuneCountInString(got); n != model.MaxMessageLen || !strings.HasSuffix(got, cutMarker) || !strings.HasPrefix(got, "üüü") {
		t.Errorf("long reply: %d characters, ends %q", n, got[len(got)-40:])
	}
	var v model.Validator
	checkText(&v, "body", got, model.MaxMessageLen, true, multiLine)
	if err := v.Err(); err != nil {
		t.Errorf("the cut reply breaks the message rules: %v", err)
	}
	if got := replyBody(strings.Repeat("x", model.MaxMessageLen)); got != strings.Repeat("x", model.MaxMessageLen) {
		t.Error("a reply of exactly the limit was cut")
	}
}

// TestReplyToken: reply+TOKEN at our domain only, in any case.
func TestReplyToken(t *testing.T) {
	s := &Service{mailDomain: "shop.test"}
	for addr, want := range map[string]string{
		"reply+abc@shop.test":     "abc",
		"<REPLY+ABC@SHOP.TEST>":   "ABC",
		"reply+abc@other.test":    "",
		"reply+@shop.test":        "",
		"help@shop.test":          "",
		"reply+abc@sub.shop.test": "",
		"noatsign":                "",
	} {
		if got, ok := s.replyToken(addr); got != want || ok != (want != "") {
			t.Errorf("replyToken(%q) = %q, %v; want %q", addr, got, ok, want)
		}
	}
	if got := addrHint("reply+abcdefghijklmnop@elsewhere.test"); strings.Contains(got, "ijklmnop") || !strings.HasSuffix(got, "@elsewhere.test") {
		t.Errorf("addrHint shows %q", got)
	}
}
