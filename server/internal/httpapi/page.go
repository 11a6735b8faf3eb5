package httpapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// The customer's own conversation page, GET /c/{token}: the link in every
// mail to a customer. It is the widget's panel (widget-panel.js and
// widget.css) drawn as the whole page by page/page.js, which reads and
// answers the thread through the widget routes with the link's token.

//go:embed page/*
var pageEmbed embed.FS

var (
	pageFS, _  = subFS(pageEmbed, "page")
	pageAssets = loadAssets(pageFS, "no-cache")
	pageTmpl   = template.Must(template.ParseFS(pageEmbed, "page/page.html"))
)

// pageText is what the server itself writes on the page, per language; the
// panel brings its own strings.
var pageText = map[string]map[string]string{
	"en": {
		"noscript":   "This page needs JavaScript to show your conversation.",
		"nf":         "This link does not work",
		"nf_text":    "Please check that you opened the whole link from the email. If it still does not work, write to us again with the Help button on our website.",
		"gone":       "This link has expired",
		"gone_text":  "Links in our emails work for 30 days. Open the link in the newest email about your conversation, or write to us again with the Help button on our website.",
		"down":       "Your conversation cannot be shown right now",
		"down_text":  "Please try again in a minute.",
		"error":      "Something went wrong",
		"error_text": "Please try again later.",
	},
	"de": {
		"noscript":   "Diese Seite braucht JavaScript, um Ihre Anfrage anzuzeigen.",
		"nf":         "Dieser Link funktioniert nicht",
		"nf_text":    "Bitte prüfen Sie, ob Sie den ganzen Link aus der E-Mail geöffnet haben. Falls er weiterhin nicht funktioniert, schreiben Sie uns erneut über die Hilfe-Schaltfläche auf unserer Website.",
		"gone":       "Dieser Link ist abgelaufen",
		"gone_text":  "Links in unseren E-Mails gelten 30 Tage. Öffnen Sie den Link in der neuesten E-Mail zu Ihrer Anfrage oder schreiben Sie uns erneut über die Hilfe-Schaltfläche auf unserer Website.",
		"down":       "Ihre Anfrage kann gerade nicht angezeigt werden",
		"down_text":  "Bitte versuchen Sie es in einer Minute erneut.",
		"error":      "Etwas ist schiefgegangen",
		"error_text": "Bitte versuchen Sie es später erneut.",
	},
	"fr": {
		"noscript":   "Cette page a besoin de JavaScript pour afficher votre conversation.",
		"nf":         "Ce lien ne fonctionne pas",
		"nf_text":    "Vérifiez que vous avez ouvert le lien complet de l’e-mail. S’il ne fonctionne toujours pas, écrivez-nous à nouveau avec le bouton d’aide de notre site.",
		"gone":       "Ce lien a expiré",
		"gone_text":  "Les liens de nos e-mails sont valables 30 jours. Ouvrez le lien du dernier e-mail concernant votre conversation, ou écrivez-nous à nouveau avec le bouton d’aide de notre site.",
		"down":       "Votre conversation ne peut pas être affichée pour le moment",
		"down_text":  "Veuillez réessayer dans une minute.",
		"error":      "Une erreur s’est produite",
		"error_text": "Veuillez réessayer plus tard.",
	},
	"es": {
		"noscript":   "Esta página necesita JavaScript para mostrar tu conversación.",
		"nf":         "Este enlace no funciona",
		"nf_text":    "Comprueba que has abierto el enlace completo del correo. Si sigue sin funcionar, escríbenos de nuevo con el botón de ayuda de nuestra web.",
		"gone":       "Este enlace ha caducado",
		"gone_text":  "Los enlaces de nuestros correos funcionan 30 días. Abre el enlace del correo más reciente sobre tu conversación o escríbenos de nuevo con el botón de ayuda de nuestra web.",
		"down":       "No podemos mostrar tu conversación ahora",
		"down_text":  "Inténtalo de nuevo en un minuto.",
		"error":      "Algo ha salido mal",
		"error_text": "Inténtalo de nuevo más tarde.",
	},
}

