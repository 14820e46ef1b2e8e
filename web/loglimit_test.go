package web

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogLimiterCountsWhatItHoldsBack: one line a second per message, and
// the next says how many were held back.
func TestLogLimiterCountsWhatItHoldsBack(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	l := newLogLimiter(slog.New(slog.NewJSONHandler(&buf, nil)), time.Second, func() time.Time { return now })
	ctx := context.Background()
	for range 50 {
		l.Log(ctx, slog.LevelError, "webhook not stored", "err", "database or disk is full")
		now = now.Add(10 * time.Millisecond)
	}
	l.Log(ctx, slog.LevelError, "health check failed") // another message is not held back by the first
	now = now.Add(600 * time.Millisecond)              // 1.1 s after the first line
	l.Log(ctx, slog.LevelError, "webhook not stored", "err", "database or disk is full")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	if strings.Contains(lines[0], "suppressed") || !strings.Contains(lines[1], `"msg":"health check failed"`) ||
		!strings.Contains(lines[2], `"suppressed":49`) {
		t.Errorf("lines:\n%s", buf.String())
	}
}
