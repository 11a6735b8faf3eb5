package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"holler/server/internal/service"
)

func (a *API) listTeams(c echo.Context) error {
	teams, err := a.Service.Teams(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"teams": teams})
}

func (a *API) getTeam(c echo.Context) error {
	t, err := a.Service.Team(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"team": t})
}

func (a *API) createTeam(c echo.Context) error {
	var in service.TeamInput
	if err := bind(c, &in); err != nil {
		return err
	}
	t, err := a.Service.CreateTeam(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"team": t})
}

func (a *API) updateTeam(c echo.Context) error {
	var in service.TeamInput
	if err := bind(c, &in); err != nil {
		return err
	}
	t, err := a.Service.UpdateTeam(c.Request().Context(), actor(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"team": t})
}

func (a *API) deleteTeam(c echo.Context) error {
	if err := a.Service.DeleteTeam(c.Request().Context(), actor(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// getRouting answers a site's routing rules, in the order they are tried.
func (a *API) getRouting(c echo.Context) error {
	r, err := a.Service.Routing(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// putRouting replaces a site's routing rules.
func (a *API) putRouting(c echo.Context) error {
	var in service.RoutingInput
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := a.Service.SetRouting(c.Request().Context(), actor(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
