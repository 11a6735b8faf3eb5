// Package e2e_test runs Holler's browser tests: a real server, a customer's
// page on another origin under a strict CSP, and headless Chromium.
package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"holler/server/internal/browsertest"
	"holler/server/internal/config"
	"holler/server/internal/testserver"
)

func noLimits(c *config.Config) { c.RateLimit = false }

// TestWidgetButtonUnderStrictCSP: the loader draws a labelled button inside
// the widget's shadow root on a foreign page whose CSP allows only Holler,
// and the host page's own content is untouched.
func TestWidgetButtonUnderStrictCSP(t *testing.T) {
	browser := browsertest.Browser(t)
	s := testserver.Start(t, testserver.Options{Dialect: "sqlite", Configure: noLimits})
	page := browsertest.HostPage(t, s.URL, s.DemoKey)
	ctx, cancel := context.WithTimeout(browser, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.JSPath(`document.querySelector('holler-widget')?.shadowRoot?.querySelector('button')`)),
	); err != nil {
		t.Fatalf("button never appeared: %v", err)
	}
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const b = document.querySelector('holler-widget').shadowRoot.querySelector('button');
		return b.getAttribute('aria-label') || b.textContent.trim();
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if label == "" {
		t.Fatal("the button has no accessible name")
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#host-title")))
	if err != nil || title != "A customer's shop" {
		t.Fatalf("host content changed: %q %v", title, err)
	}
}
