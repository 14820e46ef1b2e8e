package zavu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

const fixtures = "../../testdata/events"

func loadFixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtures, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in %s: %v", fixtures, err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = b
	}
	return out
}

var seedTime = time.UnixMilli(1705312200000).UTC()

// TestDecodeFixtures decodes every fixture; each must have a check here, so
// a new fixture cannot go untested.
func TestDecodeFixtures(t *testing.T) {
	checks := map[string]func(t *testing.T, ev *inbox.Event){
		"seed_conversation_new": func(t *testing.T, ev *inbox.Event) {
			n := ev.NewConversation
			want := inbox.NewConversation{Phone: "+14155551234", Channel: inbox.WhatsApp, FirstMessageID: "msg_xyz789",
				FirstMessageText: "Hi, I'm interested in your product", ProfileName: "John Doe"}
			if n == nil || *n != want {
				t.Errorf("got %+v", n)
			}
		},
		"seed_message_inbound_text": func(t *testing.T, ev *inbox.Event) {
			if ev.Inbound != nil && ev.Inbound.Content != nil {
				t.Errorf("a text message has content %+v", ev.Inbound.Content)
			}
			in := inboundOf(t, ev, inbox.TypeText)
			if in.Text != "Hi, I have a question about my order" || in.From != "+14155551234" || in.To != "+13125559876" ||
				in.ProfileName != "John Doe" || in.MessageID != "msg_xyz789" {
				t.Errorf("got %+v", in)
			}
		},
		"seed_message_inbound_image": func(t *testing.T, ev *inbox.Event) {
			in := inboundOf(t, ev, inbox.TypeImage)
			if in.Text != "Check out this product" || in.Content == nil || in.Content.MediaID != "1234567890" || in.Content.MimeType != "image/jpeg" {
				t.Errorf("got %+v %+v", in, in.Content)
			}
		},
		"seed_message_inbound_location": func(t *testing.T, ev *inbox.Event) {
			c := inboundOf(t, ev, inbox.TypeLocation).Content
			if c == nil || c.Latitude == nil || *c.Latitude != 37.7749 || *c.Longitude != -122.4194 || c.Name != "San Francisco" || c.Address != "San Francisco, CA, USA" {
				t.Errorf("got %+v", c)
			}
		},
		"seed_message_inbound_contact": func(t *testing.T, ev *inbox.Event) {
			c := inboundOf(t, ev, inbox.TypeContact).Content
			if c == nil || len(c.Contacts) != 1 || c.Contacts[0].Name != "Jane Smith" ||
				c.Contacts[0].Phones[0] != (inbox.ContactPhone{Phone: "+14155559999", Type: "MOBILE"}) ||
				c.Contacts[0].Emails[0] != (inbox.ContactEmail{Email: "jane@example.com", Type: "WORK"}) {
				t.Errorf("got %+v", c)
			}
		},
		"seed_message_inbound_button_reply": func(t *testing.T, ev *inbox.Event) {
			in := inboundOf(t, ev, inbox.TypeText)
			r := in.Content.InteractiveReply
			if r == nil || *r != (inbox.InteractiveReply{Type: "button_reply", ID: "btn_interested", Title: "Yes, I'm interested"}) {
				t.Errorf("got %+v", r)
			}
		},
		"seed_message_unsupported": func(t *testing.T, ev *inbox.Event) {
			in := inboundOf(t, ev, inbox.TypeUnsupported)
			if in.Channel != inbox.WhatsApp || !in.At.Equal(seedTime) {
				t.Errorf("got %+v", in)
			}
		},
		"seed_message_reaction": func(t *testing.T, ev *inbox.Event) {
			r := ev.Reaction
			if r == nil || r.MessageID != "msg_xyz789" || r.ProviderMessageID != "wamid.HBgLMTU1NT..." || r.Emoji != "👍" ||
				r.From != "+14155551234" || r.Action != inbox.ReactionAdded || !r.At.Equal(seedTime) {
				t.Errorf("got %+v", r)
			}
		},
		"seed_message_queued":    statusCheck("msg_abc123", inbox.StatusQueued, inbox.SMS, ""),
		"seed_message_sent":      statusCheck("msg_abc123", inbox.StatusSent, inbox.SMS, ""),
		"seed_message_delivered": statusCheck("msg_abc123", inbox.StatusDelivered, inbox.WhatsApp, ""),
		"seed_message_failed":    statusCheck("msg_abc123", inbox.StatusFailed, inbox.SMS, "30003"),
		"seed_message_sent_echo": func(t *testing.T, ev *inbox.Event) {
			e := ev.Echo
			if ev.Status != nil || e == nil || e.MessageID != "msg_echo789" || e.From != "+13125559876" || e.To != "+14155551234" ||
				e.Status != inbox.StatusDelivered || e.Type != inbox.TypeText || !strings.HasPrefix(e.Text, "Hi! Thanks for reaching out") {
				t.Errorf("got echo %+v, status %+v", e, ev.Status)
			}
		},
		"seed_template_status_changed": func(t *testing.T, ev *inbox.Event) {
			tc := ev.Template
			if tc == nil || *tc != (inbox.TemplateChange{TemplateID: "tmpl_xyz789", Name: "order_confirmation", Language: "en", PreviousStatus: "pending", Status: "approved"}) {
				t.Errorf("got %+v", tc)
			}
		},
		"seed_broadcast_status_changed": func(t *testing.T, ev *inbox.Event) {
			a := ev.Activity
			if ev.SenderID != "" || a == nil || a.SubjectID != "brd_abc123" || a.Name != "Black Friday Campaign" || a.Status != "approved" ||
				a.PreviousStatus != "pending_review" || !strings.Contains(a.Detail, "5000 contacts") {
				t.Errorf("got %+v", a)
			}
		},
		"seed_invitation_status_changed":              invitationCheck("snd_newclient123"),
		"seed_invitation_status_changed_webhooks_doc": invitationCheck("snd_new123"),
		"extra_message_inbound_video": func(t *testing.T, ev *inbox.Event) {
			if c := inboundOf(t, ev, inbox.TypeVideo).Content; c.MimeType != "video/mp4" || c.MediaID != "998877" {
				t.Errorf("got %+v", c)
			}
		},
		"extra_message_inbound_audio": func(t *testing.T, ev *inbox.Event) {
			if c := inboundOf(t, ev, inbox.TypeAudio).Content; c.MimeType != "audio/ogg; codecs=opus" {
				t.Errorf("got %+v", c)
			}
		},
		"extra_message_inbound_document": func(t *testing.T, ev *inbox.Event) {
			if c := inboundOf(t, ev, inbox.TypeDocument).Content; c.Filename != "invoice-4821.pdf" || c.MimeType != "application/pdf" {
				t.Errorf("got %+v", c)
			}
		},
		"extra_message_inbound_sticker": func(t *testing.T, ev *inbox.Event) {
			if c := inboundOf(t, ev, inbox.TypeSticker).Content; c.MimeType != "image/webp" {
				t.Errorf("got %+v", c)
			}
		},
		"extra_message_inbound_list_reply": func(t *testing.T, ev *inbox.Event) {
			if r := inboundOf(t, ev, inbox.TypeText).Content.InteractiveReply; r == nil || r.Type != "list_reply" || r.ID != "slot_am" {
				t.Errorf("got %+v", r)
			}
		},
		"extra_message_inbound_sms": func(t *testing.T, ev *inbox.Event) {
			if in := inboundOf(t, ev, inbox.TypeText); in.Channel != inbox.SMS || in.ProfileName != "" {
				t.Errorf("got %+v", in)
			}
		},
		"extra_message_inbound_sms_stop": func(t *testing.T, ev *inbox.Event) {
			if in := inboundOf(t, ev, inbox.TypeText); in.Channel != inbox.SMS || in.Text != "STOP" {
				t.Errorf("got %+v", in)
			}
		},
		"extra_message_inbound_with_conversation_id": func(t *testing.T, ev *inbox.Event) {
			if in := inboundOf(t, ev, inbox.TypeText); in.ZavuConversationID != "conv_zavu_42" {
				t.Errorf("got %+v", in)
			}
		},
		"extra_message_inbound_reaction": func(t *testing.T, ev *inbox.Event) {
			r := ev.Reaction
			if ev.Inbound != nil || r == nil || r.MessageID != "msg_echo789" || r.Emoji != "❤️" || r.Action != inbox.ReactionAdded || r.From != "+14155551234" {
				t.Errorf("got reaction %+v, inbound %+v", r, ev.Inbound)
			}
		},
		"extra_message_reaction_removed": func(t *testing.T, ev *inbox.Event) {
			if r := ev.Reaction; r == nil || r.Action != inbox.ReactionRemoved || r.Emoji != "" {
				t.Errorf("got %+v", r)
			}
		},
		"extra_message_read":                 statusCheck("msg_abc123", inbox.StatusRead, inbox.WhatsApp, ""),
		"extra_message_failed_numeric_code":  statusCheck("msg_x_optout", inbox.StatusFailed, inbox.SMS, "21610"),
		"extra_message_failed_window_closed": statusCheck("msg_x_window", inbox.StatusFailed, inbox.WhatsApp, "131047"),
		"extra_template_rejected": func(t *testing.T, ev *inbox.Event) {
			if tc := ev.Template; tc == nil || tc.Status != "rejected" || !strings.Contains(tc.RejectionReason, "promotional") {
				t.Errorf("got %+v", tc)
			}
		},
		"extra_unknown_type": func(t *testing.T, ev *inbox.Event) {
			if ev.Type != "contact.updated" || ev.NewConversation != nil || ev.Inbound != nil || ev.Status != nil || ev.Activity != nil {
				t.Errorf("got %+v", ev)
			}
		},
	}
	for name, body := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			ev, err := Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if ev.DecodeErr != nil {
				t.Fatalf("payload: %v", ev.DecodeErr)
			}
			if ev.ID == "" || ev.Timestamp.IsZero() || ev.ProjectID == "" || string(ev.Raw) != string(body) {
				t.Errorf("envelope = %q %v %q", ev.ID, ev.Timestamp, ev.ProjectID)
			}
			check, ok := checks[name]
			if !ok {
				t.Fatalf("no check for fixture %s: add one", name)
			}
			check(t, ev)
		})
	}
}

