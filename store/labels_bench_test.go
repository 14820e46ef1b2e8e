package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/inbox"
)

// BenchmarkLabelFilter times the first page of the open list filtered by a
// label, over 100,000 conversations: a label on one conversation in 20,
// and one on one in 1000.
func BenchmarkLabelFilter(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	db := openTest(b)
	const n = 100_000
	if err := db.Generate(ctx, Generation{Conversations: n, Messages: 2 * n, Senders: []string{"snd_a", "snd_b"}, Now: now}); err != nil {
		b.Fatal(err)
	}
	for _, l := range []struct {
		name  string
		every int
	}{{"refund", 20}, {"rare", 1000}} {
		if err := db.CreateLabel(ctx, &inbox.Label{Name: l.name, Colour: "red", CreatedAt: now}); err != nil {
			b.Fatal(err)
		}
		var ids []int64
		for id := l.every; id <= n; id += l.every {
			ids = append(ids, int64(id))
		}
		for len(ids) > 0 {
			k := min(len(ids), 500)
			if _, _, err := db.UpdateConversations(ctx, ids[:k], inbox.ConversationUpdate{AddLabels: []string{l.name}}, now); err != nil {
				b.Fatal(err)
			}
			ids = ids[k:]
		}
	}
	was := labelDriveFactor
	defer func() { labelDriveFactor = was }()
	for _, tc := range []struct {
		label  string
		status inbox.ConversationStatus
		drive  int
	}{{"", inbox.Open, was}, {"refund", inbox.Open, was}, {"rare", inbox.Open, was}, {"refund", "", was}, {"rare", "", was}} {
		b.Run(fmt.Sprintf("%s/%s", tc.label, tc.status), func(b *testing.B) {
			labelDriveFactor = tc.drive
			for b.Loop() {
				items, _, err := db.Conversations(ctx, inbox.ConversationFilter{Status: tc.status, Label: tc.label, ViewerID: 1, Limit: 50})
				if err != nil || len(items) == 0 {
					b.Fatal(len(items), err)
				}
			}
		})
	}
}
