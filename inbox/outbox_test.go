package inbox

import (
	"errors"
	"testing"
	"time"
)

func TestBackoffDoublesToFiveMinutesAndHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		attempts   int
		retryAfter time.Duration
		want       time.Duration
	}{
		{1, 0, 2 * time.Second},
		{2, 0, 4 * time.Second},
		{3, 0, 8 * time.Second},
		{8, 0, 256 * time.Second},
		{9, 0, 5 * time.Minute},
		{30, 0, 5 * time.Minute},
		{1, 30 * time.Second, 30 * time.Second},
		{9, time.Hour, time.Hour},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempts, tt.retryAfter); got != tt.want {
			t.Errorf("Backoff(%d, %s) = %s, want %s", tt.attempts, tt.retryAfter, got, tt.want)
		}
	}
}

func TestSendErrorSaysWhenTheWindowClosed(t *testing.T) {
	for _, code := range []string{"whatsapp_window_closed", "131047"} {
		if err := error(&SendError{Code: code}); !errors.Is(err, ErrWindowClosed) {
			t.Errorf("%s: not ErrWindowClosed", code)
		}
	}
	if errors.Is(&SendError{Code: "insufficient_balance"}, ErrWindowClosed) {
		t.Error("a balance error reads as a closed window")
	}
}
