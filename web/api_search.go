package web

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// searchHitJSON is one search result. Snippet is a safe HTML fragment:
// the text around the match, escaped, with the matching parts in
// <mark></mark>.
type searchHitJSON struct {
	ConversationID int64       `json:"conversationId"`
	MessageID      *int64      `json:"messageId"`
	Contact        contactJSON `json:"contact"`
	Snippet        string      `json:"snippet"`
	CreatedAt      *jsonTime   `json:"createdAt"`
}

func toSearchHitJSON(h inbox.SearchHit) searchHitJSON {
	out := searchHitJSON{
		ConversationID: h.ConversationID,
		Contact:        contactJSON{ID: h.Contact.ID, Phone: h.Contact.Phone, Name: optString(h.Contact.Name)},
		Snippet:        snippetHTML(h.Snippet),
		CreatedAt:      optTime(h.CreatedAt),
	}
	if h.MessageID != 0 {
		id := h.MessageID
		out.MessageID = &id
	}
	return out
}

// snippetHTML is a snippet as HTML: every part escaped, then the matching
// ones marked.
func snippetHTML(s string) string {
	var b strings.Builder
	for _, p := range inbox.SplitSnippet(s) {
		if p.Match {
			b.WriteString("<mark>" + html.EscapeString(p.Text) + "</mark>")
		} else {
			b.WriteString(html.EscapeString(p.Text))
		}
	}
	return b.String()
}

// searchFilter reads the filters of a search from the query string, as
// the API and the inbox page take them. from and to are RFC 3339 times,
// or days (2025-03-01) in loc: from the start of the from day to the end
// of the to day, where a day starts at inbox.DayStart (in Santiago, where
// summer time begins at midnight, at 01:00 that day, not at 23:00 the day
// before).
func searchFilter(c echo.Context, loc *time.Location) (inbox.SearchFilter, error) {
	f := inbox.SearchFilter{Query: c.QueryParam("q"), Cursor: c.QueryParam("cursor"), Label: c.QueryParam("label"),
		SenderID: c.QueryParam("senderId")}
	bad := func(msg string) error { return newError(http.StatusBadRequest, "invalid_parameter", msg) }
	switch ch := c.QueryParam("channel"); ch {
	case "", "all":
	case string(inbox.WhatsApp), string(inbox.SMS):
		f.Channel = inbox.Channel(ch)
	default:
		return f, bad("channel must be whatsapp, sms or all.")
	}
	switch st := c.QueryParam("status"); st {
	case "", "all":
	case string(inbox.Open), string(inbox.Resolved), string(inbox.Snoozed):
		f.Status = inbox.ConversationStatus(st)
	default:
		return f, bad("status must be open, resolved, snoozed or all.")
	}
	if v := c.QueryParam("labelId"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return f, bad("labelId must be a label's id.")
		}
		f.LabelID = id
	}
	switch a := c.QueryParam("assigneeId"); a {
	case "":
	case "none":
		zero := int64(0)
		f.AssigneeID = &zero
	default:
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id < 1 {
			return f, bad("assigneeId must be a user id or none.")
		}
		f.AssigneeID = &id
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := c.QueryParam(p.name)
		if v == "" {
			continue
		}
		if day, err := dayIn(v, loc); err == nil {
			if p.name == "to" {
				day = inbox.DaysAfter(day, 1, loc)
			}
			*p.t = day
			continue
		}
		t, err := parseQueryTime(v) // as the reports take it, a + typed as it is written too
		if err != nil {
			return f, bad(p.name + " must be a day (2025-03-01) or an RFC 3339 time, such as 2025-03-01T09:00:00Z.")
		}
		*p.t = t
	}
	return f, nil
}

// GET /api/v1/search?q=&channel=&status=&assigneeId=&senderId=&label=&labelId=&from=&to=&limit=&cursor=
// (label is a label's name, labelId its id; q takes label:NAME too)
func (s *Server) handleAPISearch(c echo.Context) error {
	f, err := searchFilter(c, time.UTC)
	if err != nil {
		return err
	}
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		// An empty list would say nothing matched.
		return newError(http.StatusBadRequest, "invalid_parameter", "from must be before to.")
	}
	if inbox.ParseSearch(f.Query).Mine {
		return newError(http.StatusBadRequest, "invalid_parameter", "in:mine needs a signed-in user; use assigneeId.")
	}
	if operatorsAlone(f.Query) || strings.TrimSpace(f.Query) == "" {
		// A search finds words; an empty list would say none matched.
		return newError(http.StatusBadRequest, "search_needs_word",
			"q needs a word to find: label:, -word and the filters only narrow a search. "+
				"GET /api/v1/conversations lists conversations without one.")
	}
	items, next, err := s.store.Search(c.Request().Context(), f)
	if err != nil {
		return invalidCursor(err)
	}
	return c.JSON(http.StatusOK, newPage(items, next, toSearchHitJSON))
}
