package web

import (
	"testing"

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
