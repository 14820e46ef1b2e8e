package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// tokenNotices are what the tokens page says after a change, by its
// ?done= value.
var tokenNotices = map[string]string{
	"revoked": "Token revoked. Scripts using it are refused from their next request on.",
	"already": "That token was revoked already.",
}

// tokensView is the tokens page with form as its create form.
func (s *Server) tokensView(c echo.Context, form views.TokenForm) (views.TokensView, error) {
	ts, err := s.store.APITokens(c.Request().Context())
	if err != nil {
		return views.TokensView{}, err
	}
	us, err := s.store.Users(c.Request().Context())
	if err != nil {
		return views.TokensView{}, err
	}
	gone := map[int64]bool{} // deactivated accounts
	for _, u := range us {
		gone[u.ID] = !u.Active
	}
	loc := location(c)
	form.MaxName = inbox.MaxTokenName
	v := views.TokensView{Page: s.page(c, "API tokens · Switchboard"), Form: form}
	for _, t := range ts {
		r := views.TokenRow{
			ID: t.ID, Name: t.Name, Scope: string(t.Scope),
			Created: t.CreatedAt.In(loc).Format(adminTimeFormat), CreatedBy: t.CreatedByName, LastUsed: "Never",
		}
		if t.CreatedBy == nil {
			r.CreatedBy = "Command line"
		} else if gone[*t.CreatedBy] {
			// Their token works on: say so where it is revoked.
			r.CreatedBy += " (deactivated)"
		}
		if !t.LastUsedAt.IsZero() {
			r.LastUsed = t.LastUsedAt.In(loc).Format(adminTimeFormat)
		}
		if t.Revoked() {
			r.Revoked = t.RevokedAt.In(loc).Format(adminTimeFormat)
		}
		v.Tokens = append(v.Tokens, r)
	}
	return v, nil
}

func (s *Server) handleTokens(c echo.Context) error {
	v, err := s.tokensView(c, views.TokenForm{})
	if err != nil {
		return err
	}
	v.Notice = tokenNotices[c.QueryParam("done")]
	return s.render(c, http.StatusOK, views.TokensPage(v))
}

// handleCreateToken creates a token and shows its secret, this once, on
// the page the POST answers: it is never put in a URL or stored.
func (s *Server) handleCreateToken(c echo.Context) error {
	f := views.TokenForm{Name: strings.TrimSpace(c.FormValue("name")), Scope: c.FormValue("scope")}
	switch {
	case f.Name == "":
		f.NameError = "Give the token a name: what will use it."
	case utf8.RuneCountInString(f.Name) > inbox.MaxTokenName:
		f.NameError = fmt.Sprintf("A name can be at most %d characters.", inbox.MaxTokenName)
	}
	scope := inbox.TokenScope(f.Scope)
	if scope != inbox.ScopeRead && scope != inbox.ScopeWrite {
		f.ScopeError = "Choose Read or Write."
	}
	if f.NameError != "" || f.ScopeError != "" {
		v, err := s.tokensView(c, f)
		if err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, views.TokensPage(v))
	}
	secret, hash, err := NewAPIToken()
	if err != nil {
		return err
	}
	u := currentUser(c)
	t := inbox.APIToken{Name: f.Name, Hash: hash, Scope: scope, CreatedAt: s.now().UTC(), CreatedBy: &u.ID}
	if err := s.store.CreateAPIToken(c.Request().Context(), &t); errors.Is(err, inbox.ErrNameTaken) {
		f.NameError = fmt.Sprintf("A token named %q is already in use: give this one another name, or revoke that one first.", f.Name)
		v, err := s.tokensView(c, f)
		if err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, views.TokensPage(v))
	} else if err != nil {
		return err
	}
	s.audit(c, "token.create", tokenAuditDetail(t))
	v, err := s.tokensView(c, views.TokenForm{})
	if err != nil {
		return err
	}
	v.Shown = &views.ShownToken{Name: t.Name, Scope: string(t.Scope), Secret: secret}
	return s.render(c, http.StatusOK, views.TokensPage(v))
}

func (s *Server) handleRevokeToken(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	t, err := s.store.RevokeAPIToken(c.Request().Context(), id, s.now())
	if errors.Is(err, inbox.ErrRevoked) {
		// Perhaps by another admin, or from the command line.
		return c.Redirect(http.StatusSeeOther, "/admin/tokens?done=already")
	}
	if err != nil {
		return err
	}
	s.audit(c, "token.revoke", tokenAuditDetail(t))
	return c.Redirect(http.StatusSeeOther, "/admin/tokens?done=revoked")
}

// tokenAuditDetail names a token in the audit log: never its secret or
// its hash.
func tokenAuditDetail(t inbox.APIToken) string {
	return fmt.Sprintf("%q (%s, id %d)", t.Name, t.Scope, t.ID)
}
