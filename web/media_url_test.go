package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
)

// echoWithMedia is a message typed in the WhatsApp Business app, with
// media at mediaURL.
func echoWithMedia(t *testing.T, n int, typ, mediaURL string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"id": fmt.Sprintf("evt_echo_media_%d", n), "type": "message.sent", "timestamp": time.Now().UnixMilli(),
		"senderId": "snd_abc123", "projectId": "prj_xyz789",
		"data": map[string]any{
			"messageId": fmt.Sprintf("msg_echo_media_%d", n), "from": "+13125559876", "to": "+14155551234",
			"channel": "whatsapp", "messageType": typ, "status": "sent", "source": "whatsapp_business_app",
			"direction": "outbound", "content": map[string]any{"mediaUrl": mediaURL, "mimeType": "image/png", "filename": "x.png"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An outbound message's mediaUrl reaches a page's href or src only as one
// of our own signed file links, shown as the message's /media path (want
// "media"), or (for a document) an https URL.
func TestOutboundMediaURLIsCheckedBeforeItIsShown(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	a := ts.newAgent()
	a.login(ana.Email)
	const sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	own := "/files/0123456789abcdef0123456789abcdef.png?exp=1999999999&sig=" + sig
	for i, c := range []struct {
		typ, url, want string
	}{
		{"image", "http://localhost" + own, "media"},
		{"image", "https://inbox.example.com" + own, "media"},
		{"document", own, "media"},
		{"image", "javascript:alert(1)//files/0123456789abcdef0123456789abcdef.png?exp=1&sig=" + sig, ""},
		{"document", "javascript:alert(document.domain)", ""},
		{"document", "JaVaScRiPt:alert(1)", ""},
		{"image", "//evil.example/files/0123456789abcdef0123456789abcdef.png?exp=1&sig=" + sig, ""},
		{"image", "https://evil.example//files/x.png", ""},
		{"document", "data:text/html,<script>alert(1)</script>", ""},
		{"image", "https://cdn.example.com/photo.png", ""},
		{"document", "http://cdn.example.com/invoice.pdf", ""},
		{"document", "https://cdn.example.com/invoice.pdf", "https://cdn.example.com/invoice.pdf"},
		{"image", "/files/../admin?exp=1&sig=" + sig, ""},
		{"image", "/files/0123456789abcdef0123456789abcdef.png?exp=1&sig=" + sig + "&x=\"><script>", "media"},
	} {
		ts.mustPost(echoWithMedia(t, i, c.typ, c.url))
		m := ts.mustMessage(fmt.Sprintf("msg_echo_media_%d", i))
		p := a.htmx(fmt.Sprintf("/conversations/%d", m.ConversationID))
		if p.status != http.StatusOK {
			t.Fatalf("thread: %d", p.status)
		}
		bubble := p.doc.Find(fmt.Sprintf("#m-%d", m.ID))
		if bubble.Length() != 1 {
			t.Fatalf("%s: no bubble for the echo", c.url)
		}
		if c.want == "media" {
			c.want = fmt.Sprintf("/media/%d", m.ID)
			// Its signature is not ours: /media serves no file for it.
			if p := a.get(c.want); p.status != http.StatusNotFound {
				t.Errorf("mediaUrl %q: %s answered %d, want 404", c.url, c.want, p.status)
			}
		}
		var got []string
		// Icons point into the page's own sprite, never at the message.
		bubble.Find("use").Each(func(_ int, el *goquery.Selection) {
			if v := el.AttrOr("href", ""); !strings.HasPrefix(v, "/static/icons.") {
				t.Errorf("an icon in the bubble points at %q", v)
			}
		})
		bubble.Find("[href]:not(use), [src]").Each(func(_ int, el *goquery.Selection) {
			for _, attr := range []string{"href", "src"} {
				if v, ok := el.Attr(attr); ok {
					got = append(got, v)
				}
			}
		})
		for _, v := range got {
			if v != c.want {
				t.Errorf("mediaUrl %q reached the page as %q, want %q", c.url, v, c.want)
			}
			if low := strings.ToLower(v); strings.HasPrefix(low, "javascript:") || strings.HasPrefix(v, "//") || strings.HasPrefix(low, "data:") {
				t.Errorf("mediaUrl %q reached the page as %q", c.url, v)
			}
		}
		if c.want != "" && len(got) == 0 {
			t.Errorf("mediaUrl %q: no link, want %q", c.url, c.want)
		}
	}
}
