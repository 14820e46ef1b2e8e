package web

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// oneRow renders every change as one list row.
type oneRow struct{}

func (oneRow) renderChange(_ context.Context, ch inbox.Change) (*update, error) {
	return &update{convs: []liveConv{{id: ch.ConversationIDs[0], status: inbox.Open, row: []byte(`<a data-live="row">row</a>`)}}}, nil
}
func (oneRow) renderTeam(context.Context) ([]byte, error) { return nil, nil }

// A notice for an agent goes to their page in the same message as the
// next update, rather than in a message of its own; with no update to go
// with, it goes all the same.
func TestNoticeGoesWithTheNextUpdate(t *testing.T) {
	for _, hold := range []time.Duration{time.Hour, time.Millisecond} {
		h := newHubWith(oneRow{}, slog.New(slog.DiscardHandler), nil, time.Now)
		t.Cleanup(h.Close)
		h.directHold = hold // the hub reads it after it takes the page
		page := hubPage(h, 7)
		h.subscribe <- subscribeRequest{c: page, sub: subscription{list: &listView{View: "open"}}, epoch: h.epoch, since: h.published.Load()}
		if hold == time.Hour {
			h.sendUser(7, []byte(`<i data-live="notify">notice</i>`))
			h.Publish(inbox.Change{ConversationIDs: []int64{1}})
			got := nextSent(t, page)
			if !strings.Contains(got, "notice") || !strings.Contains(got, `data-live="row"`) ||
				strings.Index(got, "notice") > strings.Index(got, `data-live="row"`) {
				t.Errorf("the notice and the update did not come together, notice first: %s", got)
			}
			continue
		}
		h.sendUser(7, []byte(`<i data-live="read">read mark</i>`))
		if got := nextSent(t, page); got != `<i data-live="read">read mark</i>` {
			t.Errorf("a read mark with no update to go with: %s", got)
		}
	}
}

// TestHubClosesOnceWhenAskedAtOnce: Close may come from the HTTP server's
// shutdown hook and from its caller at the same moment; every call
// returns and none panics on a closed channel.
func TestHubClosesOnceWhenAskedAtOnce(t *testing.T) {
	for range 5000 {
		h := newHubWith(noRenders{}, slog.New(slog.DiscardHandler), nil, time.Now)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				h.Close()
			}()
		}
		close(start)
		wg.Wait()
	}
}
