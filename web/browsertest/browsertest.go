// Package browsertest starts the headless Chromium that Switchboard's
// browser tests drive through chromedp, in the web package and in the
// tests of the whole binary alike.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium finds the browser, or skips the test with how to install it.
// In CI (CI=true) a missing browser is a failure. A test that starts one
// is named TestBrowser...: CI runs those in a pass of their own.
func Chromium(t testing.TB) string {
	t.Helper()
	if !strings.HasPrefix(t.Name(), "TestBrowser") {
		t.Fatalf("%s starts a browser: name it TestBrowser...", t.Name())
	}
	if testing.Short() {
		t.Skip("browser tests are skipped with -short")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "Chromium is not installed; install it to run the browser tests (Debian/Ubuntu: apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start starts headless Chromium at exe with a window of a laptop's size
// and returns its first tab's context; the browser ends with the test.
func Start(t testing.TB, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1360, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}
