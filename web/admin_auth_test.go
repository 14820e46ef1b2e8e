package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"switchboard/inbox"
)

// TestAdminRoutesAreForAdminsOnly walks every route under /admin, so a new
// admin page is covered the moment it is routed: nobody signed in is sent
// to the login page (or refused, for a change), an agent gets 403, and an
// admin gets through.
func TestAdminRoutesAreForAdminsOnly(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	agentUser := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)

	var routes []string
	for _, r := range ts.web.Routes() {
		if _, path, _ := strings.Cut(r, " "); path == "/admin" || strings.HasPrefix(path, "/admin/") {
			routes = append(routes, r)
		}
	}
	if len(routes) < 3 {
		t.Fatalf("only %d admin routes found: %v", len(routes), routes)
	}
	param := regexp.MustCompile(`:[a-zA-Z]+`)

	nobody := ts.newAgent()
	nobody.get("/login") // a CSRF token, so that a refusal is about who, not the token
	ben := ts.newAgent()
	ben.login(agentUser.Email)
	adm := ts.newAgent()
	adm.login(admin.Email)

	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		path = param.ReplaceAllString(path, "1")
		call := func(a *agent) page {
			if method == http.MethodGet {
				return a.get(path)
			}
			return a.do(method, path, url.Values{"csrf": {a.csrf}}, nil)
		}
		t.Run(method+" "+path, func(t *testing.T) {
			p := call(nobody)
			switch {
			case method == http.MethodGet && (p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login")):
				t.Errorf("signed out: %d to %q, want 303 to the login page", p.status, p.header.Get("Location"))
			case method != http.MethodGet && p.status != http.StatusUnauthorized:
				t.Errorf("signed out: %d, want 401", p.status)
			}
			if p := call(ben); p.status != http.StatusForbidden {
				t.Errorf("as an agent: %d, want 403", p.status)
			}
			p = call(adm)
			refused := p.status == http.StatusUnauthorized || p.status == http.StatusForbidden
			missing := p.status == http.StatusNotFound && !param.MatchString(r) // an id may well not exist
			if refused || missing || p.status >= 500 {
				t.Errorf("as an admin: %d", p.status)
			}
		})
	}
}
