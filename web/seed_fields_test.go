package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"switchboard/inbox"
)

// TestThreadShowsTheSeedsFields posts each message example of Zavu's
// webhook documents (testdata/events/seed_*) and looks in the thread for
// every value its fields carry that an agent should read: the text or
// caption, a location's name, address and coordinates (its map link), a
// document's file name and kind, a contact card's name, number and e-mail
// with their kinds, the title and id of the button the customer pressed,
// the emoji of a reaction, the text typed on the phone, a failed report's
// code and Zavu's words beside the plain ones, and the customer's profile
// name in the thread's header.
func TestThreadShowsTheSeedsFields(t *testing.T) {
	ts := newTestServer(t)
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	for _, name := range []string{
		"seed_conversation_new", "seed_message_inbound_text", "seed_message_reaction", "seed_message_inbound_image",
		"seed_message_inbound_location", "seed_message_inbound_contact", "seed_message_inbound_button_reply",
		"seed_message_sent_echo", "seed_message_failed",
		// The seeds list content.filename with no example of their own.
		"extra_message_inbound_document",
	} {
		ts.mustPost(fixture(t, name))
	}
	a := ts.newAgent()
	a.login("ana@example.com")
	for _, tc := range []struct {
		zavuID string
		shows  []string
	}{
		{"msg_xyz789", []string{"Hi, I have a question about my order", "👍"}},
		{"msg_img789", []string{"Check out this product"}},
		{"msg_loc123", []string{"San Francisco", "San Francisco, CA, USA"}},
		{"msg_cnt789", []string{"Jane Smith", "+14155559999 mobile", "jane@example.com work"}},
		{"msg_int456", []string{"Yes, I'm interested", "btn_interested"}},
		{"msg_abc123", []string{"could not be reached", "30003", "Unreachable destination handset"}},
		{"msg_x_doc", []string{"invoice-4821.pdf", "PDF document", "Here is the invoice"}},
		{"msg_echo789", []string{"Hi! Thanks for reaching out. We'll get back to you shortly.", "Sent from phone"}},
	} {
		m := ts.mustMessage(tc.zavuID)
		p := a.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
		if p.status != http.StatusOK {
			t.Fatalf("thread of %s: %d", tc.zavuID, p.status)
		}
		b := p.doc.Find(fmt.Sprintf("#m-%d", m.ID))
		text := strings.Join(strings.Fields(b.Text()), " ")
		for _, want := range tc.shows {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the bubble does not show %q: %q", tc.zavuID, want, text)
			}
		}
		if tc.zavuID == "msg_loc123" {
			// The latitude and longitude are the map link's.
			if href := b.Find(`[data-testid="map-link"]`).AttrOr("href", ""); !strings.Contains(href, "mlat=37.7749&mlon=-122.4194") {
				t.Errorf("msg_loc123: the map link %q is not at 37.7749, -122.4194", href)
			}
		}
		if header := p.doc.Find("header").Text(); !strings.Contains(header, "John Doe") {
			t.Errorf("%s: the thread's header does not name the customer John Doe", tc.zavuID)
		}
	}
}
