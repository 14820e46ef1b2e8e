package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// ReadMarker marks a customer's WhatsApp message read.
type ReadMarker interface {
	MarkRead(ctx context.Context, zavuMessageID string) error
}

func (s *Server) settingOn(ctx context.Context, key string) bool {
	v, _, err := s.store.Setting(ctx, key)
	if err != nil {
		s.log.Warn("setting not read", "key", key, "err", err)
	}
	return v == "on"
}

// adminTimeFormat is how the admin pages show a time, in the viewer's
// time zone.
const adminTimeFormat = "2 Jan 2006 15:04"

// audit records an admin's change in the audit log and in the server log.
// A failure to record it is logged, not shown: the change itself is done.
func (s *Server) audit(c echo.Context, action, detail string) {
	u := currentUser(c)
	e := inbox.AuditEntry{At: s.now(), Action: action, Detail: detail}
	if u.ID != 0 {
		e.UserID = &u.ID
	}
	if err := s.store.AddAudit(c.Request().Context(), e); err != nil {
		s.log.Error("audit entry not recorded", "action", action, "user_id", u.ID, "err", err)
		return
	}
	s.log.Info("admin change", "action", action, "detail", detail, "user_id", u.ID)
}

func (s *Server) handleSettings(c echo.Context) error {
	return s.render(c, http.StatusOK, views.SettingsPage(views.SettingsView{
		Page:           s.page(c, "Settings · Switchboard"),
		MarkReadOnOpen: s.settingOn(c.Request().Context(), inbox.SettingMarkReadOnOpen),
		Saved:          c.QueryParam("saved") == "1",
	}))
}

func (s *Server) handleSaveSettings(c echo.Context) error {
	v := "off"
	if c.FormValue("mark_read_on_open") == "on" {
		v = "on"
	}
	if err := s.store.SetSetting(c.Request().Context(), inbox.SettingMarkReadOnOpen, v, s.now()); err != nil {
		return err
	}
	s.audit(c, "settings.update", "Mark read on open: "+v)
	return c.Redirect(http.StatusSeeOther, "/admin/settings?saved=1")
}

// markReadForCustomer tells Zavu the customer's latest message was read,
// when the admins asked for it. It runs in the background: the agent's
// page does not wait for Zavu.
func (s *Server) markReadForCustomer(ctx context.Context, conv inbox.Conversation) {
	if s.receipts == nil || conv.Channel != inbox.WhatsApp || !s.settingOn(ctx, inbox.SettingMarkReadOnOpen) {
		return
	}
	ms, _, err := s.store.Messages(ctx, conv.ID, inbox.MessageFilter{Limit: threadPage})
	if err != nil {
		s.log.Warn("read receipt not sent", "conversation_id", conv.ID, "err", err)
		return
	}
	var latest string
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Direction == inbox.Inbound && ms[i].ZavuID != "" {
			latest = ms[i].ZavuID
			break
		}
	}
	if latest == "" {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := s.receipts.MarkRead(ctx, latest); err != nil {
			s.log.Warn("read receipt not sent", "conversation_id", conv.ID, "err", err)
		}
	}()
}

func (s *Server) handleAudit(c echo.Context) error {
	es, err := s.store.Audit(c.Request().Context(), 500)
	if err != nil {
		return err
	}
	loc := location(c)
	v := views.AuditView{Page: s.page(c, "Audit log · Switchboard")}
	for _, e := range es {
		who := e.UserName
		switch {
		case e.UserID == nil:
			who = "Command line"
		case who == "":
			who = "(removed user)"
		}
		v.Entries = append(v.Entries, views.AuditRow{
			At: e.At.In(loc).Format(adminTimeFormat), Who: who, Action: e.Action, Detail: e.Detail,
		})
	}
	return s.render(c, http.StatusOK, views.AuditPage(v))
}
