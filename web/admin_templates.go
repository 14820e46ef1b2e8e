package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// templateStatusLabels put Zavu's template statuses in words.
var templateStatusLabels = map[string]string{
	"approved": "Approved",
	"pending":  "Pending review",
	"rejected": "Rejected",
	"draft":    "Draft",
	"disabled": "Disabled",
	"paused":   "Paused",
}

// templateList is the template table as the admin page shows it.
func (s *Server) templateList(c echo.Context) (views.TemplateList, error) {
	ts, err := s.store.Templates(c.Request().Context())
	if err != nil {
		return views.TemplateList{}, err
	}
	loc := location(c)
	var l views.TemplateList
	for _, t := range ts {
		status := strings.ToLower(strings.TrimSpace(t.Status))
		label := templateStatusLabels[status]
		if label == "" {
			label = t.Status
		}
		if label == "" {
			label, status = "Unknown", "unknown"
		}
		row := views.TemplateRow{
			ID: t.ID, Name: t.Name, Language: t.Language, Category: strings.ToLower(t.Category),
			Status: status, Label: label, Rejection: t.RejectionReason,
		}
		if status != "rejected" {
			row.Rejection = ""
		}
		if !t.UpdatedAt.IsZero() {
			row.Updated = t.UpdatedAt.In(loc).Format(adminTimeFormat)
		}
		l.Rows = append(l.Rows, row)
	}
	return l, nil
}

func (s *Server) templatesSynced() inbox.SyncResult {
	if s.directory == nil {
		return inbox.SyncResult{}
	}
	return s.directory.TemplatesSynced()
}

func (s *Server) handleTemplates(c echo.Context) error {
	l, err := s.templateList(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.TemplatesPage(views.TemplatesView{
		Page: s.page(c, "Templates · Switchboard"),
		Sync: s.syncStatus(s.templatesSynced(), location(c)),
		List: l,
	}))
}

// handleTemplateList is the template table alone, which the page asks for
// every few seconds.
func (s *Server) handleTemplateList(c echo.Context) error {
	l, err := s.templateList(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.TemplateTable(l))
}

func (s *Server) handleSyncTemplates(c echo.Context) error {
	if s.directory == nil {
		return newError(http.StatusServiceUnavailable, "unavailable", "Syncing from Zavu is not available on this server.")
	}
	n, err := s.directory.SyncTemplates(c.Request().Context())
	if err != nil {
		s.log.WarnContext(c.Request().Context(), "templates not synced from Zavu", "err", err)
		s.audit(c, "templates.sync", "Sync from Zavu failed: "+syncProblem(err))
	} else {
		s.audit(c, "templates.sync", "Synced "+strconv.Itoa(n)+" templates from Zavu")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/templates")
}
