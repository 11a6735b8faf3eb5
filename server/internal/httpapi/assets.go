package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/labstack/echo/v4"

	"holler/static"
	"holler/widget"
)

// asset is one embedded file, compressed once at start.
type asset struct {
	raw, gz, br []byte
	etag        string
	ctype       string
}

// assetSet serves a folder of embedded files with content negotiation,
// ETags and a cache policy.
type assetSet struct {
	files map[string]*asset
	cache string
}

func loadAssets(fsys fs.FS, cache string) *assetSet {
	set := &assetSet{files: map[string]*asset{}, cache: cache}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		a := &asset{raw: raw, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: mime.TypeByExtension(path.Ext(p))}
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		if strings.HasSuffix(p, ".js") {
			a.ctype = "text/javascript; charset=utf-8"
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		a.gz = gz.Bytes()
		var br bytes.Buffer
		bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
		_, _ = bw.Write(raw)
		_ = bw.Close()
		a.br = br.Bytes()
		set.files[p] = a
		return nil
	})
	return set
}

// serve writes the named file, or a 404 error.
func (s *assetSet) serve(c echo.Context, name string) error {
	a, ok := s.files[name]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", s.cache)
	h.Add("Vary", "Accept-Encoding")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	body := a.raw
	accept := c.Request().Header.Get("Accept-Encoding")
	switch {
	case strings.Contains(accept, "br"):
		h.Set("Content-Encoding", "br")
		body = a.br
	case strings.Contains(accept, "gzip"):
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	return c.Blob(http.StatusOK, a.ctype, body)
}

var (
	// The loader is fetched on every page view of every customer site: five
	// minutes of caching, then a cheap revalidation, lets a release reach
	// visitors within minutes.
	widgetAssets = loadAssets(widget.FS, "public, max-age=300, stale-while-revalidate=86400")
	staticAssets = loadAssets(static.FS, "no-cache")
	demoAssets   = loadAssets(demoFS, "no-cache")
)

func (a *API) widgetFile(c echo.Context) error {
	h := c.Response().Header()
	// The panel is a module loaded with import() from the customer's page,
	// which browsers fetch in CORS mode.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	return widgetAssets.serve(c, strings.TrimPrefix(c.Request().URL.Path, "/"))
}

// dashboardCSP allows only this origin: the dashboard has no inline code.
func (a *API) dashboardCSP() string {
	ws := strings.Replace(strings.Replace(a.PublicOrigin, "https://", "wss://", 1), "http://", "ws://", 1)
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' " + ws +
		"; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
}

func (a *API) dashboard(c echo.Context) error {
	c.Response().Header().Set("Content-Security-Policy", a.dashboardCSP())
	c.Response().Header().Set("X-Frame-Options", "DENY")
	return staticAssets.serve(c, "index.html")
}

func (a *API) staticFile(c echo.Context) error {
	return staticAssets.serve(c, c.Param("*"))
}

func subFS(f fs.FS, dir string) (fs.FS, error) { return fs.Sub(f, dir) }
