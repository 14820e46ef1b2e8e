package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// tokenRow is the row of the tokens list named name.
func tokenRow(p page, name string) *goquery.Selection {
	return p.find("token-row").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.AttrOr("data-name", "") == name
	})
}

// An admin creates a token on the page and sees it once, scripts use it
// within its scope, the list shows who made it and when it was last used,
// and a revocation holds from the next request on. The audit log records
// both changes, never the token.
func TestAdminCreatesListsAndRevokesTokens(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.admin()

	p := adm.get("/admin/tokens")
	if p.status != http.StatusOK || p.find("token-form").Length() != 1 {
		t.Fatalf("tokens page: %d", p.status)
	}
	if p.find("admin-nav-tokens").AttrOr("aria-current", "") != "page" {
		t.Error("the admin navigation does not mark API tokens as the current page")
	}
	if !p.find("token-scope-read").Is("[checked]") {
		t.Error("the form does not offer read, the least access, first")
	}
	if r := tokenRow(p, "test"); r.Length() != 1 || cell(r, "token-created-by") != "Command line" || cell(r, "token-scope") != "write" {
		t.Errorf("the command-line token is listed as %q", r.Text())
	}

	// Refused: no name, an unknown scope.
	p = adm.submit("/admin/tokens", url.Values{"name": {"  "}, "scope": {"admin"}})
	if p.status != http.StatusUnprocessableEntity || p.find("token-name-error").Length() != 1 || p.find("token-scope-error").Length() != 1 {
		t.Errorf("empty name and scope admin: %d, errors %q %q", p.status, p.find("token-name-error").Text(), p.find("token-scope-error").Text())
	}
	if p.find("shown-token").Length() != 0 {
		t.Error("a refused form showed a token")
	}

	p = adm.submit("/admin/tokens", url.Values{"name": {"Nightly report"}, "scope": {"read"}})
	if p.status != http.StatusOK {
		t.Fatalf("create: %d", p.status)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page showing a new token may be cached: Cache-Control %q", p.header.Get("Cache-Control"))
	}
	secret := strings.TrimSpace(p.find("new-token").Text())
	if !strings.HasPrefix(secret, "sbt_") {
		t.Fatalf("no token shown: %q", p.find("shown-token").Text())
	}
	if p.find("copy-token").AttrOr("data-copy", "") != "#shown-token" || !strings.Contains(p.find("shown-token").Text(), "only time") {
		t.Errorf("the new token has no copy button or no warning: %q", p.find("shown-token").Text())
	}
	r := tokenRow(p, "Nightly report")
	if r.Length() != 1 || cell(r, "token-scope") != "read" || cell(r, "token-created-by") != "Ana" ||
		cell(r, "token-last-used") != "Never" || cell(r, "token-status") != "Active" || cell(r, "token-created") == "" {
		t.Errorf("new token row: %q", r.Text())
	}

	// The token works for reading only.
	if status, e := ts.apiCall(secret, http.MethodGet, "/api/v1/conversations", ""); status != http.StatusOK {
		t.Errorf("the new read token cannot read: %d %+v", status, e)
	}
	if status, e := ts.apiCall(secret, http.MethodPost, "/api/v1/conversations/1/messages", `{"text":"hi"}`); status != http.StatusForbidden || e.Error.Code != "forbidden" {
		t.Errorf("the new read token may post: %d %+v", status, e)
	}

	// Shown once: the list never has it again.
	p = adm.get("/admin/tokens")
	if strings.Contains(p.body, secret) || p.find("shown-token").Length() != 0 {
		t.Error("the token is shown again after it was created")
	}
	r = tokenRow(p, "Nightly report")
	if cell(r, "token-last-used") == "Never" {
		t.Errorf("last used after a request: %q", cell(r, "token-last-used"))
	}

	// Revoke: a confirmation, a POST with the CSRF token.
	form := r.Find("details.confirm form")
	action, _ := form.Attr("action")
	if form.Length() != 1 || form.Find(`input[name="csrf"]`).Length() != 1 || r.Find(`[data-testid="token-revoke"]`).Length() != 1 {
		t.Fatalf("no revoke confirmation in the row: %q", r.Text())
	}
	if p := adm.do(http.MethodPost, action, url.Values{}, nil); p.status != http.StatusForbidden {
		t.Errorf("revoke without the CSRF token: %d, want 403", p.status)
	}
	if status, _ := ts.apiCall(secret, http.MethodGet, "/api/v1/conversations", ""); status != http.StatusOK {
		t.Fatalf("a refused revocation revoked the token: %d", status)
	}
	p = adm.submit(action, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/tokens?done=revoked" {
		t.Fatalf("revoke: %d to %q", p.status, p.header.Get("Location"))
	}
	if status, e := ts.apiCall(secret, http.MethodGet, "/api/v1/conversations", ""); status != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
		t.Errorf("the revoked token still reads: %d %+v", status, e)
	}
	p = adm.get("/admin/tokens?done=revoked")
	r = tokenRow(p, "Nightly report")
	if p.find("tokens-notice").Length() != 1 || !strings.HasPrefix(cell(r, "token-status"), "Revoked") || r.Find(`[data-testid="token-revoke"]`).Length() != 0 {
		t.Errorf("after revoking: notice %q, row %q", p.find("tokens-notice").Text(), r.Text())
	}
	// Again, say from a second tab: nothing changes, the page says so.
	if p := adm.submit(action, nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/tokens?done=already" {
		t.Errorf("revoking twice: %d to %q", p.status, p.header.Get("Location"))
	}
	if p := adm.submit("/admin/tokens/9999/revoke", nil); p.status != http.StatusNotFound {
		t.Errorf("revoking an unknown token: %d, want 404", p.status)
	}

	entries, err := ts.db.Audit(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if strings.Contains(e.Detail, secret) || strings.Contains(e.Detail, secret[4:20]) {
			t.Errorf("the audit log holds the token: %+v", e)
		}
		if strings.HasPrefix(e.Action, "token.") {
			actions = append(actions, e.Action+" "+e.Detail+" by "+e.UserName)
		}
	}
	want := []string{`token.revoke "Nightly report" (read, id 2) by Ana`, `token.create "Nightly report" (read, id 2) by Ana`}
	if strings.Join(actions, "|") != strings.Join(want, "|") {
		t.Errorf("audit log = %q, want %q", actions, want)
	}
}

