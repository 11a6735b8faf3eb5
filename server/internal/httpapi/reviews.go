package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"holler/server/internal/service"
)

// ratingsReport counts what ratings led to (invitations, reopenings, the
// unhappy customers turned around) on the caller's sites.
func (a *API) ratingsReport(c echo.Context) error {
	var q service.RatingsQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return badRequest("bad_query", "The query parameters are not valid.")
	}
	rep, err := a.Service.RatingsReport(c.Request().Context(), actor(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"report": rep})
}
