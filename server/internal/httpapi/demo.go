package httpapi

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed demo/*
var demoEmbed embed.FS

var demoFS, _ = subFS(demoEmbed, "demo")

var demoTmpl = template.Must(template.ParseFS(demoEmbed, "demo/demo.html"))

// demoPage is a small shop with the Demo site's snippet, served under a
// strict Content-Security-Policy so anyone can see the widget work there.
func (a *API) demoPage(c echo.Context) error {
	key := a.DemoSiteKey(c.Request().Context())
	if key == "" {
		return echo.ErrNotFound
	}
	origin := a.PublicOrigin
	ws := strings.Replace(strings.Replace(origin, "https://", "wss://", 1), "http://", "ws://", 1)
	var buf bytes.Buffer
	if err := demoTmpl.Execute(&buf, map[string]string{"Origin": origin, "SiteKey": key}); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src "+origin+"; style-src "+origin+
		"; connect-src "+origin+" "+ws+"; img-src "+origin+" data:; base-uri 'none'; form-action 'none'")
	h.Set("Cache-Control", "no-cache")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

func (a *API) demoCSS(c echo.Context) error { return demoAssets.serve(c, "demo.css") }