func inboundOf(t *testing.T, ev *inbox.Event, typ inbox.MessageType) *inbox.InboundMessage {
	t.Helper()
	if ev.Inbound == nil {
		t.Fatalf("no inbound message: %+v", ev)
	}
	if ev.Inbound.Type != typ {
		t.Errorf("type = %s, want %s", ev.Inbound.Type, typ)
	}
	if ev.Inbound.Content == nil {
		ev.Inbound.Content = &inbox.Content{} // lets checks read fields
	}
	return ev.Inbound
}

func statusCheck(msg string, s inbox.Status, ch inbox.Channel, code string) func(*testing.T, *inbox.Event) {
	return func(t *testing.T, ev *inbox.Event) {
		st := ev.Status
		if ev.Echo != nil || st == nil || st.MessageID != msg || st.Status != s || st.Channel != ch || st.ErrorCode != code || st.To != "+14155551234" {
			t.Errorf("got %+v", st)
		}
		if code != "" && st.ErrorMessage == "" {
			t.Errorf("no error message: %+v", st)
		}
	}
}

func invitationCheck(newSender string) func(*testing.T, *inbox.Event) {
	return func(t *testing.T, ev *inbox.Event) {
		a := ev.Activity
		if a == nil || a.SubjectID == "" || a.Status != "completed" || !strings.Contains(a.Detail, newSender) || !strings.Contains(a.Detail, "waba_") {
			t.Errorf("got %+v", a)
		}
	}
}

