package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ConnLimits bound the connections the server keeps open, so that no
// client can take every file descriptor (idle connections, slow bodies)
// and Zavu's webhooks are still answered while others flood.
type ConnLimits struct {
	// Total caps every connection at once; 0: no cap.
	Total int
	// PerAddr caps the connections from one IPv4 address or IPv6 /64;
	// 0: no cap.
	PerAddr int
	// Reserve is kept of Total for webhooks: a connection accepted when
	// fewer than Reserve are left is served only for POST /webhooks/zavu
	// and GET /healthz; anything else gets 503 and the connection closes.
	Reserve int
	// ReserveWait is how long a connection accepted into the reserve may
	// take to bring its request (and is kept at most); 0 for 5 seconds.
	// Idle connections cannot sit on the places kept for webhooks.
	ReserveWait time.Duration
	// Exempt, when set, names addresses that PerAddr does not cap: a
	// reverse proxy speaks for many clients.
	Exempt func(netip.Addr) bool
}

// DefaultConnLimits are the limits for this process: as many connections
// as the file descriptor limit leaves room for, at most 10,000; 512 from
// one address (an office behind one address, each browser with a few
// connections and a live page per tab); a tenth kept for webhooks.
func DefaultConnLimits() ConnLimits {
	total := 4096
	if n := fdLimit(); n > 0 {
		total = min(max(n-256, 64), 10000)
	}
	return ConnLimits{Total: total, PerAddr: min(512, total/2), Reserve: total / 10}
}

// ConnListener is a net.Listener that holds to ConnLimits: past a cap it
// answers a new connection 503 at once and closes it, so that the
// connection costs a file descriptor only for a moment.
type ConnListener struct {
	net.Listener
	limits ConnLimits
	log    *slog.Logger

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int

	refused   atomic.Int64
	lastNoted atomic.Int64 // unix nanoseconds of the last refusal logged
}

// LimitListener wraps ln with limits; log (may be nil) hears of refused
// connections at most every ten seconds.
func LimitListener(ln net.Listener, limits ConnLimits, log *slog.Logger) *ConnListener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ConnListener{Listener: ln, limits: limits, log: log, byAddr: map[netip.Addr]int{}}
}

// refusal is the whole answer to a connection over a cap.
var refusal = func() string {
	const body = "Too many connections. Try again in a moment."
	return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Retry-After: 5\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}()

// Accept returns the next connection within the limits, refusing those
// over them on the way.
func (l *ConnListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, exempt := l.key(c.RemoteAddr())
		l.mu.Lock()
		over := (l.limits.Total > 0 && l.open >= l.limits.Total) ||
			(!exempt && l.limits.PerAddr > 0 && l.byAddr[key] >= l.limits.PerAddr)
		if over {
			l.mu.Unlock()
			l.refuse(c, key)
			continue
		}
		reserved := l.limits.Total > 0 && l.open >= l.limits.Total-l.limits.Reserve
		l.open++
		l.byAddr[key]++
		l.mu.Unlock()
		lc := &limitedConn{Conn: c, l: l, key: key, reserved: reserved}
		if reserved {
			wait := l.limits.ReserveWait
			if wait <= 0 {
				wait = 5 * time.Second
			}
			lc.until = time.Now().Add(wait)
			_ = c.SetReadDeadline(lc.until)
		}
		return lc, nil
	}
}

func (l *ConnListener) refuse(c net.Conn, key netip.Addr) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(c, refusal)
	_ = c.Close()
	n := l.refused.Add(1)
	now := time.Now().UnixNano()
	if last := l.lastNoted.Load(); now-last >= int64(10*time.Second) && l.lastNoted.CompareAndSwap(last, now) {
		l.log.Warn("connections refused: over the limit", "address", key.String(), "refused_since_start", n)
	}
}

// key is what a connection counts under: its IPv4 address or IPv6 /64.
func (l *ConnListener) key(a net.Addr) (key netip.Addr, exempt bool) {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}, false
	}
	ip := ap.Addr().Unmap()
	if l.limits.Exempt != nil && l.limits.Exempt(ip) {
		exempt = true
	}
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	return ip, exempt
}

func (l *ConnListener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[key]--; l.byAddr[key] <= 0 {
		delete(l.byAddr, key)
	}
}

// Open is how many connections are open, and from addr (an IP address;
// an IPv6 address counts with its /64).
func (l *ConnListener) Open(addr string) (total, fromAddr int) {
	key, _ := l.key(&net.TCPAddr{IP: net.ParseIP(addr)})
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, l.byAddr[key]
}

// Refused is how many connections were refused since start.
func (l *ConnListener) Refused() int64 { return l.refused.Load() }

// limitedConn gives its place back when it closes, however often Close is
// called (the HTTP server, and the websocket once hijacked, both may).
type limitedConn struct {
	net.Conn
	l        *ConnListener
	key      netip.Addr
	reserved bool
	until    time.Time // for a reserved connection, the latest read deadline
	once     sync.Once
}

// SetReadDeadline never lets a reserved connection read past until.
func (c *limitedConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *limitedConn) SetDeadline(t time.Time) error {
	if !c.reserved {
		return c.Conn.SetDeadline(t)
	}
	return errors.Join(c.Conn.SetReadDeadline(c.clamp(t)), c.Conn.SetWriteDeadline(t))
}

func (c *limitedConn) clamp(t time.Time) time.Time {
	if c.reserved && (t.IsZero() || t.After(c.until)) {
		return c.until
	}
	return t
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}

// CloseWrite lets the HTTP server half-close before closing, so a client
// still sending reads the last answer rather than a reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps sendfile for downloads.
func (c *limitedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(c.Conn, r)
}

type reservedKey struct{}

// connContext marks the requests of a connection accepted into the
// reserve (see ConnLimits.Reserve).
func connContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitedConn); ok && lc.reserved {
		return context.WithValue(ctx, reservedKey{}, true)
	}
	return ctx
}

// servedFromReserve reports whether r may be served on a connection
// accepted into the reserve: Zavu's webhooks and the health check (a
// monitor's HEAD too).
func servedFromReserve(r *http.Request) bool {
	return (r.Method == http.MethodPost && r.URL.Path == "/webhooks/zavu") ||
		((r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/healthz")
}

// refuseOutsideReserve answers 503 to a request other than a webhook on a
// connection accepted into the reserve, and closes the connection; it
// reports whether it did.
func refuseOutsideReserve(w http.ResponseWriter, r *http.Request) bool {
	if reserved, _ := r.Context().Value(reservedKey{}).(bool); !reserved || servedFromReserve(r) {
		return false
	}
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Retry-After", "5")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, "Switchboard is busy. Try again in a moment.")
	return true
}