// Agents cannot see the tokens page or change tokens.
func TestAgentsCannotManageTokens(t *testing.T) {
	ts := newTestServer(t)
	ben := ts.addUser("ben@example.com", "Ben", inbox.RoleAgent)
	a := ts.newAgent()
	a.login(ben.Email)
	if p := a.get("/admin/tokens"); p.status != http.StatusForbidden || strings.Contains(p.body, "token-row") {
		t.Errorf("agent on the tokens page: %d", p.status)
	}
	if p := a.submit("/admin/tokens", url.Values{"name": {"mine"}, "scope": {"write"}}); p.status != http.StatusForbidden || strings.Contains(p.body, "sbt_") {
		t.Errorf("agent creating a token: %d", p.status)
	}
	if p := a.submit("/admin/tokens/1/revoke", nil); p.status != http.StatusForbidden {
		t.Errorf("agent revoking a token: %d", p.status)
	}
	toks, _ := ts.db.APITokens(context.Background())
	if len(toks) != 1 || toks[0].Revoked() {
		t.Errorf("an agent changed the tokens: %+v", toks)
	}
}

// Token changes made on the command line have no signed-in user: the
// audit log says where they came from.
func TestAuditNamesCommandLineChanges(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.admin()
	if err := ts.db.AddAudit(context.Background(), inbox.AuditEntry{At: time.Now(), Action: "token.revoke", Detail: `"cron" (read, id 7)`}); err != nil {
		t.Fatal(err)
	}
	adm.submit("/admin/tokens", url.Values{"name": {"dashboard"}, "scope": {"read"}})
	p := adm.get("/admin/audit")
	who := map[string]string{}
	p.find("audit-entry").Each(func(_ int, s *goquery.Selection) {
		cells := s.Find("td")
		who[strings.TrimSpace(cells.Eq(2).Text())] = strings.TrimSpace(cells.Eq(1).Text())
	})
	if who["token.revoke"] != "Command line" || who["token.create"] != "Ana" {
		t.Errorf("audit log who: %v", who)
	}
}

// Two tokens not revoked never share a name: the form refuses the name
// of one in use, keeping what was typed, and takes it again once that
// token is revoked.
func TestTokenNameInUseIsRefused(t *testing.T) {
	ts := newTestServer(t)
	adm := ts.admin()
	if p := adm.submit("/admin/tokens", url.Values{"name": {"ci"}, "scope": {"read"}}); p.status != http.StatusOK || !strings.Contains(p.body, "sbt_") {
		t.Fatalf("create: %d", p.status)
	}
	p := adm.submit("/admin/tokens", url.Values{"name": {" ci "}, "scope": {"write"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.find("token-name-error").Text(), "already") || strings.Contains(p.body, "sbt_") {
		t.Errorf("a second token named ci: %d, error %q", p.status, p.find("token-name-error").Text())
	}
	if n := tokenRow(p, "ci").Length(); n != 1 {
		t.Errorf("%d tokens named ci, want 1", n)
	}
	action, _ := tokenRow(p, "ci").Find("details.confirm form").Attr("action")
	if p := adm.submit(action, nil); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if p := adm.submit("/admin/tokens", url.Values{"name": {"ci"}, "scope": {"read"}}); p.status != http.StatusOK || !strings.Contains(p.body, "sbt_") {
		t.Errorf("the name of a revoked token: %d %q", p.status, p.find("token-name-error").Text())
	}
}
