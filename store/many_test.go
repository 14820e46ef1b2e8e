package store

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"switchboard/inbox"
)

// The live render reads a coalesced update's conversations, messages and
// contacts many at a time: each comes back exactly as its one-at-a-time
// read gives it, once however often it is named, and ids that name
// nothing are left out.
func TestManyAtOnceReadAsOneAtATime(t *testing.T) {
	f := newSearchFixture(t)
	db, ctx := f.db, context.Background()
	var convIDs, msgIDs []int64
	for i := range 4 {
		phone := fmt.Sprintf("+1415555%04d", i)
		for j := range 2 {
			res, err := db.Ingest(ctx, inboundEvent(fmt.Sprintf("evt_%d_%d", i, j), phone, fmt.Sprintf("msg_%d_%d", i, j),
				fmt.Sprintf("hello %d %d", i, j), t0.Add(time.Duration(i*10+j)*time.Minute)), applyInbound)
			if err != nil {
				t.Fatal(err)
			}
			convIDs = append(convIDs, res.Change.ConversationIDs...)
			msgIDs = append(msgIDs, res.Change.MessageIDs...)
		}
	}
	// The first customer writes on a second channel too: their contact
	// has two conversations.
	sms := f.conv("+14155550000", "", inbox.SMS)
	msgIDs = append(msgIDs, f.msg(sms, "by sms", nil))
	convIDs = append(convIDs, sms.ID)

	asked := append(append([]int64{}, convIDs...), 999_999) // named twice, and one that is not there
	convs, err := db.ConversationsByID(ctx, asked)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]inbox.Conversation{}
	contacts := map[int64]bool{}
	for _, id := range convIDs {
		c, err := db.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want[id] = c
		contacts[c.Contact.ID] = true
	}
	if len(convs) != len(want) {
		t.Fatalf("%d conversations, want %d", len(convs), len(want))
	}
	for _, c := range convs {
		if !reflect.DeepEqual(c, want[c.ID]) {
			t.Errorf("conversation %d:\n got %+v\nwant %+v", c.ID, c, want[c.ID])
		}
	}

	msgs, err := db.MessagesByID(ctx, append(append([]int64{}, msgIDs...), msgIDs[0], 999_999))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(msgIDs) {
		t.Fatalf("%d messages, want %d", len(msgs), len(msgIDs))
	}
	for _, m := range msgs {
		one, err := db.Message(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m, one) {
			t.Errorf("message %d:\n got %+v\nwant %+v", m.ID, m, one)
		}
	}

	var contactIDs []int64
	for id := range contacts {
		contactIDs = append(contactIDs, id)
	}
	sort.Slice(contactIDs, func(i, j int) bool { return contactIDs[i] < contactIDs[j] })
	details, err := db.ContactDetailsByID(ctx, append(contactIDs, contactIDs[0], 999_999))
	if err != nil {
		t.Fatal(err)
	}
	if len(details) != len(contactIDs) {
		t.Fatalf("%d contacts, want %d", len(details), len(contactIDs))
	}
	for _, id := range contactIDs {
		one, err := db.ContactDetails(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(details[id], one) {
			t.Errorf("contact %d:\n got %+v\nwant %+v", id, details[id], one)
		}
	}
	if n := len(details[contactIDs[0]].Conversations); n != 2 {
		t.Errorf("the first contact has %d conversations, want 2", n)
	}
}
