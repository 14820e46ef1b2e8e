package web

import "sync"

// maxLivePages is how many live pages (websockets) one user may have open
// at once unless Config.LivePagesPerUser says otherwise: enough for every
// tab an agent works in, few enough that one account cannot hold the
// server's connections.
const maxLivePages = 20

// closeTooManyPages closes a live page over the limit. The page says why
// and tries again now and then, so that it is live once another closes.
const (
	closeTooManyPages  = 4008
	tooManyPagesReason = "Too many Switchboard tabs are open: this one is not live. Close another and it will be."
)

// pageCounter counts each user's open live pages. Its zero value is
// ready.
type pageCounter struct {
	mu     sync.Mutex
	byUser map[int64]int
}

// acquire takes one of the user's max places, reporting false when all
// are taken.
func (p *pageCounter) acquire(userID int64, max int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byUser == nil {
		p.byUser = map[int64]int{}
	}
	if p.byUser[userID] >= max {
		return false
	}
	p.byUser[userID]++
	return true
}

func (p *pageCounter) release(userID int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byUser[userID]--; p.byUser[userID] <= 0 {
		delete(p.byUser, userID)
	}
}
