package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
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

// mediaCache fetches the media Zavu keeps (zavuMedia) once, keeps it on
// disk, and serves it to signed-in agents only.
type mediaCache struct {
	dir      string
	source   MediaSource
	client   *http.Client
	mu       sync.Mutex
	inFlight map[string]*sync.Mutex // one fetch per message at a time
}

// SafeMediaClient fetches media only over https (the first URL and every
// redirect), and never from a loopback, private, shared, documentation,
// multicast or other special-purpose address: a mediaUrl is data from
// outside, and must not reach into the server's own network.
func SafeMediaClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: refuseSpecial}
	tr := &http.Transport{
		DialContext: dialer.DialContext, TLSHandshakeTimeout: 10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second, MaxIdleConns: 4,
	}
	return &http.Client{
		Transport: httpsOnly{tr},
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

// errRefusedLink is a media link SafeMediaClient does not follow: not
// https, or to an address no public server has.
var errRefusedLink = errors.New("link refused")

// httpsOnly refuses every request that is not https before it is sent.
type httpsOnly struct{ next http.RoundTripper }

func (t httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("media url scheme %q: only https is fetched: %w", req.URL.Scheme, errRefusedLink)
	}
	return t.next.RoundTrip(req)
}

// specialPurpose lists the IANA IPv4 and IPv6 special-purpose address
// registries (and multicast, and the deprecated site-local range): none of
// these is where a public media server lives.
var specialPurpose = func() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{
		// IPv4
		"0.0.0.0/8",       // "this network"
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // shared address space (carrier-grade NAT)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation (TEST-NET-1)
		"192.31.196.0/24", // AS112-v4
		"192.52.193.0/24", // AMT
		"192.88.99.0/24",  // deprecated 6to4 relay anycast
		"192.168.0.0/16",  // private
		"192.175.48.0/24", // direct delegation AS112
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation (TEST-NET-2)
		"203.0.113.0/24",  // documentation (TEST-NET-3)
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
		// IPv6
		"::/128",            // unspecified
		"::1/128",           // loopback
		"::/96",             // deprecated IPv4-compatible
		"::ffff:0:0/96",     // IPv4-mapped
		"64:ff9b::/96",      // IPv4/IPv6 translation
		"64:ff9b:1::/48",    // local-use IPv4/IPv6 translation
		"100::/64",          // discard-only
		"100:0:0:1::/64",    // dummy prefix
		"2001::/23",         // IETF protocol assignments (Teredo, ORCHID, ...)
		"2001:db8::/32",     // documentation
		"2002::/16",         // 6to4
		"2620:4f:8000::/48", // direct delegation AS112
		"3fff::/20",         // documentation
		"5f00::/16",         // segment routing SIDs
		"fc00::/7",          // unique local
		"fe80::/10",         // link-local
		"fec0::/10",         // deprecated site-local
		"ff00::/8",          // multicast
	} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}()

// publicAddress reports whether ip may be a public media server's.
func publicAddress(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("")
	for _, p := range specialPurpose {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// refuseSpecial is a dialer Control that refuses addresses a public media
// server cannot have. It runs on the resolved address the socket is about
// to connect to, so a name that resolves to a special address is refused
// too, whatever the name looked like.
func refuseSpecial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("media address %q: %w", address, err)
	}
	if !publicAddress(ap.Addr()) {
		return fmt.Errorf("media address %s is not a public address: %w", ap.Addr(), errRefusedLink)
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
	if m.Type.IsMedia() && m.Direction == inbox.Outbound && m.Content != nil && !zavuMedia(m) {
		return s.serveAttachment(c, m)
	}
	if !zavuMedia(m) {
		return newError(http.StatusNotFound, "not_found", "This message has no media.")
	}
	path, err := s.media.file(c.Request().Context(), m)
	if err != nil {
		s.log.Warn("media not fetched", "message_id", m.ID, "err", err)
		return newError(http.StatusBadGateway, "media_unavailable",
			"The "+mediaKind(m)+" could not be loaded from Zavu: "+mediaReason(err)+".")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	name := "file"
	if m.Content != nil && m.Content.Filename != "" {
		name = m.Content.Filename
	}
	// The type is what the bytes show, never what the sender declared:
	// pictures, sound and video show inline, other allowed types download,
	// and anything else downloads as application/octet-stream.
	h := c.Response().Header()
	serveHeaders(h, sniffFile(f, name), name)
	// The browser keeps the file but asks before each view, as the
	// pages, never kept, are asked for: once its agent signed out or was
	// deactivated, opening the link again leads to the sign-in page
	// instead of the customer's file. A file it holds is answered 304:
	// a message's media never changes.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+mediaKey(m.ZavuID)+`"`)
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, f)
	return nil
}

// zavuMedia reports whether m is a media message whose file Zavu keeps,
// fetched through the cache: a customer's, or one a teammate sent from
// the WhatsApp Business phone app whose echo carries Zavu's media id, as
// a customer's message does.
func zavuMedia(m inbox.Message) bool {
	if !m.Type.IsMedia() || m.ZavuID == "" {
		return false
	}
	return m.Direction == inbox.Inbound ||
		m.Source == inbox.SourcePhoneApp && m.Content != nil && m.Content.MediaID != ""
}

// serveAttachment serves the file an agent attached to the outbound
// message m, as handleMedia serves a customer's, for as long as it is
// kept: its signed link, which Zavu fetches it from, is checked to be
// ours, but not for its expiry, which is Zavu's.
func (s *Server) serveAttachment(c echo.Context, m inbox.Message) error {
	name, exp, sig, ok := ownFileLink(m.Content.MediaURL)
	if s.files == nil || !ok || !hmac.Equal([]byte(sig), []byte(s.files.sign(name, exp))) {
		return newError(http.StatusNotFound, "not_found", "This message has no media.")
	}
	f, err := os.Open(filepath.Join(s.files.dir, name))
	if err != nil {
		return newError(http.StatusNotFound, "not_found", "The "+mediaKind(m)+" is no longer kept on this server.")
	}
	defer f.Close()
	filename := m.Content.Filename
	if filename == "" {
		filename = name
	}
	h := c.Response().Header()
	serveHeaders(h, sniffFile(f, name), filename)
	h.Set("Cache-Control", "private, no-cache") // as a customer's (handleMedia)
	h.Set("ETag", `"`+strings.TrimSuffix(name, filepath.Ext(name))+`"`)
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, f)
	return nil
}

