package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// hubPage is a page of user userID, registered with h; it shows
// nothing until the test subscribes it.
func hubPage(h *Hub, userID int64) *client {
	c := &client{hub: h, send: make(chan [][]byte, clientBuffer), userID: userID}
	h.register <- c
	return c
}

// nextSent is the next message h sends to page c, its parts joined.
func nextSent(t *testing.T, c *client) string {
	t.Helper()
	select {
	case parts, ok := <-c.send:
		if !ok {
			t.Fatal("the page was disconnected")
		}
		return string(bytes.Join(parts, nil))
	case <-time.After(10 * time.Second): // only a guard against a hang
		t.Fatal("nothing came")
		return ""
	}
}

// gatedRows renders each conversation of a change as its list row and
// thread header, showing its assignee as the store has it when the render
// reads it; each render waits for the test to let it read.
type gatedRows struct {
	started chan struct{}
	read    chan struct{}

	mu       sync.Mutex
	assignee map[int64]int64
}

func (r *gatedRows) renderChange(ctx context.Context, ch inbox.Change) (*update, error) {
	select {
	case r.started <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-r.read:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	u := &update{at: time.Now()}
	for _, id := range ch.ConversationIDs {
		a := r.assignee[id]
		u.convs = append(u.convs, liveConv{id: id, status: inbox.Open, assignee: a,
			row:  fmt.Appendf(nil, `<a data-live="row" id="c%d" data-assignee="%d"></a>`, id, a),
			head: fmt.Appendf(nil, `<header id="head-%d" data-assignee="%d"></header>`, id, a)})
	}
	return u, nil
}

func (r *gatedRows) renderTeam(context.Context) ([]byte, error) { return nil, nil }

func (r *gatedRows) assign(conv, to int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.assignee[conv] = to
}

// A render slow to read the store may show an assignment committed after
// a page read its thread, while covering only an earlier change; the
// page subscribes after that render went out. The assignment's own
// update leaves out the row and header the render sent already, so the
// page must get that render when it subscribes, though it covers nothing
// after the page's position: its thread says who has the conversation.
func TestPageSubscribingLateGetsWhatARenderShowedPastItsPosition(t *testing.T) {
	r := &gatedRows{started: make(chan struct{}), read: make(chan struct{}), assignee: map[int64]int64{}}
	h := newHubWith(r, slog.New(slog.DiscardHandler), nil, time.Now)
	t.Cleanup(h.Close)
	render := func() {
		t.Helper()
		select {
		case <-r.started:
		case <-time.After(10 * time.Second): // only a guard against a hang
			t.Fatal("no render began")
		}
		r.read <- struct{}{}
	}
	// A teammate's page shows the open list: it tells when an update went
	// out.
	other := hubPage(h, 2)
	h.subscribe <- subscribeRequest{c: other, sub: subscription{list: &listView{View: "open"}}, epoch: h.epoch, since: h.published.Load()}
	ben := hubPage(h, 3)

	// A customer writes in conversation 1; its render begins.
	h.Publish(inbox.Change{ConversationIDs: []int64{1}})
	<-r.started
	// Ben's page reads the thread: nobody has it.
	mark := h.Mark()
	// Ana assigns it to herself, and the render reads only now.
	r.assign(1, 1)
	h.Publish(inbox.Change{ConversationIDs: []int64{1}})
	r.read <- struct{}{}
	if got := nextSent(t, other); !strings.Contains(got, `data-assignee="1"`) {
		t.Fatalf("the first render went out without the assignment: %s", got)
	}
	// Ben's page subscribes from where it read; the assignment renders.
	h.subscribe <- subscribeRequest{c: ben, sub: subscription{list: &listView{View: "open"}, open: 1}, rows: []int64{1},
		epoch: mark.Epoch, since: mark.Seq}
	render()
	// A new conversation comes after: Ben's page has everything before it
	// once it has its row.
	h.Publish(inbox.Change{ConversationIDs: []int64{2}})
	render()
	var got []string
	for {
		msg := nextSent(t, ben)
		got = append(got, msg)
		if strings.Contains(msg, `id="c2"`) {
			break
		}
	}
	all := strings.Join(got, "\n")
	if !strings.Contains(all, `<a data-live="row" id="c1" data-assignee="1">`) ||
		!strings.Contains(all, `<header id="head-1" data-assignee="1">`) {
		t.Errorf("Ben's page never learnt that Ana has conversation 1; it got:\n%s", all)
	}
}

// rowsAndTeam renders every change as one list row and the team as a
// part of its own.
type rowsAndTeam struct{}

func (rowsAndTeam) renderChange(_ context.Context, ch inbox.Change) (*update, error) {
	id := ch.ConversationIDs[0]
	return &update{at: time.Now(), convs: []liveConv{{id: id, status: inbox.Open,
		row: fmt.Appendf(nil, `<a data-live="row" id="c%d"></a>`, id)}}}, nil
}

func (rowsAndTeam) renderTeam(context.Context) ([]byte, error) {
	return []byte(`<template id="team-options"></template>`), nil
}

// Once the history has moved past an update that read the store, a page
// whose position is from before then fetches again; one that fetched
// after it is not told to, even when nothing was published since: it
// would fetch again and again.
func TestPageThatFetchedAfterTheHistoryMovedOnIsNotSentToFetchAgain(t *testing.T) {
	h := newHubWith(rowsAndTeam{}, slog.New(slog.DiscardHandler), nil, time.Now)
	t.Cleanup(h.Close)
	page := hubPage(h, 2)
	h.subscribe <- subscribeRequest{c: page, sub: subscription{list: &listView{View: "open"}}, epoch: h.epoch, since: h.published.Load()}
	before := h.Mark()
	h.Publish(inbox.Change{ConversationIDs: []int64{1}})
	if got := nextSent(t, page); !strings.Contains(got, `id="c1"`) {
		t.Fatalf("the row did not come: %s", got)
	}
	// The team changes often, and no conversation: the history moves past
	// the row's update.
	for range recentUpdates {
		h.teamChangedHere()
		if got := nextSent(t, page); !strings.Contains(got, `id="team-options"`) {
			t.Fatalf("the team did not come: %s", got)
		}
	}
	old := hubPage(h, 3)
	h.subscribe <- subscribeRequest{c: old, sub: subscription{list: &listView{View: "open"}}, epoch: before.Epoch, since: before.Seq}
	if got := nextSent(t, old); !strings.Contains(got, `data-live="resync"`) {
		t.Errorf("a page from before the row's update was not told to fetch again: %s", got)
	}
	fresh := hubPage(h, 4)
	now := h.Mark()
	h.subscribe <- subscribeRequest{c: fresh, sub: subscription{list: &listView{View: "open"}}, epoch: now.Epoch, since: now.Seq}
	h.Publish(inbox.Change{ConversationIDs: []int64{2}})
	if got := nextSent(t, fresh); strings.Contains(got, `data-live="resync"`) || !strings.Contains(got, `id="c2"`) {
		t.Errorf("a page that fetched after the history moved on got %s, want the next row", got)
	}
}
