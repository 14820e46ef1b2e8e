package web_test

import (
	"net/http"
	"strings"
	"testing"

	"switchboard/inbox"
)

// TestAPIRefusesParametersThatAreNotText: a NUL character or bytes that
// are not UTF-8 in a query parameter or the path are a 400
// invalid_parameter in the API's error shape on both engines, never a 500.
func TestAPIRefusesParametersThatAreNotText(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{
		"/api/v1/conversations?label=a%00b",
		"/api/v1/conversations?label=%FF",
		"/api/v1/search?q=hello&senderId=snd%00",
		"/api/v1/search?q=hello&label=%C3%28",
		"/api/v1/search?q=hel%00lo",
		"/api/v1/contacts?q=ab%00c",
		"/api/v1/reports/summary?senderId=%00",
		"/api/v1/reports/summary?senderId=%FE",
		"/api/v1/reports/export.csv?senderId=%00",
		"/api/v1/messages/msg_%00",
		"/api/v1/messages/msg_%FF",
	} {
		var body apiErrorBody
		if status := ts.get(path, &body); status != http.StatusBadRequest || body.Error.Code != "invalid_parameter" || body.Error.Message == "" {
			t.Errorf("GET %s: %d %+v, want 400 invalid_parameter", path, status, body)
		}
	}
}

// TestPagesRefuseParametersThatAreNotText: the agents' pages answer such
// a parameter (a link mangled in a chat, a bookmark typed by hand) with a
// 400 page that says what is wrong, never a 500.
func TestPagesRefuseParametersThatAreNotText(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	a := ts.newAgent()
	a.login("ana@example.com")
	for _, path := range []string{
		"/inbox?label=%FF",
		"/inbox?label=a%00b",
		"/reports?senderId=%FF",
		"/contacts?q=ab%00c",
	} {
		if pg := a.get(path); pg.status != http.StatusBadRequest || !strings.Contains(pg.body, "not UTF-8") {
			t.Errorf("GET %s: %d, want 400 saying what is wrong", path, pg.status)
		}
	}
}
