package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// MaxUpload is the largest file an agent can attach: WhatsApp takes
// videos up to 16 MB and documents up to 100 MB; 25 MB keeps uploads quick
// on a small VPS and covers what support teams send.
const MaxUpload = 25 << 20

// checkSize refuses a file the conversation's channel would refuse for
// its size (inbox.MediaLimit), naming the channel and the limit. A
// document may be as large as any upload.
func (fs *fileStore) checkSize(name string, ch inbox.Channel, typ inbox.MessageType) error {
	limit, kind, ok := inbox.MediaLimit(ch, typ)
	if !ok {
		return nil
	}
	st, err := os.Stat(filepath.Join(fs.dir, name))
	if err != nil {
		return err
	}
	if st.Size() > limit {
		return newError(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf(
			"%s takes %s of at most %d MB; this one is %.1f MB. Send a smaller one.",
			ch.Label(), kind, limit>>20, float64(st.Size())/(1<<20)))
	}
	return nil
}

// FileLinkLife is how long the link Zavu fetches an attachment from stays
// valid from the moment it is sent (see FreshFileLinks): long enough for
// every retry of that send.
const FileLinkLife = 7 * 24 * time.Hour

// FreshFileLinks returns next sending each attachment with a link Zavu
// can fetch it from: one that expires within relinkBefore is signed
// again as the reply is sent, valid for FileLinkLife from then, so that a
// reply an agent sends again with Retry a week or more after attaching
// the file goes with a link that works. Until then every attempt of a
// send carries the same link: a retry under its idempotency key repeats
// the request as it was.
func (s *Server) FreshFileLinks(next inbox.Messenger) inbox.Messenger {
	if s.files == nil {
		return next
	}
	return freshLinks{next: next, s: s}
}

type freshLinks struct {
	next inbox.Messenger
	s    *Server
}

func (f freshLinks) Send(ctx context.Context, m inbox.OutgoingMessage) (inbox.SendResult, error) {
	if c := m.Content; c != nil && c.MediaURL != "" {
		if u, ok := f.s.files.relink(f.s.cfg.BaseURL, c.MediaURL, f.s.now()); ok {
			fresh := *c
			fresh.MediaURL = u
			m.Content = &fresh
		}
	}
	return f.next.Send(ctx, m)
}

// Concurrent uploads: past these, an upload is refused before its body is
// read (503 server-wide, 429 for one agent), so a burst of large
// attachments cannot tie up the disk and the network.
const (
	MaxConcurrentUploads = 8
	MaxUploadsPerUser    = 3
)

// fileStore keeps the files agents attach and hands Zavu unguessable,
// expiring links to them under the public base URL.
type fileStore struct {
	dir   string
	key   []byte // signs links
	slots uploadSlots
}

var fileName = regexp.MustCompile(`^[0-9a-f]{32}\.[a-z0-9]{1,8}$`)

// save streams an attached file to disk, never holding more than a small
// buffer of it in memory, and returns its name on disk and its type, as
// its bytes show it (see sniff). Only the owner can read the file.
func (fs *fileStore) save(src io.Reader, filename string) (name, ctype string, err error) {
	if err := privateDir(fs.dir); err != nil {
		return "", "", err
	}
	tmp, err := os.CreateTemp(fs.dir, ".upload-*") // mode 0600
	if err != nil {
		return "", "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(src, MaxUpload+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", "", errTooLarge()
		}
		return "", "", newError(http.StatusBadRequest, "invalid_upload", "The attachment could not be read.")
	}
	switch {
	case n > MaxUpload:
		return "", "", errTooLarge()
	case n == 0:
		return "", "", newError(http.StatusBadRequest, "empty_file", "The attached file is empty.")
	}
	head := make([]byte, sniffLen)
	k, _ := tmp.ReadAt(head, 0)
	if webContent(head[:k]) {
		return "", "", newError(http.StatusBadRequest, "unsupported_file", "Web pages and SVG images cannot be attached.")
	}
	ctype = sniff(head[:k], filename)
	ext, ok := servedTypes[ctype]
	if !ok {
		ext = "bin"
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	name = hex.EncodeToString(b) + "." + ext
	if err = tmp.Close(); err != nil {
		return "", "", err
	}
	if err = os.Rename(tmp.Name(), filepath.Join(fs.dir, name)); err != nil {
		return "", "", err
	}
	return name, ctype, nil
}

func errTooLarge() error {
	return newError(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("Attachments can be at most %d MB.", MaxUpload>>20))
}

