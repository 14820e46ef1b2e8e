package web

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"switchboard/static"
)

// routes lists Switchboard's whole HTTP surface.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.recoverPanics, s.logRequests, s.securityHeaders)

	// Every GET below answers HEAD too, as the GET without its body: New
	// puts headAsGET in front of all routing and middleware.

	// Machines' routes: any other method is told 405 with the ones the
	// route takes (not sent to the sign-in page).
	e.GET("/healthz", s.handleHealth)
	e.GET("/readyz", s.handleReady)
	e.GET("/metrics", s.handleMetrics)
	e.POST("/webhooks/zavu", s.handleWebhook)
	onlyMethods(e, "/healthz", http.MethodGet, http.MethodHead)
	onlyMethods(e, "/readyz", http.MethodGet, http.MethodHead)
	onlyMethods(e, "/metrics", http.MethodGet, http.MethodHead)
	onlyMethods(e, "/webhooks/zavu", http.MethodPost)

	e.GET(static.Prefix+"*", echo.WrapHandler(static.Handler()))
	// Attachments, for Zavu: signed, expiring links. A fetcher may ask
	// HEAD first, for the type and length.
	e.GET("/files/:name", s.handleFile)
	// The service worker, at the root: its scope is every page.
	e.GET("/sw.js", s.handleServiceWorker)

	// The composer's Send, the one route that takes a large body (an
	// attachment): nothing of it is read before the session, the CSRF token
	// (a header) and the signed-in user are checked; then it needs a free
	// upload slot, and the file, once its conversation is found to take
	// files, is streamed to disk (readReplyForm).
	e.POST("/conversations/:id/messages", s.handleReply, s.withSession, s.checkCSRF, s.requireUser)

	// Agents' pages: a session cookie, and a CSRF token on every change;
	// bodies of at most 64 KiB.
	pages := e.Group("", limitBody(maxFormBody), s.withSession, s.checkCSRF)
	pages.GET("/login", s.handleLoginForm)
	pages.POST("/login", s.handleLogin)
	pages.POST("/logout", s.handleLogout)
	pages.GET("/setup", s.handleSetupForm)
	pages.POST("/setup", s.handleSetup)

	agent := pages.Group("", s.requireUser, plainParams)
	agent.GET("/", s.handleRoot)
	agent.GET("/inbox", s.handleInbox)
	agent.GET("/inbox/list", s.handleList)
	agent.GET("/search", s.handleSearch)
	agent.GET("/contacts", s.handleContacts)
	agent.GET("/contacts/:id", s.handleContact)
	agent.POST("/contacts/:id", s.handleEditContact)
	agent.GET("/conversations/new", s.handleNewConversationForm)
	agent.POST("/conversations", s.handleNewConversation)
	agent.GET("/conversations/:id", s.handleConversation)
	agent.GET("/conversations/:id/messages", s.handleOlderMessages)
	agent.POST("/conversations/:id/read", s.handleMarkRead)
	agent.POST("/conversations/:id/assign", s.handleAssign)
	agent.POST("/conversations/:id/status", s.handleStatus)
	agent.POST("/conversations/:id/notes", s.handleNote)
	agent.POST("/conversations/:id/notes/:noteId", s.handleEditNote)
	agent.POST("/conversations/:id/notes/:noteId/delete", s.handleDeleteNote)
	agent.GET("/mentions", s.handleMentions)
	agent.POST("/conversations/:id/labels", s.handleLabels)
	agent.POST("/conversations/:id/snooze", s.handleSnooze)
	agent.POST("/conversations/bulk", s.handleBulk)
	agent.POST("/conversations/bulk/undo", s.handleBulkUndo)
	agent.POST("/views", s.handleSaveView)
	agent.POST("/views/:id/delete", s.handleDeleteView)
	agent.GET("/conversations/:id/saved-replies", s.handleSavedReplyOptions)
	agent.POST("/messages/:id/retry", s.handleRetry)
	agent.GET("/media/:id", s.handleMedia)
	agent.POST("/messages/:id/react", s.handleReact)
	agent.GET("/reports", s.handleReports) // an agent sees their own figures
	agent.GET("/reports/export.csv", s.handleReportsExport)
	agent.GET("/settings/notifications", s.handleNotificationSettings)
	agent.POST("/settings/notifications", s.handleSaveNotificationSettings)
	agent.POST("/settings/notifications/push", s.handlePushSubscribe)
	agent.POST("/settings/notifications/push/delete", s.handlePushUnsubscribe)
	e.GET("/ws", s.handleLive, s.loadSession, s.requireUser)

	admin := agent.Group("/admin", s.requireAdmin)
	admin.GET("", s.handleAdminHome)
	admin.GET("/auto-replies", s.handleAutoReplies)
	admin.GET("/satisfaction", s.handleCSAT)
	admin.POST("/satisfaction", s.handleSaveCSAT)
	admin.POST("/auto-replies", s.handleSaveAutoReplies)
	admin.POST("/auto-replies/try", s.handleTryAutoReply)
	admin.POST("/auto-replies/rules", s.handleAddAutoReplyRule)
	admin.GET("/auto-replies/rules/:id", s.handleEditAutoReplyRule)
	admin.POST("/auto-replies/rules/:id", s.handleUpdateAutoReplyRule)
	admin.POST("/auto-replies/rules/:id/delete", s.handleDeleteAutoReplyRule)
	admin.POST("/auto-replies/rules/:id/move", s.handleMoveAutoReplyRule)
	admin.GET("/saved-replies", s.handleSavedReplies)
	admin.POST("/saved-replies", s.handleCreateSavedReply)
	admin.GET("/saved-replies/:id", s.handleEditSavedReply)
	admin.POST("/saved-replies/:id", s.handleUpdateSavedReply)
	admin.POST("/saved-replies/:id/delete", s.handleDeleteSavedReply)
	admin.GET("/labels", s.handleLabelsPage)
	admin.POST("/labels", s.handleCreateLabel)
	admin.POST("/labels/:id/delete", s.handleDeleteLabel)
	admin.POST("/labels/:id", s.handleUpdateLabel)
	admin.GET("/webhooks", s.handleWebhookLog)
	admin.POST("/webhooks/:id/replay", s.handleReplayEvent)
	admin.GET("/agents", s.handleAgents)
	admin.POST("/agents", s.handleAddAgent)
	admin.GET("/agents/:id", s.handleAgent)
	admin.POST("/agents/:id/role", s.handleAgentRole)
	admin.POST("/agents/:id/deactivate", s.handleDeactivateAgent)
	admin.POST("/agents/:id/reactivate", s.handleReactivateAgent)
	admin.POST("/agents/:id/password", s.handleResetPassword)
	admin.GET("/tokens", s.handleTokens)
	admin.POST("/tokens", s.handleCreateToken)
	admin.POST("/tokens/:id/revoke", s.handleRevokeToken)
	admin.GET("/senders", s.handleSenders)
	admin.POST("/senders/sync", s.handleSyncSenders)
	admin.POST("/senders/:id/secret", s.handleSetSenderSecret)
	admin.POST("/senders/:id/secret/delete", s.handleRemoveSenderSecret)
	admin.POST("/senders/:id/secret/previous/delete", s.handleRemovePreviousSenderSecret)
	admin.GET("/templates", s.handleTemplates)
	admin.GET("/templates/list", s.handleTemplateList)
	admin.POST("/templates/sync", s.handleSyncTemplates)
	admin.GET("/audit", s.handleAudit)
	admin.GET("/settings", s.handleSettings)
	admin.POST("/settings", s.handleSaveSettings)
	admin.POST("/reports/time-zone", s.handleReportTimeZone)
	admin.GET("/backups", s.handleBackups)
	admin.POST("/backups", s.handleSaveBackups)
	admin.POST("/backups/run", s.handleBackupNow)
	admin.GET("/retention", s.handleRetention)
	admin.POST("/retention", s.handleSaveRetention)

	// Any other path under /api is a script's mistake: a JSON 404, not
	// the sign-in page.
	e.RouteNotFound("/api", apiNotFound)
	e.RouteNotFound("/api/*", apiNotFound)
	api := e.Group("/api/v1", s.requireToken, limitAPIBody, plainParams)
	// After the token's checks: 405 for a route's path with another
	// method, 404 for no route.
	api.RouteNotFound("/*", s.apiNoRoute)
	// Each read names the parameters it takes: another (assigneeId on
	// the list, a misspelt labelid) is refused, not ignored.
	report := []string{"from", "to", "senderId", "channel", "agentId", "labelId"}
	api.GET("/conversations", s.handleAPIConversations, onlyParams("status", "label", "limit", "cursor"))
	api.GET("/conversations/:id", s.handleAPIConversation, onlyParams())
	api.PATCH("/conversations/:id", s.handleAPIPatchConversation)
	api.GET("/conversations/:id/messages", s.handleAPIMessages, onlyParams("limit", "before"))
	api.POST("/conversations/:id/messages", s.handleAPIReply)
	api.POST("/conversations/:id/notes", s.handleAPINote)
	api.PATCH("/conversations/:id/notes/:noteId", s.handleAPIEditNote)
	api.DELETE("/conversations/:id/notes/:noteId", s.handleAPIDeleteNote)
	api.GET("/messages/:id", s.handleAPIMessage, onlyParams())
	api.GET("/events", s.handleAPIEvents, onlyParams("state", "limit", "cursor"))
	api.GET("/search", s.handleAPISearch, onlyParams("q", "channel", "status", "assigneeId", "senderId", "label", "labelId",
		"from", "to", "limit", "cursor"))
	api.GET("/contacts", s.handleAPIContacts, onlyParams("q", "limit", "cursor"))
	api.GET("/contacts/:id", s.handleAPIContact, onlyParams())
	api.PATCH("/contacts/:id", s.handleAPIEditContact)
	api.GET("/reports/summary", s.handleAPIReportSummary, onlyParams(append(report, "compare")...))
	api.GET("/reports/export.csv", s.handleAPIReportExport, onlyParams(report...))

	s.routeKeys = map[string]bool{}
	for _, r := range e.Routes() {
		s.routeKeys[r.Method+" "+r.Path] = true
	}
}

