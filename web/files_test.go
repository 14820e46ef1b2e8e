package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/web"
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
	if bubble.AttrOr("data-type", "") != "image" || !strings.HasPrefix(src, "/media/") {
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
	src = strings.TrimPrefix(out.Content.MediaURL, "http://localhost")

	// Zavu fetches it with no session; a changed link gets nothing.
	anon := ts.newAgent()
	if got := anon.get(src); got.status != http.StatusOK || got.header.Get("Content-Type") != "image/png" || got.body != string(pngBytes(t)) {
		t.Fatalf("fetch by link: %d %q", got.status, got.header.Get("Content-Type"))
	}
	// A fetcher that asks HEAD first learns the type and length, and
	// gets no body.
	if got := anon.head(src); got.status != http.StatusOK || got.header.Get("Content-Type") != "image/png" ||
		got.header.Get("Content-Length") != fmt.Sprint(len(pngBytes(t))) || got.body != "" {
		t.Errorf("HEAD by link: %d %q length %q body %d bytes, want 200 image/png, its length and no body",
			got.status, got.header.Get("Content-Type"), got.header.Get("Content-Length"), len(got.body))
	}
	if got := anon.head(strings.Replace(src, "sig=", "sig=0", 1)); got.status != http.StatusNotFound {
		t.Errorf("HEAD with a tampered signature: %d, want 404", got.status)
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

// TestAttachmentIsShownToSignedInAgentsOnlyAndOutlivesItsLink: the signed
// link an attachment goes out with is for Zavu, who fetches it with no
// session: whoever holds it gets the file for a week. The agents' pages
// never carry it: they show the file from /media, to signed-in agents
// only, so a link left in a browser's history after its agent signed
// out gets nothing, and for as long as the file is kept, where the
// link would have expired after a week and the thread lost its picture.
func TestAttachmentIsShownToSignedInAgentsOnlyAndOutlivesItsLink(t *testing.T) {
	clock := &testClock{t: time.Now()}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
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
	if want := "/media/" + bubble.AttrOr("data-message-id", strings.TrimPrefix(bubble.AttrOr("id", ""), "m-")); src != want {
		t.Errorf("the bubble's picture at %q, want %q", src, want)
	}
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if strings.Contains(p.body, "/files/") || strings.Contains(thread.body, "/files/") {
		t.Errorf("an agent's page carries the attachment's signed link")
	}
	entries, err := ts.db.ClaimOutbox(context.Background(), time.Now(), time.Minute, 10)
	if err != nil || len(entries) != 1 || entries[0].Message.Content == nil {
		t.Fatalf("outbox: %v %v", entries, err)
	}
	link := strings.TrimPrefix(entries[0].Message.Content.MediaURL, "http://localhost")

	view := func(who *agent, when string) {
		t.Helper()
		got := who.get(src)
		if got.status != http.StatusOK || got.header.Get("Content-Type") != "image/png" || got.body != string(pngBytes(t)) ||
			!strings.Contains(got.header.Get("Content-Disposition"), "shelf.png") || !strings.Contains(got.header.Get("Cache-Control"), "no-cache") {
			t.Errorf("%s: %d %q %q %q", when, got.status, got.header.Get("Content-Type"), got.header.Get("Content-Disposition"), got.header.Get("Cache-Control"))
		}
	}
	view(a, "signed in")
	if got := ts.newAgent().get(src); got.status != http.StatusSeeOther || !strings.HasPrefix(got.header.Get("Location"), "/login") {
		t.Errorf("signed out: %d to %q, want sent to sign in", got.status, got.header.Get("Location"))
	}
	if got := ts.newAgent().get(link); got.status != http.StatusOK {
		t.Errorf("Zavu's link: %d", got.status)
	}

	clock.set(clock.now().Add(web.FileLinkLife + 24*time.Hour))
	if got := ts.newAgent().get(link); got.status != http.StatusGone {
		t.Errorf("Zavu's link after it expired: %d, want 410", got.status)
	}
	view(a, "a day after the link expired")
}

// A picture's words for those who cannot see it say whose it is: the
// customer's, or one sent to them.
func TestPicturesSayWhoseTheyAre(t *testing.T) {
	clock := &testClock{t: time.UnixMilli(1705312200000).Add(time.Minute)} // the photo's
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(fixture(t, "seed_message_inbound_image"))
	conv := ts.mustMessage("msg_img789").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	if p := a.upload(fmt.Sprintf("/conversations/%d/messages", conv), "shelf.png", pngBytes(t), ""); p.status != http.StatusOK {
		t.Fatalf("upload: %d %s", p.status, p.body)
	}
	var alts []string
	a.htmx(fmt.Sprintf("/conversations/%d", conv)).doc.Find(`[data-testid="media"] img`).Each(func(_ int, img *goquery.Selection) {
		alts = append(alts, img.AttrOr("alt", ""))
	})
	if want := []string{"Photo from the customer", "Photo sent to the customer"}; !slices.Equal(alts, want) {
		t.Errorf("the pictures' alt texts are %q, want %q", alts, want)
	}
}

// uploadAs posts a file as the composer does, with the part's declared
// Content-Type set to declared.
func (a *agent) uploadAs(path, filename, declared string, content []byte) page {
	a.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("text", "")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", declared)
	pw, _ := mw.CreatePart(h)
	pw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.ts.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", a.csrf)
	return a.send(req)
}

func zipOf(t *testing.T, names ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "<xml>%s</xml>", n)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// What an attachment is served as comes from its bytes, against a list of
// types a browser cannot run as a page; the name and the declared type
// never make it HTML, SVG, XHTML or script.
func TestAttachmentIsServedAsItsBytesShow(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Send me the files", time.Now()))
	path := fmt.Sprintf("/conversations/%d/messages", ts.mustMessage("msg_1").ConversationID)
	a := ts.newAgent()
	a.login(ana.Email)

	ogg := append([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13"), []byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")...)
	for _, c := range []struct {
		file, declared string
		content        []byte
		ctype, disp    string
	}{
		{"shelf.png", "image/png", pngBytes(t), "image/png", "inline"},
		{"photo.html", "text/html", pngBytes(t), "image/png", "inline"},
		{"notes.html", "text/html", []byte("hello, these are my notes"), "text/plain; charset=utf-8", "attachment"},
		{"pic.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "text/plain; charset=utf-8", "attachment"},
		{"app.js", "application/javascript", []byte("alert(document.cookie)"), "text/plain; charset=utf-8", "attachment"},
		{"page.xhtml", "application/xhtml+xml", []byte("\x00\x01binary<html><script>alert(1)</script>"), "application/octet-stream", "attachment"},
		{"blob.bin", "text/html", []byte("\x00\x01\x02\x03 not a known format"), "application/octet-stream", "attachment"},
		{"voice.ogg", "application/octet-stream", ogg, "audio/ogg", "inline"},
		{"report.docx", "application/octet-stream", zipOf(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"),
			"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment"},
		{"archive.zip", "application/zip", zipOf(t, "a.txt"), "application/octet-stream", "attachment"},
		{"doc.pdf", "text/html", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "application/pdf", "attachment"},
	} {
		p := a.uploadAs(path, c.file, c.declared, c.content)
		if p.status != http.StatusOK {
			t.Errorf("%s: upload %d %s", c.file, p.status, p.body)
			continue
		}
		link := p.doc.Find(`[src^="/media/"], [href^="/media/"]`).First()
		src := link.AttrOr("src", link.AttrOr("href", ""))
		if src == "" {
			t.Errorf("%s: no link to the file in %s", c.file, p.body)
			continue
		}
		// As the agents' pages show it, and as Zavu fetches it.
		id, _ := strconv.ParseInt(strings.TrimPrefix(src, "/media/"), 10, 64)
		m, err := ts.db.Message(context.Background(), id)
		if err != nil || m.Content == nil {
			t.Fatalf("%s: %+v %v", c.file, m, err)
		}
		zavuLink := m.Content.MediaURL
		for _, got := range []page{a.get(src), ts.newAgent().get(strings.TrimPrefix(zavuLink, "http://localhost"))} {
			h := got.header
			if got.status != http.StatusOK || h.Get("Content-Type") != c.ctype || !strings.HasPrefix(h.Get("Content-Disposition"), c.disp) ||
				h.Get("X-Content-Type-Options") != "nosniff" || got.body != string(c.content) {
				t.Errorf("%s served as %d %q %q %q, want %q %s", c.file, got.status, h.Get("Content-Type"),
					h.Get("Content-Disposition"), h.Get("X-Content-Type-Options"), c.ctype, c.disp)
			}
		}
	}

	// Web pages and XML are refused outright, whatever they are called.
	for _, c := range []struct{ file, content string }{
		{"x.html", "<html><script>alert(1)</script>"},
		{"x.png", "<!DOCTYPE html><p>hi"},
		{"x.svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`},
		{"x.xhtml", `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>`},
	} {
		if p := a.uploadAs(path, c.file, "image/png", []byte(c.content)); p.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", c.file, p.status)
		}
	}

	// Only Switchboard's user can read what was attached.
	if fi, err := os.Stat(ts.filesDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("files folder: %v %v, want 0700", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(ts.filesDir)
	for _, e := range entries {
		fi, _ := e.Info()
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary upload was left behind: %s", e.Name())
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
}

// TestAttachmentNameIsKeptShort: the name a browser gives an attached file
// is the agent's to choose; one of megabytes was stored with the message,
// sent to Zavu and drawn in every page of the thread. It is shortened to
// what a file system keeps, its extension kept.
func TestAttachmentNameIsKeptShort(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Send me the list", time.Now()))
	path := fmt.Sprintf("/conversations/%d/messages", ts.mustMessage("msg_1").ConversationID)
	a := ts.newAgent()
	a.login(ana.Email)

	long := strings.Repeat("ä", 300_000) + ".txt"
	p := a.upload(path, long, []byte("milk, eggs, bread"), "")
	if p.status != http.StatusOK {
		t.Fatalf("upload: %d %.300s", p.status, p.body)
	}
	if len(p.body) > 64<<10 {
		t.Errorf("the reply's bubble is %d bytes", len(p.body))
	}
	entries, err := ts.db.ClaimOutbox(context.Background(), time.Now(), time.Minute, 10)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox: %v %v", entries, err)
	}
	name := entries[0].Message.Content.Filename
	if len(name) > 255 || !strings.HasSuffix(name, "ä.txt") || !utf8.ValidString(name) {
		t.Errorf("the attachment goes out named %d bytes long, ending %q, want at most 255 ending in ä.txt", len(name), name[max(0, len(name)-12):])
	}
}

// A photo whose send failed goes again, when the agent presses Retry a
// week or more later (the customer wrote again, so the window is open),
// with a link Zavu can still fetch it from: the link is signed when the
// photo is sent, not when it was attached.
func TestRetryAWeekLaterSendsAFileZavuCanFetch(t *testing.T) {
	start := time.Now().Add(-web.FileLinkLife - 24*time.Hour)
	clock := &testClock{t: start}
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Now = clock.now })
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Can you send a photo?", start.Add(-time.Minute)))
	conv := ts.mustMessage("msg_1").ConversationID
	a := ts.newAgent()
	a.login(ana.Email)
	if p := a.upload(fmt.Sprintf("/conversations/%d/messages", conv), "shelf.png", pngBytes(t), "Here it is"); p.status != http.StatusOK {
		t.Fatalf("upload: %d %s", p.status, p.body)
	}
	now := start.Add(time.Second)
	ob := ts.outboxAt(&now)
	// Zavu is unavailable, then refuses the photo; the agent's Retry a
	// week later goes through.
	answers := []zavu.Failure{{Status: http.StatusServiceUnavailable},
		{Status: http.StatusBadRequest, Code: "validation_error", Message: "Media could not be downloaded"}}
	var asked []string // the link of every attempt, in order
	ts.zavu.FailWhen(func(r zavu.SendRequest) (zavu.Failure, bool) {
		if r.Content != nil {
			asked = append(asked, r.Content.MediaURL)
		}
		if len(asked) > len(answers) {
			return zavu.Failure{}, false
		}
		return answers[len(asked)-1], true
	})
	for range answers {
		if _, err := ob.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
		clock.set(now)
	}

	clock.set(time.Now())
	now = time.Now().Add(time.Second)
	ts.mustPost(inboundText("evt_2", "msg_2", "Did you send the photo?", time.Now()))
	thread := a.htmx(fmt.Sprintf("/conversations/%d", conv))
	if p := a.post(thread.find("retry").AttrOr("hx-post", ""), nil); p.status != http.StatusOK {
		t.Fatalf("retry: %d %s", p.status, p.body)
	}
	if _, err := ob.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := ts.zavu.Sent()
	if len(sent) != 1 || sent[0].Content == nil {
		t.Fatalf("Zavu took %d sends, want the retried photo", len(sent))
	}
	link := strings.TrimPrefix(sent[0].Content.MediaURL, "http://localhost")
	if got := ts.newAgent().get(link); got.status != http.StatusOK || got.body != string(pngBytes(t)) {
		t.Errorf("Zavu fetching the retried photo at %s: %d, want the file", link, got.status)
	}
	// The outbox's own retry, under the same idempotency key, repeated
	// the request as it was: the same link.
	if len(asked) != 3 || asked[0] != asked[1] || asked[2] == asked[0] {
		t.Errorf("the attempts carried the links %q, want the first two the same and the agent's Retry a new one", asked)
	}
}
