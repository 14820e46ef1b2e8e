package inbox

import (
	"context"
	"testing"
	"time"
)

// stopDuringWait is an outbox store with nothing to send, where the
// process is told to stop while the worker asks when the next entry is
// due: a SIGTERM right after start.
type stopDuringWait struct {
	stop func()
}

func (s *stopDuringWait) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxEntry, error) {
	return nil, nil
}

func (s *stopDuringWait) OutboxSent(ctx context.Context, entryID int64, res SendResult, at time.Time) (Change, error) {
	return Change{}, nil
}

func (s *stopDuringWait) OutboxRetry(ctx context.Context, entryID int64, next time.Time, reason string) (Change, error) {
	return Change{}, nil
}

func (s *stopDuringWait) OutboxHold(ctx context.Context, until time.Time, reason string) (Change, error) {
	return Change{}, nil
}

func (s *stopDuringWait) OutboxFail(ctx context.Context, entryID int64, code, reason string, at time.Time) (Change, error) {
	return Change{}, nil
}

func (s *stopDuringWait) OutboxPause(ctx context.Context, now time.Time) (time.Time, string, error) {
	return time.Time{}, "", nil
}

func (s *stopDuringWait) NextOutboxAttempt(ctx context.Context) (time.Time, bool, error) {
	s.stop()
	return time.Time{}, false, ctx.Err()
}

func (s *stopDuringWait) ReleaseOutbox(ctx context.Context, now time.Time) (int, error) {
	return 0, nil
}

// A stop that lands while the idle worker looks up its next due entry
// ends Run at once, instead of after the minute it would otherwise sleep:
// a server told to stop right after it started must not hang.
func TestOutboxStopsWhenToldToWhileLookingUpTheNextEntry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := NewOutbox(&stopDuringWait{stop: cancel}, nil, nil, nil)
	ran := make(chan struct{})
	go func() {
		o.Run(ctx)
		close(ran)
	}()
	select {
	case <-ran:
	case <-time.After(20 * time.Second): // Run would otherwise sleep a minute
		t.Fatal("the outbox worker did not stop after its context ended")
	}
}
