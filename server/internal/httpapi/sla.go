package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"holler/server/internal/service"
)

// siteSLA answers a site's SLA settings.
func (a *API) siteSLA(c echo.Context) error {
	out, err := a.Service.SLASettings(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// putSiteSLA replaces a site's SLA settings (admins).
func (a *API) putSiteSLA(c echo.Context) error {
	var in service.SLAInput
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := a.Service.SetSLASettings(c.Request().Context(), actor(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
