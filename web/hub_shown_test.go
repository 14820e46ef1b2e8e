package web

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"switchboard/inbox"
)

// openRows renders every change as open conversations' rows.
type openRows struct{}

func (openRows) renderChange(_ context.Context, ch inbox.Change) (*update, error) {
	u := &update{}
	for _, id := range ch.ConversationIDs {
		u.convs = append(u.convs, liveConv{id: id, status: inbox.Open,
			row: []byte(`<a data-live="row">row</a>`), gone: []byte(`<i data-live="gone"></i>`)})
	}
	return u, nil
}
func (openRows) renderTeam(context.Context) ([]byte, error) { return nil, nil }

// A page that connects after another went has none of its rows: a
// resolved list is not told to remove a row it never had, while a page
// that has the row is told when it leaves its list.
func TestLiveRowsShownAreEachPagesOwn(t *testing.T) {
	h := newHubWith(openRows{}, slog.New(slog.DiscardHandler), nil, time.Now)
	t.Cleanup(h.Close)
	connect := func(view string, rows ...int64) *client {
		c := hubPage(h, 1)
		h.subscribe <- subscribeRequest{c: c, sub: subscription{list: &listView{View: view}}, rows: rows,
			epoch: h.epoch, since: h.published.Load()}
		return c
	}
	gone := connect("open", 5, 6)
	h.unregister <- gone
	fresh := connect("resolved")  // takes the place of the page that went
	had := connect("resolved", 6) // has row 6 from before it was resolved
	watcher := connect("open")    // tells when the update went out
	h.Publish(inbox.Change{ConversationIDs: []int64{5, 6}})
	if got := nextSent(t, watcher); bytes.Count([]byte(got), []byte(`data-live="row"`)) != 2 {
		t.Fatalf("the open list got %s", got)
	}
	if got := nextSent(t, had); bytes.Count([]byte(got), []byte(`data-live="gone"`)) != 1 {
		t.Errorf("the page with row 6 got %s, want its removal", got)
	}
	h.subscribe <- subscribeRequest{c: watcher, sub: subscription{list: &listView{View: "open"}}, epoch: h.epoch, since: h.published.Load()} // the hub is past the update
	select {
	case parts := <-fresh.send:
		t.Errorf("the page that connected after another went got %s", bytes.Join(parts, nil))
	default:
	}
}
