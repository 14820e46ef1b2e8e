package web

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"
)

// Every answer shares the security headers' values: a handler that adds
// to one changes its own answer only, never the next ones.
func TestSecurityHeadersOfOneAnswerDoNotLeakIntoTheNext(t *testing.T) {
	s := &Server{}
	e := echo.New()
	extend := s.securityHeaders(func(c echo.Context) error {
		c.Response().Header().Add("X-Frame-Options", "SAMEORIGIN")
		c.Response().Header().Set("Referrer-Policy", "no-referrer")
		return c.NoContent(http.StatusNoContent)
	})
	plain := s.securityHeaders(func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })

	first := httptest.NewRecorder()
	if err := extend(e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), first)); err != nil {
		t.Fatal(err)
	}
	if got := first.Header().Values("X-Frame-Options"); !slices.Equal(got, []string{"DENY", "SAMEORIGIN"}) {
		t.Fatalf("the first answer's X-Frame-Options = %q", got)
	}
	next := httptest.NewRecorder()
	if err := plain(e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), next)); err != nil {
		t.Fatal(err)
	}
	if got := next.Header().Values("X-Frame-Options"); !slices.Equal(got, []string{"DENY"}) {
		t.Errorf("the next answer's X-Frame-Options = %q, want DENY alone", got)
	}
	if got := next.Header().Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("the next answer's Referrer-Policy = %q, want same-origin", got)
	}
}
