package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/websocket"

	"switchboard/inbox"
)

// submit sends a form as a browser does without script: the CSRF token in
// a field, no htmx header.
func (a *agent) submit(path string, form url.Values) page {
	a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", a.csrf)
	return a.do(http.MethodPost, path, form, nil)
}

// signIn tries the sign-in form with a password and returns the answer.
func (a *agent) signIn(email, password string) page {
	a.t.Helper()
	a.get("/login")
	return a.do(http.MethodPost, "/login", url.Values{"email": {email}, "password": {password}, "csrf": {a.csrf}}, nil)
}

func signedIn(p page) bool {
	return p.status == http.StatusSeeOther && p.header.Get("Location") == "/inbox"
}

// agentRow is the list's row for the account with this e-mail address.
func agentRowText(p page, email string) (role, status string, ok bool) {
	row := p.find("agent-row").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.AttrOr("data-email", "") == email })
	if row.Length() != 1 {
		return "", "", false
	}
	return strings.TrimSpace(row.Find(`[data-testid="agent-role"]`).Text()), strings.TrimSpace(row.Find(`[data-testid="agent-status"]`).Text()), true
}

// auditActions are the audit log's entries, newest first, as "action detail".
func auditActions(a *agent) []string {
	a.t.Helper()
	var out []string
	a.get("/admin/audit").find("audit-entry").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.Join(strings.Fields(s.Text()), " "))
	})
	return out
}