// onlyParams refuses a request to an API read whose query string holds a
// parameter other than names (spelt exactly so), with 400
// unknown_parameter naming the ones it takes: ignored, a filter the
// route does not have, or a misspelt one, answered with everything.
func onlyParams(names ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			keys := slices.Sorted(maps.Keys(c.QueryParams()))
			for _, k := range keys {
				if slices.Contains(names, k) {
					continue
				}
				use := "it takes none"
				switch n := len(names); n {
				case 0:
				case 1:
					use = "use " + names[0]
				default:
					use = "use " + strings.Join(names[:n-1], ", ") + " or " + names[n-1]
				}
				return newError(http.StatusBadRequest, "unknown_parameter",
					fmt.Sprintf("There is no parameter %q here; %s.", k, use))
			}
			return next(c)
		}
	}
}

// plainParams refuses a request to the API or an agent's page whose query
// string or path holds a NUL character or bytes that are not UTF-8 with
// 400 invalid_parameter (a page in words for a browser): no text
// Switchboard takes or stores has them, and PostgreSQL refuses them in a
// query.
func plainParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		plain := func(v string) bool { return utf8.ValidString(v) && !strings.ContainsRune(v, 0) }
		for _, k := range slices.Sorted(maps.Keys(c.QueryParams())) {
			for _, v := range append([]string{k}, c.QueryParams()[k]...) {
				if !plain(v) {
					return newError(http.StatusBadRequest, "invalid_parameter",
						fmt.Sprintf("The parameter %q holds a NUL character or bytes that are not UTF-8.", k))
				}
			}
		}
		for _, v := range c.ParamValues() {
			if !plain(v) {
				return newError(http.StatusBadRequest, "invalid_parameter", "The path holds a NUL character or bytes that are not UTF-8.")
			}
		}
		return next(c)
	}
}

