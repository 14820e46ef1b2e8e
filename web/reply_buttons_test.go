package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// Reply buttons are WhatsApp's, as templates are: nothing offers them on
// SMS (the API takes no buttons, the composer shows none), and Retry of a
// failed buttons reply in an SMS conversation, one an earlier version let
// through to fail at Zavu, is refused at once with buttons_not_supported
// naming SMS instead of being sent to fail again.
func TestButtonsReplyOnSMSIsRefused(t *testing.T) {
	dsn := testDSN(t)
	ts := newTestServerAt(t, dsn, nil)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "extra_message_inbound_sms"))
	conv := ts.mustMessage("msg_x_sms").ConversationID
	ctx := context.Background()
	a := ts.newAgent()
	a.login(ana.Email)
	path := fmt.Sprintf("/conversations/%d/messages", conv)

	if p := a.get(fmt.Sprintf("/conversations/%d", conv)); p.doc.Find(`form [name*=button]`).Length() != 0 {
		t.Errorf("the SMS conversation's composer offers reply buttons")
	}
	status, out := ts.apiCall(ts.token, http.MethodPost, "/api/v1"+path, `{"text":"Did that help?","buttons":[{"id":"yes","title":"Yes"}]}`)
	if status != http.StatusBadRequest || out.Error.Code != "unknown_field" {
		t.Errorf("API buttons: %d %+v, want 400 unknown_field", status, out)
	}

	// A buttons reply that failed at Zavu, as an earlier version sent it.
	if status, out := ts.apiCall(ts.token, http.MethodPost, "/api/v1"+path, `{"text":"Did that help?"}`); status != http.StatusAccepted {
		t.Fatalf("API text on SMS: %d %+v", status, out)
	}
	entry := claimOne(t, ts)
	if _, err := ts.db.OutboxFail(ctx, entry.ID, "invalid_request", "Buttons are not supported on SMS.", time.Now()); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE messages SET type = 'buttons', content = '{"buttons":[{"id":"yes","title":"Yes"},{"id":"no","title":"No"}]}' WHERE id = ?`,
		entry.MessageID); err != nil {
		t.Fatal(err)
	}

	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	retry := thread.find("retry").AttrOr("hx-post", "")
	if retry == "" {
		t.Fatal("the failed buttons reply has no Retry")
	}
	if p := a.post(retry, nil); p.status != http.StatusBadRequest || !strings.Contains(p.body, `"buttons_not_supported"`) ||
		!strings.Contains(p.body, "SMS") {
		t.Errorf("retry of buttons on SMS: %d %s, want 400 buttons_not_supported naming SMS", p.status, p.body)
	}
	if again, err := ts.db.ClaimOutbox(ctx, time.Now(), time.Minute, 10); err != nil || len(again) != 0 {
		t.Errorf("outbox after the refused retry: %+v %v, want nothing", again, err)
	}
}
