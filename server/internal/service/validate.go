package service

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	"holler/server/internal/model"
)

// Text rules: one rule for every text field of every endpoint, on both stores.
//
// Why: PostgreSQL's text type cannot hold NUL or invalid UTF-8 (the write
// fails: a 500), while SQLite stores them; the other control characters are
// invisible on a dashboard, forge line structure in logs, exports and mails,
// and no person types them. So a field's text is either stored exactly as
// sent, after the normalisation below, or refused with 422 naming the field
// (never silently stripped: the widget puts a refused text back where it was
// typed, so nothing a visitor wrote is lost). White space around a value is
// trimmed first; what is left is judged. Per field class:
//   - every field: valid UTF-8; no C0 control (U+0000-U+001F), no DEL
//     (U+007F), no C1 control (U+0080-U+009F). The JSON decoder already turns
//     invalid bytes and lone surrogates into U+FFFD, so the UTF-8 rule bites
//     only text that arrives outside JSON (paths, queries, headers, the CLI);
//   - multi-line fields (message bodies, the rating comment, the greeting)
//     keep "\n" and "\t"; "\r\n" and a lone "\r" become "\n", so a body reads,
//     previews and counts the same whichever client sent it;
//   - single-line fields (names, e-mails, URLs, tags, keys, IDs, passwords)
//     refuse "\n" and "\t" too.
//
// Text we record but do not ask for (the User-Agent header, the text of a
// customer's email reply) is scrubbed by the same rule instead of refused:
// a visitor must not be turned away for what their browser or mail client
// sends.

const problemControl = "contains a control character or invalid text"

// textClass is a field's class in the rules above.
type textClass bool

const (
	oneLine   textClass = false
	multiLine textClass = true
)

// allowed reports whether r may appear in a field of class c.
func (c textClass) allowed(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return c == multiLine
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return false
	}
	return true
}

// clean normalises line breaks of multi-line text and reports whether what
// is left obeys the rules of its class.
func (c textClass) clean(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return s, false
	}
	if c == multiLine && strings.Contains(s, "\r") {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	for _, r := range s {
		if !c.allowed(r) {
			return s, false
		}
	}
	return s, true
}

// checkText trims s and records a problem when it breaks the rules of its
// class, is blank (required) or is longer than max characters.
func checkText(v *model.Validator, field, s string, max int, required bool, c textClass) string {
	s, ok := c.clean(strings.TrimSpace(s))
	switch {
	case !ok:
		v.Add(field, problemControl)
	case required && s == "":
		v.Add(field, "is required")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "is too long (at most "+itoa(max)+" characters)")
	}
	return s
}

// checkLine records a problem when a one-line value that is used as given
// (not trimmed: a password, a key, a search) breaks the text rules.
func checkLine(v *model.Validator, field, s string) {
	if _, ok := oneLine.clean(s); !ok {
		v.Add(field, problemControl)
	}
}

// validID reports whether an ID or key taken from a path, a query or a frame
// can name anything: one that breaks the text rules names nothing (and must
// not reach a query, where PostgreSQL would fail on it).
func validID(id string) bool {
	_, ok := oneLine.clean(id)
	return ok
}

// scrub makes recorded-but-unrequested text obey the one-line rules by
// dropping what they refuse, and cuts it to at most max bytes on a character
// boundary.
func scrub(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if oneLine.allowed(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) { // a character cut in half at the end
			s = s[:len(s)-1]
		}
	}
	return s
}

// scrubLines is scrub for multi-line text (an email body): line breaks
// normalised, other control characters and invalid bytes dropped, no cut.
func scrubLines(s string) string {
	s, _ = multiLine.clean(strings.ToValidUTF8(s, ""))
	return strings.Map(func(r rune) rune {
		if multiLine.allowed(r) {
			return r
		}
		return -1
	}, s)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// checkEmail trims and lower-cases an e-mail address; empty is allowed
// unless required.
func checkEmail(v *model.Validator, field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			v.Add(field, "is required")
		}
		return ""
	}
	if _, ok := oneLine.clean(s); !ok {
		v.Add(field, problemControl)
		return s
	}
	if len(s) > model.MaxEmailLen {
		v.Add(field, "is too long (at most 254 characters)")
		return s
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") && !strings.HasSuffix(s, "@localhost") {
		v.Add(field, "is not an email address")
		return s
	}
	return strings.ToLower(s)
}

// checkURL accepts only absolute http(s) URLs up to the contract's limit.
func checkURL(v *model.Validator, field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if _, ok := oneLine.clean(s); !ok {
		v.Add(field, problemControl)
		return s
	}
	if len(s) > model.MaxURLLen {
		v.Add(field, "is too long (at most 2048 characters)")
		return s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.Add(field, "must be an http or https URL")
	}
	return s
}

// checkOrigin validates one allowed-origin entry: scheme://host[:port].
func checkOrigin(s string) (string, bool) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if _, ok := oneLine.clean(s); !ok {
		return s, false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return s, false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
