package inbound

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText turns an HTML mail body into plain text: block elements and
// <br> become line breaks, a paragraph ends with a blank line, scripts,
// styles and the head are dropped, entities are decoded and runs of blanks
// collapse as a browser shows them. The quoted history that mail clients
// mark up is left out here, where it is still recognisable: Gmail's
// gmail_quote (and gmail_signature), Apple Mail's and Thunderbird's
// <blockquote type="cite"> and moz-cite-prefix, and everything from
// Outlook's reply header on (div#divRplyFwdMsg, div#appendonsend, or the
// desktop client's border-top separator).
func HTMLToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var t textBuilder
	skip := 0 // depth inside an element whose content is dropped
	pre := 0
	// Outlook writes each line as <p class=MsoNormal> with no margin:
	// those end a line, other paragraphs end with a blank line.
	msoP := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return t.String()
		case html.TextToken:
			if skip == 0 {
				t.text(string(z.Text()), pre > 0)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if skip > 0 {
				if !isVoid(tok.DataAtom) && tok.Type != html.SelfClosingTagToken {
					skip++
				}
				continue
			}
			if historyStarts(tok) {
				return t.String()
			}
			if dropped(tok) {
				if !isVoid(tok.DataAtom) && tok.Type != html.SelfClosingTagToken {
					skip = 1
				}
				if isBlock(tok.DataAtom) {
					t.block()
				}
				continue
			}
			switch {
			case tok.DataAtom == atom.Br:
				t.newline()
			case tok.DataAtom == atom.Pre:
				pre++
				t.block()
			case tok.DataAtom == atom.P:
				t.block()
				msoP = strings.Contains(attr(tok, "class"), "MsoNormal")
			case tok.DataAtom == atom.Li:
				t.block()
				t.text("- ", true)
			case isBlock(tok.DataAtom):
				t.block()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skip > 0 {
				if !isVoid(a) {
					skip--
				}
				if skip == 0 && isBlock(a) {
					t.block()
				}
				continue
			}
			switch {
			case a == atom.Pre:
				if pre > 0 {
					pre--
				}
				t.block()
			case a == atom.P && !msoP:
				t.paragraph()
			case isBlock(a):
				t.block()
			}
		}
	}
}

// historyStarts reports an element after which everything is the quoted
// original (Outlook puts the reply header and the original after it, not
// inside it).
func historyStarts(tok html.Token) bool {
	switch attr(tok, "id") {
	case "divRplyFwdMsg", "appendonsend":
		return true
	}
	if tok.DataAtom == atom.Div {
		style := strings.ToLower(strings.ReplaceAll(attr(tok, "style"), " ", ""))
		// Outlook desktop: <div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">
		return strings.Contains(style, "border-top:solid")
	}
	return false
}

// dropped reports an element whose whole content is left out.
func dropped(tok html.Token) bool {
	switch tok.DataAtom {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template, atom.Noscript:
		return true
	case atom.Blockquote:
		if strings.EqualFold(attr(tok, "type"), "cite") {
			return true
		}
	}
	for _, c := range strings.Fields(attr(tok, "class")) {
		switch c {
		case "gmail_quote", "gmail_signature", "gmail_extra", "moz-cite-prefix", "moz-signature":
			return true
		}
	}
	return false
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Link, atom.Meta, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Dd, atom.Div, atom.Dl, atom.Dt,
		atom.Fieldset, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Header, atom.Hr, atom.Li, atom.Main, atom.Nav, atom.Ol, atom.P, atom.Section, atom.Table, atom.Tr, atom.Ul:
		return true
	}
	return false
}

// textBuilder writes text the way a browser lays it out, line by line.
type textBuilder struct {
	lines []string
	cur   strings.Builder
	space bool // a collapsed blank is pending before the next word
}

func (t *textBuilder) text(s string, pre bool) {
	if pre {
		parts := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
		for i, p := range parts {
			if i > 0 {
				t.newline()
			}
			t.cur.WriteString(strings.ReplaceAll(p, "\u00a0", " "))
		}
		return
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f':
			t.space = t.cur.Len() > 0
		case '\u00a0':
			// A non-breaking space is kept (Outlook writes blank lines
			// as <p>&nbsp;</p>); it only marks that the line exists.
			t.cur.WriteByte(' ')
		default:
			if t.space {
				t.cur.WriteByte(' ')
				t.space = false
			}
			t.cur.WriteRune(r)
		}
	}
}

// newline ends the current line (a <br>).
func (t *textBuilder) newline() {
	t.lines = append(t.lines, strings.TrimRight(t.cur.String(), " "))
	t.cur.Reset()
	t.space = false
}

// block starts a new line unless one was just started.
func (t *textBuilder) block() {
	if t.cur.Len() > 0 {
		t.newline()
	}
	t.space = false
}

// paragraph ends a paragraph: a new line and a blank one, once.
func (t *textBuilder) paragraph() {
	t.block()
	if n := len(t.lines); n > 0 && t.lines[n-1] != "" {
		t.lines = append(t.lines, "")
	}
}

func (t *textBuilder) String() string {
	t.block()
	out := make([]string, 0, len(t.lines))
	for _, l := range t.lines {
		l = strings.TrimSpace(l)
		if l == "" && len(out) > 0 && out[len(out)-1] == "" {
			continue // one blank line separates, as a reader sees it
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}
