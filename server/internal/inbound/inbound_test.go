package inbound

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fixtures in testdata were written for these tests to match the
// structure the named clients produce (headers, boundaries, transfer
// encodings, Gmail's gmail_quote, Outlook's reply header and border-top
// separator, Apple's blockquote type=cite); each NAME.eml has the exact
// expected reply in NAME.txt.
func fixtures(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(names) < 8 {
		t.Fatalf("fixtures: %v (%d found)", err, len(names))
	}
	return names
}

func expected(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestGoldenReplies: every fixture's reply is exactly the customer's text.
func TestGoldenReplies(t *testing.T) {
	for _, path := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		t.Run(name, func(t *testing.T) {
			m := parseFile(t, path)
			want := expected(t, strings.TrimSuffix(path, ".eml")+".txt")
			if got := m.Reply(); got != want {
				t.Errorf("reply of %s:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
			}
		})
	}
}

// TestGoldenRepliesFromHTML: the HTML alternative of each fixture gives the
// same reply as its text part (NAME.html.txt where a client's plain text
// wraps lines differently), so a mail without a text part loses nothing.
func TestGoldenRepliesFromHTML(t *testing.T) {
	n := 0
	for _, path := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		m := parseFile(t, path)
		if m.HTML == "" {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			want := expected(t, strings.TrimSuffix(path, ".eml")+".txt")
			if alt, err := os.ReadFile(strings.TrimSuffix(path, ".eml") + ".html.txt"); err == nil {
				want = string(alt)
			}
			if got := Cut(HTMLToText(m.HTML)); got != want {
				t.Errorf("reply from the HTML of %s:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
			}
		})
	}
	if n < 6 {
		t.Fatalf("only %d fixtures have an HTML part", n)
	}
}

func parseFile(t *testing.T, path string) *Mail {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Parse(f)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return m
}

// TestParseHeaders: the headers the service needs, decoded.
func TestParseHeaders(t *testing.T) {
	const ra = "reply+k5mqxw2d7rjt4ns6bzya3e9fh5u4lpc2vmq7wdxk3ntr6yhsg4aa@help.example.com"
	cases := []struct {
		file, id, from, name, subject string
		recipients                    []string
	}{
		{"gmail_en", "CAJx3m1Qk+Zr8Lw5bT0=Vq2hYwPn4s-dF7mE9a@mail.gmail.com", "anna.schmidt@gmail.com", "Anna Schmidt",
			"Re: Your complaint about order 10472 [K4M2]", []string{ra, ra}},
		{"gmail_de", "CAH8vB2pT9+wXq0Lm3Ys7Kd=Ue4rZn1aGf6Jc@mail.gmail.com", "juergen.mueller@gmail.com", "Jürgen Müller",
			"Re: Ihre Beschwerde zu Bestellung 10388 [R7TQ]", []string{ra}},
		{"gmail_es", "CAGp5nW0r+Hs2Dq8KcYb1Mx=Te7uVj3oLw9Nf@mail.gmail.com", "lucia.fernandez@gmail.com", "Lucía Fernández",
			"Re: Su queja sobre el pedido 10501 [P2XW]", []string{ra}},
		{"outlook_de", "AM0PR07MB4129F3E2A1B0C9D8E7F6A5B4C3D2E@AM0PR07MB4129.eurprd07.prod.outlook.com", "p.weiss@example.de", "Petra Weiß",
			"AW: Reklamation Bestellung 10610 [H3NV]", []string{ra}},
		{"iphone_fr", "5E1B8C2A-9F4D-4C3E-A7B1-2D6F8E0C4A9B@icloud.com", "claire.dubois@icloud.com", "Claire Dubois",
			"Re\u00a0: Livraison de votre commande [N5JB]", []string{ra}},
	}
	for _, c := range cases {
		m := parseFile(t, "testdata/"+c.file+".eml")
		if m.MessageID != c.id || m.From != c.from || m.FromName != c.name || m.Subject != c.subject {
			t.Errorf("%s: got id %q from %q name %q subject %q", c.file, m.MessageID, m.From, m.FromName, m.Subject)
		}
		if strings.Join(m.Recipients, ",") != strings.Join(c.recipients, ",") {
			t.Errorf("%s: recipients %q, want %q", c.file, m.Recipients, c.recipients)
		}
	}
}

