package mail

import (
	"bytes"
	htmltemplate "html/template"
	"regexp"
	"strings"
	texttemplate "text/template"
)

// What a mail is about.
const (
	KindCustomerReply = "customer_reply" // staff answered; to the customer
	KindStaffNew      = "staff_new"      // a new conversation; to one staff member
	KindStaffReply    = "staff_reply"    // the customer wrote again on an assigned conversation
	KindStaffDigest   = "staff_digest"   // new conversations since the last summary
)

// Content is everything a mail says; the service fills it, Render words it.
type Content struct {
	Kind     string
	Locale   string // en, de, fr or es; anything else is English
	SiteName string
	Color    string // the site's colour, for the HTML button
	Ref      string
	ConvKind string // question, complaint, feedback or praise
	Link     string // the conversation page (customer) or the dashboard (staff)
	Items    []Item // the messages this mail carries
	Digest   []DigestEntry
	// SettingsLink is where staff change which mails they get.
	SettingsLink string

	// SLA escalations (issue 12): the missed target (first_response or
	// resolution) and its due time, written in the site's zone.
	SLATarget string
	Due       string
}

// Item is one message quoted in a mail.
type Item struct {
	Author string
	Body   string
}

// DigestEntry is one new conversation in a staff digest.
type DigestEntry struct {
	SiteName, Ref, ConvKind, Preview, Link string
}

// Rendered is a mail's subject and its two bodies.
type Rendered struct {
	Subject, Text, HTML string
}

// Render words c in its locale.
func Render(c Content) (Rendered, error) {
	t := stringsFor(c.Locale)
	data := struct {
		Content
		T    map[string]string
		Kind string
	}{c, t, t["kind_"+c.ConvKind]}
	var out Rendered
	switch c.Kind {
	case KindCustomerReply:
		out.Subject = t.fill("reply_subject", c)
	case KindStaffNew:
		out.Subject = t.fill("staff_subject", c)
	case KindStaffReply:
		out.Subject = "Re: " + t.fill("staff_subject", c)
	case KindStaffDigest:
		out.Subject = t.fill("digest_subject", c)
	case KindSLAEscalation:
		out.Subject = t.fill("sla_subject", c)
	}
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, c.Kind, data); err != nil {
		return out, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, c.Kind, data); err != nil {
		return out, err
	}
	out.Text, out.HTML = text.String(), html.String()
	return out, nil
}

// KindLabel is a conversation kind's name in locale.
func KindLabel(locale, kind string) string { return stringsFor(locale)["kind_"+kind] }

type wording map[string]string

func (t wording) fill(key string, c Content) string {
	return strings.NewReplacer("{site}", c.SiteName, "{ref}", c.Ref, "{kind}", t["kind_"+c.ConvKind],
		"{n}", itoa(len(c.Digest))).Replace(t[key])
}

