package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// Message is one composed mail: multipart/alternative with a plain-text
// and an HTML part.
type Message struct {
	From       *mail.Address
	To         *mail.Address
	ReplyTo    string // an address, or ""
	Subject    string
	MessageID  string   // without angle brackets: id@domain
	References []string // ids without brackets, oldest first; the last is In-Reply-To
	Date       time.Time
	// ListUnsubscribe is a URL where the recipient turns these mails off
	// (staff notifications); it also marks the mail as automatic.
	ListUnsubscribe string
	AutoSubmitted   bool
	Text, HTML      string
}

// Bytes renders the message in RFC 5322 form with CRLF line ends.
func (m *Message) Bytes() ([]byte, error) {
	if m.From == nil || m.To == nil || m.MessageID == "" {
		return nil, fmt.Errorf("compose mail: from, to and message id are required")
	}
	var b bytes.Buffer
	h := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(headerSafe(value))
		b.WriteString("\r\n")
	}
	h("From", m.From.String())
	h("To", m.To.String())
	if m.ReplyTo != "" {
		h("Reply-To", "<"+m.ReplyTo+">")
	}
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", m.Date.Format(time.RFC1123Z))
	h("Message-ID", "<"+m.MessageID+">")
	if n := len(m.References); n > 0 {
		h("In-Reply-To", "<"+m.References[n-1]+">")
		h("References", "<"+strings.Join(m.References, "> <")+">")
	}
	if m.AutoSubmitted {
		h("Auto-Submitted", "auto-generated")
	}
	if m.ListUnsubscribe != "" {
		h("List-Unsubscribe", "<"+m.ListUnsubscribe+">")
	}
	h("MIME-Version", "1.0")
	boundary := newBoundary()
	h("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		b.WriteString("--" + boundary + "\r\n")
		b.WriteString("Content-Type: " + part.typ + "; charset=utf-8\r\n")
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		qp := quotedprintable.NewWriter(&b)
		if _, err := qp.Write([]byte(strings.ReplaceAll(part.body, "\r\n", "\n"))); err != nil {
			return nil, fmt.Errorf("compose mail: %w", err)
		}
		if err := qp.Close(); err != nil {
			return nil, fmt.Errorf("compose mail: %w", err)
		}
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

// headerSafe keeps a header value on its line: the values come from
// validated data, but a line break here would forge headers.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return ' '
		}
		return r
	}, s)
}

func newBoundary() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "holler-" + hex.EncodeToString(b[:])
}
