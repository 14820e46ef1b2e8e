package store

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"switchboard/inbox"
)

// ingestOn receives one message from phone on sender and channel and
// returns its conversation.
func ingestOn(t *testing.T, db *DB, phone, sender string, ch inbox.Channel, at time.Time) int64 {
	t.Helper()
	key := fmt.Sprintf("%s_%s_%s", phone, sender, ch)
	ev := inboundEvent("evt_"+key, phone, "msg_"+key, "hello", at)
	ev.SenderID, ev.Inbound.Channel = sender, ch
	res, err := db.Ingest(context.Background(), ev, inbox.Apply)
	if err != nil || len(res.Change.ConversationIDs) != 1 {
		t.Fatalf("ingest %s: %+v, %v", key, res, err)
	}
	return res.Change.ConversationIDs[0]
}

// The views' counts agree with their lists for every set of filters: each
// view, snoozed, per assignee, by label, sender and channel, and a saved
// view's filters; resolved conversations count nowhere.
func TestViewCounts(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	label(t, db, "refund", "red")
	ana, ben := user(t, db, "Ana", true), user(t, db, "Ben", true)
	var ids []int64
	for i := range 8 {
		sender, ch := "snd_1", inbox.WhatsApp
		if i >= 6 {
			sender, ch = "snd_2", inbox.SMS
		}
		ids = append(ids, ingestOn(t, db, fmt.Sprintf("+1555000%d", i), sender, ch, t0.Add(timeMinutes(i))))
	}
	assign := func(who int64, ids ...int64) {
		update(t, db, ids, inbox.ConversationUpdate{Assign: true, AssigneeID: &who}, t0)
	}
	assign(ana, ids[0], ids[1], ids[6])
	assign(ben, ids[2])
	update(t, db, []int64{ids[3]}, inbox.ConversationUpdate{Status: status(inbox.Snoozed)}, t0)                                  // snoozed, unassigned
	update(t, db, []int64{ids[1]}, inbox.ConversationUpdate{Status: status(inbox.Snoozed), SnoozedUntil: t0.Add(time.Hour)}, t0) // snoozed, Ana's
	update(t, db, []int64{ids[4]}, inbox.ConversationUpdate{Status: status(inbox.Resolved)}, t0)
	update(t, db, []int64{ids[0], ids[1], ids[4], ids[7]}, inbox.ConversationUpdate{AddLabels: []string{"Refund"}}, t0)

	for _, tc := range []struct {
		name string
		f    inbox.ConversationFilter
		want inbox.ViewCounts
	}{
		// Open: 0 (Ana), 2 (Ben), 5, 6 (Ana), 7; snoozed 1, 3; resolved 4.
		{"all", inbox.ConversationFilter{}, inbox.ViewCounts{Open: 5, Unassigned: 2, Snoozed: 2, Mine: map[int64]int{ana: 2, ben: 1}}},
		{"label", inbox.ConversationFilter{Label: "REFUND"}, inbox.ViewCounts{Open: 2, Unassigned: 1, Snoozed: 1, Mine: map[int64]int{ana: 1}}},
		{"sender", inbox.ConversationFilter{SenderID: "snd_2"}, inbox.ViewCounts{Open: 2, Unassigned: 1, Mine: map[int64]int{ana: 1}}},
		{"channel", inbox.ConversationFilter{Channel: inbox.WhatsApp}, inbox.ViewCounts{Open: 3, Unassigned: 1, Snoozed: 2, Mine: map[int64]int{ana: 1, ben: 1}}},
		{"saved view filters", inbox.ConversationFilter{SenderID: "snd_2", Channel: inbox.SMS, Label: "refund"}, inbox.ViewCounts{Open: 1, Unassigned: 1, Mine: map[int64]int{}}},
		{"unknown label", inbox.ConversationFilter{Label: "nope"}, inbox.ViewCounts{Mine: map[int64]int{}}},
	} {
		got, err := db.ViewCounts(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.Open != tc.want.Open || got.Unassigned != tc.want.Unassigned || got.Snoozed != tc.want.Snoozed || !maps.Equal(got.Mine, tc.want.Mine) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		// Each count is the length of its view's list.
		for _, v := range []struct {
			view string
			user int64
			f    inbox.ConversationFilter
		}{
			{"open", 0, inbox.ConversationFilter{Status: inbox.Open}},
			{"unassigned", 0, inbox.ConversationFilter{Status: inbox.Open, AssigneeID: new(int64)}},
			{"snoozed", 0, inbox.ConversationFilter{Status: inbox.Snoozed}},
			{"mine", ana, inbox.ConversationFilter{Status: inbox.Open, AssigneeID: &ana}},
			{"mine", ben, inbox.ConversationFilter{Status: inbox.Open, AssigneeID: &ben}},
		} {
			lf := v.f
			lf.SenderID, lf.Channel, lf.Label = tc.f.SenderID, tc.f.Channel, tc.f.Label
			n, err := db.CountConversations(ctx, lf)
			if err != nil {
				t.Fatal(err)
			}
			if c := got.Count(v.view, v.user); c != n {
				t.Errorf("%s: %s of %d counts %d, its list has %d", tc.name, v.view, v.user, c, n)
			}
		}
	}
	if got, _ := db.ViewCounts(ctx, inbox.ConversationFilter{}); got.Count("resolved", 0) != -1 {
		t.Errorf("resolved has a count: %d", got.Count("resolved", 0))
	}
}

// The counts walk an index: conversations_counts alone, or the label's
// rows then each conversation by its key.
func TestViewCountsPlan(t *testing.T) {
	db := openTest(t)
	for _, tc := range []struct {
		f    inbox.ConversationFilter
		want string
	}{
		{inbox.ConversationFilter{}, "USING COVERING INDEX conversations_counts"},
		{inbox.ConversationFilter{SenderID: "snd_1", Channel: inbox.SMS}, "USING COVERING INDEX conversations_counts"},
		{inbox.ConversationFilter{Label: "refund"}, "conversation_labels_by_label"},
	} {
		q, args := viewCountsQuery(tc.f)
		plan := explain(t, db, q, args...)
		if !strings.Contains(plan, tc.want) || strings.Contains(plan, "SCAN c\n") {
			t.Errorf("plan for %+v:\n%s\nwant %s", tc.f, plan, tc.want)
		}
	}
}
