// Package inbound reads customers' email replies: it parses a raw RFC 5322
// message into text, cuts the quoted history and signature off it, and
// runs the SMTP listener that receives such mail. It holds no business
// rules: which address may post where is the service's to decide.
//
// MIME is parsed with the standard library (net/mail, mime/multipart,
// mime/quotedprintable, mime.WordDecoder) and charsets are decoded with
// golang.org/x/text (WHATWG labels, so "iso-8859-1" reads as windows-1252
// the way mail clients mean it). That covers what a reply needs without a
// new dependency: emersion/go-message would add a module for the same
// standard-library calls and the same x/text tables.
package inbound

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// Limits of the MIME walk: a reply is one text with perhaps a few
// attachments; anything deeper or wider is not a person's reply.
const (
	maxDepth = 12
	maxParts = 200
)

// ErrMalformed is a message that cannot be read as RFC 5322 at all.
var ErrMalformed = errors.New("malformed message")

// Mail is what Holler keeps of a received message.
type Mail struct {
	MessageID  string   // without angle brackets; "" when absent
	From       string   // the sender's address
	FromName   string   // the sender's display name, decoded
	Subject    string   // decoded
	Recipients []string // addresses of To, Cc, Delivered-To, X-Original-To, in that order
	// Automatic is a mail no person wrote: an out-of-office answer, a
	// bounce or a list's mail (RFC 3834 Auto-Submitted and its older
	// cousins). It must not become a customer's message.
	Automatic bool
	// Plain and HTML are the decoded (UTF-8) bodies of the text parts that
	// are not attachments; either may be empty.
	Plain string
	HTML  string
}

// Text is the message's body as plain text: its text/plain part when it has
// a non-blank one, else its HTML turned into text with quoted history
// elements (Gmail's gmail_quote, Apple's blockquote type=cite, Outlook's
// reply header) left out.
func (m *Mail) Text() string {
	if strings.TrimSpace(m.Plain) != "" {
		return m.Plain
	}
	return HTMLToText(m.HTML)
}

// Reply is what the customer wrote in this mail: Text with the quoted
// history and signature cut off.
func (m *Mail) Reply() string { return Cut(m.Text()) }

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(label string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", label, err)
	}
	return enc.NewDecoder().Reader(r), nil
}

// Parse reads a raw message. Only a message without a readable header is an
// error; a body part that cannot be decoded is skipped.
func Parse(r io.Reader) (*Mail, error) {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	h := msg.Header
	m := &Mail{
		MessageID: strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>"),
		Subject:   decodeHeader(h.Get("Subject")),
	}
	m.Automatic = automatic(h)
	parser := mail.AddressParser{WordDecoder: wordDecoder}
	if from, err := parser.Parse(h.Get("From")); err == nil {
		m.From, m.FromName = from.Address, from.Name
	}
	for _, key := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		for _, v := range h[key] {
			list, err := parser.ParseList(v)
			if err != nil {
				// Delivered-To is often a bare address without brackets
				// that a strict parse may refuse; keep it as written.
				if v = strings.Trim(strings.TrimSpace(v), "<>"); v != "" && !strings.ContainsAny(v, " ,") {
					m.Recipients = append(m.Recipients, v)
				}
				continue
			}
			for _, a := range list {
				m.Recipients = append(m.Recipients, a.Address)
			}
		}
	}
	w := walker{}
	b := w.part(mailHeader(h), msg.Body, 0)
	m.Plain, m.HTML = b.plain, b.html
	return m, nil
}

// automatic recognises the headers auto-responders, mailer daemons and
// list servers set.
func automatic(h mail.Header) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	mediaType, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mediaType == "multipart/report" // a delivery status notification
}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// header is the little a MIME part needs of its header.
type header interface{ Get(string) string }

type mailHeader mail.Header

func (h mailHeader) Get(k string) string { return mail.Header(h).Get(k) }

// bodies are the text and HTML found under one part.
type bodies struct{ plain, html string }

