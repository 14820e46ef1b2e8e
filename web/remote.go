package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

var (
	fromXFF    = echo.ExtractIPFromXFFHeader()
	fromRealIP = echo.ExtractIPFromRealIPHeader()
)

// clientAddress is the address a request came from, as c.RealIP() reports
// it to the sign-in limiter, the webhook signature counter and the logs.
// X-Forwarded-For (or, without it, X-Real-IP) is believed only when the
// connection comes from a reverse proxy on this machine or a private
// network (loopback, link-local or private addresses), and from
// X-Forwarded-For only the nearest address no such proxy added: a client
// on the internet that sets these headers is counted under its own
// address, so it can neither pass for another nor dodge the limits by
// making up a new address each time.
func clientAddress(r *http.Request) string {
	if len(r.Header.Values(echo.HeaderXForwardedFor)) > 0 {
		return fromXFF(r)
	}
	return fromRealIP(r)
}
