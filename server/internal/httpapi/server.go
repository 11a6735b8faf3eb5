// Package httpapi is Holler's HTTP face: Echo routes, handlers that bind
// requests and call the service, one error mapping, the websocket
// endpoints and the embedded assets.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"holler/server/internal/limiter"
	"holler/server/internal/realtime"
	"holler/server/internal/service"
	"holler/server/internal/store"
)

// Deps are what the HTTP layer needs.
type Deps struct {
	Service        *service.Service
	Hub            *realtime.Hub
	Metrics        *Metrics
	Logger         *slog.Logger
	PublicURL      string
	PublicOrigin   string
	TrustedProxies []netip.Prefix
	RateLimit      bool
	// SeparateMetrics: /metrics has its own listener (HOLLER_METRICS_ADDR)
	// and the public one answers 404 for it.
	SeparateMetrics bool
	// InboundSecret authenticates POST /api/v1/inbound/email; empty turns
	// the route off.
	InboundSecret string
	// DemoSiteKey is the key the /demo page embeds.
	DemoSiteKey func(ctx context.Context) string
}

// API holds the handlers' shared state.
type API struct {
	Deps
	limits widgetLimits
}

type widgetLimits struct {
	createPerIP   *limiter.Keyed
	messagePerIP  *limiter.Keyed
	writesPerSite *limiter.Keyed
	readsPerIP    *limiter.Keyed
	// socketsPerIP bounds websocket connects (staff and widget alike)
	// from one address: each costs authentication and a replay query.
	socketsPerIP *limiter.Keyed
}

// New builds the Echo server with every route.
func New(d Deps) *echo.Echo {
	a := &API{Deps: d}
	a.limits = widgetLimits{
		// A person files a few conversations; a bot files many.
		createPerIP:  limiter.New(20*time.Second, 5, d.RateLimit),
		messagePerIP: limiter.New(2*time.Second, 20, d.RateLimit),
		// One site's widget, whatever the IPs: bounds a distributed flood.
		writesPerSite: limiter.New(50*time.Millisecond, 300, d.RateLimit),
		readsPerIP:    limiter.New(100*time.Millisecond, 120, d.RateLimit),
		// A page view opens one widget socket and a dashboard reconnects
		// with backoff; a minute of either stays well inside this.
		socketsPerIP: limiter.New(time.Second, 60, d.RateLimit),
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	e.IPExtractor = ipExtractor(d.TrustedProxies)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: func() string { return store.RandomToken(12) },
	}))
	e.Use(watchUpgrades)
	e.Use(a.requestLogger())
	e.Use(d.Metrics.middleware())
	e.Use(recoverer(d.Logger))
	e.Use(securityHeaders)
	a.routes(e)
	return e
}

// ipExtractor believes X-Forwarded-For only from configured proxies; a
// spoofed header from anyone else changes nothing.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		_, ipnet, err := net.ParseCIDR(p.String())
		if err == nil {
			opts = append(opts, echo.TrustIPRange(ipnet))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

type requestIDKey struct{}

// RequestID returns the ID of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestLogger puts the request ID into the context, so every log line
// written for the request carries it, and logs one line per request.
func (a *API) requestLogger() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), requestIDKey{}, requestID(c))))
			err := next(c)
			status := responseStatus(c, err)
			level := slog.LevelInfo
			if c.Path() == "/healthz" || c.Path() == "/readyz" || c.Path() == "/metrics" {
				level = slog.LevelDebug
			}
			a.Logger.LogAttrs(c.Request().Context(), level, "request",
				slog.String("method", c.Request().Method),
				slog.String("path", logPath(c.Request())),
				slog.Int("status", status),
				slog.Duration("took", time.Since(start)),
				slog.String("ip", c.RealIP()))
			return err
		}
	}
}

// logPath is a request's path as logs may keep it: a customer's link
// (/c/{token}) is a credential, so only its prefix is written.
func logPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/c/") {
		return "/c/[redacted]"
	}
	return r.URL.Path
}

// recoverer turns a panic into a logged 500 that leaks nothing.
func recoverer(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					logger.ErrorContext(c.Request().Context(), "panic", "panic", r, "stack", string(debug.Stack()))
					err = errPanic
				}
			}()
			return next(c)
		}
	}
}

var errPanic = errors.New("panic recovered")

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		return next(c)
	}
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
