package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// maxFormBody caps every request body but an attachment's.
const maxFormBody = 64 << 10

// replyForm is what the composer sent: its fields and, when a file was
// attached, the file, already on disk, and the conversation it is for.
type replyForm struct {
	url.Values
	file *storedUpload
	conv inbox.Conversation // looked up before the file was read
	fs   *fileStore
}

// storedUpload is an attached file saved by fileStore.save.
type storedUpload struct{ name, ctype, filename string }

// discard removes the attached file, when the reply it came with was not
// queued.
func (f *replyForm) discard() {
	if f.file != nil && f.fs != nil {
		os.Remove(filepath.Join(f.fs.dir, f.file.name))
		f.file = nil
	}
}

// readReplyForm reads the composer's form. A plain form, or a multipart
// one no larger than maxFormBody, is read as it is. A larger multipart
// body may carry an attachment: it needs a free upload slot first, and
// its file part is streamed to disk as it arrives, never held in memory;
// the other fields together stay within maxFormBody. Before a file part
// is read, conversation convID is looked up: a file for one that does not
// exist, or whose channel carries text only, is refused unread. The route
// has checked the session, the CSRF token (a header, so nothing here was
// read before) and the signed-in user.
func (s *Server) readReplyForm(c echo.Context, user, convID int64) (*replyForm, error) {
	r := c.Request()
	form := &replyForm{Values: url.Values{}, fs: s.files}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if r.ContentLength > maxFormBody {
			return nil, errFormTooLarge()
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, errFormTooLarge()
			}
			return nil, newError(http.StatusBadRequest, "invalid_form", "The form could not be read.")
		}
		form.Values = r.PostForm
		return form, nil
	}
	if params["boundary"] == "" {
		return nil, newError(http.StatusBadRequest, "invalid_upload", "The form could not be read.")
	}
	limit := int64(maxFormBody)
	if r.ContentLength < 0 || r.ContentLength > maxFormBody {
		if s.files == nil {
			return nil, errAttachmentsOff()
		}
		if r.ContentLength > MaxUpload+(1<<20) {
			return nil, errTooLarge()
		}
		release, err := s.files.slots.take(user)
		if err != nil {
			return nil, err
		}
		defer release()
		limit = MaxUpload + (1 << 20)
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
	mr := multipart.NewReader(r.Body, params["boundary"])
	budget := int64(maxFormBody)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			form.discard()
			return nil, bodyError(err)
		}
		if p.FormName() == "file" && p.FileName() != "" {
			if s.files == nil {
				return nil, errAttachmentsOff()
			}
			if form.file != nil {
				form.discard()
				return nil, newError(http.StatusBadRequest, "one_file", "Attach one file at a time.")
			}
			conv, err := s.store.Conversation(r.Context(), convID)
			if err != nil {
				return nil, err
			}
			if err := inbox.RefuseFile(conv.Channel); err != nil {
				return nil, err
			}
			form.conv = conv
			name, ctype, err := s.files.save(p, p.FileName())
			if err != nil {
				return nil, err
			}
			form.file = &storedUpload{name: name, ctype: ctype, filename: shortFileName(p.FileName())}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, budget+1))
		if err != nil {
			form.discard()
			return nil, bodyError(err)
		}
		if budget -= int64(len(b)); budget < 0 {
			form.discard()
			return nil, errFormTooLarge()
		}
		form.Add(p.FormName(), string(b))
	}
}

func errFormTooLarge() error {
	return newError(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf(
		"The form is larger than Switchboard accepts (%d KB in all). Go back to it, where your browser keeps what you typed, shorten the longest text and send it again.",
		maxFormBody>>10))
}

func errAttachmentsOff() error {
	return newError(http.StatusBadRequest, "attachments_off", "Attachments are not set up on this server.")
}

// bodyError says why a request body could not be read.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errTooLarge()
	}
	return newError(http.StatusBadRequest, "invalid_upload", "The form could not be read.")
}

// maxFileName is the longest name, in bytes, an attachment keeps: what
// file systems allow. The browser says the name, and nothing else bounds
// it but the body: a name of megabytes would be stored with the message,
// sent to Zavu and drawn in every page of the thread.
const maxFileName = 255

// shortFileName cuts a longer name to maxFileName bytes, from the end of
// its stem, keeping its extension and whole characters.
func shortFileName(name string) string {
	if len(name) <= maxFileName {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	stem = stem[:maxFileName-len(ext)]
	// A character the cut split in two goes whole.
	for r, size := utf8.DecodeLastRuneInString(stem); r == utf8.RuneError && size == 1; r, size = utf8.DecodeLastRuneInString(stem) {
		stem = stem[:len(stem)-1]
	}
	return stem + ext
}
