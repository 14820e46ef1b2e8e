package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtureDir = "../testdata/events"

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (ts *testServer) message(id string) (apiMessage, int) {
	ts.t.Helper()
	var m apiMessage
	status := ts.get("/api/v1/messages/"+id, &m)
	return m, status
}

func (ts *testServer) mustMessage(id string) apiMessage {
	ts.t.Helper()
	m, status := ts.message(id)
	if status != 200 {
		ts.t.Fatalf("message %s: status %d", id, status)
	}
	return m
}

// TestEveryFixtureThroughHTTP posts each fixture, signed, to the real
// webhook endpoint on a real SQLite file, and checks what the JSON API (or,
// for what no API shows yet, the store) then holds. Every fixture must have
// a check here.
func TestEveryFixtureThroughHTTP(t *testing.T) {
	inboundCheck := func(id, typ string, check func(t *testing.T, m apiMessage)) func(*testing.T, *testServer) {
		return func(t *testing.T, ts *testServer) {
			m := ts.mustMessage(id)
			if m.Direction != "inbound" || m.Source != "customer" || m.Status != "received" || m.Type != typ {
				t.Errorf("message = %+v, want an inbound %s from the customer", m, typ)
			}
			var conv apiConversation
			ts.mustGet("/api/v1/conversations/"+itoa(m.ConversationID), &conv)
			if conv.Contact.Phone != "+14155551234" || conv.UnreadCount != 1 || conv.Status != "open" || conv.SenderID != "snd_abc123" {
				t.Errorf("conversation = %+v", conv)
			}
			if check != nil {
				check(t, m)
			}
		}
	}
	placeholder := func(id, status, code string) func(*testing.T, *testServer) {
		return func(t *testing.T, ts *testServer) {
			m := ts.mustMessage(id)
			if m.Direction != "outbound" || m.Type != "unknown" || m.Source != "api" || m.Status != status || str(m.ErrorCode) != orNil(code) {
				t.Errorf("message = %+v (error code %s), want an outbound placeholder, %s", m, str(m.ErrorCode), status)
			}
			var conv apiConversation
			ts.mustGet("/api/v1/conversations/"+itoa(m.ConversationID), &conv)
			if conv.UnreadCount != 0 || conv.WindowClosesAt != nil {
				t.Errorf("conversation = %+v: a status must not count as unread or open a window", conv)
			}
		}
	}
	content := func(key string, want any) func(*testing.T, apiMessage) {
		return func(t *testing.T, m apiMessage) {
			if m.Content[key] != want {
				t.Errorf("content.%s = %v, want %v (content %v)", key, m.Content[key], want, m.Content)
			}
		}
	}
	checks := map[string]func(*testing.T, *testServer){
		"seed_conversation_new": func(t *testing.T, ts *testServer) {
			m := ts.mustMessage("msg_xyz789")
			if m.Text != "Hi, I'm interested in your product" || m.Direction != "inbound" {
				t.Errorf("first message = %+v", m)
			}
			// The message.inbound for the same message adds nothing twice.
			ts.mustPost(fixture(t, "seed_message_inbound_text"))
			convs := all[apiConversation](ts, "/api/v1/conversations", "cursor")
			if len(convs) != 1 || convs[0].UnreadCount != 1 || str(convs[0].Contact.Name) != "John Doe" {
				t.Errorf("conversations = %+v", convs)
			}
		},
		"seed_message_inbound_text": inboundCheck("msg_xyz789", "text", func(t *testing.T, m apiMessage) {
			if m.Text != "Hi, I have a question about my order" || m.Content != nil {
				t.Errorf("message = %+v", m)
			}
		}),
		"seed_message_inbound_image":    inboundCheck("msg_img789", "image", content("mediaId", "1234567890")),
		"seed_message_inbound_location": inboundCheck("msg_loc123", "location", content("name", "San Francisco")),
		"seed_message_inbound_contact": inboundCheck("msg_cnt789", "contact", func(t *testing.T, m apiMessage) {
			cards, _ := m.Content["contacts"].([]any)
			if len(cards) != 1 || cards[0].(map[string]any)["name"] != "Jane Smith" {
				t.Errorf("contacts = %v", m.Content)
			}
		}),
		"seed_message_inbound_button_reply": inboundCheck("msg_int456", "text", func(t *testing.T, m apiMessage) {
			r, _ := m.Content["interactiveReply"].(map[string]any)
			if r["id"] != "btn_interested" || r["type"] != "button_reply" {
				t.Errorf("content = %v", m.Content)
			}
		}),
		"seed_message_unsupported":         inboundCheck("msg_xyz789", "unsupported", nil),
		"extra_message_inbound_video":      inboundCheck("msg_x_video", "video", content("mimeType", "video/mp4")),
		"extra_message_inbound_audio":      inboundCheck("msg_x_audio", "audio", content("mimeType", "audio/ogg; codecs=opus")),
		"extra_message_inbound_document":   inboundCheck("msg_x_doc", "document", content("filename", "invoice-4821.pdf")),
		"extra_message_inbound_sticker":    inboundCheck("msg_x_sticker", "sticker", content("mimeType", "image/webp")),
		"extra_message_inbound_list_reply": inboundCheck("msg_x_list", "text", nil),
		"extra_message_inbound_sms": inboundCheck("msg_x_sms", "text", func(t *testing.T, m apiMessage) {
			if m.Channel != "sms" {
				t.Errorf("channel = %s", m.Channel)
			}
		}),
		"extra_message_inbound_sms_stop":             inboundCheck("msg_x_stop", "text", nil),
		"extra_message_inbound_with_conversation_id": inboundCheck("msg_x_convid", "text", nil),
		"seed_message_reaction": func(t *testing.T, ts *testServer) {
			// The reaction came before its message: kept, and attached when
			// the message arrives.
			if _, status := ts.message("msg_xyz789"); status != 404 {
				t.Fatalf("message exists before it arrived: %d", status)
			}
			ts.mustPost(fixture(t, "seed_message_inbound_text"))
			m := ts.mustMessage("msg_xyz789")
			if len(m.Reactions) != 1 || m.Reactions[0] != (apiReaction{Emoji: "👍", From: "+14155551234"}) {
				t.Errorf("reactions = %+v", m.Reactions)
			}
			ts.mustPost(fixture(t, "extra_message_reaction_removed"))
			if m := ts.mustMessage("msg_xyz789"); len(m.Reactions) != 0 {
				t.Errorf("reactions after removal = %+v", m.Reactions)
			}
		},
		"extra_message_reaction_removed": func(t *testing.T, ts *testServer) {
			// A removal first, then the older "added": it stays removed.
			ts.mustPost(fixture(t, "seed_message_reaction"))
			ts.mustPost(fixture(t, "seed_message_inbound_text"))
			if m := ts.mustMessage("msg_xyz789"); len(m.Reactions) != 0 {
				t.Errorf("an older reaction revived a removed one: %+v", m.Reactions)
			}
		},
		"extra_message_inbound_reaction": func(t *testing.T, ts *testServer) {
			ts.mustPost(fixture(t, "seed_message_sent_echo"))
			m := ts.mustMessage("msg_echo789")
			if len(m.Reactions) != 1 || m.Reactions[0].Emoji != "❤️" {
				t.Errorf("reactions = %+v", m.Reactions)
			}
			if _, status := ts.message("msg_x_inreact"); status != 404 {
				t.Errorf("the reaction became a message of its own")
			}
		},
		"seed_message_queued":                placeholder("msg_abc123", "queued", ""),
		"seed_message_sent":                  placeholder("msg_abc123", "sent", ""),
		"seed_message_delivered":             placeholder("msg_abc123", "delivered", ""),
		"extra_message_read":                 placeholder("msg_abc123", "read", ""),
		"seed_message_failed":                placeholder("msg_abc123", "failed", "30003"),
		"extra_message_failed_numeric_code":  placeholder("msg_x_optout", "failed", "21610"),
		"extra_message_failed_window_closed": placeholder("msg_x_window", "failed", "131047"),
		"seed_message_sent_echo": func(t *testing.T, ts *testServer) {
			m := ts.mustMessage("msg_echo789")
			if m.Direction != "outbound" || m.Source != "phone_app" || m.Status != "delivered" || !strings.HasPrefix(m.Text, "Hi! Thanks") {
				t.Errorf("echo = %+v", m)
			}
			var conv apiConversation
			ts.mustGet("/api/v1/conversations/"+itoa(m.ConversationID), &conv)
			if conv.UnreadCount != 0 || conv.Contact.Phone != "+14155551234" || !strings.HasPrefix(conv.LastMessagePreview, "Hi! Thanks") {
				t.Errorf("conversation = %+v", conv)
			}
		},
		"seed_template_status_changed": func(t *testing.T, ts *testServer) {
			tmpls, err := ts.db.Templates(context.Background())
			if err != nil || len(tmpls) != 1 || tmpls[0].Name != "order_confirmation" || tmpls[0].Status != "approved" {
				t.Errorf("templates = %+v, %v", tmpls, err)
			}
		},
		"extra_template_rejected": func(t *testing.T, ts *testServer) {
			tmpls, err := ts.db.Templates(context.Background())
			if err != nil || len(tmpls) != 1 || tmpls[0].Status != "rejected" || !strings.Contains(tmpls[0].RejectionReason, "promotional") {
				t.Errorf("templates = %+v, %v", tmpls, err)
			}
		},
		"seed_broadcast_status_changed":               activityCheck("brd_abc123", "approved"),
		"seed_invitation_status_changed":              activityCheck("inv_xyz789", "completed"),
		"seed_invitation_status_changed_webhooks_doc": activityCheck("inv_abc123", "completed"),
		"extra_unknown_type": func(t *testing.T, ts *testServer) {
			// Checked below: stored, acknowledged, logged as failed.
		},
	}

	paths, _ := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if len(paths) < 30 {
		t.Fatalf("only %d fixtures", len(paths))
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		t.Run(name, func(t *testing.T) {
			check, ok := checks[name]
			if !ok {
				t.Fatalf("no check for fixture %s: add one", name)
			}
			ts := newTestServer(t)
			body := fixture(t, name)
			// Zavu's example timestamps are from 2024: the signature is
			// fresh, the event is old, which is what a late retry looks like.
			status, out := ts.post(body)
			if status != 200 || out["received"] != true {
				t.Fatalf("webhook: %d %v", status, out)
			}
			events := all[apiEvent](ts, "/api/v1/events", "cursor")
			if len(events) != 1 {
				t.Fatalf("webhook log has %d events", len(events))
			}
			wantState := "applied"
			if name == "extra_unknown_type" {
				wantState = "failed"
			}
			if e := events[0]; e.State != wantState || (wantState == "failed") != (e.Error != nil) {
				t.Errorf("logged as %s (error %s), want %s", e.State, str(e.Error), wantState)
			}
			check(t, ts)
		})
	}
}

func activityCheck(subject, status string) func(*testing.T, *testServer) {
	return func(t *testing.T, ts *testServer) {
		acts, err := ts.db.Activities(context.Background(), 10)
		if err != nil || len(acts) != 1 || acts[0].SubjectID != subject || acts[0].Status != status || acts[0].EventID == "" {
			t.Errorf("activities = %+v, %v", acts, err)
		}
	}
}

func orNil(s string) string {
	if s == "" {
		return "<nil>"
	}
	return s
}