func stringsFor(locale string) wording {
	if w, ok := locales[locale]; ok {
		return w
	}
	return locales["en"]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// locales holds every sentence of every mail, one map per language, like
// the widget's strings.
var locales = map[string]wording{
	"en": {
		"reply_subject":  "Reply from {site} [{ref}]",
		"reply_intro":    "{site} answered your message:",
		"reply_link":     "Read the conversation and answer",
		"reply_hint":     "You can also answer by replying to this email.",
		"staff_subject":  "[{site}] {kind} {ref}",
		"staff_new":      "A customer opened a new conversation:",
		"staff_reply":    "The customer wrote again:",
		"open":           "Open in Holler",
		"digest_subject": "[Holler] {n} new conversations",
		"digest_intro":   "New conversations since your last summary:",
		"settings":       "Choose which emails you get",
		"kind_question":  "Question", "kind_complaint": "Complaint", "kind_feedback": "Feedback", "kind_praise": "Praise",
	},
	"de": {
		"reply_subject":  "Antwort von {site} [{ref}]",
		"reply_intro":    "{site} hat auf Ihre Nachricht geantwortet:",
		"reply_link":     "Gespräch lesen und antworten",
		"reply_hint":     "Sie können auch einfach auf diese E-Mail antworten.",
		"staff_subject":  "[{site}] {kind} {ref}",
		"staff_new":      "Ein Kunde hat ein neues Gespräch begonnen:",
		"staff_reply":    "Der Kunde hat erneut geschrieben:",
		"open":           "In Holler öffnen",
		"digest_subject": "[Holler] {n} neue Gespräche",
		"digest_intro":   "Neue Gespräche seit Ihrer letzten Übersicht:",
		"settings":       "Festlegen, welche E-Mails Sie erhalten",
		"kind_question":  "Frage", "kind_complaint": "Beschwerde", "kind_feedback": "Feedback", "kind_praise": "Lob",
	},
	"fr": {
		"reply_subject":  "Réponse de {site} [{ref}]",
		"reply_intro":    "{site} a répondu à votre message :",
		"reply_link":     "Lire la conversation et répondre",
		"reply_hint":     "Vous pouvez aussi répondre directement à cet e-mail.",
		"staff_subject":  "[{site}] {kind} {ref}",
		"staff_new":      "Un client a ouvert une nouvelle conversation :",
		"staff_reply":    "Le client a écrit à nouveau :",
		"open":           "Ouvrir dans Holler",
		"digest_subject": "[Holler] {n} nouvelles conversations",
		"digest_intro":   "Nouvelles conversations depuis votre dernier résumé :",
		"settings":       "Choisir les e-mails que vous recevez",
		"kind_question":  "Question", "kind_complaint": "Réclamation", "kind_feedback": "Avis", "kind_praise": "Compliment",
	},
	"es": {
		"reply_subject":  "Respuesta de {site} [{ref}]",
		"reply_intro":    "{site} ha respondido a su mensaje:",
		"reply_link":     "Leer la conversación y responder",
		"reply_hint":     "También puede responder directamente a este correo.",
		"staff_subject":  "[{site}] {kind} {ref}",
		"staff_new":      "Un cliente ha abierto una nueva conversación:",
		"staff_reply":    "El cliente ha vuelto a escribir:",
		"open":           "Abrir en Holler",
		"digest_subject": "[Holler] {n} conversaciones nuevas",
		"digest_intro":   "Conversaciones nuevas desde su último resumen:",
		"settings":       "Elegir qué correos recibe",
		"kind_question":  "Pregunta", "kind_complaint": "Queja", "kind_feedback": "Opinión", "kind_praise": "Elogio",
	},
}

var funcs = map[string]any{
	"intro": func(t map[string]string, key, site string) string { return strings.ReplaceAll(t[key], "{site}", site) },
	"btn": func(link, color, label string) any {
		if !colorRe.MatchString(color) {
			color = "#2563eb"
		}
		return struct{ Link, Color, Label string }{link, color, label}
	},
}

// colorRe admits only the site colours the service accepts; anything else
// falls back to the default rather than reach a style attribute.
var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

var textTemplates = texttemplate.Must(texttemplate.New("").Funcs(funcs).Parse(`
{{- define "items"}}{{range .Items}}
{{.Author}}:
{{.Body}}
{{end}}{{end -}}

{{- define "customer_reply" -}}
{{intro .T "reply_intro" .SiteName}}
{{template "items" .}}
{{.T.reply_link}}:
{{.Link}}

{{.T.reply_hint}}
{{end -}}

{{- define "staff_new" -}}
{{.T.staff_new}} {{.Kind}} {{.Ref}} ({{.SiteName}})
{{template "items" .}}
{{.T.open}}: {{.Link}}

-- 
{{.T.settings}}: {{.SettingsLink}}
{{end -}}

{{- define "staff_reply" -}}
{{.T.staff_reply}} {{.Kind}} {{.Ref}} ({{.SiteName}})
{{template "items" .}}
{{.T.open}}: {{.Link}}

-- 
{{.T.settings}}: {{.SettingsLink}}
{{end -}}

{{- define "staff_digest" -}}
{{.T.digest_intro}}
{{range .Digest}}
{{.SiteName}} · {{.ConvKind}} {{.Ref}}
{{.Preview}}
{{.Link}}
{{end}}
-- 
{{.T.settings}}: {{.SettingsLink}}
{{end -}}
`))

var htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(funcs).Parse(`
{{- define "head"}}<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
<body style="margin:0;padding:16px;background:#f4f4f5;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#18181b">
<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:20px">{{end -}}
{{- define "foot"}}</div></body></html>{{end -}}
{{- define "items"}}{{range .Items}}<div style="margin:12px 0;padding:12px;border-left:3px solid #d4d4d8;background:#fafafa">
<div style="font-size:13px;color:#52525b;margin-bottom:4px">{{.Author}}</div>
<div style="white-space:pre-wrap">{{.Body}}</div></div>{{end}}{{end -}}
{{- define "button"}}<p><a href="{{.Link}}" style="display:inline-block;padding:10px 16px;border-radius:6px;background:{{.Color}};color:#fff;text-decoration:none">{{.Label}}</a></p>{{end -}}
{{- define "settings"}}<p style="font-size:12px;color:#71717a;margin-top:24px"><a href="{{.SettingsLink}}" style="color:#71717a">{{.T.settings}}</a></p>{{end -}}

{{- define "customer_reply"}}{{template "head"}}
<p>{{intro .T "reply_intro" .SiteName}}</p>
{{template "items" .}}
{{template "button" (btn .Link .Color .T.reply_link)}}
<p style="font-size:13px;color:#52525b">{{.T.reply_hint}}</p>
{{template "foot"}}{{end -}}

{{- define "staff_new"}}{{template "head"}}
<p>{{.T.staff_new}} <strong>{{.Kind}} {{.Ref}}</strong> ({{.SiteName}})</p>
{{template "items" .}}
{{template "button" (btn .Link .Color .T.open)}}
{{template "settings" .}}
{{template "foot"}}{{end -}}

{{- define "staff_reply"}}{{template "head"}}
<p>{{.T.staff_reply}} <strong>{{.Kind}} {{.Ref}}</strong> ({{.SiteName}})</p>
{{template "items" .}}
{{template "button" (btn .Link .Color .T.open)}}
{{template "settings" .}}
{{template "foot"}}{{end -}}

{{- define "staff_digest"}}{{template "head"}}
<p>{{.T.digest_intro}}</p>
<ul style="padding-left:18px">{{range .Digest}}
<li style="margin:8px 0"><a href="{{.Link}}">{{.SiteName}} · {{.ConvKind}} {{.Ref}}</a><br><span style="color:#52525b">{{.Preview}}</span></li>{{end}}
</ul>
{{template "settings" .}}
{{template "foot"}}{{end -}}
`))
