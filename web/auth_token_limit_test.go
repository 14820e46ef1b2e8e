package web

import (
	"fmt"
	"testing"
	"time"
)

// The failed-token counts stay within their bound however many addresses
// fail, and a flood of new addresses does not free the limited ones.
func TestTokenFailuresKeepABoundedNumberOfAddresses(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f := newTokenFailures(3, 15*time.Minute, 4, func() time.Time { return now })
	for _, addr := range []string{"192.0.2.1", "192.0.2.2"} {
		for range 3 {
			f.fail(addr)
		}
		if w, _ := f.wait(addr); w != 15*time.Minute {
			t.Fatalf("%s after 3 failures: wait %v, want the window", addr, w)
		}
	}
	for i := range 1000 {
		f.fail(fmt.Sprintf("198.51.100.%d", i%250))
		if len(f.addrs) > 4 {
			t.Fatalf("%d addresses held, want at most 4", len(f.addrs))
		}
	}
	for _, addr := range []string{"192.0.2.1", "192.0.2.2"} {
		if w, _ := f.wait(addr); w == 0 {
			t.Errorf("%s was let go to make room for others", addr)
		}
	}

	// Every address held limited: a new one is not counted.
	for _, addr := range []string{"192.0.2.3", "192.0.2.4"} {
		for range 3 {
			f.fail(addr)
		}
	}
	if n := f.fail("203.0.113.9"); n != 0 || len(f.addrs) != 4 {
		t.Errorf("a new address with every one held limited: count %d, %d held", n, len(f.addrs))
	}

	// Once their windows pass, they make room.
	now = now.Add(15 * time.Minute)
	if n := f.fail("203.0.113.9"); n != 1 || len(f.addrs) != 1 {
		t.Errorf("a new address after the windows passed: count %d, %d held; want 1 and 1", n, len(f.addrs))
	}
}