// privateDir makes dir, readable by Switchboard's user only.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// uploadSlots counts the uploads being received, server-wide and per agent.
type uploadSlots struct {
	mu     sync.Mutex
	total  int
	byUser map[int64]int
}

// take reserves a slot for one upload by user, or says in plain words why
// not; release gives it back.
func (u *uploadSlots) take(user int64) (release func(), err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.byUser[user] >= MaxUploadsPerUser:
		return nil, newError(http.StatusTooManyRequests, "too_many_uploads",
			fmt.Sprintf("You are already sending %d attachments. Wait for one to finish, then try again.", MaxUploadsPerUser))
	case u.total >= MaxConcurrentUploads:
		return nil, newError(http.StatusServiceUnavailable, "uploads_busy",
			"Too many attachments are being uploaded right now. Try again in a moment.")
	}
	if u.byUser == nil {
		u.byUser = map[int64]int{}
	}
	u.total++
	u.byUser[user]++
	return sync.OnceFunc(func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		u.total--
		if u.byUser[user]--; u.byUser[user] <= 0 {
			delete(u.byUser, user)
		}
	}), nil
}

// link is the public, signed, expiring URL of a stored file.
func (fs *fileStore) link(base *url.URL, name string, now time.Time) string {
	exp := strconv.FormatInt(now.Add(FileLinkLife).Unix(), 10)
	u := "/files/" + name + "?exp=" + exp + "&sig=" + fs.sign(name, exp)
	if base == nil {
		return u
	}
	return strings.TrimRight(base.String(), "/") + u
}

// relinkBefore is how long before it expires a link is signed again for
// a send (see FreshFileLinks).
const relinkBefore = 24 * time.Hour

// relink signs again, at now, a link this store signed (raw) that
// expires within relinkBefore, under the base URL; ok is false for a
// link with longer to live, and for any other link: they stay as they
// are.
func (fs *fileStore) relink(base *url.URL, raw string, now time.Time) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	name, ok := strings.CutPrefix(u.Path, "/files/")
	if !ok && base != nil {
		name, ok = strings.CutPrefix(u.Path, strings.TrimRight(base.Path, "/")+"/files/")
	}
	q := u.Query()
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if !ok || err != nil || !fileName.MatchString(name) || !hmac.Equal([]byte(q.Get("sig")), []byte(fs.sign(name, q.Get("exp")))) ||
		time.Unix(exp, 0).Sub(now) > relinkBefore {
		return "", false
	}
	return fs.link(base, name, now), true
}

func (fs *fileStore) sign(name, exp string) string {
	m := hmac.New(sha256.New, fs.key)
	m.Write([]byte(name + "\n" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// handleFile serves an attachment to whoever holds its link (Zavu, or an
// agent's browser), until the link expires.
func (s *Server) handleFile(c echo.Context) error {
	if s.files == nil {
		return newError(http.StatusNotFound, "not_found", "There is no such file.")
	}
	name, exp, sig := c.Param("name"), c.QueryParam("exp"), c.QueryParam("sig")
	expires, err := strconv.ParseInt(exp, 10, 64)
	if !fileName.MatchString(name) || err != nil ||
		!hmac.Equal([]byte(sig), []byte(s.files.sign(name, exp))) {
		return newError(http.StatusNotFound, "not_found", "There is no such file.")
	}
	if s.now().Unix() > expires {
		return newError(http.StatusGone, "expired", "This link has expired.")
	}
	f, err := os.Open(filepath.Join(s.files.dir, name))
	if err != nil {
		return newError(http.StatusNotFound, "not_found", "There is no such file.")
	}
	defer f.Close()
	h := c.Response().Header()
	serveHeaders(h, sniffFile(f, name), name)
	h.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, f)
	return nil
}

// attachmentReply turns a stored upload into a media reply.
func (s *Server) attachmentReply(name, ctype, filename, caption string) inbox.Reply {
	typ := inbox.TypeDocument
	switch {
	case strings.HasPrefix(ctype, "image/"):
		typ = inbox.TypeImage
	case strings.HasPrefix(ctype, "video/"):
		typ = inbox.TypeVideo
	case strings.HasPrefix(ctype, "audio/"):
		typ = inbox.TypeAudio
	}
	return inbox.Reply{Type: typ, Text: strings.TrimSpace(caption), Content: &inbox.Content{
		MediaURL: s.files.link(s.cfg.BaseURL, name, s.now()), MimeType: ctype, Filename: filename,
	}}
}
