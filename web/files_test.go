package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a file and caption from the composer, as the browser does.
func (a *agent) upload(path, filename string, content []byte, caption string) page {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(content)
	mw.WriteField("text", caption)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.ts.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", a.csrf)
	return a.send(req)
}

func TestAttachmentGoesOutThroughASignedExpiringLink(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Can you send a photo?", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)

	p := a.upload(fmt.Sprintf("/conversations/%d/messages", conv), "shelf.png", pngBytes(t), "Here it is")
	if p.status != http.StatusOK {
		t.Fatalf("upload: %d %s", p.status, p.body)
	}
	bubble := p.find("message")
	src := bubble.Find("img").AttrOr("src", "")
	if bubble.AttrOr("data-type", "") != "image" || !strings.HasPrefix(src, "/files/") {
		t.Fatalf("bubble type %q, img %q", bubble.AttrOr("data-type", ""), src)
	}
	entries, err := ts.db.ClaimOutbox(context.Background(), time.Now(), time.Minute, 10)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %v %v", entries, err)
	}
	out := entries[0].Message
	if out.Type != inbox.TypeImage || out.Text != "Here it is" || out.Content == nil ||
		!strings.HasPrefix(out.Content.MediaURL, "http://localhost/files/") || out.Content.MimeType != "image/png" {
		t.Fatalf("outgoing message %+v %+v", out, out.Content)
	}

	// Zavu fetches it with no session; a changed link gets nothing.
	anon := ts.newAgent()
	if got := anon.get(src); got.status != http.StatusOK || got.header.Get("Content-Type") != "image/png" || got.body != string(pngBytes(t)) {
		t.Fatalf("fetch by link: %d %q", got.status, got.header.Get("Content-Type"))
	}
	if got := anon.get(strings.Replace(src, "sig=", "sig=0", 1)); got.status != http.StatusNotFound {
		t.Errorf("tampered signature: %d, want 404", got.status)
	}
	if got := anon.get(strings.Replace(src, "exp=", "exp=9", 1)); got.status != http.StatusNotFound {
		t.Errorf("stretched expiry: %d, want 404", got.status)
	}

	// Web pages cannot be smuggled in as attachments.
	if p := a.upload(fmt.Sprintf("/conversations/%d/messages", conv), "x.html", []byte("<html><script>alert(1)</script>"), ""); p.status != http.StatusBadRequest {
		t.Errorf("an HTML upload: %d, want 400", p.status)
	}
}
