package mail_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"holler/server/internal/mail"
)

// TestMessageBytes: non-ASCII names and subjects are RFC 2047 encoded, the
// body is multipart/alternative with both parts decodable to the original
// text, threading and staff headers are where mail clients look, and a line
// break smuggled into a header value cannot start a header of its own.
func TestMessageBytes(t *testing.T) {
	from, _, err := mail.ParseFrom("Büro Hilfe <hilfe@laden.example>")
	if err != nil {
		t.Fatal(err)
	}
	m := &mail.Message{From: from, To: &netmail.Address{Name: "Zoë Ünal", Address: "zoe@kunde.example"},
		ReplyTo: "reply+abc@laden.example", Subject: "Antwort von Läden [K7Q-4M2]\r\nBcc: evil@example.com",
		MessageID: "id1@laden.example", References: []string{"conv-1@laden.example"}, Date: time.Date(2026, 12, 24, 23, 0, 0, 0, time.UTC),
		ListUnsubscribe: "https://help.example/#/team", AutoSubmitted: true,
		Text: "Grüße\nZeile zwei, lang genug um umbrochen zu werden: " + strings.Repeat("ä", 80), HTML: "<p>Grüße</p>"}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line longer than RFC 5322 allows: %d", len(line))
		}
		if strings.HasPrefix(line, "Bcc:") {
			t.Errorf("a header was injected: %q", line)
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("a bare LF in the message")
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	if subj, _ := dec.DecodeHeader(msg.Header.Get("Subject")); !strings.HasPrefix(subj, "Antwort von Läden [K7Q-4M2]") {
		t.Errorf("subject %q", subj)
	}
	if strings.ContainsAny(msg.Header.Get("Subject"), "äÄ") || strings.ContainsAny(msg.Header.Get("From"), "ü") {
		t.Error("non-ASCII header text is not encoded")
	}
	if to, err := msg.Header.AddressList("To"); err != nil || to[0].Name != "Zoë Ünal" {
		t.Errorf("To %v %v", to, err)
	}
	if f, err := msg.Header.AddressList("From"); err != nil || f[0].Name != "Büro Hilfe" || f[0].Address != "hilfe@laden.example" {
		t.Errorf("From %v %v", f, err)
	}
	want := map[string]string{"Message-ID": "<id1@laden.example>", "In-Reply-To": "<conv-1@laden.example>",
		"References": "<conv-1@laden.example>", "Reply-To": "<reply+abc@laden.example>", "Auto-Submitted": "auto-generated",
		"List-Unsubscribe": "<https://help.example/#/team>", "Date": "Thu, 24 Dec 2026 23:00:00 +0000", "MIME-Version": "1.0"}
	for k, v := range want {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	got := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		got[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if got["text/plain"] != m.Text || got["text/html"] != m.HTML {
		t.Errorf("parts %q", got)
	}
}

// TestRenderLocales: every language words every kind of mail, the HTML
// escapes what customers and staff wrote, and an unknown locale is English.
func TestRenderLocales(t *testing.T) {
	for _, loc := range []string{"en", "de", "fr", "es", "", "xx"} {
		for _, kind := range []string{mail.KindCustomerReply, mail.KindStaffNew, mail.KindStaffReply, mail.KindStaffDigest} {
			r, err := mail.Render(mail.Content{Kind: kind, Locale: loc, SiteName: "Shop", Color: "red;}", Ref: "K7Q-4M2", ConvKind: "complaint",
				Link: "https://help.example/c/tok", Items: []mail.Item{{Author: "Ann", Body: "<script>x</script>"}},
				Digest:       []mail.DigestEntry{{SiteName: "Shop", Ref: "K7Q-4M2", ConvKind: "Complaint", Preview: "<b>p</b>", Link: "https://help.example/#/inbox/1"}},
				SettingsLink: "https://help.example/#/team"})
			if err != nil {
				t.Fatalf("%s %s: %v", loc, kind, err)
			}
			if r.Subject == "" || strings.Contains(r.Subject, "{") || strings.Contains(r.Text, "{site}") {
				t.Errorf("%s %s: unfilled wording %q", loc, kind, r.Subject)
			}
			if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, "<b>p</b>") || strings.Contains(r.HTML, "red;}") {
				t.Errorf("%s %s: unescaped input in HTML", loc, kind)
			}
		}
	}
	en, _ := mail.Render(mail.Content{Kind: mail.KindCustomerReply, Locale: "xx", SiteName: "Shop", Ref: "R", Items: []mail.Item{{Author: "a", Body: "b"}}})
	de, _ := mail.Render(mail.Content{Kind: mail.KindCustomerReply, Locale: "de", SiteName: "Shop", Ref: "R", Items: []mail.Item{{Author: "a", Body: "b"}}})
	if en.Subject != "Reply from Shop [R]" || de.Subject != "Antwort von Shop [R]" {
		t.Errorf("subjects %q %q", en.Subject, de.Subject)
	}
}
