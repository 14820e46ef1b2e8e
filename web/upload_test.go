package web_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/web"
)

// streamedUpload starts a multipart POST whose file part is sent 1 MiB
// at a time, the rest only after the server has answered (or never). It
// returns the status, or 0 when the server had not answered within a
// generous bound: it waited for a body it should not have read.
func streamedUpload(t *testing.T, a *agent, path, token string, contentLength int64) int {
	t.Helper()
	status, _ := streamedUploadAnswer(t, a, path, token, contentLength)
	return status
}

// streamedUploadAnswer is streamedUpload with the answer's body.
func streamedUploadAnswer(t *testing.T, a *agent, path, token string, contentLength int64) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	answered := make(chan struct{})
	go func() {
		fw, err := mw.CreateFormFile("file", "big.bin")
		if err != nil {
			return
		}
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for range 32 {
			if _, err := fw.Write(chunk); err != nil {
				return
			}
		}
		<-answered // the rest of a 25 MiB body never comes
		pw.CloseWithError(io.ErrUnexpectedEOF)
	}()
	req, _ := http.NewRequest(http.MethodPost, a.ts.srv.URL+path, pr)
	req.ContentLength = contentLength // -1: chunked
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	if token != "" {
		req.Header.Set("X-CSRF-Token", token)
	}
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := a.client.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{status: resp.StatusCode, body: string(b)}
	}()
	defer close(answered)
	defer pw.CloseWithError(io.ErrUnexpectedEOF)
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("%s: %v", path, r.err)
		}
		return r.status, r.body
	case <-time.After(20 * time.Second):
		return 0, ""
	}
}

// A large body is answered without being read, unless it is an attachment
// from a signed-in agent with the CSRF token; every route but the
// attachment's caps bodies at 64 KiB.
func TestLargeBodiesAreAnsweredUnread(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Send me the files", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	reply := fmt.Sprintf("/conversations/%d/messages", conv)
	signedIn := ts.newAgent()
	signedIn.login(ana.Email)
	anon := ts.newAgent()
	anon.get("/login")

	for _, c := range []struct {
		name, path, token string
		who               *agent
		length            int64
		want              int
	}{
		{"anonymous sign-in", "/login", "", anon, -1, http.StatusRequestEntityTooLarge},
		{"anonymous sign-in, token sent", "/login", anon.csrf, anon, -1, http.StatusRequestEntityTooLarge},
		{"anonymous attachment", reply, "", anon, -1, http.StatusForbidden},
		{"anonymous attachment, token sent", reply, anon.csrf, anon, -1, 0},
		{"agent attachment without the token", reply, "", signedIn, -1, http.StatusForbidden},
		{"agent, another page", fmt.Sprintf("/conversations/%d/assign", conv), signedIn.csrf, signedIn, -1, http.StatusRequestEntityTooLarge},
		{"agent, declared 30 MiB", reply, signedIn.csrf, signedIn, 30 << 20, http.StatusRequestEntityTooLarge},
	} {
		got := streamedUpload(t, c.who, c.path, c.token, c.length)
		switch {
		case got == 0:
			t.Errorf("%s: no answer while the body was still coming: the server waited to read it", c.name)
		case c.want != 0 && got != c.want:
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		case c.want == 0 && got < 400:
			t.Errorf("%s: %d, want a refusal", c.name, got)
		}
	}

	// A signed-in agent's large attachment streams through.
	big := bytes.Repeat([]byte("line of a long log file\n"), (1<<20)/24)
	if p := signedIn.uploadAs(reply, "server.log", "text/plain", big); p.status != http.StatusOK {
		t.Fatalf("a 1 MiB attachment: %d %s", p.status, p.body)
	}
	// One byte past the limit: refused, and nothing is left on disk.
	before, _ := os.ReadDir(ts.filesDir)
	if p := signedIn.uploadAs(reply, "huge.log", "text/plain", bytes.Repeat([]byte("x"), web.MaxUpload+1)); p.status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(p.body, "at most 25 MB") {
		t.Errorf("an attachment past the limit: %d %s", p.status, p.body)
	}
	if after, _ := os.ReadDir(ts.filesDir); len(after) != len(before) {
		t.Errorf("files on disk: %d before, %d after a refused upload", len(before), len(after))
	}
}

// An agent sending more attachments at once than allowed gets a 429 in
// plain words; the slots free once those uploads end.
func TestTooManyUploadsAtOnceAreRefused(t *testing.T) {
	ts := newTestServer(t)
	ana := ts.addUser("ana@example.com", "Ana", inbox.RoleAgent)
	ts.mustPost(inboundText("evt_1", "msg_1", "Send me the files", time.Now()))
	reply := fmt.Sprintf("/conversations/%d/messages", ts.mustMessage("msg_1").ConversationID)
	a := ts.newAgent()
	a.login(ana.Email)

	// Uploads that have begun and wait for the rest of their file.
	var pipes []*io.PipeWriter
	ended := make(chan struct{}, web.MaxUploadsPerUser)
	for range web.MaxUploadsPerUser {
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		mw := multipart.NewWriter(pw)
		go func() {
			fw, _ := mw.CreateFormFile("file", "slow.bin")
			fw.Write(bytes.Repeat([]byte("x"), 64<<10))
		}()
		req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+reply, pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", a.csrf)
		go func() {
			if resp, err := a.client.Do(req); err == nil {
				resp.Body.Close()
			}
			ended <- struct{}{}
		}()
	}
	// One more, complete (an empty reply: refused with 400 once it has a
	// slot), until the slots are seen taken.
	another := func() page {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("text", "")
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+reply, io.MultiReader(&body)) // length unknown: may be large
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", a.csrf)
		req.Header.Set("HX-Request", "true")
		return a.send(req)
	}
	deadline := time.Now().Add(20 * time.Second)
	var p page
	for p = another(); p.status != http.StatusTooManyRequests && time.Now().Before(deadline); p = another() {
		if p.status != http.StatusBadRequest {
			t.Fatalf("an extra upload: %d %s", p.status, p.body)
		}
	}
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Wait for one to finish") {
		t.Fatalf("upload %d at once: %d %s, want 429", web.MaxUploadsPerUser+1, p.status, p.body)
	}
	for _, pw := range pipes {
		pw.CloseWithError(io.ErrUnexpectedEOF)
	}
	for range pipes {
		<-ended
	}
	// The server sees the broken uploads end a moment after the client.
	deadline = time.Now().Add(20 * time.Second)
	for p = another(); p.status == http.StatusTooManyRequests && time.Now().Before(deadline); p = another() {
	}
	if p.status != http.StatusBadRequest {
		t.Errorf("after the uploads ended: %d %s, want a slot again", p.status, p.body)
	}
}
