package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/static"
	"switchboard/views"
)

// handleNotificationSettings shows the agent's own notification settings.
func (s *Server) handleNotificationSettings(c echo.Context) error {
	ctx := c.Request().Context()
	me := currentUser(c).ID
	set, err := s.store.NotificationSettings(ctx, me)
	if err != nil {
		return err
	}
	subs, err := s.store.PushSubscriptions(ctx, me)
	if err != nil {
		return err
	}
	v := views.NotificationSettingsView{
		Page:         s.page(c, "Notifications · Switchboard"),
		Settings:     set,
		PushBrowsers: len(subs),
		Saved:        c.QueryParam("saved") == "1",
	}
	if s.notifier.push != nil {
		v.PushKey = s.notifier.push.keys.Public
	}
	return s.render(c, http.StatusOK, views.NotificationSettingsPage(v))
}

// handleSaveNotificationSettings stores the agent's choices from the form;
// a box not ticked is off.
func (s *Server) handleSaveNotificationSettings(c echo.Context) error {
	on := func(name string) bool { return c.FormValue(name) == "on" }
	set := inbox.NotificationSettings{
		NewConversation: on("new_conversation"), Message: on("message"), Assigned: on("assigned"),
		Mentioned: on("mentioned"), Sound: on("sound"), Desktop: on("desktop"), Push: on("push"),
	}
	me := currentUser(c).ID
	if err := s.store.SaveNotificationSettings(c.Request().Context(), me, set, s.now()); err != nil {
		return err
	}
	s.notifier.forget()
	s.relay(relaySettings)
	s.log.Info("notification settings saved", "user_id", me)
	return c.Redirect(http.StatusSeeOther, "/settings/notifications?saved=1")
}

// pushSubscriptionJSON is a browser's PushSubscription as its toJSON()
// gives it.
type pushSubscriptionJSON struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// maxPushEndpoint bounds a push service's URL; real ones are a few
// hundred characters.
const maxPushEndpoint = 2048

// handlePushSubscribe keeps the page's browser's push subscription for
// the agent. The endpoint must be an https URL and the keys a P-256
// public key and a 16-byte secret, so that every later send can be made.
func (s *Server) handlePushSubscribe(c echo.Context) error {
	if s.notifier.push == nil {
		return newError(http.StatusServiceUnavailable, "push_off", "Notifications for closed tabs are not available on this server.")
	}
	var in pushSubscriptionJSON
	if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil {
		return newError(http.StatusBadRequest, "invalid_subscription", "The browser's subscription could not be read.")
	}
	if !validPushEndpoint(in.Endpoint) || decodedLen(in.Keys.P256dh) != 65 || decodedLen(in.Keys.Auth) != 16 {
		return newError(http.StatusBadRequest, "invalid_subscription", "The browser's subscription is not one Switchboard can send to.")
	}
	me := currentUser(c).ID
	sub := inbox.PushSubscription{UserID: me, Endpoint: in.Endpoint, P256dh: in.Keys.P256dh, Auth: in.Keys.Auth,
		Session: s.sessions.Token(c.Request().Context()), CreatedAt: s.now()}
	if err := s.store.SavePushSubscription(c.Request().Context(), &sub); err != nil {
		return err
	}
	s.notifier.forget()
	s.relay(relaySettings)
	s.log.Info("push subscription saved", "user_id", me, "subscription_id", sub.ID)
	return c.NoContent(http.StatusNoContent)
}

// handlePushUnsubscribe forgets one of the agent's own push subscriptions.
func (s *Server) handlePushUnsubscribe(c echo.Context) error {
	var in pushSubscriptionJSON
	if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil || in.Endpoint == "" {
		return newError(http.StatusBadRequest, "invalid_subscription", "Say which subscription to remove.")
	}
	if _, err := s.store.DeletePushSubscription(c.Request().Context(), currentUser(c).ID, in.Endpoint); err != nil {
		return err
	}
	s.notifier.forget()
	s.relay(relaySettings)
	return c.NoContent(http.StatusNoContent)
}

func validPushEndpoint(s string) bool {
	if len(s) > maxPushEndpoint {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// decodedLen is the length of a base64url key (padded or not), -1 when it
// is not base64url.
func decodedLen(s string) int {
	b, err := base64.RawURLEncoding.DecodeString(trimPadding(s))
	if err != nil {
		return -1
	}
	return len(b)
}

func trimPadding(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// handleServiceWorker serves static/sw.js from the site's root, so that
// it may show push notifications for every page.
func (s *Server) handleServiceWorker(c echo.Context) error {
	b, ok := static.Raw("sw.js")
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", "/")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", b)
}
