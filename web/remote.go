package web

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/labstack/echo/v4"
)

// DefaultTrustedProxies are the addresses whose forwarded headers are
// believed when none are configured: a reverse proxy on this machine.
var DefaultTrustedProxies = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
}

// clientAddresses returns how the server finds the address a request came
// from, as c.RealIP() reports it to the sign-in limiter, the webhook
// signature counter and the logs. X-Forwarded-For (or, without it,
// X-Real-IP) is believed only when the connection comes from one of the
// trusted proxies, and from X-Forwarded-For only the nearest address no
// trusted proxy added: any other client that sets these headers is counted
// under its own address, so it can neither pass for another nor dodge the
// limits by making up a new address each time. A private network is not
// trusted by itself: on a container bridge, every client may come from one.
func clientAddresses(trusted []netip.Prefix) echo.IPExtractor {
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	fromXFF := echo.ExtractIPFromXFFHeader(opts...)
	fromRealIP := echo.ExtractIPFromRealIPHeader(opts...)
	return func(r *http.Request) string {
		if len(r.Header.Values(echo.HeaderXForwardedFor)) > 0 {
			return fromXFF(r)
		}
		return fromRealIP(r)
	}
}