func TestDecodeRefusesWhatIsNotAnEvent(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `"evt"`, `{`, `{"id":"e1"}`, `{"type":"message.inbound"}`,
		`{"id":"","type":"message.inbound"}`, `{"id":"e1","type":""}`, `{"id":7,"type":"message.inbound"}`,
		`{"id":"e1","type":["x"]}`, `{"id":"e1","type":"message.inbound"} trailing`,
	} {
		if _, err := Decode([]byte(body)); !errors.Is(err, ErrBadEnvelope) {
			t.Errorf("Decode(%q) err = %v, want ErrBadEnvelope", body, err)
		}
	}
}

func TestDecodeKeepsBrokenPayloads(t *testing.T) {
	tests := []struct {
		body, want string
		err        error
	}{
		{`{"id":"e1","type":"message.inbound","timestamp":1705312200000}`, "data is missing", inbox.ErrMissingField},
		{`{"id":"e1","type":"message.inbound","data":[1]}`, "not an object", inbox.ErrInvalid},
		{`{"id":"e1","type":"message.inbound","data":{"from":"+1","text":"x"}}`, "messageId", inbox.ErrMissingField},
		{`{"id":"e1","type":"message.inbound","data":{"messageId":"m","from":"+1","text":5}}`, "text", inbox.ErrInvalid},
		{`{"id":"e1","type":"message.delivered","data":{"to":"+1"}}`, "messageId", inbox.ErrMissingField},
		{`{"id":"e1","type":"message.reaction","data":{"messageId":"m"}}`, "reaction", inbox.ErrMissingField},
		{`{"id":"e1","type":"message.failed","data":{"messageId":"m","errorCode":{"x":1}}}`, "errorCode", inbox.ErrInvalid},
		{`{"id":"e1","type":"template.status_changed","data":{"templateName":"x"}}`, "templateId", inbox.ErrMissingField},
		{`{"id":"e1","type":"message.inbound","timestamp":"soon","data":{}}`, "soon", inbox.ErrInvalid},
	}
	for _, tt := range tests {
		ev, err := Decode([]byte(tt.body))
		if err != nil {
			t.Errorf("Decode(%s) refused: %v", tt.body, err)
			continue
		}
		if !errors.Is(ev.DecodeErr, tt.err) || !strings.Contains(ev.DecodeErr.Error(), tt.want) {
			t.Errorf("Decode(%s).DecodeErr = %v, want %v mentioning %q", tt.body, ev.DecodeErr, tt.err, tt.want)
		}
	}
}