type walker struct{ parts int }

// part collects the text of one MIME part and its children.
func (w *walker) part(h header, body io.Reader, depth int) bodies {
	w.parts++
	if depth > maxDepth || w.parts > maxParts {
		return bodies{}
	}
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		// RFC 2045: no (or an unreadable) Content-Type is plain US-ASCII text.
		mediaType, params = "text/plain", map[string]string{}
	}
	if isAttachment(h) {
		return bodies{}
	}
	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		return w.multipart(mediaType, params["boundary"], body, depth)
	case mediaType == "text/plain":
		text := decodeText(h, params, body)
		if strings.EqualFold(params["format"], "flowed") {
			text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
		}
		return bodies{plain: text}
	case mediaType == "text/html":
		return bodies{html: decodeText(h, params, body)}
	}
	// Images, forwarded messages (message/rfc822), calendars, files:
	// attachments are not kept for now.
	return bodies{}
}

func (w *walker) multipart(mediaType, boundary string, body io.Reader, depth int) bodies {
	if boundary == "" {
		return bodies{}
	}
	mr := multipart.NewReader(body, boundary)
	var out bodies
	var alternatives []bodies
	for {
		// NextRawPart: the transfer encoding is decoded in one place
		// (decodeText) for the top-level body and parts alike.
		p, err := mr.NextRawPart()
		if err != nil {
			break // io.EOF, or a broken boundary: keep what was read
		}
		b := w.part(p.Header, p, depth+1)
		if mediaType == "multipart/alternative" {
			alternatives = append(alternatives, b)
			continue
		}
		// mixed, related and the rest: the parts follow one another (Apple
		// Mail splits text around an inline image into several parts).
		out.plain = join(out.plain, b.plain)
		out.html = join(out.html, b.html)
	}
	for _, b := range alternatives {
		if out.plain == "" && strings.TrimSpace(b.plain) != "" {
			out.plain = b.plain
		}
		if out.html == "" && strings.TrimSpace(b.html) != "" {
			out.html = b.html
		}
	}
	return out
}

func join(a, b string) string {
	switch {
	case strings.TrimSpace(b) == "":
		return a
	case a == "":
		return b
	}
	return strings.TrimRight(a, "\r\n") + "\n" + b
}

// isAttachment reports a part the sender attached rather than wrote: marked
// as an attachment, or a file with a name (Apple Mail marks inline files
// "inline; filename=...").
func isAttachment(h header) bool {
	d, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil {
		return false
	}
	return d == "attachment" || params["filename"] != ""
}

// decodeText undoes the transfer encoding and the charset of a text part.
func decodeText(h header, params map[string]string, body io.Reader) string {
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &spaceless{r: r})
	}
	raw, err := io.ReadAll(r)
	if err != nil && len(raw) == 0 {
		return ""
	}
	charset := strings.ToLower(strings.TrimSpace(params["charset"]))
	if charset != "" && charset != "utf-8" && charset != "us-ascii" && charset != "utf8" {
		if enc, err := htmlindex.Get(charset); err == nil {
			if dec, err := enc.NewDecoder().Bytes(raw); err == nil {
				raw = dec
			}
		}
	}
	if !utf8.Valid(raw) {
		raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	}
	return string(raw)
}

// spaceless drops the line breaks and blanks of base64 text, which the
// standard decoder only partly tolerates.
type spaceless struct{ r io.Reader }

func (s *spaceless) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676): a line
// ending in a space continues on the next one. Quoted lines are left as
// they are: the cutter drops them anyway.
func unflow(s string, delsp bool) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var b strings.Builder
	for i, line := range lines {
		line = strings.TrimPrefix(line, " ") // space-stuffing
		soft := strings.HasSuffix(line, " ") && line != "-- " && !strings.HasPrefix(line, ">")
		if soft && delsp {
			line = line[:len(line)-1]
		}
		b.WriteString(line)
		if !soft && i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
