package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (a *API) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := a.Service.Ready(ctx); err != nil {
		return c.JSON(http.StatusServiceUnavailable, errorBody{Error: apiError{Code: "store_unavailable", Message: "The database does not answer."}})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (a *API) metrics(c echo.Context) error {
	promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}
