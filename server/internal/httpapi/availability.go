package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"holler/server/internal/service"
)

// siteAvailability answers what the site's widget says now.
func (a *API) siteAvailability(c echo.Context) error {
	avail, err := a.Service.PreviewAvailability(c.Request().Context(), actor(c), c.Param("id"), nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"availability": avail})
}

// previewAvailability answers what the widget would say now with the
// schedule in the body (time_zone, hours, holidays; absent ones as saved).
// Nothing is saved.
func (a *API) previewAvailability(c echo.Context) error {
	var in service.SiteInput
	if err := bind(c, &in); err != nil {
		return err
	}
	avail, err := a.Service.PreviewAvailability(c.Request().Context(), actor(c), c.Param("id"), &in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"availability": avail})
}