// file returns the cached file of m's media, fetching it if needed.
func (mc *mediaCache) file(ctx context.Context, m inbox.Message) (path string, err error) {
	path = filepath.Join(mc.dir, mediaKey(m.ZavuID))
	lock := mc.lock(path)
	lock.Lock()
	defer lock.Unlock()
	if _, err := os.Stat(path); err == nil {
		touchMedia(path, time.Now()) // viewed: the last to go when the cache is trimmed
		return path, nil
	}
	raw, err := mc.source.MediaURL(ctx, m.ZavuID)
	if err != nil {
		return "", lookupFailure(err)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", &mediaFailure{"Zavu gave no link to it", fmt.Errorf("media url %q is not a URL", raw)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", &mediaFailure{"Zavu gave no link to it", err}
	}
	resp, err := mc.client.Do(req)
	if err != nil {
		return "", downloadFailure(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", statusFailure(resp)
	}
	if err := privateDir(mc.dir); err != nil {
		return "", &mediaFailure{"Switchboard could not save it on its disk", err}
	}
	tmp, err := os.CreateTemp(mc.dir, ".fetch-*")
	if err != nil {
		return "", &mediaFailure{"Switchboard could not save it on its disk", err}
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, MaxMediaSize+1))
	switch {
	case err != nil:
		err = &mediaFailure{"the download was cut off", err}
	case n > MaxMediaSize:
		err = &mediaFailure{fmt.Sprintf("it is larger than %d MB", MaxMediaSize>>20), fmt.Errorf("media larger than %d MB", MaxMediaSize>>20)}
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = &mediaFailure{"Switchboard could not save it on its disk", cerr}
	}
	if err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", &mediaFailure{"Switchboard could not save it on its disk", err}
	}
	return path, nil
}

// mediaKey names the media of the Zavu message zavuID: its file in the
// cache, and its ETag.
func mediaKey(zavuID string) string {
	sum := sha256.Sum256([]byte(zavuID))
	return hex.EncodeToString(sum[:16])
}

// mediaFailure is why a message's media could not be fetched: reason ends
// the sentence "The photo could not be loaded from Zavu: ...".
type mediaFailure struct {
	reason string
	err    error
}

func (e *mediaFailure) Error() string { return e.reason + ": " + e.err.Error() }
func (e *mediaFailure) Unwrap() error { return e.err }

// mediaReason is err's reason in plain words.
func mediaReason(err error) string {
	var mf *mediaFailure
	if errors.As(err, &mf) {
		return mf.reason
	}
	return "something went wrong on the way"
}

// lookupFailure explains a failed look-up of the message at Zavu.
func lookupFailure(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		return &mediaFailure{"Zavu no longer has this message", err}
	case errors.Is(err, inbox.ErrUnauthorized):
		return &mediaFailure{"Zavu refused Switchboard's API key", err}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &mediaFailure{"Zavu did not answer in time", err}
	}
	return &mediaFailure{"Zavu could not be reached or did not give the file's link", err}
}

// downloadFailure explains a download that got no answer.
func downloadFailure(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, errRefusedLink):
		return &mediaFailure{"its link points somewhere Switchboard does not fetch from", err}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &mediaFailure{"the file server did not answer in time", err}
	}
	return &mediaFailure{"the file server could not be reached", err}
}

// statusFailure explains a download answered with an error status.
func statusFailure(resp *http.Response) error {
	err := fmt.Errorf("media server answered %s", resp.Status)
	switch c := resp.StatusCode; {
	case c == http.StatusUnauthorized || c == http.StatusForbidden || c == http.StatusNotFound || c == http.StatusGone:
		return &mediaFailure{"the link expired", err}
	case c >= 500:
		return &mediaFailure{"the file server had a problem", err}
	}
	return &mediaFailure{"the file server refused it (" + resp.Status + ")", err}
}

// mediaKind names m's media as the card about it does: "photo",
// "voice message".
func mediaKind(m inbox.Message) string {
	switch m.Type {
	case inbox.TypeImage:
		return "photo"
	case inbox.TypeSticker:
		return "sticker"
	case inbox.TypeVideo:
		return "video"
	case inbox.TypeAudio:
		return "voice message"
	case inbox.TypeDocument:
		return "document"
	}
	return "file"
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
