package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/web"
)

// lateArrivals is the store with the notifier's reads of new customers'
// messages held until open is closed: a notifier behind the commits, as
// on a busy machine.
type lateArrivals struct {
	inbox.Store
	open chan struct{}
}

func (s lateArrivals) InboundSince(ctx context.Context, afterID int64, limit int) ([]inbox.Arrival, error) {
	select {
	case <-s.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Store.InboundSince(ctx, afterID, limit)
}

// A customer starts a conversation and Ana hands it to Ben before the
// notifier has read the message: the team still hears of a new
// conversation, and Ben of the assignment, not of a message in a
// conversation of his.
func TestNewConversationAssignedBeforeItsNoticeIsStillNews(t *testing.T) {
	open := make(chan struct{})
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) { d.Store = lateArrivals{Store: d.Store, open: open} })
	ana := ts.addUser("ana@example.com", "Ana Admin", inbox.RoleAdmin)
	ben := ts.addUser("ben@example.com", "Ben Agent", inbox.RoleAgent)
	cleo := ts.addUser("cleo@example.com", "Cleo Agent", inbox.RoleAgent)
	a, b, c := ts.newAgent(), ts.newAgent(), ts.newAgent()
	a.login(ana.Email)
	b.login(ben.Email)
	c.login(cleo.Email)
	cb, cc := b.live(), c.live()
	waitClients(t, ts, 2)

	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550101", "Zoe", "Where is my order?", time.Now()))
	conv := ts.mustMessage("msg_1").ConversationID
	form := url.Values{"action": {"assign"}, "value": {fmt.Sprint(ben.ID)}, "id": {fmt.Sprint(conv)}}
	if p := a.post("/conversations/bulk", form); p.status != http.StatusOK {
		t.Fatalf("bulk assign: %d %s", p.status, p.body)
	}
	close(open)

	kind := func(n string) string {
		k, _, _ := strings.Cut(strings.TrimPrefix(n[strings.Index(n, `data-kind="`):], `data-kind="`), `"`)
		return k
	}
	about := fmt.Sprintf(`data-conversation="%d"`, conv)
	heard := map[string]bool{}
	for len(heard) < 2 {
		n := nextNotify(t, cb)
		if k := kind(n); (k != "new_conversation" && k != "assigned") || heard[k] || !strings.Contains(n, about) {
			t.Fatalf("Ben's notices: %v, then %s", heard, n)
		}
		heard[kind(n)] = true
	}
	// Another customer writes: Cleo's notices go in order.
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550102", "Yan", "Hello", time.Now()))
	if n := nextNotify(t, cc); kind(n) != "new_conversation" || !strings.Contains(n, about) {
		t.Fatalf("Cleo's first notice: %s", n)
	}
	// Ben's next notice is the second conversation's: nothing else came
	// of the first.
	if n := nextNotify(t, cb); kind(n) != "new_conversation" || strings.Contains(n, about) {
		t.Fatalf("Ben's notice after the first conversation's: %s", n)
	}
}
