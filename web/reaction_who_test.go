package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// A reaction's chip names who reacted, whichever message it is on: a
// customer may react to their own message as well as to the team's, and
// the team's emoji on the customer's message is the team's.
func TestAReactionSaysWhoReacted(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	now := time.Now()
	ts.mustPost(inboundText("evt_1", "msg_1", "Is my order on its way?", now.Add(-3*time.Minute)))
	ts.mustPost(inboundText("evt_2", "msg_2", "Thanks!", now.Add(-2*time.Minute)))
	ts.mustPost(fixture(t, "seed_message_sent_echo"))
	ts.zavu.AddInbound(zavu.Message{ID: "msg_2", From: "+14155551234", Text: "Thanks!"})
	react := func(id, msgID, emoji string) {
		ts.mustPost(event(id, "message.reaction", now, map[string]any{
			"messageId": msgID,
			"reaction":  map[string]any{"emoji": emoji, "from": "+14155551234", "timestamp": now.UnixMilli(), "action": "added"},
		}))
	}
	react("evt_r1", "msg_1", "🙏")       // on their own message
	react("evt_r2", "msg_echo789", "👍") // on the team's
	a := ts.newAgent()
	a.login(ana.Email)
	if p := a.post(fmt.Sprintf("/messages/%d/react", ts.mustMessage("msg_2").ID), url.Values{"emoji": {"❤️"}}); p.status >= 400 {
		t.Fatalf("react: %d %s", p.status, p.body)
	}
	p := a.htmx(fmt.Sprintf("/conversations/%d", ts.mustMessage("msg_1").ConversationID))
	if p.status != http.StatusOK {
		t.Fatalf("thread: %d", p.status)
	}
	for _, c := range []struct{ zavuID, who string }{
		{"msg_1", "the customer"},
		{"msg_echo789", "the customer"},
		{"msg_2", "your team"},
	} {
		chip := p.doc.Find(fmt.Sprintf(`#m-%d [data-testid="reaction"]`, ts.mustMessage(c.zavuID).ID))
		if got := chip.AttrOr("title", ""); chip.Length() != 1 || got != c.who {
			t.Errorf("%s: %d chips, titled %q, want one from %s", c.zavuID, chip.Length(), got, c.who)
		}
	}
}
