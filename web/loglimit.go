package web

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// logLimiter lets through at most one line a second of each message: when
// the disk is full every request fails alike, and a line per request would
// bury the cause (and fill what is left of the disk). The next line let
// through says how many were held back.
type logLimiter struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu    sync.Mutex
	lines map[string]*limitedLine // by message; a handful of messages use it
}

type limitedLine struct {
	last       time.Time
	suppressed int
}

func newLogLimiter(log *slog.Logger, every time.Duration, now func() time.Time) *logLimiter {
	return &logLimiter{log: log, every: every, now: now, lines: map[string]*limitedLine{}}
}

// Log writes msg with attrs at level, unless a line of msg went out less
// than a period ago; then it only counts it.
func (l *logLimiter) Log(ctx context.Context, level slog.Level, msg string, attrs ...any) {
	now := l.now()
	l.mu.Lock()
	line := l.lines[msg]
	if line == nil {
		line = &limitedLine{}
		l.lines[msg] = line
	}
	if !line.last.IsZero() && now.Sub(line.last) < l.every && !now.Before(line.last) {
		line.suppressed++
		l.mu.Unlock()
		return
	}
	held := line.suppressed
	line.last, line.suppressed = now, 0
	l.mu.Unlock()
	if held > 0 {
		attrs = append(attrs, "suppressed", held)
	}
	l.log.Log(ctx, level, msg, attrs...)
}