// headAsGET routes a HEAD that no route of its own takes as the GET of
// its path, when there is one: every page, download and read answers HEAD
// as its GET, the same status and headers (redirects, Content-Type,
// Content-Length) without the body, as link checkers, monitors and
// prefetchers expect. The method is GET only while echo routes it:
// restoreHEAD, the first middleware after routing, puts HEAD back, so
// that the checks (CSRF, a read token's scope) and handlers see it
// (http.ServeContent then sends no file), and net/http, which judges the
// same *http.Request, writes no body.
func (s *Server) headAsGET(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodHead {
			path := echo.GetPath(r)
			if !s.routed(http.MethodHead, path) && s.routed(http.MethodGet, path) {
				r.Method = http.MethodGet // echo routes by this very request
				c.Set(ctxHEADAsGET, true)
			}
		}
		return next(c)
	}
}

// ctxHEADAsGET marks a HEAD that headAsGET routed as a GET.
const ctxHEADAsGET = "headAsGET"

// restoreHEAD makes a HEAD that headAsGET routed as a GET a HEAD again,
// before anything else sees it; and where echo answers a method the path
// does not take (405, or OPTIONS), Allow lists HEAD wherever it lists GET.
func restoreHEAD(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Get(ctxHEADAsGET) != nil {
			c.Request().Method = http.MethodHead
		}
		if allow, ok := c.Get(echo.ContextKeyHeaderAllow).(string); ok {
			allow = withHEAD(allow)
			if c.Request().Method == http.MethodOptions {
				c.Response().Header().Set(echo.HeaderAllow, allow)
				return c.NoContent(http.StatusNoContent)
			}
			c.Set(echo.ContextKeyHeaderAllow, allow)
		}
		return next(c)
	}
}

