package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"holler/server/internal/buildinfo"
	"holler/server/internal/model"
)

// version is read once: it cannot change while the process runs.
var version = buildinfo.Get().Version

func (a *API) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": version})
}

func (a *API) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := a.Service.Ready(ctx); err != nil {
		// Whatever Ping's reason, not ready means "send no traffic yet":
		// the same answer as any request that finds the database away.
		return fmt.Errorf("readiness: %w: %w", model.ErrUnavailable, err)
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (a *API) metrics(c echo.Context) error {
	if a.SeparateMetrics {
		// Served on HOLLER_METRICS_ADDR only; the public port answers as
		// for any unknown path.
		return echo.ErrNotFound
	}
	a.Metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}
