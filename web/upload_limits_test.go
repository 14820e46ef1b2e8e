package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/web"
)

// A file WhatsApp would refuse for its size (images over 5 MB, videos and
// audio over 16 MB), or a caption over WhatsApp's 1,024 characters, is
// refused when the agent sends it, with the limit in the sentence, rather
// than queued to fail later.
func TestAttachmentOverWhatsAppsLimitsIsRefused(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Can you send the video?", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	path := fmt.Sprintf("/conversations/%d/messages", conv)

	mp4 := append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), bytes.Repeat([]byte{0}, 17<<20)...)
	png := append(pngBytes(t), bytes.Repeat([]byte{0}, 6<<20)...)
	for _, c := range []struct {
		name    string
		content []byte
		caption string
		code    string
		says    string
	}{
		{"demo.mp4", mp4, "", "too_large", "WhatsApp takes videos of at most 16 MB"},
		{"shelf.png", png, "", "too_large", "WhatsApp takes pictures of at most 5 MB"},
		{"shelf.png", pngBytes(t), strings.Repeat("a", 1100), "caption_too_long", "A caption on WhatsApp has at most 1024 characters"},
	} {
		p := a.upload(path, c.name, c.content, c.caption)
		if p.status < 400 || !strings.Contains(p.body, `"`+c.code+`"`) || !strings.Contains(p.body, c.says) {
			t.Errorf("%s (%d bytes, caption of %d): %d %.300s, want %s saying %q", c.name, len(c.content), len(c.caption), p.status, p.body, c.code, c.says)
		}
	}
	if es, err := ts.db.ClaimOutbox(context.Background(), time.Now(), time.Minute, 10); err != nil || len(es) != 0 {
		t.Errorf("outbox after refused attachments: %d entries (%v), want none", len(es), err)
	}
	noFilesLeft(t, ts)
	// Within the limits it goes.
	if p := a.upload(path, "shelf.png", pngBytes(t), "Here it is"); p.status != http.StatusOK {
		t.Errorf("a small picture: %d %s", p.status, p.body)
	}
}

// SMS carries text only: a file sent to an SMS conversation (the composer
// offers no Attach there, but a form posted otherwise may hold one) is
// refused at once in a sentence that names SMS, whatever its size or
// caption, rather than measured against WhatsApp's limits or queued for
// Zavu to refuse.
func TestAttachmentOnSMSSaysSMSCarriesTextOnly(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "extra_message_inbound_sms"))
	conv := ts.mustMessage("msg_x_sms").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	path := fmt.Sprintf("/conversations/%d/messages", conv)

	png := append(pngBytes(t), bytes.Repeat([]byte{0}, 6<<20)...)
	for _, c := range []struct {
		name    string
		content []byte
		caption string
	}{
		{"shelf.png", pngBytes(t), "Here it is"},
		{"shelf.png", png, ""},                                // over WhatsApp's 5 MB
		{"shelf.png", pngBytes(t), strings.Repeat("a", 1100)}, // over WhatsApp's caption
	} {
		p := a.upload(path, c.name, c.content, c.caption)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `"media_not_supported"`) ||
			!strings.Contains(p.body, "SMS carries text only") || strings.Contains(p.body, "WhatsApp") {
			t.Errorf("%s (%d bytes, caption of %d) to an SMS conversation: %d %.300s, want 400 media_not_supported naming SMS",
				c.name, len(c.content), len(c.caption), p.status, p.body)
		}
	}
	if es, err := ts.db.ClaimOutbox(context.Background(), time.Now(), time.Minute, 10); err != nil || len(es) != 0 {
		t.Errorf("outbox after refused attachments: %d entries (%v), want none", len(es), err)
	}
	noFilesLeft(t, ts)
	// Text goes as ever.
	if p := a.post(path, url.Values{"text": {"Here is the link: https://example.com/shelf.png"}}); p.status != http.StatusOK {
		t.Errorf("a text reply: %d %s", p.status, p.body)
	}
}

// noFilesLeft fails t if an attachment, a part of one or a cached media
// file is on disk.
func noFilesLeft(t *testing.T, ts *testServer) {
	t.Helper()
	for _, dir := range []string{ts.filesDir, ts.mediaDir} {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("%s left in %s", e.Name(), dir)
		}
	}
}

// A file sent to an SMS conversation is refused before it is read: the
// agent is told at once, with the same sentence as for a whole form,
// while the rest of the file is still on its way, and nothing of it is
// written to disk. A file for a conversation that does not exist is not
// read either.
func TestAttachmentOnSMSIsRefusedBeforeItIsRead(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "extra_message_inbound_sms"))
	conv := ts.mustMessage("msg_x_sms").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	path := fmt.Sprintf("/conversations/%d/messages", conv)

	whole := a.upload(path, "shelf.png", pngBytes(t), "")
	for _, length := range []int64{-1, 30 << 20, 20 << 20} { // unknown, over the limit, within it
		status, body := streamedUploadAnswer(t, a, path, a.csrf, length)
		want := http.StatusBadRequest
		if length > web.MaxUpload+(1<<20) {
			want = http.StatusRequestEntityTooLarge // said before the body is read, as ever
		}
		switch {
		case status == 0:
			t.Errorf("a file of %d bytes to an SMS conversation: no answer while it was still coming: the server read it", length)
		case status != want:
			t.Errorf("a file of %d bytes to an SMS conversation: %d %.300s, want %d", length, status, body, want)
		case want == http.StatusBadRequest && body != whole.body:
			t.Errorf("a file of %d bytes to an SMS conversation: %.300s, want what a whole form is told: %.300s", length, body, whole.body)
		}
		noFilesLeft(t, ts)
	}
	if !strings.Contains(whole.body, `"media_not_supported"`) || !strings.Contains(whole.body, "SMS carries text only") {
		t.Errorf("a file to an SMS conversation: %d %.300s, want media_not_supported", whole.status, whole.body)
	}
	if status, body := streamedUploadAnswer(t, a, "/conversations/999999/messages", a.csrf, -1); status != http.StatusNotFound {
		t.Errorf("a file to no conversation: %d %.300s, want 404 before it is read", status, body)
	}
	noFilesLeft(t, ts)
}