func hasEntry(entries []string, parts ...string) bool {
	for _, e := range entries {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(e, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// mustClose reads from a live connection until it is closed and returns
// the close error; anything else within five seconds fails the test.
func mustClose(t *testing.T, conn *websocket.Conn) *websocket.CloseError {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue // a live update that was on its way
		}
		ce, ok := err.(*websocket.CloseError)
		if !ok {
			t.Fatalf("live connection: %v, want a close frame", err)
		}
		return ce
	}
}

func TestAgentsAddWithTypedOrGeneratedPassword(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login(ana.Email)

	p := a.get("/admin/agents")
	if p.status != http.StatusOK || p.find("admin-nav-agents").AttrOr("aria-current", "") != "page" {
		t.Fatalf("agents page: %d, or not marked in the admin navigation", p.status)
	}
	if role, status, ok := agentRowText(p, ana.Email); !ok || role != "Admin" || status != "Active" {
		t.Fatalf("Ana in the list: %q %q %v", role, status, ok)
	}

	// A password the admin typed.
	p = a.submit("/admin/agents", url.Values{"name": {"Ben Agent"}, "email": {"ben@example.com"}, "role": {"agent"}, "password": {"ben's own password"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/agents?done=added" {
		t.Fatalf("add Ben: %d to %q: %s", p.status, p.header.Get("Location"), p.find("agent-form-error").Text())
	}
	p = a.get("/admin/agents?done=added")
	if p.find("agents-notice").Length() != 1 || p.find("shown-password").Length() != 0 {
		t.Error("after adding with a typed password: want a notice and no password shown")
	}
	if role, status, ok := agentRowText(p, "ben@example.com"); !ok || role != "Agent" || status != "Active" {
		t.Fatalf("Ben in the list: %q %q %v", role, status, ok)
	}
	ben := ts.newAgent()
	if p := ben.signIn("ben@example.com", "ben's own password"); !signedIn(p) {
		t.Fatalf("Ben signing in with the password Ana chose: %d", p.status)
	}
	if p := ben.get("/admin/agents"); p.status != http.StatusForbidden {
		t.Errorf("Ben, an agent, on the agents page: %d, want 403", p.status)
	}

	// Left empty, a password is made and shown once.
	p = a.submit("/admin/agents", url.Values{"name": {"Cat Admin"}, "email": {"cat@example.com"}, "role": {"admin"}, "password": {""}})
	shown := strings.TrimSpace(p.find("new-password").Text())
	if p.status != http.StatusOK || len(shown) < 16 {
		t.Fatalf("add Cat with a generated password: %d, shown %q", p.status, shown)
	}
	if strings.Contains(a.get("/admin/agents").body, shown) {
		t.Error("the generated password is shown again on the next visit")
	}
	cat := ts.newAgent()
	if p := cat.signIn("cat@example.com", shown); !signedIn(p) {
		t.Fatalf("Cat signing in with the generated password: %d", p.status)
	}
	if p := cat.get("/admin/agents"); p.status != http.StatusOK {
		t.Errorf("Cat, added as an admin, on the agents page: %d", p.status)
	}

	entries := auditActions(a)
	if !hasEntry(entries, "Ana Admin", "user.create", "Ben Agent <ben@example.com> as agent") ||
		!hasEntry(entries, "Ana Admin", "user.create", "Cat Admin <cat@example.com> as admin") {
		t.Errorf("the audit log lacks the additions: %q", entries)
	}
	for _, e := range entries {
		if strings.Contains(e, shown) || strings.Contains(e, "ben's own password") {
			t.Errorf("a password is in the audit log: %q", e)
		}
	}
}

func TestAgentsAddRefusesWhatIsWrong(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a := ts.newAgent()
	a.login(ana.Email)
	a.get("/admin/agents")

	for _, c := range []struct {
		what      string
		form      url.Values
		field     string
		mentioned string
	}{
		{"a taken e-mail address, in other letters", url.Values{"name": {"Benjamin"}, "email": {"BEN@example.com"}, "role": {"agent"}}, "agent-email-error", "Ben Agent"},
		{"not an e-mail address", url.Values{"name": {"Dee"}, "email": {"dee at example"}, "role": {"agent"}}, "agent-email-error", "not an e-mail address"},
		{"no name", url.Values{"name": {"  "}, "email": {"dee@example.com"}, "role": {"agent"}}, "agent-name-error", "name"},
		{"an unknown role", url.Values{"name": {"Dee"}, "email": {"dee@example.com"}, "role": {"owner"}}, "agent-role-error", "Agent or Admin"},
		{"a short password", url.Values{"name": {"Dee"}, "email": {"dee@example.com"}, "role": {"agent"}, "password": {"short"}}, "agent-password-error", "at least 10"},
	} {
		p := a.submit("/admin/agents", c.form)
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", c.what, p.status)
			continue
		}
		if got := p.find(c.field).Text(); !strings.Contains(got, c.mentioned) {
			t.Errorf("%s: %s says %q, want it to mention %q", c.what, c.field, got, c.mentioned)
		}
		if p.find("agent-form-error").Length() != 1 {
			t.Errorf("%s: no summary above the form", c.what)
		}
		if got := p.find("agent-name").AttrOr("value", ""); got != strings.TrimSpace(c.form.Get("name")) {
			t.Errorf("%s: the name typed is lost: %q", c.what, got)
		}
	}
	if n := a.get("/admin/agents").find("agent-row").Length(); n != 2 {
		t.Errorf("%d accounts after refused additions, want 2", n)
	}
}

func TestAgentsChangeRole(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	benUser := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a, ben := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	ben.login(benUser.Email)
	path := fmt.Sprintf("/admin/agents/%d", benUser.ID)

	a.get(path)
	p := a.submit(path+"/role", url.Values{"role": {"admin"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("make Ben an admin: %d", p.status)
	}
	if p := a.get(p.header.Get("Location")); strings.TrimSpace(p.find("agent-role").Text()) != "Admin" || p.find("agent-notice").Length() != 1 {
		t.Errorf("Ben's page after promotion: role %q", p.find("agent-role").Text())
	}
	if p := ben.get("/admin/agents"); p.status != http.StatusOK {
		t.Errorf("Ben, now an admin, on the agents page: %d", p.status)
	}
	if p := a.submit(path+"/role", url.Values{"role": {"agent"}}); p.status != http.StatusSeeOther {
		t.Fatalf("make Ben an agent again: %d", p.status)
	}
	if p := ben.get("/admin/agents"); p.status != http.StatusForbidden {
		t.Errorf("Ben, an agent again, on the agents page: %d, want 403", p.status)
	}
	if p := a.submit(path+"/role", url.Values{"role": {"owner"}}); p.status != http.StatusBadRequest {
		t.Errorf("an unknown role: %d, want 400", p.status)
	}
	entries := auditActions(a)
	if !hasEntry(entries, "Ana Admin", "user.role", "Ben Agent <ben@example.com>: agent → admin") ||
		!hasEntry(entries, "Ana Admin", "user.role", "admin → agent") {
		t.Errorf("the audit log lacks the role changes: %q", entries)
	}
}

func TestDeactivatingAnAgentSignsThemOutAtOnce(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	benUser := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a, ben := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	ben.login(benUser.Email)
	a.live() // Ana's own page stays connected
	benLive := ben.live()
	waitClients(t, ts, 2)

	path := fmt.Sprintf("/admin/agents/%d", benUser.ID)
	if p := a.get(path); p.find("agent-deactivate").Length() != 1 {
		t.Fatal("Ben's page offers no way to deactivate him")
	}
	if p := a.submit(path+"/deactivate", nil); p.status != http.StatusSeeOther {
		t.Fatalf("deactivate Ben: %d", p.status)
	}
	// His live page is closed at once, as signed out: it does not reconnect.
	ce := mustClose(t, benLive)
	if ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "deactivated") {
		t.Errorf("Ben's live connection closed with %d %q, want 1008 saying why", ce.Code, ce.Text)
	}
	waitClients(t, ts, 1) // Ana's stays
	// His next click goes to the sign-in page, which tells him why he cannot.
	if p := ben.get("/inbox"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Fatalf("Ben's next page: %d to %q, want the sign-in page", p.status, p.header.Get("Location"))
	}
	p := ben.signIn(benUser.Email, "correct horse battery")
	if p.status != http.StatusForbidden || !strings.Contains(p.find("login-error").Text(), "deactivated") {
		t.Errorf("Ben signing in while deactivated: %d %q", p.status, p.find("login-error").Text())
	}
	if p := ben.signIn(benUser.Email, "a wrong password"); strings.Contains(p.body, "deactivated") {
		t.Error("a wrong password learns that the account is deactivated")
	}
	if _, status, _ := agentRowText(a.get("/admin/agents"), benUser.Email); status != "Deactivated" {
		t.Errorf("Ben in the list: %q, want Deactivated", status)
	}

	// Reactivated, he signs in again.
	if p := a.submit(path+"/reactivate", nil); p.status != http.StatusSeeOther {
		t.Fatalf("reactivate Ben: %d", p.status)
	}
	if p := a.get(path); strings.TrimSpace(p.find("agent-status").Text()) != "Active" {
		t.Errorf("Ben's status after reactivation: %q", p.find("agent-status").Text())
	}
	if p := ben.signIn(benUser.Email, "correct horse battery"); !signedIn(p) {
		t.Fatalf("Ben signing in after reactivation: %d", p.status)
	}
	// A session that made no request while he was deactivated does not
	// come back with the reactivation.
	if p := a.submit(path+"/deactivate", nil); p.status != http.StatusSeeOther {
		t.Fatal("deactivate Ben again")
	}
	if p := a.submit(path+"/reactivate", nil); p.status != http.StatusSeeOther {
		t.Fatal("reactivate Ben again")
	}
	if p := ben.get("/inbox"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("a session from before the deactivation, after reactivation: %d, want sent to sign in", p.status)
	}
	entries := auditActions(a)
	if !hasEntry(entries, "Ana Admin", "user.deactivate", "Ben Agent <ben@example.com>") ||
		!hasEntry(entries, "Ana Admin", "user.reactivate", "Ben Agent <ben@example.com>") {
		t.Errorf("the audit log lacks the deactivation and reactivation: %q", entries)
	}
}

func TestResettingAPasswordEndsTheOtherSessions(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	benUser := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	a, anaPhone, ben := ts.newAgent(), ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	anaPhone.login(ana.Email)
	ben.login(benUser.Email)
	benLive := ben.live()
	waitClients(t, ts, 1)

	path := fmt.Sprintf("/admin/agents/%d", benUser.ID)
	a.get(path)
	p := a.submit(path+"/password", url.Values{"password": {"short"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.find("reset-password-error").Text(), "at least") {
		t.Fatalf("a short password: %d %q", p.status, p.find("reset-password-error").Text())
	}
	if p.find("agent-reset").Closest("details").AttrOr("open", "no") == "no" {
		t.Error("the refused reset form is folded away")
	}
	if p := ben.get("/inbox"); p.status != http.StatusOK {
		t.Fatalf("a refused reset signed Ben out: %d", p.status)
	}

	// A password the admin typed.
	if p := a.submit(path+"/password", url.Values{"password": {"a brand new secret"}}); p.status != http.StatusSeeOther {
		t.Fatalf("reset Ben's password: %d", p.status)
	}
	if ce := mustClose(t, benLive); ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "password") {
		t.Errorf("Ben's live connection closed with %d %q, want 1008 saying why", ce.Code, ce.Text)
	}
	if p := ben.get("/inbox"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Fatalf("Ben's next page after the reset: %d to %q, want the sign-in page", p.status, p.header.Get("Location"))
	}
	if p := ben.signIn(benUser.Email, "correct horse battery"); signedIn(p) {
		t.Error("the old password still works")
	}
	if p := ben.signIn(benUser.Email, "a brand new secret"); !signedIn(p) {
		t.Fatalf("the new password: %d", p.status)
	}

	// A generated one, shown once.
	p = a.submit(path+"/password", url.Values{"password": {""}})
	shown := strings.TrimSpace(p.find("new-password").Text())
	if p.status != http.StatusOK || len(shown) < 16 {
		t.Fatalf("a generated password: %d, shown %q", p.status, shown)
	}
	if p := ben.get("/inbox"); p.status != http.StatusSeeOther {
		t.Errorf("Ben's session after the second reset: %d, want sent to sign in", p.status)
	}
	if p := ben.signIn(benUser.Email, "a brand new secret"); signedIn(p) {
		t.Error("the replaced password still works")
	}
	if p := ben.signIn(benUser.Email, shown); !signedIn(p) {
		t.Fatalf("the generated password: %d", p.status)
	}

	// Ana resets her own: this tab stays signed in, her phone does not.
	phoneLive := anaPhone.live()
	waitClients(t, ts, 1)
	own := fmt.Sprintf("/admin/agents/%d", ana.ID)
	if p := a.get(own); !strings.Contains(p.body, "this one stays signed in") {
		t.Error("Ana's own page does not say her session stays")
	}
	if p := a.submit(own+"/password", url.Values{"password": {"ana's new secret"}}); p.status != http.StatusSeeOther {
		t.Fatalf("Ana resets her own password: %d", p.status)
	}
	if ce := mustClose(t, phoneLive); ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("Ana's phone's live connection closed with %d, want 1008", ce.Code)
	}
	if p := a.get("/admin/agents"); p.status != http.StatusOK {
		t.Errorf("Ana's own tab after resetting her password: %d, want still signed in", p.status)
	}
	if p := anaPhone.get("/inbox"); p.status != http.StatusSeeOther {
		t.Errorf("Ana's phone after she reset her password: %d, want sent to sign in", p.status)
	}
	if p := anaPhone.signIn(ana.Email, "ana's new secret"); !signedIn(p) {
		t.Errorf("Ana's new password: %d", p.status)
	}

	entries := auditActions(a)
	if !hasEntry(entries, "Ana Admin", "user.password_reset", "Ben Agent <ben@example.com>: a password the admin typed") ||
		!hasEntry(entries, "Ana Admin", "user.password_reset", "Ben Agent <ben@example.com>: a generated password") ||
		!hasEntry(entries, "Ana Admin", "user.password_reset", "Ana Admin <ana@example.com>") {
		t.Errorf("the audit log lacks the resets: %q", entries)
	}
	for _, e := range entries {
		if strings.Contains(e, shown) || strings.Contains(e, "secret") {
			t.Errorf("a password is in the audit log: %q", e)
		}
	}
}

func TestTheLastActiveAdminCannotBeRemoved(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	benUser := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	oldUser := ts.addUser("old@example.com", "Old Admin", inbox.RoleAdmin)
	a, ben := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	ben.login(benUser.Email)
	anaPath := fmt.Sprintf("/admin/agents/%d", ana.ID)
	if p := a.submit(fmt.Sprintf("/admin/agents/%d/deactivate", oldUser.ID), nil); p.status != http.StatusSeeOther {
		t.Fatalf("deactivate the old admin: %d", p.status)
	}

	// An inactive admin does not count: Ana is the only one.
	p := a.get(anaPath)
	if p.find("only-admin").Length() != 1 || p.find("agent-deactivate").Length() != 0 || p.find("agent-make-agent").Length() != 0 {
		t.Error("the only active admin's page offers to demote or deactivate her")
	}
	for _, c := range []struct{ what, path string }{{"deactivates", "/deactivate"}, {"demotes", "/role"}} {
		p := a.submit(anaPath+c.path, url.Values{"role": {"agent"}})
		if p.status != http.StatusConflict || !strings.Contains(p.find("agent-error").Text(), "only active admin") {
			t.Errorf("the only admin %s herself: %d %q, want 409 saying why", c.what, p.status, p.find("agent-error").Text())
		}
	}
	if p := a.get("/admin/agents"); p.status != http.StatusOK {
		t.Fatalf("after the refusals Ana is no longer an admin: %d", p.status)
	}

	// With Ben an admin too, Ana may step down; then Ben is the last one.
	if p := a.submit(fmt.Sprintf("/admin/agents/%d/role", benUser.ID), url.Values{"role": {"admin"}}); p.status != http.StatusSeeOther {
		t.Fatal("make Ben an admin")
	}
	a.get(anaPath)
	p = a.submit(anaPath+"/role", url.Values{"role": {"agent"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/inbox" {
		t.Fatalf("Ana steps down: %d to %q", p.status, p.header.Get("Location"))
	}
	// The inbox she lands on says why, once.
	if got := a.get("/inbox").find("page-notice").Text(); !strings.Contains(got, "You made yourself an agent") {
		t.Errorf("the inbox Ana lands on says %q, want why the admin pages went", got)
	}
	if a.get("/inbox").find("page-notice").Length() != 0 {
		t.Error("the inbox says it again on the next page")
	}
	if p := a.get("/admin/agents"); p.status != http.StatusForbidden {
		t.Errorf("Ana, an agent now, on the agents page: %d, want 403", p.status)
	}
	benPath := fmt.Sprintf("/admin/agents/%d", benUser.ID)
	ben.get(benPath)
	if p := ben.submit(benPath+"/deactivate", nil); p.status != http.StatusConflict {
		t.Errorf("the last admin deactivates himself: %d, want 409", p.status)
	}
	if p := ben.get("/admin/agents"); p.status != http.StatusOK {
		t.Errorf("Ben after the refusal: %d", p.status)
	}
	// Deactivating oneself, with another admin left, signs one out.
	if p := ben.submit(fmt.Sprintf("/admin/agents/%d/role", ana.ID), url.Values{"role": {"admin"}}); p.status != http.StatusSeeOther {
		t.Fatal("make Ana an admin again")
	}
	ben.get(benPath)
	if p := ben.submit(benPath+"/deactivate", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
		t.Errorf("Ben deactivates himself: %d to %q, want the sign-in page", p.status, p.header.Get("Location"))
	}
	if p := ben.get("/inbox"); p.status != http.StatusSeeOther {
		t.Errorf("Ben after deactivating himself: %d, want sent to sign in", p.status)
	}
	// The sign-in page he lands on says why, once.
	if got := ben.get("/login").find("login-notice").Text(); !strings.Contains(got, "You deactivated your own account") {
		t.Errorf("the sign-in page Ben lands on says %q, want why he was signed out", got)
	}
	if ben.get("/login").find("login-notice").Length() != 0 {
		t.Error("the sign-in page says it again")
	}
}

// The audit log reads in words for one conversation and for no holidays:
// "1 open or snoozed conversation back to Unassigned", "no holidays", not
// "1 ... conversations" and "holidays: .".
func TestAuditLogReadsInWordsForOneAndNone(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Where is my order?", time.Now().Add(-time.Minute)))
	if _, err := ts.db.Assign(t.Context(), ts.mustMessage("msg_1").ConversationID, &ben.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	a := ts.newAgent()
	a.login("ana@example.com")
	path := fmt.Sprintf("/admin/agents/%d", ben.ID)
	a.get(path)
	if p := a.submit(path+"/deactivate", nil); p.status != http.StatusSeeOther {
		t.Fatalf("deactivate Ben: %d", p.status)
	}
	a.get("/admin/auto-replies")
	form := closedToday("Closed now.")
	form.Del("holidays")
	if p := a.submit("/admin/auto-replies", form); p.status != http.StatusSeeOther {
		t.Fatalf("save the auto-replies: %d %s", p.status, p.find("auto-reply-error").Text())
	}
	entries := auditActions(a)
	if !hasEntry(entries, "user.deactivate", "Ben Agent", "; 1 open or snoozed conversation back to Unassigned") {
		t.Errorf("the deactivation reads %q", entries)
	}
	if !hasEntry(entries, "auto_replies.update", "; no holidays. Out of office on") {
		t.Errorf("the auto-replies read %q", entries)
	}
}

// Deactivating an admin does not revoke the API tokens they created:
// scripts may rely on them. The confirmation, and their page once
// deactivated, name those that still work, with where to revoke them, so
// that an admin who leaves does not keep a way in unnoticed.
func TestDeactivatingAnAdminNamesTheTokensTheyCreated(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	bobUser := ts.addUser("bob@example.com", "Bob Admin", inbox.RoleAdmin)
	a, bob := ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	bob.login(bobUser.Email)
	for _, name := range []string{"Nightly export", "Old script"} {
		if p := bob.submit("/admin/tokens", url.Values{"name": {name}, "scope": {"write"}}); p.status != http.StatusOK {
			t.Fatalf("Bob creates %q: %d", name, p.status)
		}
	}
	if p := a.submit("/admin/tokens", url.Values{"name": {"Ana's"}, "scope": {"read"}}); p.status != http.StatusOK {
		t.Fatalf("Ana creates a token: %d", p.status)
	}
	old := tokenRow(a.get("/admin/tokens"), "Old script").AttrOr("data-id", "")
	if p := a.submit("/admin/tokens/"+old+"/revoke", nil); p.status != http.StatusSeeOther {
		t.Fatalf("revoke Old script (id %q): %d", old, p.status)
	}

	path := fmt.Sprintf("/admin/agents/%d", bobUser.ID)
	got := a.get(path).find("agent-tokens").Text()
	if !strings.Contains(got, `"Nightly export"`) || strings.Contains(got, "Old script") || strings.Contains(got, "Ana's") {
		t.Errorf("before deactivating Bob, his page says of tokens: %q, want his working one only", got)
	}
	if p := a.submit(path+"/deactivate", nil); p.status != http.StatusSeeOther {
		t.Fatalf("deactivate Bob: %d", p.status)
	}
	p := a.get(path + "?done=deactivated")
	if got := p.find("agent-tokens").Text(); !strings.Contains(got, `"Nightly export"`) || !strings.Contains(got, "API tokens") {
		t.Errorf("Bob deactivated, his page says of tokens: %q", got)
	}
	if p.find(`agent-tokens`).Find(`a[href="/admin/tokens"]`).Length() != 1 {
		t.Error("no link to where the tokens are revoked")
	}
	tp := a.get("/admin/tokens")
	if got := cell(tokenRow(tp, "Nightly export"), "token-created-by"); got != "Bob Admin (deactivated)" {
		t.Errorf("the tokens page says Nightly export was created by %q, want Bob Admin (deactivated)", got)
	}
	if got := cell(tokenRow(tp, "Ana's"), "token-created-by"); got != "Ana Admin" {
		t.Errorf("the tokens page says Ana's was created by %q", got)
	}
}
