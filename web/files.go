package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// MaxUpload is the largest file an agent can attach: WhatsApp takes
// videos up to 16 MB and documents up to 100 MB; 25 MB keeps uploads quick
// on a small VPS and covers what support teams send.
const MaxUpload = 25 << 20

// FileLinkLife is how long the link Zavu fetches an attachment from stays
// valid: long enough for every retry, and for an agent's Retry days later.
const FileLinkLife = 7 * 24 * time.Hour

// fileStore keeps the files agents attach and hands Zavu unguessable,
// expiring links to them under the public base URL.
type fileStore struct {
	dir string
	key []byte // signs links
}

var fileName = regexp.MustCompile(`^[0-9a-f]{32}\.[a-z0-9]{1,8}$`)

// save stores an upload and returns its name on disk.
func (fs *fileStore) save(fh *multipart.FileHeader) (name, ctype string, err error) {
	if fh.Size > MaxUpload {
		return "", "", newError(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("Attachments can be at most %d MB.", MaxUpload>>20))
	}
	src, err := fh.Open()
	if err != nil {
		return "", "", err
	}
	defer src.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(src, head)
	ctype = http.DetectContentType(head[:n])
	if declared, _, err := mime.ParseMediaType(fh.Header.Get("Content-Type")); err == nil && declared != "application/octet-stream" &&
		(strings.HasPrefix(ctype, "application/octet-stream") || strings.HasPrefix(ctype, "text/plain")) {
		ctype = declared // formats sniffing cannot tell (docx, ogg voice notes...)
	}
	ctype, _, _ = mime.ParseMediaType(ctype)
	if strings.HasPrefix(ctype, "text/html") || ctype == "image/svg+xml" {
		return "", "", newError(http.StatusBadRequest, "unsupported_file", "Web pages and SVG images cannot be attached.")
	}
	ext := extension(fh.Filename, ctype)
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	name = hex.EncodeToString(b) + "." + ext
	if err := os.MkdirAll(fs.dir, 0o750); err != nil {
		return "", "", err
	}
	dst, err := os.OpenFile(filepath.Join(fs.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return "", "", err
	}
	_, err = io.Copy(dst, io.MultiReader(strings.NewReader(string(head[:n])), io.LimitReader(src, MaxUpload)))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(filepath.Join(fs.dir, name))
		return "", "", err
	}
	return name, ctype, nil
}

// extension is a safe file extension for an upload.
func extension(filename, ctype string) string {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(filename), "."))
	if ext == "" || len(ext) > 8 || strings.Trim(ext, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		if exts, _ := mime.ExtensionsByType(ctype); len(exts) > 0 {
			ext = strings.TrimPrefix(exts[0], ".")
		} else {
			ext = "bin"
		}
	}
	return ext
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
	ctype := mime.TypeByExtension("." + strings.SplitN(name, ".", 2)[1])
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := c.Response().Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, f)
	return nil
}

// attachmentReply turns an uploaded file into a media reply.
func (s *Server) attachmentReply(c echo.Context, fh *multipart.FileHeader, caption string) (inbox.Reply, error) {
	if s.files == nil {
		return inbox.Reply{}, newError(http.StatusBadRequest, "attachments_off", "Attachments are not set up on this server.")
	}
	name, ctype, err := s.files.save(fh)
	if err != nil {
		return inbox.Reply{}, err
	}
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
		MediaURL: s.files.link(s.cfg.BaseURL, name, s.now()), MimeType: ctype, Filename: filepath.Base(fh.Filename),
	}}, nil
}
