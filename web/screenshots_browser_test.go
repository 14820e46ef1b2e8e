package web_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/inbox/zavu"
)

// The README's screenshots are taken by TestBrowserScreen when
// SWITCHBOARD_SCREENSHOTS names a folder:
//
//	SWITCHBOARD_SCREENSHOTS=$PWD/docs/screenshots go test ./web -run 'TestBrowserScreen$'
//
// Without it the test saves nothing.
const screenshotsEnv = "SWITCHBOARD_SCREENSHOTS"

// sandboxMorning plays the sandbox's simulated customers into the server,
// so that the screenshots show what a team sees on its first day.
func sandboxMorning(t *testing.T, ls *liveServer, events int) {
	t.Helper()
	sim := zavu.NewSimulator(12, "snd_main", "+13125559876", time.Now)
	for _, ev := range sim.Stream(events) {
		if d, err := zavu.Decode(ev.Body); err == nil && d.Inbound != nil && ls.zavu != nil {
			in := d.Inbound
			m := zavu.Message{ID: in.MessageID, From: in.From, To: in.To, Channel: string(in.Channel),
				MessageType: string(in.Type), Text: in.Text}
			if c := in.Content; c != nil {
				m.Content = &zavu.Content{MediaID: c.MediaID, MimeType: c.MimeType, Filename: c.Filename}
			}
			ls.zavu.AddInbound(m)
		}
		ls.post(ev.Body)
	}
}

// screenshot saves what the tab shows as dir/name.png, at device scale 1
// and compressed as far as PNG goes, so the README's pictures stay small.
func (b *tab) screenshot(dir, name string) {
	b.t.Helper()
	b.waitFor(name+": the page and its pictures have loaded", `document.readyState === 'complete' &&
		[...document.images].every(i => i.complete) && document.fonts.status === 'loaded'`)
	ctx, cancel := context.WithTimeout(b.ctx, browserPatience)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		b.t.Fatal(err)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), out.Bytes(), 0o644); err != nil {
		b.t.Fatal(err)
	}
}