func TestDecodeFlexibleNumbers(t *testing.T) {
	ev, err := Decode([]byte(`{"id":"e1","type":"message.failed","timestamp":"1705312200","data":{"messageId":"m","to":"+1","errorCode":30007}}`))
	if err != nil || ev.DecodeErr != nil {
		t.Fatal(err, ev.DecodeErr)
	}
	if !ev.Timestamp.Equal(seedTime) {
		t.Errorf("timestamp in seconds as a string = %v, want %v", ev.Timestamp, seedTime)
	}
	if ev.Status.ErrorCode != "30007" {
		t.Errorf("numeric error code = %q", ev.Status.ErrorCode)
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range loadFixtures(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"id":"e","type":"message.inbound","data":{"messageType":"reaction","content":{}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrBadEnvelope) {
				t.Fatalf("error %v is not ErrBadEnvelope", err)
			}
			return
		}
		if strings.TrimSpace(ev.ID) == "" || strings.TrimSpace(string(ev.Type)) == "" {
			t.Fatalf("decoded an event without id or type: %+v", ev)
		}
		payloads := 0
		for _, set := range []bool{ev.NewConversation != nil, ev.Inbound != nil, ev.Reaction != nil, ev.Status != nil,
			ev.Echo != nil, ev.Template != nil, ev.Activity != nil} {
			if set {
				payloads++
			}
		}
		if payloads > 1 || (payloads == 1 && ev.DecodeErr != nil) {
			t.Fatalf("%d payloads with error %v", payloads, ev.DecodeErr)
		}
	})
}