// TestAutomaticMail: out-of-office answers, bounces and list mail are
// recognised; a person's reply is not.
func TestAutomaticMail(t *testing.T) {
	for raw, want := range map[string]bool{
		"Auto-Submitted: auto-replied\n\nI am away.": true,
		"Auto-Submitted: no\n\nHi":                   false,
		"X-Autoreply: yes\n\nAway":                   true,
		"Precedence: bulk\n\nNews":                   true,
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b--": true,
	} {
		m, err := Parse(strings.NewReader(raw))
		if err != nil || m.Automatic != want {
			t.Errorf("%q: automatic %v (err %v), want %v", raw, m != nil && m.Automatic, err, want)
		}
	}
	if m := parseFile(t, "testdata/outlook_en.eml"); m.Automatic {
		t.Error("a person's Outlook reply counted as automatic")
	}
}

// TestAttachmentsIgnored: a text attachment (Apple Mail's receipt) and a PDF
// are not part of the reply, and the HTML of a related part is found under
// mixed > alternative > related.
func TestAttachmentsIgnored(t *testing.T) {
	m := parseFile(t, "testdata/apple_mail_en.eml")
	if strings.Contains(m.Plain, "Receipt 10777") || strings.Contains(m.HTML, "Receipt 10777") {
		t.Errorf("attachment text in the body: %q", m.Plain)
	}
	if !strings.Contains(m.HTML, `blockquote type="cite"`) {
		t.Errorf("HTML of the related part not found: %q", m.HTML)
	}
	m = parseFile(t, "testdata/gmail_es.eml")
	if strings.Contains(m.Plain, "PDF") {
		t.Errorf("PDF in the body: %q", m.Plain)
	}
}

// TestCutKeepsCustomerText: lines of the customer's own that look a little
// like markers survive.
func TestCutKeepsCustomerText(t *testing.T) {
	for _, text := range []string{
		"The price went from 19 > 24 EUR -> why?",
		"On Monday I wrote:\nplease call me.",
		"From: my point of view this is wrong.\nThanks",
		"Sent from my office, the parcel never arrived.\nPlease check.",
		"Am Montag schrieb ich Ihnen:\nBitte rufen Sie an.",
		"a -- b\n--- not a signature",
	} {
		if got := Cut(text); got != text {
			t.Errorf("Cut(%q) = %q", text, got)
		}
	}
}

