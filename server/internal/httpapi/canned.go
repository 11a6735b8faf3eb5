package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"holler/server/internal/service"
)

// cannedRequest takes a canned reply's fields either flat or wrapped the
// way answers carry them ({"canned_reply": {...}}), so a client may send
// back what it read.
type cannedRequest struct {
	service.CannedInput
	Wrapped *service.CannedInput `json:"canned_reply"`
}

func bindCanned(c echo.Context) (service.CannedInput, error) {
	var req cannedRequest
	if err := bind(c, &req); err != nil {
		return service.CannedInput{}, err
	}
	if req.Wrapped != nil {
		return *req.Wrapped, nil
	}
	return req.CannedInput, nil
}

func (a *API) listCanned(c echo.Context) error {
	var q service.CannedQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return badRequest("bad_query", "The query parameters are not valid.")
	}
	list, err := a.Service.CannedReplies(c.Request().Context(), actor(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"canned_replies": list})
}

func (a *API) getCanned(c echo.Context) error {
	r, err := a.Service.CannedReply(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"canned_reply": r})
}

func (a *API) createCanned(c echo.Context) error {
	in, err := bindCanned(c)
	if err != nil {
		return err
	}
	r, err := a.Service.CreateCannedReply(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"canned_reply": r})
}

func (a *API) updateCanned(c echo.Context) error {
	in, err := bindCanned(c)
	if err != nil {
		return err
	}
	r, err := a.Service.UpdateCannedReply(c.Request().Context(), actor(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"canned_reply": r})
}

func (a *API) deleteCanned(c echo.Context) error {
	if err := a.Service.DeleteCannedReply(c.Request().Context(), actor(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type cannedUseRequest struct {
	ConversationID string `json:"conversation_id"`
}

// useCanned answers the reply's body filled for a conversation, and counts
// the use.
func (a *API) useCanned(c echo.Context) error {
	var req cannedUseRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	out, err := a.Service.UseCannedReply(c.Request().Context(), actor(c), c.Param("id"), req.ConversationID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
