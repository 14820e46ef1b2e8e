package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// searchPage is how many results the inbox shows at once.
const searchPage = 30

// GET /search?q=&cursor=: a page of results for the search box (the same
// filters as the API's, days in the agent's time zone, and in:mine and
// assigneeId=me for the signed-in user).
func (s *Server) handleSearch(c echo.Context) error {
	if !isHTMX(c) && wantsHTML(c.Request()) {
		// A browser that comes here itself, with no script to run the
		// search box (or before it ran), gets the inbox, not a bare list.
		return c.Redirect(http.StatusSeeOther, "/inbox")
	}
	me := currentUser(c).ID
	if c.QueryParam("assigneeId") == "me" {
		c.QueryParams().Set("assigneeId", strconv.FormatInt(me, 10))
	}
	f, err := searchFilter(c, location(c))
	v := views.SearchView{Query: f.Query}
	if err != nil {
		v.Error = "That search has a filter this page cannot read."
		return s.render(c, http.StatusOK, views.SearchResults(v))
	}
	if operatorsAlone(f.Query) {
		// Alone they find nothing, which is not what "Nothing found."
		// would say.
		v.Error = "Add a word to find: label:, in:mine and -word only narrow a search. " +
			"The list's label filter and Mine show every such conversation."
		return s.render(c, http.StatusOK, views.SearchResults(v))
	}
	f.Limit = searchPage
	f.UserID = me
	hits, next, err := s.store.Search(c.Request().Context(), f)
	if errors.Is(err, inbox.ErrInvalid) {
		v.Error = "Those results have changed; search again."
		return s.render(c, http.StatusOK, views.SearchResults(v))
	}
	if err != nil {
		return err
	}
	notes, err := s.notesAmong(c, hits)
	if err != nil {
		return err
	}
	loc, now := location(c), s.now()
	for _, h := range hits {
		hv := views.NewSearchHit(h, loc, now)
		hv.Note = notes[h.MessageID]
		v.Hits = append(v.Hits, hv)
	}
	if next != "" {
		q := c.QueryParams()
		q.Set("cursor", next)
		v.More = "/search?" + url.Values(q).Encode()
	}
	return s.render(c, http.StatusOK, views.SearchResults(v))
}

// notesAmong says which of the hits' messages are internal notes.
func (s *Server) notesAmong(c echo.Context, hits []inbox.SearchHit) (map[int64]bool, error) {
	var ids []int64
	for _, h := range hits {
		if h.MessageID != 0 {
			ids = append(ids, h.MessageID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ms, err := s.store.MessagesByID(c.Request().Context(), ids)
	if err != nil {
		return nil, err
	}
	notes := map[int64]bool{}
	for _, m := range ms {
		if m.Direction == inbox.Internal && m.Type == inbox.TypeNote {
			notes[m.ID] = true
		}
	}
	return notes, nil
}

// operatorsAlone is true for a search of operators with nothing to find
// (label:refund, in:mine, -late): they narrow what words or from: find,
// and alone select nothing.
func operatorsAlone(query string) bool {
	q := inbox.ParseSearch(query)
	return len(q.Terms) == 0 && q.From.Text == "" && strings.TrimSpace(query) != ""
}
