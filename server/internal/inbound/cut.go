package inbound

import (
	"regexp"
	"strings"
)

// The attribution line a client writes above the quoted original, in the
// forms Gmail, Apple Mail, Outlook and Thunderbird use in English, German,
// French, Spanish, Dutch, Italian and Portuguese. Each is anchored at both
// ends, so a sentence that merely contains "wrote" is not one.
var attribution = regexp.MustCompile(`(?i)^(` +
	`on\s.{1,300}\swrote\s?:` +
	`|am\s.{1,300}\sschrieb\s.{0,300}:` +
	`|le\s.{1,300}\sa\s[ée]crit[\s\x{a0}\x{202f}]*:` +
	`|el\s.{1,300}\sescribi[óo][\s\x{a0}]*:` +
	`|op\s.{1,300}\sschreef\s.{0,300}:` +
	`|il\s.{1,300}\sha\sscritto[\s\x{a0}]*:` +
	`|em\s.{1,300}\sescreveu[\s\x{a0}]*:` +
	`)$`)

// attributionStart is how an attribution begins; a line that starts so and
// does not end it may be the first half of one that Gmail wrapped.
var attributionStart = regexp.MustCompile(`(?i)^(on|am|le|el|op|il|em)\s`)

// originalMessage is Outlook's (and older clients') plain-text separator.
var originalMessage = regexp.MustCompile(`(?i)^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht|messaggio originale|mensagem original)\s*-{2,}$`)

// underscores is the line Outlook draws above its reply header.
var underscores = regexp.MustCompile(`^_{20,}$`)

// Outlook's reply header: a From line followed closely by a Sent (or Date)
// line, in the client's language, sometimes bold (*From:*).
var (
	headerFrom = regexp.MustCompile(`(?i)^\*?(from|von|de|van|da)\s?\*?:\*?\s`)
	headerSent = regexp.MustCompile(`(?i)^\*?(sent|date|gesendet|datum|envoy[ée]|date\s?d'envoi|enviado|fecha|verzonden|inviato|data)\s?\*?:\*?\s`)
)

// footer is a phone's or a mail app's line under what the person wrote.
var footer = regexp.MustCompile(`(?i)^(sent from my\s.{1,40}` +
	`|sent from (mail|outlook|yahoo mail|aol|gmail)\b.{0,60}` +
	`|sent with proton mail\b.{0,40}` +
	`|get outlook for\s.{1,30}` +
	`|von meinem\s.{1,40}\sgesendet\.?` +
	`|gesendet von\s.{1,40}` +
	`|envoy[ée] (de|depuis) mon\s.{1,40}` +
	`|enviado desde mi\s.{1,40}` +
	`|verzonden vanaf mijn\s.{1,40}` +
	`|inviato da\s.{1,40})$`)

// Cut returns what the customer wrote in a reply: the text above the quoted
// history (an attribution line, Outlook's reply header or separator), above
// the signature ("-- ") or a phone's "Sent from my iPhone", with lines
// quoted by ">" dropped wherever they are. An attribution followed by
// ">" lines is dropped with them rather than cut at, so an answer written
// between the quotes (Thunderbird, mutt) is kept. The customer's own lines
// are kept as written, including those that merely contain ">" after their
// start.
func Cut(text string) string {
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n")
	var out []string
	removed := false
scan:
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		trimmed := strings.TrimSpace(line)
		if n := attributionLines(lines, i); n > 0 {
			if !quoteFollows(lines[i+n:]) {
				break scan
			}
			i += n - 1
			removed = true
			continue
		}
		switch {
		case strings.HasPrefix(trimmed, ">"):
			removed = true
			continue
		case trimmed == "--", originalMessage.MatchString(trimmed), underscores.MatchString(trimmed),
			headerFrom.MatchString(trimmed) && headerFollows(lines[i+1:]):
			// "--" is the signature delimiter "-- ", which many clients trim.
			break scan
		case line == "" && removed && len(out) > 0 && out[len(out)-1] == "":
			continue // the gap a dropped quote leaves is one blank line
		}
		if line != "" {
			removed = false
		}
		out = append(out, line)
	}
	// A footer counts only as the last line the customer wrote: "Sent from
	// my iPhone" ends a reply, a sentence that starts alike does not.
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	if n := len(out); n > 0 && len(out[n-1]) < 100 && footer.MatchString(strings.TrimSpace(out[n-1])) {
		out = out[:n-1]
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// attributionLines is 1 or 2 when an attribution line (or one that Gmail
// wrapped over two lines) starts at lines[i], else 0.
func attributionLines(lines []string, i int) int {
	line := strings.TrimSpace(lines[i])
	if !attributionStart.MatchString(line) {
		return 0
	}
	if isAttribution(line) {
		return 1
	}
	if i+1 < len(lines) && isAttribution(line+" "+strings.TrimSpace(lines[i+1])) {
		return 2
	}
	return 0
}

// isAttribution: every client's attribution names a date or a time, so a
// line of the customer's own ("On Monday I wrote:") without digits is not one.
func isAttribution(line string) bool {
	return strings.ContainsAny(line, "0123456789") && attribution.MatchString(line)
}

// quoteFollows reports whether the next non-blank line is quoted.
func quoteFollows(next []string) bool {
	for _, l := range next {
		if l = strings.TrimSpace(l); l != "" {
			return strings.HasPrefix(l, ">")
		}
	}
	return false
}

// headerFollows reports a Sent/Date line among the next few lines.
func headerFollows(next []string) bool {
	for j := 0; j < len(next) && j < 4; j++ {
		if headerSent.MatchString(strings.TrimSpace(next[j])) {
			return true
		}
	}
	return false
}
