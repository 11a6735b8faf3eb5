// Package browsertest drives Debian's Chromium, headless, through chromedp
// for the widget and dashboard tests, and serves a customer's page from a
// second origin under a strict Content-Security-Policy.
package browsertest

import (
	"context"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds the browser, or skips the test (fails it when
// HOLLER_REQUIRE_BROWSER=1, as in CI).
func ChromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("HOLLER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("HOLLER_REQUIRE_BROWSER") == "1" {
		t.Fatal("Chromium is required (HOLLER_REQUIRE_BROWSER=1) but was not found; apt-get install chromium")
	}
	t.Skip("skipping browser test: Chromium not found (apt-get install chromium, or set HOLLER_CHROMIUM)")
	return ""
}

// Browser starts a headless Chromium for the test and returns a context for
// its first tab. Everything is torn down at cleanup.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := ChromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		// This machine has no network: without these Chromium keeps trying
		// to reach Google's services.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// Tab opens another tab (a second person) in the same browser, in its own
// browser context so storage is not shared.
func Tab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open tab: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// Timeout bounds one step of a test so a broken page fails fast.
func Timeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

var hostPage = template.Must(template.New("host").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host shop</title></head>
<body><h1 id="host-title">A customer's shop</h1>
<p id="host-text">Everything here belongs to the host page.</p>
<input id="host-input" aria-label="host search">
<script src="{{.Holler}}/widget.js" data-site="{{.Key}}" async></script>
</body></html>`))

// HostPage serves a customer's page on a different origin from Holler
// (localhost vs 127.0.0.1), with a CSP that allows scripts, styles and
// connections only from the Holler origin: no inline code at all.
// It returns the page URL.
func HostPage(t testing.TB, hollerURL, siteKey string) string {
	t.Helper()
	holler := strings.TrimRight(hollerURL, "/")
	ws := "ws" + strings.TrimPrefix(holler, "http")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", fmt.Sprintf(
			"default-src 'none'; script-src %s; style-src %s; connect-src %s %s; img-src %s data:; font-src %s",
			holler, holler, holler, ws, holler, holler))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = hostPage.Execute(w, map[string]string{"Holler": holler, "Key": siteKey})
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	// "localhost" is another origin than Holler's "127.0.0.1".
	return "http://localhost:" + port + "/"
}

// Screenshot saves a PNG of the tab under dir (made if missing) when the
// HOLLER_SCREENSHOTS variable names a directory, so the README pictures are
// made by the same tests that check the pages.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("HOLLER_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
