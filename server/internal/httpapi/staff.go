package httpapi

import (
	"bufio"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"holler/server/internal/model"
	"holler/server/internal/service"
)

const userKey = "holler.user"

// staffAuth resolves the Bearer access token to the current user.
func (a *API) staffAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok := bearer(c.Request())
		if tok == "" {
			return model.ErrUnauthorized
		}
		u, err := a.Service.Authenticate(c.Request().Context(), tok)
		if err != nil {
			return err
		}
		c.Set(userKey, u)
		return next(c)
	}
}

func actor(c echo.Context) *model.User { return c.Get(userKey).(*model.User) }

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (a *API) login(c echo.Context) error {
	var req loginRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	t, err := a.Service.Login(c.Request().Context(), req.Email, req.Password, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (a *API) refresh(c echo.Context) error {
	var req refreshRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	t, err := a.Service.Refresh(c.Request().Context(), req.RefreshToken)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// logout revokes the refresh token's family when the body names one. A
// body is optional: a client that lost (or never kept) its refresh token is
// logged out either way, by forgetting its tokens.
func (a *API) logout(c echo.Context) error {
	var req refreshRequest
	if hasBody(c) {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	if err := a.Service.Logout(c.Request().Context(), req.RefreshToken); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// hasBody reports whether the request carries at least one byte of body,
// also when it is sent chunked (no Content-Length), leaving it unread.
func hasBody(c echo.Context) bool {
	r := c.Request()
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return false
	}
	br := bufio.NewReader(r.Body)
	_, err := br.Peek(1)
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	return err != io.EOF // another read error is bind's to report
}

func (a *API) me(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"user": actor(c)})
}

func (a *API) listSites(c echo.Context) error {
	sites, err := a.Service.Sites(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sites": sites})
}

func (a *API) createSite(c echo.Context) error {
	var in service.SiteInput
	if err := bind(c, &in); err != nil {
		return err
	}
	site, err := a.Service.CreateSite(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"site": site})
}

func (a *API) getSite(c echo.Context) error {
	site, err := a.Service.Site(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"site": site})
}

func (a *API) updateSite(c echo.Context) error {
	var in service.SiteInput
	if err := bind(c, &in); err != nil {
		return err
	}
	site, err := a.Service.UpdateSite(c.Request().Context(), actor(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"site": site})
}

func (a *API) listUsers(c echo.Context) error {
	users, err := a.Service.Users(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": users})
}

func (a *API) createUser(c echo.Context) error {
	var in service.UserInput
	if err := bind(c, &in); err != nil {
		return err
	}
	u, err := a.Service.CreateUser(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": u})
}

func (a *API) updateUser(c echo.Context) error {
	var in service.UserInput
	if err := bind(c, &in); err != nil {
		return err
	}
	u, err := a.Service.UpdateUser(c.Request().Context(), actor(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": u})
}

func (a *API) listConversations(c echo.Context) error {
	var q service.ConversationQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return badRequest("bad_query", "The query parameters are not valid (limit must be a number).")
	}
	page, err := a.Service.Conversations(c.Request().Context(), actor(c), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

func (a *API) getConversation(c echo.Context) error {
	t, err := a.Service.StaffThread(c.Request().Context(), actor(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (a *API) updateConversation(c echo.Context) error {
	var p service.ConversationPatch
	if err := bind(c, &p); err != nil {
		return err
	}
	conv, err := a.Service.UpdateConversation(c.Request().Context(), actor(c), c.Param("id"), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"conversation": conv})
}

func (a *API) staffReply(c echo.Context) error {
	var in service.MessageInput
	if err := bind(c, &in); err != nil {
		return err
	}
	m, err := a.Service.StaffReply(c.Request().Context(), actor(c), c.Param("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"message": m})
}
