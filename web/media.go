package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// MediaSource finds where Zavu keeps a message's media: the mediaUrl of
// GET /v1/messages/{id}, which webhooks do not carry.
type MediaSource interface {
	MediaURL(ctx context.Context, zavuMessageID string) (string, error)
}

// MaxMediaSize is the largest media file Switchboard fetches (WhatsApp's
// own limit for documents is 100 MB; images and voice notes are far
// smaller).
const MaxMediaSize = 100 << 20

// mediaCache fetches inbound media once, keeps it on disk, and serves it
// to signed-in agents only.
type mediaCache struct {
	dir      string
	source   MediaSource
	client   *http.Client
	mu       sync.Mutex
	inFlight map[string]*sync.Mutex // one fetch per message at a time
}

// SafeMediaClient fetches media only over https, and never from (or
// redirected to) a loopback, private or link-local address: a mediaUrl is
// data from outside, and must not reach into the server's own network.
func SafeMediaClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: refusePrivate}
	tr := &http.Transport{
		DialContext: dialer.DialContext, TLSHandshakeTimeout: 10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second, MaxIdleConns: 4,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   2 * time.Minute,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to %s: only https is followed", req.URL.Scheme)
			}
			return nil
		},
	}
}

// refusePrivate is a dialer Control that refuses addresses a public media
// server cannot have. It runs on the resolved address, so a name that
// resolves to a private address is refused too.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return fmt.Errorf("media address %s is not a public address", host)
	}
	return nil
}

// handleMedia serves a message's media to a signed-in agent, fetching it
// from Zavu on first view.
func (s *Server) handleMedia(c echo.Context) error {
	if s.media == nil {
		return newError(http.StatusNotFound, "not_found", "Media is not available here.")
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	m, err := s.store.Message(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if !m.Type.IsMedia() || m.ZavuID == "" || m.Direction != inbox.Inbound {
		return newError(http.StatusNotFound, "not_found", "This message has no media.")
	}
	path, ctype, err := s.media.file(c.Request().Context(), m)
	if err != nil {
		s.log.Warn("media not fetched", "message_id", m.ID, "err", err)
		return newError(http.StatusBadGateway, "media_unavailable", "The file could not be fetched from Zavu. Try again later.")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := c.Response().Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	// Only images, audio and video show inline; anything else downloads,
	// so a document can never run as a page of this site.
	disp := "attachment"
	if strings.HasPrefix(ctype, "image/") || strings.HasPrefix(ctype, "audio/") || strings.HasPrefix(ctype, "video/") {
		disp = "inline"
	}
	name := "file"
	if m.Content != nil && m.Content.Filename != "" {
		name = m.Content.Filename
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, f)
	return nil
}

// file returns the cached file of m's media, fetching it if needed.
func (mc *mediaCache) file(ctx context.Context, m inbox.Message) (path, ctype string, err error) {
	sum := sha256.Sum256([]byte(m.ZavuID))
	path = filepath.Join(mc.dir, hex.EncodeToString(sum[:16]))
	ctype = "application/octet-stream"
	if m.Content != nil && m.Content.MimeType != "" {
		if mt, _, err := mime.ParseMediaType(m.Content.MimeType); err == nil {
			ctype = mt
		}
	}
	lock := mc.lock(path)
	lock.Lock()
	defer lock.Unlock()
	if _, err := os.Stat(path); err == nil {
		return path, ctype, nil
	}
	raw, err := mc.source.MediaURL(ctx, m.ZavuID)
	if err != nil {
		return "", "", err
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("media url %q is not a URL", raw)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", "", err
	}
	resp, err := mc.client.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("media server answered %s", resp.Status)
	}
	if err := os.MkdirAll(mc.dir, 0o750); err != nil {
		return "", "", err
	}
	tmp, err := os.CreateTemp(mc.dir, ".fetch-*")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, MaxMediaSize+1))
	if err == nil && n > MaxMediaSize {
		err = fmt.Errorf("media larger than %d MB", MaxMediaSize>>20)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "", err
	}
	return path, ctype, nil
}

func (mc *mediaCache) lock(key string) *sync.Mutex {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	l, ok := mc.inFlight[key]
	if !ok {
		if len(mc.inFlight) > 1024 {
			mc.inFlight = map[string]*sync.Mutex{}
		}
		l = &sync.Mutex{}
		mc.inFlight[key] = l
	}
	return l
}
