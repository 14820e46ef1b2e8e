package web

import (
	"sync"
	"time"
)

// sessionChecks shares the periodic session check among the live pages of
// one browser session: an agent's ten tabs cost one look at the store per
// round of checks, not ten.
type sessionChecks struct {
	mu sync.Mutex
	m  map[string]sessionCheck
}

type sessionCheck struct {
	at    time.Time
	holds bool
}

// holdsRecently is whether the session with token still signs its user in,
// as found within maxAge, or by asking check now.
func (sc *sessionChecks) holdsRecently(token string, maxAge time.Duration, check func(string) bool) bool {
	now := time.Now()
	sc.mu.Lock()
	if c, ok := sc.m[token]; ok && now.Sub(c.at) < maxAge {
		sc.mu.Unlock()
		return c.holds
	}
	sc.mu.Unlock()
	holds := check(token)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m == nil {
		sc.m = map[string]sessionCheck{}
	}
	if len(sc.m) >= 4096 {
		for k, c := range sc.m {
			if now.Sub(c.at) >= maxAge {
				delete(sc.m, k)
			}
		}
	}
	sc.m[token] = sessionCheck{at: now, holds: holds}
	return holds
}
