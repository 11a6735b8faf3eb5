package mail

import (
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// KindSLAEscalation: a conversation missed an SLA target; to its assignee
// and the admins.
const KindSLAEscalation = "sla_escalation"

// slaWording joins each language's sentences (see locales).
var slaWording = map[string]wording{
	"en": {
		"sla_subject":        "[{site}] Overdue: {kind} {ref}",
		"sla_first_response": "Nobody has answered this conversation yet; its first response was due at {due}:",
		"sla_resolution":     "This conversation is not resolved yet; it was due to be resolved at {due}:",
	},
	"de": {
		"sla_subject":        "[{site}] Überfällig: {kind} {ref}",
		"sla_first_response": "Auf dieses Gespräch hat noch niemand geantwortet; die erste Antwort war bis {due} fällig:",
		"sla_resolution":     "Dieses Gespräch ist noch nicht gelöst; es sollte bis {due} gelöst sein:",
	},
	"fr": {
		"sla_subject":        "[{site}] En retard : {kind} {ref}",
		"sla_first_response": "Personne n’a encore répondu à cette conversation ; la première réponse était attendue pour {due} :",
		"sla_resolution":     "Cette conversation n’est pas encore résolue ; elle devait l’être pour {due} :",
	},
	"es": {
		"sla_subject":        "[{site}] Vencida: {kind} {ref}",
		"sla_first_response": "Nadie ha respondido todavía a esta conversación; la primera respuesta vencía el {due}:",
		"sla_resolution":     "Esta conversación aún no está resuelta; debía resolverse antes del {due}:",
	},
}

var slaFuncs = map[string]any{
	"slaIntro": func(t map[string]string, target, due string) string {
		return strings.ReplaceAll(t["sla_"+target], "{due}", due)
	},
}

func init() {
	for lang, w := range slaWording {
		for k, v := range w {
			locales[lang][k] = v
		}
	}
	texttemplate.Must(textTemplates.Funcs(slaFuncs).New(KindSLAEscalation).Parse(`
{{- slaIntro .T .SLATarget .Due}}
{{.Kind}} {{.Ref}} ({{.SiteName}})
{{template "items" .}}
{{.T.open}}: {{.Link}}

-- 
{{.T.settings}}: {{.SettingsLink}}
`))
	htmltemplate.Must(htmlTemplates.Funcs(slaFuncs).New(KindSLAEscalation).Parse(`{{template "head"}}
<p>{{slaIntro .T .SLATarget .Due}}</p>
<p><strong>{{.Kind}} {{.Ref}}</strong> ({{.SiteName}})</p>
{{template "items" .}}
{{template "button" (btn .Link .Color .T.open)}}
{{template "settings" .}}
{{template "foot"}}`))
}
