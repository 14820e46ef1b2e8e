package web_test

import (
	"fmt"
	"net/http"
	"testing"
)

// A PATCH body is one JSON object of known fields: a script whose body
// has more after the object, or a misspelt field, is told so and nothing
// changes (not half of what it meant).
func TestAPIPatchBodiesAreWholeAndKnown(t *testing.T) {
	ts := newTestServer(t)
	m := contactFixture(ts)
	conv := fmt.Sprintf("/api/v1/conversations/%d", m.ConversationID)
	var c struct {
		Contact struct {
			ID int64 `json:"id"`
		} `json:"contact"`
	}
	ts.mustGet(conv, &c)
	person := fmt.Sprintf("/api/v1/contacts/%d", c.Contact.ID)
	for _, tc := range []struct{ path, body, code string }{
		{conv, `{"status":"resolved"} and more`, "invalid_body"},
		{conv, `{"status":"resolved"}{"status":"open"}`, "invalid_body"},
		{conv, `{"status":"resolved"}}`, "invalid_body"},
		{person, `{"name":"Greta","note":"VIP"}`, "unknown_field"},
		{person, `{"Name":"Greta"}`, "unknown_field"},
		{person, `{"name":"Greta"} and more`, "invalid_body"},
	} {
		status, e := ts.apiCall(ts.token, http.MethodPatch, tc.path, tc.body)
		if status != http.StatusBadRequest || e.Error.Code != tc.code || e.Error.Message == "" {
			t.Errorf("PATCH %s %s: %d %+v, want 400 %s", tc.path, tc.body, status, e, tc.code)
		}
	}
	var after struct {
		Status  string `json:"status"`
		Contact struct {
			Name *string `json:"name"`
		} `json:"contact"`
	}
	ts.mustGet(conv, &after)
	if after.Status != "open" || after.Contact.Name == nil || *after.Contact.Name != "gretchen99" {
		t.Errorf("after refused PATCHes: status %s, name %v; want open and gretchen99 unchanged", after.Status, str(after.Contact.Name))
	}
}