func TestOnlyThePhoneAppMakesAnEcho(t *testing.T) {
	const sent = `{"id":"e1","type":"message.sent","timestamp":1705312200000,"senderId":"snd_1","data":{
		"messageId":"msg_1","from":"+13125559876","to":"+14155551234","channel":"whatsapp",
		"messageType":"text","text":"Sent by a script","status":"sent","direction":"outbound","source":%q}}`
	for _, source := range []string{"api", "broadcast", "dashboard", ""} {
		ev, err := Decode(fmt.Appendf(nil, sent, source))
		if err != nil || ev.DecodeErr != nil {
			t.Fatal(err, ev.DecodeErr)
		}
		if ev.Echo != nil || ev.Status == nil || ev.Status.Status != inbox.StatusSent || ev.Status.MessageID != "msg_1" {
			t.Errorf("source %q: echo %+v, status %+v; want a sent report", source, ev.Echo, ev.Status)
		}
	}
	ev, err := Decode(fmt.Appendf(nil, sent, "whatsapp_business_app"))
	if err != nil || ev.Echo == nil || ev.Echo.Text != "Sent by a script" {
		t.Errorf("from the phone app: %+v, %v; want an echo", ev, err)
	}
}

// TestDecodeSeedFieldsTheChecksAboveLeaveOut: the seed documents' fields
// that TestDecodeFixtures does not look at, each where the product reads
// it.
func TestDecodeSeedFieldsTheChecksAboveLeaveOut(t *testing.T) {
	fx := loadFixtures(t)
	decode := func(name string) *inbox.Event {
		t.Helper()
		ev, err := Decode(fx[name])
		if err != nil || ev.DecodeErr != nil {
			t.Fatalf("%s: %v %v", name, err, ev.DecodeErr)
		}
		return ev
	}
	for _, tc := range []struct {
		fixture string
		got     func(ev *inbox.Event) any
		want    any
	}{
		{"seed_message_inbound_text", func(ev *inbox.Event) any { return ev.Inbound.Channel }, inbox.WhatsApp},
		{"seed_message_inbound_text", func(ev *inbox.Event) any { return ev.SenderID }, "snd_abc123"},
		{"seed_message_inbound_text", func(ev *inbox.Event) any { return ev.Timestamp }, seedTime},
		{"seed_message_inbound_image", func(ev *inbox.Event) any { return ev.Inbound.MessageID }, "msg_img789"},
		{"seed_message_inbound_image", func(ev *inbox.Event) any { return ev.Inbound.ProfileName }, "John Doe"},
		{"seed_message_inbound_location", func(ev *inbox.Event) any { return ev.Inbound.Text }, ""},
		{"seed_message_inbound_contact", func(ev *inbox.Event) any { return ev.Inbound.MessageID }, "msg_cnt789"},
		{"seed_message_inbound_button_reply", func(ev *inbox.Event) any { return ev.Inbound.Text }, "Yes, I'm interested"},
		{"seed_message_unsupported", func(ev *inbox.Event) any {
			return [3]string{ev.Inbound.MessageID, ev.Inbound.From, ev.Inbound.To}
		}, [3]string{"msg_xyz789", "+14155551234", "+13125559876"}},
		{"seed_message_sent_echo", func(ev *inbox.Event) any { return ev.Echo.Channel }, inbox.WhatsApp},
		{"seed_message_failed", func(ev *inbox.Event) any { return ev.Status.ErrorMessage }, "Unreachable destination handset"},
		{"seed_broadcast_status_changed", func(ev *inbox.Event) any { return ev.Activity.Detail }, "channel sms, 5000 contacts"},
		{"seed_broadcast_status_changed", func(ev *inbox.Event) any { return ev.ProjectID }, "prj_xyz789"},
		{"seed_invitation_status_changed", func(ev *inbox.Event) any {
			a := ev.Activity
			return [5]string{a.SubjectID, a.Name, a.PreviousStatus, a.Status, a.Detail}
		}, [5]string{"inv_xyz789", "Acme Corp", "pending", "completed",
			"contact@acme.com, new sender snd_newclient123, WhatsApp Business Account waba_abc456"}},
		{"seed_invitation_status_changed_webhooks_doc", func(ev *inbox.Event) any {
			a := ev.Activity
			return [4]string{ev.SenderID, a.SubjectID, a.Name, a.Detail}
		}, [4]string{"", "inv_abc123", "John Doe", "john@example.com, new sender snd_new123, WhatsApp Business Account waba_123456"}},
	} {
		if got := tc.got(decode(tc.fixture)); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.fixture, got, tc.want)
		}
	}
}
