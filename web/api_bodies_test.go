package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
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

// A body past 64 KiB is refused as too large (413), whether it says its
// length or comes in chunks, not as "not JSON" (it may be JSON).
func TestAPIBodyTooLargeSaysSo(t *testing.T) {
	ts := newTestServer(t)
	m := contactFixture(ts)
	conv := fmt.Sprintf("/api/v1/conversations/%d", m.ConversationID)
	var c struct {
		Contact struct {
			ID int64 `json:"id"`
		} `json:"contact"`
	}
	ts.mustGet(conv, &c)
	status, note := 0, struct {
		ID int64 `json:"id"`
	}{}
	if status = ts.apiJSON(ts.token, http.MethodPost, conv+"/notes", `{"text":"a note"}`, &note); status != http.StatusCreated {
		t.Fatalf("note: %d", status)
	}
	big := `{"text":"` + strings.Repeat("x", 70<<10) + `"}`
	for _, r := range []struct{ method, path string }{
		{http.MethodPost, conv + "/notes"},
		{http.MethodPost, conv + "/messages"},
		{http.MethodPatch, conv + fmt.Sprintf("/notes/%d", note.ID)},
		{http.MethodPatch, conv},
		{http.MethodPatch, fmt.Sprintf("/api/v1/contacts/%d", c.Contact.ID)},
	} {
		for _, chunked := range []bool{false, true} {
			var body io.Reader = strings.NewReader(big)
			if chunked {
				body = io.MultiReader(body) // no length: sent in chunks
			}
			req, _ := http.NewRequest(r.method, ts.srv.URL+r.path, body)
			req.Header.Set("Authorization", "Bearer "+ts.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e apiErrorBody
			_ = json.Unmarshal(b, &e)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || e.Error.Code != "too_large" || !strings.Contains(e.Error.Message, "64 KiB") {
				t.Errorf("%s %s (chunked %t): %d %s, want 413 too_large", r.method, r.path, chunked, resp.StatusCode, b)
			}
		}
	}
}

// curl -d sends a body as a form unless told otherwise; a JSON body is
// read as JSON whatever its Content-Type says, as PATCH reads it.
func TestAPIReadsJSONWhateverItsContentType(t *testing.T) {
	ts := newTestServer(t)
	m := contactFixture(ts)
	conv := fmt.Sprintf("/api/v1/conversations/%d", m.ConversationID)
	for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain", ""} {
		for _, r := range []struct {
			path, body string
			want       int
		}{
			{conv + "/notes", `{"text":"a note sent with curl -d"}`, http.StatusCreated},
			{conv + "/messages", `{"text":"a reply sent with curl -d"}`, http.StatusAccepted},
		} {
			req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+r.path, strings.NewReader(r.body))
			req.Header.Set("Authorization", "Bearer "+ts.token)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != r.want {
				t.Errorf("POST %s as %q: %d %s, want %d", r.path, ct, resp.StatusCode, b, r.want)
			}
		}
	}
	// A form is not JSON, and is told so.
	req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+conv+"/notes", strings.NewReader("text=a+note+as+a+form"))
	req.Header.Set("Authorization", "Bearer "+ts.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e apiErrorBody
	_ = json.Unmarshal(b, &e)
	if resp.StatusCode != http.StatusBadRequest || e.Error.Code != "invalid_body" || !strings.Contains(e.Error.Message, "JSON") {
		t.Errorf("a note as a form: %d %s, want 400 invalid_body saying the body must be JSON", resp.StatusCode, b)
	}
}
