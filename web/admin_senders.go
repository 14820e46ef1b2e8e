package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// sendersNotices are what the senders page says after a change, by its
// ?done= value.
var sendersNotices = map[string]string{
	"secret-saved":     "Webhook secret saved. Webhooks signed with it are accepted from now on.",
	"secret-replaced":  "Webhook secret replaced. Webhooks signed with it are accepted from now on, and those signed with the old one for 24 hours more.",
	"secret-removed":   "Webhook secret removed. Webhooks signed only with it are refused from now on.",
	"previous-removed": "The old webhook secret is no longer accepted. Webhooks signed with it are refused from now on.",
}

// syncStatus puts a sync result in words for a page.
func (s *Server) syncStatus(r inbox.SyncResult, loc *time.Location) views.SyncStatus {
	st := views.SyncStatus{Available: s.directory != nil, Count: r.Count}
	if !r.At.IsZero() {
		st.At = r.At.In(loc).Format(adminTimeFormat)
	}
	if r.Err != nil {
		st.Problem = syncProblem(r.Err)
	}
	return st
}

// syncProblem says in plain words why a sync from Zavu failed.
func syncProblem(err error) string {
	var temp interface{ Temporary() bool }
	switch {
	case errors.Is(err, inbox.ErrUnauthorized):
		return "Zavu refused Switchboard's API key (invalid API key). Check ZAVU_API_KEY and restart Switchboard."
	case errors.Is(err, context.DeadlineExceeded):
		return "Zavu did not answer in time. Try again in a minute."
	case errors.As(err, &temp) && temp.Temporary():
		return "Switchboard could not reach Zavu, or Zavu had a problem on its side. Try again in a minute."
	case errors.Is(err, inbox.ErrInvalid), errors.Is(err, inbox.ErrNotFound):
		return "Zavu refused the request. Check that ZAVU_API_URL is Zavu's API and that the API key belongs to this project."
	case errors.Is(err, inbox.ErrStoreClosed):
		return "Switchboard was shutting down. Try again once it is back."
	}
	return "Something went wrong on our side while storing what Zavu sent. It has been logged."
}

func (s *Server) sendersSynced() inbox.SyncResult {
	if s.directory == nil {
		return inbox.SyncResult{}
	}
	return s.directory.SendersSynced()
}

// sendersView is the senders page; secretError, when set, is shown on the
// sender with id errorFor.
func (s *Server) sendersView(c echo.Context, errorFor, secretError string) (views.SendersView, error) {
	ctx := c.Request().Context()
	ss, err := s.store.Senders(ctx)
	if err != nil {
		return views.SendersView{}, err
	}
	loc := location(c)
	ours := s.webhookURL()
	v := views.SendersView{
		Page:       s.page(c, "Senders · Switchboard"),
		WebhookURL: ours,
		Sync:       s.syncStatus(s.sendersSynced(), loc),
	}
	if p, ok := s.webhooks.(projectSecrets); ok {
		v.NoProjectSecret = !p.HasProjectSecrets(ctx)
	}
	for _, sd := range ss {
		row := views.SenderRow{
			ID: sd.ID, Name: sd.Name, Phone: sd.Phone, Default: sd.IsDefault, Synced: !sd.SyncedAt.IsZero(),
			Problems:  sd.WebhookProblems(ours),
			SecretSet: sd.Secret.Set, SecretHint: sd.Secret.Hint,
		}
		if sd.Webhook != nil {
			row.WebhookURL, row.Events = sd.Webhook.URL, sd.Webhook.Events
		}
		if sd.Secret.Set && !sd.Secret.SetAt.IsZero() {
			row.SecretSetAt = sd.Secret.SetAt.In(loc).Format(adminTimeFormat)
		}
		if !sd.Secret.PreviousUntil.IsZero() {
			row.PreviousHint = sd.Secret.PreviousHint
			row.PreviousUntil = sd.Secret.PreviousUntil.In(loc).Format(adminTimeFormat)
		}
		if sd.ID == errorFor {
			row.SecretError = secretError
		}
		v.Senders = append(v.Senders, row)
	}
	return v, nil
}

// projectSecrets are Webhooks that tell whether the project has secrets
// of its own (ZAVU_WEBHOOK_SECRET).
type projectSecrets interface {
	HasProjectSecrets(ctx context.Context) bool
}

func (s *Server) handleSenders(c echo.Context) error {
	v, err := s.sendersView(c, "", "")
	if err != nil {
		return err
	}
	v.Notice = sendersNotices[c.QueryParam("done")]
	return s.render(c, http.StatusOK, views.SendersPage(v))
}

// handleSyncSenders copies the senders from Zavu now; the page then says
// how it went.
func (s *Server) handleSyncSenders(c echo.Context) error {
	if s.directory == nil {
		return newError(http.StatusServiceUnavailable, "unavailable", "Syncing from Zavu is not available on this server.")
	}
	n, err := s.directory.SyncSenders(c.Request().Context())
	if err != nil {
		s.log.WarnContext(c.Request().Context(), "senders not synced from Zavu", "err", err)
		s.audit(c, "senders.sync", "Sync from Zavu failed: "+syncProblem(err))
	} else {
		s.audit(c, "senders.sync", "Synced "+strconv.Itoa(n)+" senders from Zavu")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/senders")
}

// senderLabel names a sender in the audit log.
func senderLabel(sd inbox.Sender) string {
	name := sd.ID
	if sd.Name != "" {
		name = sd.Name + " (" + sd.ID + ")"
	}
	if sd.Phone != "" {
		name += " " + sd.Phone
	}
	return name
}

// handleSetSenderSecret stores the webhook secret an admin pasted for a
// sender. The secret is never shown again, not even when it is refused.
func (s *Server) handleSetSenderSecret(c echo.Context) error {
	ctx := c.Request().Context()
	sd, err := s.store.Sender(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	err = s.store.SetSenderSecret(ctx, sd.ID, c.FormValue("secret"), s.now())
	var invalid *inbox.InvalidSecret
	if errors.As(err, &invalid) {
		v, verr := s.sendersView(c, sd.ID, invalid.Reason)
		if verr != nil {
			return verr
		}
		return s.render(c, http.StatusUnprocessableEntity, views.SendersPage(v))
	}
	if err != nil {
		return err
	}
	what, done := "Webhook secret set for ", "secret-saved"
	if sd.Secret.Set {
		what, done = "Webhook secret replaced for ", "secret-replaced"
	}
	s.audit(c, "sender.secret_set", what+senderLabel(sd))
	return c.Redirect(http.StatusSeeOther, "/admin/senders?done="+done)
}

func (s *Server) handleRemoveSenderSecret(c echo.Context) error {
	ctx := c.Request().Context()
	sd, err := s.store.Sender(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.store.RemoveSenderSecret(ctx, sd.ID); err != nil {
		return err
	}
	s.audit(c, "sender.secret_remove", "Webhook secret removed for "+senderLabel(sd))
	return c.Redirect(http.StatusSeeOther, "/admin/senders?done=secret-removed")
}

// handleRemovePreviousSenderSecret stops accepting, at once, the secret a
// sender's secret replaced (when it may have leaked).
func (s *Server) handleRemovePreviousSenderSecret(c echo.Context) error {
	ctx := c.Request().Context()
	sd, err := s.store.Sender(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.store.RemovePreviousSenderSecret(ctx, sd.ID); err != nil {
		return err
	}
	s.audit(c, "sender.secret_remove_previous", "Previous webhook secret no longer accepted for "+senderLabel(sd))
	return c.Redirect(http.StatusSeeOther, "/admin/senders?done=previous-removed")
}
