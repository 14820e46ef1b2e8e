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
		{9, 48 * time.Hour, MaxPause},
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

// A reply waiting for its next attempt tells the agent why in a few plain
// words; the full error is for the log.
func TestSendErrorSaysWhyAReplyWaits(t *testing.T) {
	for _, tc := range []struct {
		err  SendError
		want string
	}{
		{SendError{Temporary: true, Status: 503, Code: "service_unavailable", Message: "maintenance"}, "Zavu is unavailable (503)"},
		{SendError{Temporary: true, Code: "502", Message: "Bad Gateway"}, "Zavu is unavailable (502)"}, // no code of Zavu's: the status
		{SendError{Temporary: true, Status: 504}, "Zavu is unavailable (504)"},
		{SendError{Temporary: true, Status: 500, Code: "internal_error"}, "Zavu had an error on its side (500)"},
		{SendError{Temporary: true, Status: 408}, "Zavu did not answer in time (408)"},
		{SendError{Temporary: true, RateLimited: true, Status: 429, RetryAfter: time.Minute}, "Zavu asked Switchboard to send more slowly (429)"},
		{SendError{Temporary: true, Timeout: true, Message: "zavu: POST /v1/messages: timeout: no answer within 30s"}, "Zavu did not answer in time"},
		{SendError{Temporary: true, Message: "dial tcp 10.0.0.1:443: connection refused"}, "Zavu could not be reached"},
	} {
		if got := tc.err.Waiting(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.err, got, tc.want)
		}
	}
}
