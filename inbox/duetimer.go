package inbox

import (
	"context"
	"log/slog"
	"time"
)

// dueTimer does work that falls due at times the store knows: one
// goroutine (run) does what is due, tells of what changed, and sleeps
// until the store's next due time, at most MaxSleep, or until Wake. The
// store is the only record, so work that fell due while Switchboard was
// down is done as soon as it starts. After a failure it tries again in
// failPause, never at once.
type dueTimer struct {
	what string                                                            // for the log: "snoozes ended"
	do   func(ctx context.Context, now time.Time) (Change, error)          // does what is due by now
	next func(ctx context.Context, now time.Time) (time.Time, bool, error) // the next due time, if any
	tell func(Change)                                                      // told of each change, after its commit; may be nil
	now  func() time.Time
	log  *slog.Logger
	wake chan struct{}
	// MaxSleep bounds one sleep, so that a change of the wall clock is
	// noticed; 0 for a minute.
	MaxSleep time.Duration
}

// failPause is how long a timer waits after a failure.
const failPause = 5 * time.Second

func newDueTimer(what string, now func() time.Time, log *slog.Logger) dueTimer {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return dueTimer{what: what, now: now, log: log, wake: make(chan struct{}, 1)}
}

// Wake makes the timer look again; it never blocks.
func (t *dueTimer) Wake() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Run does due work until ctx ends.
func (t *dueTimer) Run(ctx context.Context) {
	maxSleep := t.MaxSleep
	if maxSleep <= 0 {
		maxSleep = time.Minute
	}
	for {
		wait, failed := maxSleep, false
		if ch, err := t.do(ctx, t.now()); err != nil {
			if ctx.Err() != nil {
				return
			}
			t.log.Error(t.what+": failed", "err", err)
			wait, failed = failPause, true
		} else if !ch.Empty() {
			t.log.Info(t.what, "conversations", len(ch.ConversationIDs))
			if t.tell != nil {
				t.tell(ch)
			}
		}
		if next, ok, err := t.next(ctx, t.now()); failed {
			// Try again after the pause, not at once.
		} else if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.log.Error(t.what+": reading the next due time failed", "err", err)
		} else if ok {
			wait = min(max(next.Sub(t.now()), 0), wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-t.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}
