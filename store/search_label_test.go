package store

import (
	"context"
	"slices"
	"testing"

	"switchboard/inbox"
)

// A label narrows search like the other filters: by name (any case) from
// the filter or a label: operator, by id, and together with the rest;
// contact matches too.
func TestSearchLabelFilter(t *testing.T) {
	ctx := context.Background()
	f := newSearchFixture(t)
	wa := f.conv("+4917612345678", "Ana Refund", inbox.WhatsApp)
	sms := f.conv("+13125550100", "Ben", inbox.SMS)
	other := f.conv("+447700900123", "Cy", inbox.WhatsApp)
	m1 := f.msg(wa, "refund please", nil)
	m2 := f.msg(sms, "refund please", nil)
	m3 := f.msg(other, "refund please", nil)
	vip := &inbox.Label{Name: "VIP", Colour: "red"}
	billing := &inbox.Label{Name: "Billing issue", Colour: "blue"}
	for _, l := range []*inbox.Label{vip, billing} {
		if err := f.db.CreateLabel(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	update(t, f.db, []int64{wa.ID}, inbox.ConversationUpdate{AddLabels: []string{"vip", "billing issue"}}, t0)
	update(t, f.db, []int64{sms.ID}, inbox.ConversationUpdate{AddLabels: []string{"Billing issue"}}, t0)

	if got := f.ids("refund"); !slices.Equal(got, []int64{0, m3, m2, m1}) {
		t.Fatalf("without a label: %v", got)
	}
	for _, tc := range []struct {
		name string
		f    inbox.SearchFilter
		want []int64
	}{
		{"by name, any case", inbox.SearchFilter{Query: "refund", Label: "vip"}, []int64{0, m1}},
		{"by id", inbox.SearchFilter{Query: "refund", LabelID: billing.ID}, []int64{0, m2, m1}},
		{"operator", inbox.SearchFilter{Query: "label:VIP refund"}, []int64{0, m1}},
		{"quoted operator", inbox.SearchFilter{Query: `refund label:"billing ISSUE"`}, []int64{0, m2, m1}},
		{"with a channel", inbox.SearchFilter{Query: "refund", LabelID: billing.ID, Channel: inbox.SMS}, []int64{m2}},
		{"operator and filter both", inbox.SearchFilter{Query: "refund label:vip", LabelID: billing.ID}, []int64{0, m1}},
		{"a label none carries", inbox.SearchFilter{Query: "refund label:vip", Channel: inbox.SMS}, nil},
		{"an unknown name", inbox.SearchFilter{Query: "refund", Label: "nope"}, nil},
		{"an unknown id", inbox.SearchFilter{Query: "refund", LabelID: billing.ID + 100}, nil},
		{"from a contact", inbox.SearchFilter{Query: "from:Ben", Label: "billing issue"}, []int64{0}},
	} {
		tc.f.Limit = 200
		hits, _ := f.search(tc.f)
		var got []int64
		for _, h := range hits {
			got = append(got, h.MessageID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// The label's text is an operator, not a word to find.
	if got := inbox.ParseSearch(`label:"billing issue" late label:vip`); !slices.Equal(got.Labels, []string{"billing issue", "vip"}) ||
		len(got.Terms) != 1 || got.Terms[0].Text != "late" {
		t.Errorf("parse: %+v", got)
	}
}

// A label's name narrows search in any case in every alphabet, as labels
// are named everywhere else: "ärger" is the label "Ärger", from the filter
// and from a label: operator; a name no label has still selects nothing.
func TestSearchLabelNamedInAnyCase(t *testing.T) {
	ctx := context.Background()
	f := newSearchFixture(t)
	labelled := f.conv("+4917612345678", "Ana", inbox.WhatsApp)
	other := f.conv("+13125550100", "Ben", inbox.SMS)
	m1 := f.msg(labelled, "refund please", nil)
	f.msg(other, "refund please", nil)
	for _, name := range []string{"Ärger", "Δέμα"} {
		if err := f.db.CreateLabel(ctx, &inbox.Label{Name: name, Colour: "red"}); err != nil {
			t.Fatal(err)
		}
	}
	update(t, f.db, []int64{labelled.ID}, inbox.ConversationUpdate{AddLabels: []string{"Ärger", "Δέμα"}}, t0)
	for _, tc := range []struct {
		name string
		f    inbox.SearchFilter
		want []int64
	}{
		{"filter", inbox.SearchFilter{Query: "refund", Label: "ärger"}, []int64{m1}},
		{"filter, as written", inbox.SearchFilter{Query: "refund", Label: "Ärger"}, []int64{m1}},
		{"operator", inbox.SearchFilter{Query: "refund label:ÄRGER"}, []int64{m1}},
		{"Greek", inbox.SearchFilter{Query: `refund label:"δέμα"`}, []int64{m1}},
		{"both", inbox.SearchFilter{Query: "refund label:δέμα", Label: "ärger"}, []int64{m1}},
		{"a name no label has", inbox.SearchFilter{Query: "refund", Label: "ärgernis"}, nil},
	} {
		tc.f.Limit = 200
		hits, _ := f.search(tc.f)
		var got []int64
		for _, h := range hits {
			got = append(got, h.MessageID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