// withHEAD adds HEAD after GET to a list of allowed methods that has GET
// but not HEAD.
func withHEAD(allow string) string {
	list := strings.Split(allow, ", ")
	i := slices.Index(list, http.MethodGet)
	if i < 0 || slices.Contains(list, http.MethodHead) {
		return allow
	}
	return strings.Join(slices.Insert(list, i+1, http.MethodHead), ", ")
}

// routed reports whether a request with method for path meets a route of
// its own (not a 404 or a 405).
func (s *Server) routed(method, path string) bool {
	found := s.echo.NewContext(nil, nil)
	s.echo.Router().Find(method, path, found)
	return s.routeKeys[method+" "+found.Path()]
}

// methods are those a route may be asked with, in the order Allow lists
// them.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions}

// onlyMethods answers path with 405 for every method but allow.
func onlyMethods(e *echo.Echo, path string, allow ...string) {
	var others []string
	for _, m := range methods {
		if !slices.Contains(allow, m) {
			others = append(others, m)
		}
	}
	header := strings.Join(allow, ", ")
	e.Match(others, path, func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderAllow, header)
		return echo.ErrMethodNotAllowed
	})
}

func apiNotFound(echo.Context) error { return echo.ErrNotFound }

// apiNoRoute answers an API request no route takes: 405 with Allow when
// its path is a route's for other methods (HEAD wherever GET), else 404.
func (s *Server) apiNoRoute(c echo.Context) error {
	path := echo.GetPath(c.Request())
	var allow []string
	for _, m := range methods {
		if s.routed(m, path) || m == http.MethodHead && s.routed(http.MethodGet, path) {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return echo.ErrNotFound
	}
	c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
	return echo.ErrMethodNotAllowed
}
