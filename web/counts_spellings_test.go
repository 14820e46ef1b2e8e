package web_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/store"
	"switchboard/web"
)

// countingStore counts the view-count statements the server runs.
type countingStore struct {
	*store.DB
	viewCounts atomic.Int64
}

func (s *countingStore) ViewCounts(ctx context.Context, f inbox.ConversationFilter) (inbox.ViewCounts, error) {
	s.viewCounts.Add(1)
	return s.DB.ViewCounts(ctx, f)
}

// spellings are n spellings of name in other letter cases.
func spellings(name string, n int) []string {
	var out []string
	for mask := 0; len(out) < n && mask < 1<<len(name); mask++ {
		b := []byte(strings.ToLower(name))
		for i := range b {
			if mask&(1<<i) != 0 {
				b[i] = strings.ToUpper(string(b[i]))[0]
			}
		}
		out = append(out, string(b))
	}
	return out
}

// A label is found by its name in any letter case, so a page may name
// one label in many spellings: those count the same conversations, and
// a render counts them once, not once a spelling. Otherwise one agent's
// pages (20, of 64 counts each) could make every render that moves a
// conversation run a thousand statements over the label's conversations,
// and hold back every agent's live updates.
func TestLiveCountsALabelOnceWhateverItsSpellings(t *testing.T) {
	var cs *countingStore
	ts := newTestServerWith(t, func(_ *web.Config, d *web.Deps) {
		cs = &countingStore{DB: d.Store.(*store.DB)}
		d.Store = cs
	})
	ts.addUser("ana@example.com", "Ana", inbox.RoleAdmin)
	billing := inbox.Label{Name: "Billing", Colour: "red", CreatedAt: time.Now()}
	if err := ts.db.CreateLabel(context.Background(), &billing); err != nil {
		t.Fatal(err)
	}
	ts.mustPost(inboundFrom("evt_1", "msg_1", "+14155550001", "Zoe", "First", time.Now().Add(-time.Minute)))
	zoe := ts.mustMessage("msg_1").ConversationID
	if _, _, err := ts.db.UpdateConversations(context.Background(), []int64{zoe},
		inbox.ConversationUpdate{AddLabels: []string{"Billing"}}, time.Now()); err != nil {
		t.Fatal(err)
	}

	a := ts.newAgent()
	a.login("ana@example.com")
	c := a.live()
	waitClients(t, ts, 1)
	keys := []string{""}
	for _, s := range spellings("Billing", 63) {
		keys = append(keys, "label="+s)
	}
	subscribeCounts(t, ts, c, keys...)
	// Every spelling gets its count.
	got := nextContaining(t, c, `data-view-count="label=billing" data-n="1"`)
	for _, k := range keys[1:] {
		if !strings.Contains(got, countPart(k, 1)) {
			t.Fatalf("no count for %s in:\n%s", k, got)
		}
	}

	// Yuri writes: a new open conversation moves the counts.
	before := cs.viewCounts.Load()
	ts.mustPost(inboundFrom("evt_2", "msg_2", "+14155550002", "Yuri", "Second", time.Now()))
	nextContaining(t, c, `data-view-count="" data-n="2"`)
	if n := cs.viewCounts.Load() - before; n > 2 {
		t.Errorf("a render ran %d view-count statements for a page showing all open conversations and one label in %d spellings, want at most 2", n, len(keys)-1)
	}
}
