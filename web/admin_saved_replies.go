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

// savedNotices are what the list page says after a change, by its
// ?done= value.
var savedNotices = map[string]string{
	"added":   "Saved reply added. Agents can use it now.",
	"updated": "Saved reply updated.",
	"deleted": "Saved reply deleted.",
}

// savedReplyForm is the admin form for r, with the limits it shows.
func savedReplyForm(r inbox.SavedReply) views.SavedReplyForm {
	return views.SavedReplyForm{
		ID: r.ID, Shortcut: r.Shortcut, Title: r.Title, Body: r.Body,
		MaxShortcut: inbox.MaxShortcutLength, MaxTitle: inbox.MaxSavedTitle, MaxBody: inbox.MaxReplyLength,
		Placeholders: inbox.KnownPlaceholders, Seen: savedVersion(r),
	}
}

// savedVersion tells one saved version of a stored reply from the next,
// as the auto-replies' forms do: by what it holds and when it was saved,
// so two saves within one millisecond differ too.
func savedVersion(r inbox.SavedReply) string {
	if r.ID == 0 || r.UpdatedAt.IsZero() {
		return ""
	}
	return fingerprint(r)
}

// savedRepliesView is the list page with form as its add form.
func (s *Server) savedRepliesView(c echo.Context, form views.SavedReplyForm) (views.SavedRepliesView, error) {
	rs, err := s.store.SavedReplies(c.Request().Context())
	if err != nil {
		return views.SavedRepliesView{}, err
	}
	loc := location(c)
	v := views.SavedRepliesView{Page: s.page(c, "Saved replies · Switchboard"), Form: form}
	for _, r := range rs {
		v.Replies = append(v.Replies, views.SavedReplyRow{
			ID: r.ID, Shortcut: r.Shortcut, Title: r.Title, Preview: savedPreview(r.Body, 120),
			Updated: r.UpdatedAt.In(loc).Format(adminTimeFormat),
		})
	}
	return v, nil
}

func (s *Server) handleSavedReplies(c echo.Context) error {
	v, err := s.savedRepliesView(c, savedReplyForm(inbox.SavedReply{}))
	if err != nil {
		return err
	}
	v.Notice = savedNotices[c.QueryParam("done")]
	return s.render(c, http.StatusOK, views.SavedRepliesPage(v))
}

// savedReplyFromForm is the saved reply as the admin typed it.
func savedReplyFromForm(c echo.Context, id int64) inbox.SavedReply {
	return inbox.SavedReply{ID: id, Shortcut: c.FormValue("shortcut"), Title: c.FormValue("title"), Body: c.FormValue("body")}
}

// formWithErrors is the form as typed, with err's field errors; ok is
// false when err is not about what was typed.
func formWithErrors(r inbox.SavedReply, err error) (views.SavedReplyForm, bool) {
	inv, ok := inbox.AsInvalidSavedReply(err)
	if !ok {
		return views.SavedReplyForm{}, false
	}
	f := savedReplyForm(r)
	f.ShortcutError, f.TitleError, f.BodyError = inv.Shortcut, inv.Title, inv.Body
	return f, true
}

func (s *Server) handleCreateSavedReply(c echo.Context) error {
	r := savedReplyFromForm(c, 0)
	r.CreatedAt = s.now()
	if err := s.store.CreateSavedReply(c.Request().Context(), &r); err != nil {
		f, ok := formWithErrors(r, err)
		if !ok {
			return err
		}
		v, err := s.savedRepliesView(c, f)
		if err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, views.SavedRepliesPage(v))
	}
	s.audit(c, "saved_reply.create", savedAuditDetail(r))
	return c.Redirect(http.StatusSeeOther, "/admin/saved-replies?done=added")
}

func (s *Server) savedReplyEditView(c echo.Context, f views.SavedReplyForm, shortcut string) views.SavedRepliesView {
	return views.SavedRepliesView{Page: s.page(c, "Edit /"+shortcut+" · Saved replies · Switchboard"), Form: f, Current: shortcut}
}

func (s *Server) handleEditSavedReply(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r, err := s.store.SavedReply(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.SavedReplyEditPage(s.savedReplyEditView(c, savedReplyForm(r), r.Shortcut)))
}

func (s *Server) handleUpdateSavedReply(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r := savedReplyFromForm(c, id)
	before, err := s.store.SavedReply(ctx, id)
	if errors.Is(err, inbox.ErrNotFound) {
		return s.savedReplyGone(c, r)
	}
	if err != nil {
		return err
	}
	if seen := c.FormValue("seen"); seen != "" && seen != savedVersion(before) {
		// Saved by someone else since this form was opened: saving now
		// would silently replace their text.
		f := savedReplyForm(r)
		f.Seen = savedVersion(before)
		f.Error = fmt.Sprintf("Someone else saved this reply at %s, while you were editing it. It now reads: /%s: %s. "+
			saveAgainToReplace,
			before.UpdatedAt.In(location(c)).Format(adminTimeFormat), before.Shortcut, before.Body)
		return s.render(c, http.StatusConflict, views.SavedReplyEditPage(s.savedReplyEditView(c, f, before.Shortcut)))
	}
	r.UpdatedAt = s.now()
	if err := s.store.UpdateSavedReply(ctx, &r); err != nil {
		if errors.Is(err, inbox.ErrNotFound) {
			return s.savedReplyGone(c, r)
		}
		f, ok := formWithErrors(r, err)
		if !ok {
			return err
		}
		f.Seen = c.FormValue("seen")
		return s.render(c, http.StatusUnprocessableEntity, views.SavedReplyEditPage(s.savedReplyEditView(c, f, before.Shortcut)))
	}
	detail := savedAuditDetail(r)
	if before.Shortcut != r.Shortcut {
		detail = "/" + before.Shortcut + " renamed " + detail
	}
	s.audit(c, "saved_reply.update", detail)
	return c.Redirect(http.StatusSeeOther, "/admin/saved-replies?done=updated")
}

// savedReplyGone answers an edit of a saved reply deleted meanwhile: the
// list, with what was typed in the add form, to add it again.
func (s *Server) savedReplyGone(c echo.Context, r inbox.SavedReply) error {
	f := savedReplyForm(inbox.SavedReply{Shortcut: r.Shortcut, Title: r.Title, Body: r.Body})
	f.Error = deletedMeanwhile("This saved reply")
	v, err := s.savedRepliesView(c, f)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusConflict, views.SavedRepliesPage(v))
}

func (s *Server) handleDeleteSavedReply(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r, err := s.store.DeleteSavedReply(c.Request().Context(), id)
	if errors.Is(err, inbox.ErrNotFound) {
		// Deleted already, perhaps by another admin: the list says what is left.
		return c.Redirect(http.StatusSeeOther, "/admin/saved-replies")
	}
	if err != nil {
		return err
	}
	s.audit(c, "saved_reply.delete", savedAuditDetail(r))
	return c.Redirect(http.StatusSeeOther, "/admin/saved-replies?done=deleted")
}

// savedAuditDetail names a saved reply and keeps its text, so that the
// audit log can bring back what was changed or deleted.
func savedAuditDetail(r inbox.SavedReply) string {
	d := "/" + r.Shortcut
	if r.Title != "" {
		d += " (" + r.Title + ")"
	}
	return d + ": " + r.Body
}

// savedPreview is the start of s on one line, at most n characters.
func savedPreview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
