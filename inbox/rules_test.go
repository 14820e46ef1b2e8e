package inbox

import (
	"strings"
	"testing"
	"time"
)

func TestAdvanceStatus(t *testing.T) {
	tests := []struct {
		cur, next, want Status
		changed         bool
	}{
		{StatusPending, StatusQueued, StatusQueued, true},
		{StatusQueued, StatusDelivered, StatusDelivered, true},
		{StatusSent, StatusRead, StatusRead, true},
		{StatusDelivered, StatusSent, StatusDelivered, false}, // a late sent never hides delivered
		{StatusRead, StatusDelivered, StatusRead, false},
		{StatusRead, StatusRead, StatusRead, false},
		{StatusSent, StatusFailed, StatusFailed, true},
		{StatusPending, StatusFailed, StatusFailed, true},
		{StatusFailed, StatusDelivered, StatusFailed, false}, // nothing revives a failed message
		{StatusFailed, StatusQueued, StatusFailed, false},
		{StatusDelivered, StatusFailed, StatusFailed, true}, // failed is final in every order
		{StatusRead, StatusFailed, StatusFailed, true},
		{StatusReceived, StatusRead, StatusReceived, false}, // inbound messages stay received
		{StatusSent, StatusReceived, StatusSent, false},
		{StatusSent, Status("bounced"), StatusSent, false}, // unknown statuses are ignored
	}
	for _, tt := range tests {
		got, changed := AdvanceStatus(tt.cur, tt.next)
		if got != tt.want || changed != tt.changed {
			t.Errorf("AdvanceStatus(%s, %s) = %s, %v; want %s, %v", tt.cur, tt.next, got, changed, tt.want, tt.changed)
		}
	}
}

func TestStatusTimesKeepTheFirstReport(t *testing.T) {
	var st StatusTimes
	st.Record(StatusDelivered, at(5))
	st.Record(StatusDelivered, at(9))
	st.Record(StatusDelivered, at(3))
	st.Record(StatusReceived, at(1))
	if !st.Delivered.Equal(at(3)) || st != (StatusTimes{Delivered: at(3)}) {
		t.Errorf("times = %+v, want only delivered at the earliest report", st)
	}
}

func TestWhatsAppWindow(t *testing.T) {
	last := at(0)
	tests := []struct {
		name string
		ch   Channel
		last time.Time
		now  time.Time
		open bool
	}{
		{"just written", WhatsApp, last, last, true},
		{"23:59 after", WhatsApp, last, last.Add(23*time.Hour + 59*time.Minute), true},
		{"a second before 24 h", WhatsApp, last, last.Add(WindowLength - time.Second), true},
		{"exactly 24 h", WhatsApp, last, last.Add(WindowLength), false},
		{"24:01 after", WhatsApp, last, last.Add(24*time.Hour + time.Minute), false},
		{"customer never wrote", WhatsApp, time.Time{}, last, false},
		{"SMS has no window", SMS, last, last.Add(72 * time.Hour), true},
		{"SMS, customer never wrote", SMS, time.Time{}, last, true},
	}
	for _, tt := range tests {
		if got := WindowOpen(tt.ch, tt.last, tt.now); got != tt.open {
			t.Errorf("%s: open = %v, want %v", tt.name, got, tt.open)
		}
	}
	if got := WindowClosesAt(SMS, last); !got.IsZero() {
		t.Errorf("SMS window closes at %v, want none", got)
	}
}

func TestExplainFailure(t *testing.T) {
	tests := []struct{ code, msg, want string }{
		{"30003", "Unreachable destination handset", "could not be reached"},
		{"30005", "", "does not exist"},
		{"30006", "", "landline"},
		{"30007", "", "carrier blocked"},
		{"21610", "", "opted out"},
		{"131047", "Re-engagement message", "Only an approved template"},
		{"whatsapp_window_closed", "", "24 hours"},
		{"131026", "Message undeliverable", "may not use WhatsApp"},
		{"131049", "This message was not delivered to maintain healthy ecosystem engagement", "Try again later"},
		{"131053", "Media upload error", "attached file"},
		{"99999", "Something odd", "Something odd"},
		{"99999", "", "error 99999"},
		{"", "", "could not deliver"},
	}
	for _, tt := range tests {
		if got := ExplainFailure(tt.code, tt.msg); !strings.Contains(got, tt.want) {
			t.Errorf("ExplainFailure(%q, %q) = %q, want it to say %q", tt.code, tt.msg, got, tt.want)
		}
	}
}

// TestFailureDetail: what a failed message says beside the explanation,
// so that an agent can quote the code and Zavu's words; nothing the
// explanation already says.
func TestFailureDetail(t *testing.T) {
	for _, tt := range []struct{ code, msg, want string }{
		{"30003", "Unreachable destination handset", "Zavu error 30003: Unreachable destination handset"},
		{"21610", "", "Zavu error 21610"},
		{"131047", "Re-engagement message", "Zavu error 131047: Re-engagement message"},
		// The outbox stores the explanation as the message: not twice.
		{"30003", ExplainFailure("30003", ""), "Zavu error 30003"},
		// An unknown code's explanation is Zavu's message, then its code.
		{"99999", "Something odd", "Zavu error 99999"},
		{"99999", "", ""},
		{"", "Something odd", ""},
		{"", "", ""},
	} {
		if got := FailureDetail(tt.code, tt.msg); got != tt.want {
			t.Errorf("FailureDetail(%q, %q) = %q, want %q", tt.code, tt.msg, got, tt.want)
		}
	}
}

func TestPreview(t *testing.T) {
	lat := 37.7
	tests := []struct {
		m    Message
		want string
	}{
		{Message{Type: TypeText, Text: "Hello\n\nthere  you"}, "Hello there you"},
		{Message{Type: TypeImage, Text: "the box"}, "📷 Photo: the box"},
		{Message{Type: TypeVideo}, "🎥 Video"},
		{Message{Type: TypeAudio}, "🎤 Audio"},
		{Message{Type: TypeSticker}, "Sticker"},
		{Message{Type: TypeDocument, Content: &Content{Filename: "invoice.pdf"}}, "📄 invoice.pdf"},
		{Message{Type: TypeLocation, Content: &Content{Latitude: &lat, Name: "San Francisco"}}, "📍 San Francisco"},
		{Message{Type: TypeContact, Content: &Content{Contacts: []ContactCard{{Name: "Jane Smith"}}}}, "👤 Jane Smith"},
		{Message{Type: TypeUnsupported}, "Unsupported message"},
		{Message{Type: TypeUnknown}, "Message sent outside Switchboard"},
		{Message{Type: TypeText, Content: &Content{InteractiveReply: &InteractiveReply{Title: "Yes"}}}, "Yes"},
		{Message{Type: TypeText, Text: strings.Repeat("é", 200)}, strings.Repeat("é", 119) + "…"},
	}
	for _, tt := range tests {
		if got := Preview(tt.m); got != tt.want {
			t.Errorf("Preview(%s %q) = %q, want %q", tt.m.Type, tt.m.Text, got, tt.want)
		}
	}
}
