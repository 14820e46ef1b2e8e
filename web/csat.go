package web

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// The satisfaction survey: its admin page (Admin > Satisfaction) and its
// figures in the reports.

// csatJSON is a CSAT score in the API: answers, how many were satisfied
// (4 or 5), their share (0 to 1) and the average score (1 to 5); score and
// average are 0 without answers.
type csatJSON struct {
	Answers   int     `json:"answers"`
	Satisfied int     `json:"satisfied"`
	Score     float64 `json:"score"`
	Average   float64 `json:"average"`
}

func toCSATJSON(c inbox.CSATScore) csatJSON {
	return csatJSON{Answers: c.Count, Satisfied: int(math.Round(c.Satisfied * float64(c.Count))),
		Score: math.Round(c.Satisfied*1000) / 1000, Average: math.Round(c.Average*100) / 100}
}

// csatCell is an export row's answer: the score, or empty.
func csatCell(score int) string {
	if score == 0 {
		return ""
	}
	return strconv.Itoa(score)
}

// csatShort is a score in a table cell: "75% of 4", "–" without answers.
func csatShort(c inbox.CSATScore) string {
	if c.Count == 0 {
		return "–"
	}
	return fmt.Sprintf("%d%% of %d", int(math.Round(c.Satisfied*100)), c.Count)
}

// csatFigure is the page's CSAT figure and its change in points.
func csatFigure(cur, prev inbox.CSATScore) views.ReportFigure {
	f := views.ReportFigure{Key: "csat", Label: "Satisfied customers (CSAT)", Value: csatShort(cur)}
	if cur.Count > 0 && prev.Count > 0 {
		d := int(math.Round((cur.Satisfied - prev.Satisfied) * 100))
		f.Change, f.Trend = fmt.Sprintf("%+d points", d), "flat"
		if d > 0 {
			f.Trend = "up"
		} else if d < 0 {
			f.Trend = "down"
		}
	}
	return f
}

// csatStore is the store's survey side; a store without it has no survey.
func (s *Server) csatStore() (inbox.CSATStore, error) {
	cs, ok := s.store.(inbox.CSATStore)
	if !ok {
		return nil, newError(http.StatusNotFound, "not_found", "The satisfaction survey is not available on this server.")
	}
	return cs, nil
}

// GET /admin/satisfaction
func (s *Server) handleCSAT(c echo.Context) error {
	cs, err := s.csatStore()
	if err != nil {
		return err
	}
	cfg, err := cs.CSATConfig(c.Request().Context())
	if err != nil {
		return err
	}
	return s.renderCSAT(c, http.StatusOK, cfg, "", c.QueryParam("saved") == "1")
}

func (s *Server) renderCSAT(c echo.Context, status int, cfg inbox.CSATConfig, problem string, saved bool) error {
	ts, err := s.store.Templates(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.CSATView{Page: s.page(c, "Satisfaction survey · Switchboard"), Enabled: cfg.Enabled,
		Question: cfg.Question, TemplateID: cfg.TemplateID, Error: problem, Saved: saved}
	for _, t := range ts {
		if t.Approved() {
			label := t.Name
			if t.Language != "" {
				label += " (" + t.Language + ")"
			}
			v.Templates = append(v.Templates, views.AutoReplyOption{Value: t.ID, Label: label})
		}
	}
	return s.render(c, status, views.CSATPage(v))
}

// POST /admin/satisfaction
func (s *Server) handleSaveCSAT(c echo.Context) error {
	cs, err := s.csatStore()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cfg := inbox.CSATConfig{Enabled: c.FormValue("enabled") == "on", Question: c.FormValue("question"),
		TemplateID: c.FormValue("template_id")}
	cfg.Normalize()
	if cfg.TemplateID != "" {
		ts, err := s.store.Templates(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ts, func(t inbox.Template) bool { return t.ID == cfg.TemplateID && t.Approved() }) {
			return s.renderCSAT(c, http.StatusBadRequest, cfg, "Choose an approved template, or none.", false)
		}
	}
	if err := cfg.Validate(); err != nil {
		return s.renderCSAT(c, http.StatusBadRequest, cfg,
			fmt.Sprintf("The question is too long: at most %d characters.", inbox.MaxCSATQuestion), false)
	}
	state := "off"
	if cfg.Enabled {
		state = "on"
	}
	detail := "Satisfaction survey " + state + "; question: " + cfg.Question
	if cfg.TemplateID != "" {
		detail += "; template " + cfg.TemplateID
	}
	u := currentUser(c)
	audit := inbox.AuditEntry{At: s.now(), Action: "csat.update", Detail: detail}
	if u.ID != 0 {
		audit.UserID = &u.ID
	}
	if _, err := cs.SaveCSATConfig(ctx, cfg, audit, s.now()); err != nil {
		return err
	}
	s.log.Info("admin change", "action", audit.Action, "detail", detail, "user_id", u.ID)
	return c.Redirect(http.StatusSeeOther, "/admin/satisfaction?saved=1")
}
