package web

import (
	"sync"
	"time"
)

// API tokens are 256 random bits, so guessing one is hopeless; what a
// client sending token after token can do is try a list of leaked or
// stolen ones, and cost a lookup each. So the tokens that are not valid
// are counted per client address (an IPv6 client by its /64, as at
// sign-in): past tokenFailureLimit within tokenFailureWindow of the
// first, every request from the address is answered 429 before its token
// is looked up, a valid token too (else the answer would tell which token
// of the list is valid), until the window has passed. A valid token is
// never counted, and costs the limiter one look at a map. A script whose
// token was revoked and that retries every minute stays under the limit
// and keeps being told why it is refused.
const (
	tokenFailureLimit  = 30
	tokenFailureWindow = 15 * time.Minute
	// tokenFailureAddresses bounds the addresses counted at once.
	tokenFailureAddresses = 10000
)

// tokenFailures counts failed API tokens per client address. It holds at
// most max addresses: past that, an address still under its limit makes
// room for a new one, and while every address held is limited, a new one
// is not counted.
type tokenFailures struct {
	limit  int
	window time.Duration
	max    int
	now    func() time.Time

	mu    sync.Mutex
	addrs map[string]*tokenFailureCount
}

// tokenFailureCount is one address's failures in its window.
type tokenFailureCount struct {
	since   time.Time // the first failure; the window ends window after it
	count   int
	refused bool // a request has been refused since the limit was reached
}

func newTokenFailures(limit int, window time.Duration, max int, now func() time.Time) *tokenFailures {
	return &tokenFailures{limit: limit, window: window, max: max, now: now, addrs: map[string]*tokenFailureCount{}}
}

// wait returns how long requests from addr must wait before their token
// is looked up: 0 unless addr has failed limit times in its window. first
// is true for the first request refused since the limit was reached.
func (f *tokenFailures) wait(addr string) (wait time.Duration, first bool) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.addrs[addr]
	if c == nil || c.count < f.limit {
		return 0, false
	}
	end := c.since.Add(f.window)
	if !now.Before(end) {
		delete(f.addrs, addr)
		return 0, false
	}
	first, c.refused = !c.refused, true
	return end.Sub(now), first
}

// fail counts a token from addr that is not valid, and returns how many
// addr has sent in its window.
func (f *tokenFailures) fail(addr string) int {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.addrs[addr]
	if c != nil && !now.Before(c.since.Add(f.window)) {
		c = nil // its window has passed: a new one begins
	}
	if c == nil {
		if _, held := f.addrs[addr]; !held && len(f.addrs) >= f.max && !f.makeRoom(now) {
			return 0
		}
		c = &tokenFailureCount{since: now}
		f.addrs[addr] = c
	}
	c.count++
	return c.count
}

// makeRoom forgets the addresses whose window has passed, or else one
// still under its limit, and reports whether there is room now.
func (f *tokenFailures) makeRoom(now time.Time) bool {
	var under string
	for a, c := range f.addrs {
		switch {
		case !now.Before(c.since.Add(f.window)):
			delete(f.addrs, a)
		case c.count < f.limit && under == "":
			under = a
		}
	}
	if len(f.addrs) < f.max {
		return true
	}
	if under == "" {
		return false
	}
	delete(f.addrs, under)
	return true
}
