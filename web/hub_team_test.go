package web

import (
	"fmt"
	"testing"
	"time"

	"switchboard/inbox"
)

// A list filtered by label, and the Snoozed list, get the rows they show
// live, and lose those that no longer match.
func TestLiveListMatchesLabelsAndSnoozes(t *testing.T) {
	refund := liveConv{id: 1, status: inbox.Open, labels: []string{"Refund", "vip"}}
	plain := liveConv{id: 2, status: inbox.Open}
	snoozed := liveConv{id: 3, status: inbox.Snoozed, labels: []string{"refund"}}
	for _, tc := range []struct {
		list listView
		c    *liveConv
		want bool
	}{
		{listView{View: "open", Label: "refund"}, &refund, true},
		{listView{View: "open", Label: "refund"}, &plain, false},
		{listView{View: "open", Label: "refund"}, &snoozed, false},
		{listView{View: "open"}, &snoozed, false},
		{listView{View: "unassigned"}, &snoozed, false},
		{listView{View: "snoozed"}, &snoozed, true},
		{listView{View: "snoozed", Label: "vip"}, &snoozed, false},
		{listView{View: "snoozed"}, &plain, false},
	} {
		if got := tc.list.matches(7, tc.c); got != tc.want {
			t.Errorf("%+v shows conversation %d: %v, want %v", tc.list, tc.c.id, got, tc.want)
		}
	}
	if _, sub, err := parseSubscription([]byte(`{"list":{"view":"snoozed","label":"refund"}}`)); err != nil || sub.list.View != "snoozed" || sub.list.Label != "refund" {
		t.Errorf("subscription: %+v %v", sub.list, err)
	}
}

// A conversation's row, thread header and details go to its pages only
// when they changed, and its composer only when what it offers changed;
// a row or composer goes again once a time has passed that may change it
// with no change to tell it (a WhatsApp window closing).
func TestLivePartsGoOnlyWhenChanged(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	closes := t0.Add(24 * time.Hour)
	var sent threadSent
	render := func(at time.Time, row, head, details, composer, mode string) liveConv {
		u := &update{at: at, convs: []liveConv{{id: 7, row: []byte(row), rowUntil: closes.Add(-windowSoon),
			head: []byte(head), details: []byte(details), composer: []byte(composer), composerMode: mode, composerUntil: closes}}}
		sent.leaveOutSent(u)
		return u.convs[0]
	}
	parts := func(c liveConv) string {
		return fmt.Sprintf("%s|%s|%s|%s", c.row, c.head, c.details, c.composer)
	}
	for _, step := range []struct {
		what                               string
		at                                 time.Time
		row, head, details, composer, mode string
		want                               string
	}{
		{"first render", t0, "R1", "H1", "D1", "C1", "text", "R1|H1|D1|C1"},
		{"a message: row and details changed", t0.Add(time.Minute), "R2", "H1", "D2", "C2", "text", "R2||D2|"},
		{"its status: nothing the list or thread parts show", t0.Add(90 * time.Second), "R2", "H1", "D2", "C2", "text", "|||"},
		{"assigned: row, header and details", t0.Add(2 * time.Minute), "R3", "H2", "D3", "C3", "text", "R3|H2|D3|"},
		{"opted out: the composer offers another thing", t0.Add(4 * time.Minute), "R3", "H2", "D3", "C4", "closed", "|||C4"},
		{"back to text", t0.Add(5 * time.Minute), "R3", "H2", "D3", "C5", "text", "|||C5"},
		{"the window closes soon, unnoticed", closes.Add(-time.Hour), "R3", "H2", "D3", "C6", "text", "R3|||"},
		{"after the window closed, unnoticed", closes.Add(time.Hour), "R3", "H2", "D3", "C7", "text", "R3|||C7"},
	} {
		if got := parts(render(step.at, step.row, step.head, step.details, step.composer, step.mode)); got != step.want {
			t.Errorf("%s: sent %q, want %q", step.what, got, step.want)
		}
	}
	// Pages told to fetch again: everything goes again.
	sent.forget()
	if got := parts(render(closes.Add(2*time.Hour), "R3", "H2", "D3", "C8", "text")); got != "R3|H2|D3|C8" {
		t.Errorf("after forgetting: sent %q", got)
	}
}
