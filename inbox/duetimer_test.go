package inbox

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A store that keeps failing while work is overdue must not be asked
// again at once: the timer pauses after a failure. (Before, the snooze
// timer read the overdue time after the failure and asked again at once,
// over and over.)
func TestDueTimerPausesAfterAFailure(t *testing.T) {
	var calls atomic.Int64
	second := make(chan struct{})
	tm := newDueTimer("test", nil, nil)
	tm.do = func(context.Context, time.Time) (Change, error) {
		if calls.Add(1) == 2 {
			close(second)
		}
		return Change{}, errors.New("disk full")
	}
	tm.next = func(context.Context, time.Time) (time.Time, bool, error) {
		return time.Now().Add(-time.Hour), true, nil // overdue
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tm.Run(ctx); close(done) }()
	// A second try comes only after the pause (or a Wake); one tick of a
	// spinning loop would come at once.
	select {
	case <-second:
		t.Fatal("the timer tried again at once after a failure")
	case <-time.After(200 * time.Millisecond):
	}
	tm.Wake()
	<-second
	cancel()
	<-done
}
