package service

import (
	"strings"
	"testing"
	"unicode/utf8"

	"holler/server/internal/model"
)

// TestCheckText is the text rule of validate.go as a table: what each class
// of field keeps, normalises and refuses.
func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		class textClass
		want  string // the stored text when ok
		ok    bool
	}{
		{"plain", "Where is my order?", oneLine, "Where is my order?", true},
		{"trimmed", "  Ann \n", oneLine, "Ann", true},
		{"unicode", "Ünïcødé 你好 🙂 \u200d", oneLine, "Ünïcødé 你好 🙂 \u200d", true},
		{"replacement character", "a\ufffdb", oneLine, "a\ufffdb", true},
		{"NUL one line", "a\x00b", oneLine, "", false},
		{"NUL multi-line", "a\x00b", multiLine, "", false},
		{"NUL only", "\x00", multiLine, "", false},
		{"bell", "a\ab", multiLine, "", false},
		{"escape", "a\x1b[31mred", multiLine, "", false},
		{"vertical tab", "a\vb", multiLine, "", false},
		{"form feed", "a\fb", multiLine, "", false},
		{"DEL", "a\x7fb", multiLine, "", false},
		{"C1 NEL", "a\u0085b", multiLine, "", false},
		{"C1 CSI", "a\u009bb", oneLine, "", false},
		{"invalid UTF-8", "a\xffb", multiLine, "", false},
		{"lone surrogate bytes", "a\xed\xa0\x80b", multiLine, "", false},
		{"newline one line", "Ann\nSmith", oneLine, "", false},
		{"tab one line", "Ann\tSmith", oneLine, "", false},
		{"CR one line", "Ann\rSmith", oneLine, "", false},
		{"newline multi-line", "line 1\nline 2", multiLine, "line 1\nline 2", true},
		{"tab multi-line", "a\tb", multiLine, "a\tb", true},
		{"CRLF multi-line", "line 1\r\nline 2\r\n\r\nline 4", multiLine, "line 1\nline 2\n\nline 4", true},
		{"lone CR multi-line", "line 1\rline 2", multiLine, "line 1\nline 2", true},
		{"CRLF around", "\r\nhi\r\n", multiLine, "hi", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v model.Validator
			got := checkText(&v, "f", tc.in, 100, false, tc.class)
			err := v.Err()
			if tc.ok != (err == nil) {
				t.Fatalf("checkText(%q, %v) error %v, want ok=%v", tc.in, tc.class, err, tc.ok)
			}
			if tc.ok && got != tc.want {
				t.Fatalf("checkText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !tc.ok && err.(*model.ValidationError).Fields["f"] != problemControl {
				t.Fatalf("problem %q, want %q", err.(*model.ValidationError).Fields["f"], problemControl)
			}
		})
	}
}

// TestCheckTextLimits: blank, required and the length count in characters
// after normalisation.
func TestCheckTextLimits(t *testing.T) {
	var v model.Validator
	checkText(&v, "blank", " \n\t ", 10, true, multiLine)
	checkText(&v, "long", strings.Repeat("é", 11), 10, false, oneLine)
	checkText(&v, "crlf", strings.Repeat("a\r\n", 5), 10, false, multiLine) // 10 characters once normalised, trimmed to 9
	checkText(&v, "fits", strings.Repeat("é", 10), 10, true, oneLine)
	fields := v.Err().(*model.ValidationError).Fields
	if fields["blank"] != "is required" || !strings.HasPrefix(fields["long"], "is too long") || fields["crlf"] != "" || fields["fits"] != "" {
		t.Fatalf("fields %v", fields)
	}
}

// TestOtherFieldsFollowTheRule: e-mails, URLs, origins, IDs and passwords
// use the same rule.
func TestOtherFieldsFollowTheRule(t *testing.T) {
	var v model.Validator
	checkEmail(&v, "email", "ann\x00@example.com", true)
	checkURL(&v, "page_url", "https://shop.example.com/\x00")
	checkLine(&v, "password", "correct horse\x00battery")
	checkLine(&v, "tab", "a\tb")
	fields := v.Err().(*model.ValidationError).Fields
	for _, f := range []string{"email", "page_url", "password", "tab"} {
		if fields[f] != problemControl {
			t.Errorf("%s: %q, want %q", f, fields[f], problemControl)
		}
	}
	if _, ok := checkOrigin("https://shop.example.com\x00"); ok {
		t.Error("an origin with NUL passes")
	}
	if validID("0190\x00") || validID("\xff") || !validID("0190a1b2-c3d4") || !validID("") {
		t.Error("validID disagrees with the text rule")
	}
}

// TestScrub: recorded headers lose what the rule refuses and are cut on a
// character boundary, so they are valid UTF-8 for PostgreSQL.
func TestScrub(t *testing.T) {
	if got := scrub("Mozilla\x00/5.0\xff\u0085 (X11)\n", 512); got != "Mozilla/5.0 (X11)" {
		t.Fatalf("scrub = %q", got)
	}
	long := strings.Repeat("a", 511) + "é" + "tail"
	got := scrub(long, 512)
	if !utf8.ValidString(got) || len(got) != 511 {
		t.Fatalf("cut at 512: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}
