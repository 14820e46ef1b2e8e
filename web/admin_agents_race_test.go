package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"switchboard/inbox"
	"switchboard/web"
)

// meanwhileStore is the server's store, with a change another admin makes
// right after the server has read one account, before it writes its own.
type meanwhileStore struct {
	inbox.Store
	mu   sync.Mutex
	id   int64
	then func()
}

// after has then run once, as the next read of account id returns.
func (s *meanwhileStore) after(id int64, then func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id, s.then = id, then
}

func (s *meanwhileStore) User(ctx context.Context, id int64) (inbox.User, error) {
	u, err := s.Store.User(ctx, id)
	s.mu.Lock()
	then := s.then
	if id != s.id {
		then = nil
	}
	if then != nil {
		s.then = nil
	}
	s.mu.Unlock()
	if then != nil {
		then()
	}
	return u, err
}

func newMeanwhileServer(t *testing.T) (*testServer, *meanwhileStore) {
	var ms *meanwhileStore
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) {
		ms = &meanwhileStore{Store: d.Store}
		d.Store = ms
	})
	return ts, ms
}

// anaAndCat are two admins, Ana and Cat, each signed in on a browser of
// their own.
func anaAndCat(ts *testServer) (ana, cat *agent) {
	ts.t.Helper()
	ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ts.addUser("cat@example.com", "Cat Admin", inbox.RoleAdmin)
	ana, cat = ts.newAgent(), ts.newAgent()
	ana.login("ana@example.com")
	cat.login("cat@example.com")
	return ana, cat
}

// Ana makes Ben an admin while Cat deactivates him: Ben stays deactivated,
// signed out, with nothing handed back to him; the role Ana chose is his
// for when he is reactivated.
func TestRoleChangeWhileTheAgentIsDeactivatedLeavesThemDeactivated(t *testing.T) {
	ts, ms := newMeanwhileServer(t)
	ana, cat := anaAndCat(ts)
	benUser := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	path := fmt.Sprintf("/admin/agents/%d", benUser.ID)
	ana.get(path)
	cat.get(path)

	deactivated := 0
	ms.after(benUser.ID, func() {
		deactivated = cat.submit(path+"/deactivate", nil).status
	})
	if p := ana.submit(path+"/role", url.Values{"role": {"admin"}}); p.status != http.StatusSeeOther {
		t.Fatalf("Ana makes Ben an admin: %d", p.status)
	}
	if deactivated != http.StatusSeeOther {
		t.Fatalf("Cat deactivates Ben meanwhile: %d", deactivated)
	}
	got, err := ts.db.User(t.Context(), benUser.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Active || got.Role != inbox.RoleAdmin {
		t.Errorf("Ben after both: active %v, %s; want deactivated, an admin", got.Active, got.Role)
	}
	if role, status, _ := agentRowText(ana.get("/admin/agents"), benUser.Email); role != "Admin" || status != "Deactivated" {
		t.Errorf("Ben in the list: %q %q, want Admin, Deactivated", role, status)
	}
	ben := ts.newAgent()
	if p := ben.signIn(benUser.Email, "correct horse battery"); p.status != http.StatusForbidden || !strings.Contains(p.find("login-error").Text(), "deactivated") {
		t.Errorf("Ben signing in: %d %q, want refused as deactivated", p.status, p.find("login-error").Text())
	}
}

// Ana reactivates a former admin while Cat makes them an agent: they come
// back as an agent, not with the admin's rights Cat took away.
func TestReactivationWhileTheRoleChangesKeepsTheNewRole(t *testing.T) {
	ts, ms := newMeanwhileServer(t)
	ana, cat := anaAndCat(ts)
	oldUser := ts.addUser("old@example.com", "Old Admin", inbox.RoleAdmin)
	path := fmt.Sprintf("/admin/agents/%d", oldUser.ID)
	ana.get(path)
	if p := ana.submit(path+"/deactivate", nil); p.status != http.StatusSeeOther {
		t.Fatalf("deactivate the old admin: %d", p.status)
	}
	cat.get(path)

	demoted := 0
	ms.after(oldUser.ID, func() {
		demoted = cat.submit(path+"/role", url.Values{"role": {"agent"}}).status
	})
	if p := ana.submit(path+"/reactivate", nil); p.status != http.StatusSeeOther {
		t.Fatalf("Ana reactivates them: %d", p.status)
	}
	if demoted != http.StatusSeeOther {
		t.Fatalf("Cat makes them an agent meanwhile: %d", demoted)
	}
	got, err := ts.db.User(t.Context(), oldUser.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Active || got.Role != inbox.RoleAgent {
		t.Errorf("after both: active %v, %s; want active, an agent", got.Active, got.Role)
	}
	old := ts.newAgent()
	old.login(oldUser.Email)
	if p := old.get("/admin/agents"); p.status != http.StatusForbidden {
		t.Errorf("reactivated as an agent, on the agents page: %d, want 403", p.status)
	}
}
