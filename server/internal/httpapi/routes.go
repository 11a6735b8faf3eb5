package httpapi

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Body limits from the contract.
const (
	widgetBodyLimit = "64K"
	staffBodyLimit  = "1M"
)

// routes is the one place every route is declared.
func (a *API) routes(e *echo.Echo) {
	// Operations.
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	e.GET("/metrics", a.metrics)

	// Pages and assets.
	e.GET("/", a.dashboard)
	e.GET("/static/*", a.staticFile)
	e.GET("/demo", a.demoPage)
	e.GET("/demo.css", a.demoCSS)
	e.GET("/widget.js", a.widgetFile)
	e.GET("/widget-panel.js", a.widgetFile)
	e.GET("/widget.css", a.widgetFile)
	e.GET("/c/:token", a.customerPage)
	e.GET("/c/*", a.customerPage) // a mangled link gets the friendly 404 too
	e.GET("/page/*", a.pageFile)

	// Middleware is attached per route, never to a group: a group with
	// middleware makes Echo add a catch-all 404 route for its prefix, and
	// that catch-all beats Echo's 405 for a known path with the wrong
	// method (a GET on /api/v1/auth/login would answer 401 or 404).

	// Widget API: anonymous visitors on other origins.
	widget := []echo.MiddlewareFunc{middleware.BodyLimit(widgetBodyLimit), a.widgetSite}
	w := e.Group("/api/v1/widget/:site_key")
	for _, p := range []string{"/config", "/conversations", "/conversations/:id", "/conversations/:id/messages", "/conversations/:id/rating", "/conversations/:id/seen"} {
		w.OPTIONS(p, a.preflight, widget...)
	}
	w.GET("/config", a.widgetConfig, with(widget, a.limitReads)...)
	w.POST("/conversations", a.createConversation, with(widget, a.limitCreate)...)
	// Routes that take a visitor credential decide the origin with it: the
	// customer's conversation page (Holler's own origin) uses them with its
	// conversation token even when the site limits origins.
	visitor := []echo.MiddlewareFunc{middleware.BodyLimit(widgetBodyLimit), a.credentialSite}
	w.GET("/conversations", a.visitorConversations, with(visitor, a.limitReads, a.visitor)...)
	w.GET("/conversations/:id", a.visitorThread, with(visitor, a.limitReads, a.visitor)...)
	w.POST("/conversations/:id/messages", a.visitorReply, with(visitor, a.limitMessage, a.visitor)...)
	w.POST("/conversations/:id/rating", a.rate, with(visitor, a.limitMessage, a.visitor)...)
	w.POST("/conversations/:id/seen", a.visitorSeen, with(visitor, a.limitReads, a.visitor)...)
	w.GET("/ws", a.visitorSocket, visitor...)

	// Staff API.
	open := []echo.MiddlewareFunc{middleware.BodyLimit(staffBodyLimit)}
	api := e.Group("/api/v1")
	api.POST("/auth/login", a.login, open...)
	api.POST("/auth/refresh", a.refresh, open...)
	api.POST("/auth/logout", a.logout, open...)
	api.GET("/ws", a.staffSocket, open...)

	staff := with(open, a.staffAuth)
	api.GET("/me", a.me, staff...)
	api.GET("/sites", a.listSites, staff...)
	api.POST("/sites", a.createSite, staff...)
	api.GET("/sites/:id", a.getSite, staff...)
	api.PATCH("/sites/:id", a.updateSite, staff...)
	api.GET("/sites/:id/availability", a.siteAvailability, staff...)
	api.POST("/sites/:id/availability/preview", a.previewAvailability, staff...)
	api.GET("/users", a.listUsers, staff...)
	api.POST("/users", a.createUser, staff...)
	api.PATCH("/users/:id", a.updateUser, staff...)
	api.GET("/conversations", a.listConversations, staff...)
	api.GET("/conversations/:id", a.getConversation, staff...)
	api.PATCH("/conversations/:id", a.updateConversation, staff...)
	api.POST("/conversations/:id/messages", a.staffReply, staff...)
	api.GET("/mail/status", a.mailStatus, staff...)

	// Review invitations (issue 12): what ratings led to.
	api.GET("/reports/ratings", a.ratingsReport, staff...)

	// Teams and routing (issue 12).
	api.GET("/teams", a.listTeams, staff...)
	api.POST("/teams", a.createTeam, staff...)
	api.GET("/teams/:id", a.getTeam, staff...)
	api.PATCH("/teams/:id", a.updateTeam, staff...)
	api.DELETE("/teams/:id", a.deleteTeam, staff...)
	api.GET("/sites/:id/routing", a.getRouting, staff...)
	api.PUT("/sites/:id/routing", a.putRouting, staff...)

	// Canned replies (issue 12).
	api.GET("/canned-replies", a.listCanned, staff...)
	api.POST("/canned-replies", a.createCanned, staff...)
	api.GET("/canned-replies/:id", a.getCanned, staff...)
	api.PATCH("/canned-replies/:id", a.updateCanned, staff...)
	api.DELETE("/canned-replies/:id", a.deleteCanned, staff...)
	api.POST("/canned-replies/:id/use", a.useCanned, staff...)

	// SLAs (issue 12): a site's targets, counted in its opening hours.
	api.GET("/sites/:id/sla", a.siteSLA, staff...)
	api.PUT("/sites/:id/sla", a.putSiteSLA, staff...)

	// Customers' email replies from a mail provider's inbound-parse webhook.
	api.POST("/inbound/email", a.inboundEmail, a.inboundAuth, middleware.BodyLimit(inboundBodyLimit))
}

// with is base followed by more, in a new slice (base is shared by routes).
func with(base []echo.MiddlewareFunc, more ...echo.MiddlewareFunc) []echo.MiddlewareFunc {
	return append(append(make([]echo.MiddlewareFunc, 0, len(base)+len(more)), base...), more...)
}