// TestCutMarkers: each marker alone, in the forms the clients write.
func TestCutMarkers(t *testing.T) {
	cases := map[string]string{
		"Yes.\n\nOn Tue, Mar 3, 2026 at 10:12 AM Shop Help <help@example.com> wrote:\n\n> Hi":          "Yes.",
		"Yes.\n\nOn Tue, Mar 3, 2026 at 10:12 AM Shop Help <\nhelp@example.com> wrote:\n> Hi":          "Yes.",
		"Ja.\n\nAm 03.03.2026 um 10:12 schrieb Shop Help <help@example.com>:\n> Hallo":                 "Ja.",
		"Oui.\n\nLe mar. 3 mars 2026 à 10:12, Shop Help <help@example.com> a écrit :\n> Bonjour":       "Oui.",
		"Sí.\n\nEl mar, 3 mar 2026 a las 10:12, Shop Help (<help@example.com>) escribió:\n> Hola":      "Sí.",
		"Yes.\n\n-----Original Message-----\nFrom: Shop Help\nSent: Tuesday":                           "Yes.",
		"Ja.\n\n-----Ursprüngliche Nachricht-----\nVon: Shop Help":                                     "Ja.",
		"Yes.\n\n________________________________\nFrom: Shop Help <help@example.com>\nSent: Tuesday":  "Yes.",
		"Yes.\n\nFrom: Shop Help <help@example.com>\nSent: Tuesday, March 3, 2026 10:12\nTo: me":       "Yes.",
		"Oui.\n\nDe : Shop Help <help@example.com>\nEnvoyé : mardi 3 mars 2026 10:12\nÀ : moi":         "Oui.",
		"Yes.\n-- \nAnna\n+49 170 1234567":                                                             "Yes.",
		"Yes.\n\nSent from my iPhone":                                                                  "Yes.",
		"Ja.\n\nVon meinem iPhone gesendet\n\n> Am 03.03.2026 um 10:12 schrieb Shop Help:\n>\n> Hallo": "Ja.",
		"Sí.\n\nEnviado desde mi iPhone":                                                               "Sí.",
		"Yes.\r\n\r\nGet Outlook for Android":                                                          "Yes.",
		"> quoted\n> only":                                                                             "",
		"On Tue, 3 Mar 2026 at 10:12, Shop Help <help@example.com> wrote:\n> Hi":                       "",
	}
	for in, want := range cases {
		if got := Cut(in); got != want {
			t.Errorf("Cut(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHTMLToText: layout, entities, dropped elements.
func TestHTMLToText(t *testing.T) {
	cases := map[string]string{
		`<p>One</p><p>Two &amp; three</p>`:                              "One\n\nTwo & three",
		`<div>a<br>b</div><div><br></div><div>c</div>`:                  "a\nb\n\nc",
		`<style>p{color:red}</style><script>alert(1)</script><p>Hi</p>`: "Hi",
		`<ul><li>one</li><li>two</li></ul>`:                             "- one\n- two",
		`<pre>  keep
  lines</pre>`: "keep\nlines",
		`x<blockquote type="cite">old<div>older</div></blockquote>y`:                "x\ny",
		`<div class="gmail_quote"><blockquote><div>q</div></blockquote></div>after`: "after",
		`<b>Bold</b>   and    <i>spaced</i>`:                                        "Bold and spaced",
		`<p>Hi</p><div id="divRplyFwdMsg">From: x</div><p>old</p>`:                  "Hi",
		`<img src=x alt=y><br/>z`:                                                   "z",
	}
	for in, want := range cases {
		if got := HTMLToText(in); got != want {
			t.Errorf("HTMLToText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseBodies: encodings and charsets that real mail uses.
func TestParseBodies(t *testing.T) {
	cases := []struct{ name, raw, want string }{
		{"latin1 qp", "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe =80 caf=E9", "Grüße € café"},
		{"windows-1252", "Content-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n\n\x93quoted\x94 \x96 dash", "“quoted” – dash"},
		{"base64 utf-8", "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSMOkbGxv\nIHfDtnJs\nZA==\n", "Hällo wörld"},
		{"no content type", "Subject: x\n\nplain", "plain"},
		{"unknown charset", "Content-Type: text/plain; charset=x-unknown\n\nabc", "abc"},
		{"invalid utf-8", "Content-Type: text/plain; charset=utf-8\n\na\xffb", "a\uFFFDb"},
		{"html only", "Content-Type: text/html; charset=utf-8\n\n<p>Hi &lt;3</p>", "Hi <3"},
		{"flowed delsp", "Content-Type: text/plain; format=flowed; delsp=yes\n\nlong wo \nrd here", "long word here"},
	}
	for _, c := range cases {
		m, err := Parse(strings.NewReader(c.raw))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := m.Text(); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if _, err := Parse(strings.NewReader("not a header line at all")); err == nil {
		t.Error("a message without a header parsed")
	}
}

// FuzzParse: no input makes the parser or the cutter panic, loop or return
// invalid UTF-8, and the cut reply is never longer than the text it came from.
func FuzzParse(f *testing.F) {
	names, _ := filepath.Glob("testdata/*.eml")
	for _, n := range names {
		raw, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=b\n\n--b\n"))
	f.Add([]byte("Content-Type: text/html\n\n<blockquote type=cite><blockquote type=cite></blockquote><p>x"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(bytes.NewReader(raw))
		if err != nil {
			return
		}
		text := m.Text()
		reply := Cut(text)
		if !utf8.ValidString(reply) || !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 out of %q", raw)
		}
		if strings.HasPrefix(strings.TrimSpace(reply), ">") {
			t.Fatalf("a quoted line survived: %q", reply)
		}
	})
}

// FuzzCut: the cutter on any text.
func FuzzCut(f *testing.F) {
	f.Add("Yes.\n\nOn Tue, 3 Mar 2026 at 10:12, X <x@y> wrote:\n> hi")
	f.Add("a\n-- \nsig")
	f.Add("On 1\n> x\nb")
	f.Fuzz(func(t *testing.T, text string) {
		got := Cut(text)
		if utf8.ValidString(text) && !utf8.ValidString(got) {
			t.Fatalf("Cut made invalid UTF-8 of %q", text)
		}
		if Cut(got) != got {
			t.Fatalf("Cut is not stable: %q -> %q -> %q", text, got, Cut(got))
		}
	})
}
