package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"holler/server/internal/service"
)

// visitorSeen: the widget showed a staff message in an open, visible
// panel, so the customer needs no mail for it.
func (a *API) visitorSeen(c echo.Context) error {
	var in service.SeenInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if err := a.Service.VisitorSeen(c.Request().Context(), visitorOf(c), c.Param("id"), in); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// mailStatus tells the dashboard whether mail goes out (and admins what
// waits and what was refused).
func (a *API) mailStatus(c echo.Context) error {
	st, err := a.Service.MailStatus(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"mail": st})
}