// pageView fills page/page.html. Conversation is empty on an error page,
// which then carries no data at all: no site, no script.
type pageView struct {
	Lang          string
	Title         string
	Heading, Text string
	NoScript      string
	Conversation  string
	SiteKey       string
	Color, FG     string
	Config        string
}

// customerPage serves GET /c/:token. Its answers are HTML in every case
// (the customer follows a link from a mail); a token that does not verify
// never gets the page.
func (a *API) customerPage(c echo.Context) error {
	h := c.Response().Header()
	// The token is in the URL: no Referer carries it to another origin (or
	// to this one's logs), no cache keeps it, no search engine lists it.
	h.Set("Content-Security-Policy", a.dashboardCSP())
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	accept := c.Request().Header.Get("Accept-Language")
	// Guessing a token is hopeless (a 96-bit MAC), but each try costs a
	// lookup: the same per-address bucket as the widget's reads.
	if err := charge(a.limits.readsPerIP, "page|"+c.RealIP()); err != nil {
		return a.pageError(c, err, negotiate("", accept))
	}
	p, err := a.Service.CustomerPage(c.Request().Context(), c.Param("token"))
	if err != nil {
		lang := negotiate("", accept)
		if p != nil { // an expired link still says so in the site's language
			lang = negotiate(p.Site.Locale, accept)
		}
		return a.pageError(c, err, lang)
	}
	cfg, err := json.Marshal(p.Config)
	if err != nil {
		return err
	}
	lang := negotiate(p.Site.Locale, accept)
	return renderPage(c, http.StatusOK, pageView{
		Lang: lang, Title: p.Site.Name, NoScript: pageText[lang]["noscript"],
		Conversation: p.ConversationID, SiteKey: p.Site.Key,
		Color: p.Site.Color, FG: textOn(p.Site.Color), Config: string(cfg),
	})
}

// pageError draws the error page for err: the status is toHTTP's, the text
// a friendly one for it.
func (a *API) pageError(c echo.Context, err error, lang string) error {
	status, _, retry := toHTTP(err)
	key := "error"
	switch status {
	case http.StatusNotFound:
		key = "nf"
	case http.StatusGone:
		key = "gone"
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		key = "down"
	}
	logFailure(a.Logger, c, err, status)
	if retry > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(retry))
	}
	t := pageText[lang]
	return renderPage(c, status, pageView{Lang: lang, Title: t[key], Heading: t[key], Text: t[key+"_text"]})
}

func renderPage(c echo.Context, status int, v pageView) error {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, v); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// pageFile serves the page's script and styles (its template is not a file
// to serve).
func (a *API) pageFile(c echo.Context) error {
	name := c.Param("*")
	if !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".css") {
		return echo.ErrNotFound
	}
	return pageAssets.serve(c, name)
}

// negotiate picks the page's language: the site's own, else the first of
// the browser's languages the page speaks, else English.
func negotiate(siteLocale, acceptLanguage string) string {
	if _, ok := pageText[siteLocale]; ok {
		return siteLocale
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag, _, _ = strings.Cut(strings.ToLower(tag), "-")
		if _, ok := pageText[tag]; ok {
			return tag
		}
	}
	return "en"
}

// textOn is the text colour for a site colour: near-black or white,
// whichever contrasts more (WCAG relative luminance). It is the widget
// loader's rule (widget.js), computed here because the page draws the
// panel without the loader.
func textOn(hex string) string {
	if len(hex) != 7 || hex[0] != '#' {
		return "#fff"
	}
	var lum float64
	for i, k := range []float64{0.2126, 0.7152, 0.0722} {
		n, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return "#fff"
		}
		v := float64(n) / 255
		if v <= 0.04045 {
			v /= 12.92
		} else {
			v = math.Pow((v+0.055)/1.055, 2.4)
		}
		lum += k * v
	}
	if (lum+0.05)/0.0556 > 1.05/(lum+0.05) {
		return "#111"
	}
	return "#fff"
}
