package web_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"switchboard/web"
)

// A burst of Zavu's deliveries must not write a line each at the info
// level (thousands a second); a refused delivery is still logged.
func TestAcknowledgedWebhooksStayOutOfTheInfoLog(t *testing.T) {
	var logs syncBuffer
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	body := inboundText("evt_quiet", "msg_quiet", "Hello", time.Now())
	if status, reply := ts.post(body); status != 200 || reply["received"] != true {
		t.Fatalf("delivery: %d %v", status, reply)
	}
	if status, _ := ts.postWith(body, "t=1,v1=00", nil); status != 401 {
		t.Fatalf("badly signed delivery: %d, want 401", status)
	}
	var ok, refused int
	for line := range strings.Lines(logs.String()) {
		var l struct {
			Msg, Level, Path string
			Status           int
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Msg != "http request" || l.Path != "/webhooks/zavu" {
			continue
		}
		switch {
		case l.Status == 200:
			ok++
		case l.Status == 401 && l.Level == "WARN":
			refused++
		}
	}
	if ok != 0 || refused != 1 {
		t.Errorf("request lines: %d for the acknowledged delivery (want 0), %d warnings for the refused one (want 1):\n%s", ok, refused, logs.String())
	}
}
