package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"switchboard/inbox"
)

// An event whose apply fails takes its sender's upsert with it; the next
// event of that sender, applied in the same transaction, still stores the
// sender.
func TestSenderOfAFailedEventIsStoredByTheNext(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	first := inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0)
	second := inboundEvent("evt_2", "+15550002", "msg_2", "hi", t0.Add(timeMinutes(1)))
	first.SenderID, second.SenderID = "snd_new", "snd_new"
	for _, ev := range []*inbox.Event{first, second} {
		if _, err := db.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	// Both wait for the projection: it applies them in one transaction.
	log := newProjectionLog(first, second)
	db.Project(log.projection(func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		if ev.ID == "evt_1" {
			if err := tx.UpsertSender(ctx, ev.SenderID, ev.Inbound.To); err != nil {
				return inbox.Change{}, err
			}
			return inbox.Change{}, errors.New("refused after the sender")
		}
		return applyInbound(ctx, tx, ev)
	}))
	settle(t, db)
	if r := log.result("evt_1"); r.State != inbox.EventFailed {
		t.Errorf("evt_1: %+v, want failed", r)
	}
	if r := log.result("evt_2"); r.State != inbox.EventApplied {
		t.Errorf("evt_2: %+v, want applied", r)
	}
	if n := count(t, db, `SELECT count(*) FROM senders WHERE id = 'snd_new' AND phone = '+13125550000'`); n != 1 {
		t.Errorf("%d senders snd_new with its number, want 1", n)
	}
}

// On PostgreSQL a transaction that applies stored events upserts each
// sender once, not at every event.
func TestPostgresSenderUpsertedOncePerTransaction(t *testing.T) {
	db, log := openTracedPostgres(t)
	ctx := context.Background()
	var evs []*inbox.Event
	for i := range 20 {
		evs = append(evs, inboundEvent(fmtID("evt", i), "+1555000"+fmtID("", i), fmtID("msg", i), "hi", t0.Add(timeMinutes(i))))
		if _, err := db.Append(ctx, evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	log.take()
	db.Project(newProjectionLog(evs...).projection(applyInbound))
	settle(t, db)
	upserts, applying := 0, 0
	for _, q := range log.take() {
		switch {
		case strings.HasPrefix(q, "INSERT INTO senders"):
			upserts++
		case q == pgBeginApplying:
			applying++
		}
	}
	if upserts == 0 || upserts > applying {
		t.Errorf("the sender was upserted %d times in %d transactions applying %d events, want once in each", upserts, applying, len(evs))
	}
	if n := count(t, db, `SELECT count(*) FROM messages`); n != len(evs) {
		t.Errorf("%d messages, want %d", n, len(evs))
	}
}
