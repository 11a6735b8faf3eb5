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
	e.GET("/i18n.js", a.widgetFile)

	// Widget API: anonymous visitors on other origins.
	w := e.Group("/api/v1/widget/:site_key", middleware.BodyLimit(widgetBodyLimit), a.widgetSite)
	w.OPTIONS("/*", a.preflight)
	w.GET("/config", a.widgetConfig, a.limitReads)
	w.POST("/conversations", a.createConversation, a.limitCreate)
	w.GET("/conversations", a.visitorConversations, a.limitReads, a.visitor)
	w.GET("/conversations/:id", a.visitorThread, a.limitReads, a.visitor)
	w.POST("/conversations/:id/messages", a.visitorReply, a.limitMessage, a.visitor)
	w.POST("/conversations/:id/rating", a.rate, a.limitMessage, a.visitor)
	w.GET("/ws", a.visitorSocket)

	// Staff API.
	api := e.Group("/api/v1", middleware.BodyLimit(staffBodyLimit))
	api.POST("/auth/login", a.login)
	api.POST("/auth/refresh", a.refresh)
	api.POST("/auth/logout", a.logout)
	api.GET("/ws", a.staffSocket)

	staff := api.Group("", a.staffAuth)
	staff.GET("/me", a.me)
	staff.GET("/sites", a.listSites)
	staff.POST("/sites", a.createSite)
	staff.GET("/sites/:id", a.getSite)
	staff.PATCH("/sites/:id", a.updateSite)
	staff.GET("/users", a.listUsers)
	staff.POST("/users", a.createUser)
	staff.PATCH("/users/:id", a.updateUser)
	staff.GET("/conversations", a.listConversations)
	staff.GET("/conversations/:id", a.getConversation)
	staff.PATCH("/conversations/:id", a.updateConversation)
	staff.POST("/conversations/:id/messages", a.staffReply)
}
