package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"switchboard/inbox"
)

// openTestBus opens a live bus on the schema url names, closed when the
// test ends.
func openTestBus(t *testing.T, url string) *LiveBus {
	t.Helper()
	b, err := OpenLiveBus(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// nextNote is the next note b hears; only a guard against a hang has a
// deadline.
func nextNote(t *testing.T, b *LiveBus) inbox.LiveNote {
	t.Helper()
	select {
	case n, ok := <-b.Notes():
		if !ok {
			t.Fatal("the bus closed")
		}
		return n
	case <-time.After(30 * time.Second):
		t.Fatal("no note came")
	}
	return inbox.LiveNote{}
}

func TestLiveBusCarriesNotesBetweenProcesses(t *testing.T) {
	u := pgTestSchema(t)
	a, b := openTestBus(t, u), openTestBus(t, u)
	other := openTestBus(t, pgTestSchema(t)) // another database's processes

	a.Notify(inbox.LiveNote{Change: inbox.Change{ConversationIDs: []int64{7}, MessageIDs: []int64{42}, Queued: true}})
	n := nextNote(t, b)
	if !slices.Equal(n.Change.ConversationIDs, []int64{7}) || !slices.Equal(n.Change.MessageIDs, []int64{42}) ||
		!n.Change.Queued || n.Kind != "" || n.Resync {
		t.Fatalf("b heard %+v", n)
	}
	b.Notify(inbox.LiveNote{Kind: "read", IDs: []int64{3, 7, 5}})
	// a does not hear its own note: the first it hears is b's.
	if n := nextNote(t, a); n.Kind != "read" || !slices.Equal(n.IDs, []int64{3, 7, 5}) {
		t.Fatalf("a heard %+v, not b's read mark", n)
	}
	// Another schema's bus hears neither: the first it hears is its own
	// schema's.
	third := openTestBus(t, other.cfg.ConnString())
	third.Notify(inbox.LiveNote{Kind: "team"})
	if n := nextNote(t, other); n.Kind != "team" {
		t.Fatalf("another schema's process heard %+v", n)
	}

	// A burst too big for one payload arrives split, every id once.
	var ids []int64
	for i := range int64(3000) {
		ids = append(ids, 1_000_000_000+i)
	}
	for _, id := range ids {
		a.Notify(inbox.LiveNote{Change: inbox.Change{ConversationIDs: []int64{id}, MessageIDs: []int64{id}}})
	}
	var convs, msgs []int64
	for len(convs) < len(ids) || len(msgs) < len(ids) {
		n := nextNote(t, b)
		if n.Resync || n.Kind != "" {
			t.Fatalf("b heard %+v within the burst", n)
		}
		convs = append(convs, n.Change.ConversationIDs...)
		msgs = append(msgs, n.Change.MessageIDs...)
	}
	slices.Sort(convs)
	slices.Sort(msgs)
	if !slices.Equal(convs, ids) || !slices.Equal(msgs, ids) {
		t.Fatalf("b heard %d conversations and %d messages, want each of %d once", len(convs), len(msgs), len(ids))
	}

	// One too big for liveMaxSplits payloads is a resync.
	var many []int64
	for i := range int64(liveMaxSplits * liveMaxPayload / 8) {
		many = append(many, 1_000_000_000+i)
	}
	a.Notify(inbox.LiveNote{Change: inbox.Change{MessageIDs: many}})
	if n := nextNote(t, b); !n.Resync {
		t.Fatalf("b heard %d ids, not a resync", len(n.Change.MessageIDs))
	}
}

func TestLiveBusListensAgainAfterItsConnectionIsLost(t *testing.T) {
	u := pgTestSchema(t)
	a, b := openTestBus(t, u), openTestBus(t, u)
	admin := pgAdmin(t, pgTestURL(t))
	defer admin.Close()
	for range 2 { // twice: the second connection is watched as the first
		pid := b.listenerPID.Load()
		if _, err := admin.ExecContext(context.Background(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		// b listens again, and tells its process that it may have missed
		// notes.
		if n := nextNote(t, b); !n.Resync {
			t.Fatalf("b heard %+v, not a resync", n)
		}
		if b.listenerPID.Load() == pid {
			t.Fatal("b listens on the connection that was ended")
		}
		a.Notify(inbox.LiveNote{Change: inbox.Change{ConversationIDs: []int64{int64(pid)}}})
		if n := nextNote(t, b); !slices.Equal(n.Change.ConversationIDs, []int64{int64(pid)}) {
			t.Fatalf("b heard %+v after listening again", n)
		}
	}
	// a's sending connection ended too: its next note goes, or a resync
	// stands for it.
	if _, err := admin.ExecContext(context.Background(),
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, a.sendName); err != nil {
		t.Fatal(err)
	}
	a.Notify(inbox.LiveNote{Change: inbox.Change{ConversationIDs: []int64{1}}})
	if n := nextNote(t, b); !n.Resync && !slices.Equal(n.Change.ConversationIDs, []int64{1}) {
		t.Fatalf("b heard %+v after a's sending connection ended", n)
	}
	a.Notify(inbox.LiveNote{Change: inbox.Change{ConversationIDs: []int64{2}}})
	for {
		if n := nextNote(t, b); slices.Equal(n.Change.ConversationIDs, []int64{2}) {
			break
		} else if !n.Resync && !slices.Equal(n.Change.ConversationIDs, []int64{1}) {
			t.Fatalf("b heard %+v after a's sending connection ended", n)
		}
	}
}

func TestLiveBusPayloadsStayUnderTheNotifyLimit(t *testing.T) {
	b := &LiveBus{origin: "0123456789abcdef"}
	heard := func(payloads []string) (ch inbox.Change, signals int, resync bool) {
		t.Helper()
		for _, p := range payloads {
			if len(p) >= 8000 {
				t.Fatalf("a payload of %d bytes", len(p))
			}
			notes, ok := decodeLive(p, "another process")
			if !ok {
				t.Fatalf("payload not read: %.100s", p)
			}
			if _, ok := decodeLive(p, b.origin); ok {
				t.Fatal("the process hears its own payload")
			}
			for _, n := range notes {
				switch {
				case n.Resync:
					resync = true
					ch.Queued = ch.Queued || n.Change.Queued
				case n.Kind != "":
					signals++
				default:
					ch.ConversationIDs = append(ch.ConversationIDs, n.Change.ConversationIDs...)
					ch.MessageIDs = append(ch.MessageIDs, n.Change.MessageIDs...)
					ch.Queued = ch.Queued || n.Change.Queued
				}
			}
		}
		return ch, signals, resync
	}
	// Many changes and signals: the changes merge, each id once, and
	// every signal goes.
	var batch []inbox.LiveNote
	for i := range int64(2000) {
		batch = append(batch, inbox.LiveNote{Change: inbox.Change{ConversationIDs: []int64{1_000_000 + i%500},
			MessageIDs: []int64{1_000_000_000 + i}, Queued: i == 7}})
		batch = append(batch, inbox.LiveNote{Kind: "read", IDs: []int64{i, 1_000_000 + i, 1_000_000_000 + i}})
	}
	ch, signals, resync := heard(b.encode(batch, false))
	if resync || signals != 2000 || len(ch.ConversationIDs) != 500 || len(ch.MessageIDs) != 2000 || !ch.Queued {
		t.Fatalf("heard %d conversations, %d messages, queued %v, %d signals, resync %v",
			len(ch.ConversationIDs), len(ch.MessageIDs), ch.Queued, signals, resync)
	}
	// A change too big for liveMaxSplits payloads is a resync, which
	// still wakes the outbox; the signals go as they are.
	var many []int64
	for i := range int64(liveMaxSplits * liveMaxPayload / 8) {
		many = append(many, 1_000_000_000+i)
	}
	payloads := b.encode([]inbox.LiveNote{{Change: inbox.Change{MessageIDs: many, Queued: true}}, {Kind: "team"}}, false)
	if ch, signals, resync := heard(payloads); !resync || !ch.Queued || len(ch.MessageIDs) != 0 || signals != 1 {
		t.Fatalf("heard %d messages, queued %v, %d signals, resync %v", len(ch.MessageIDs), ch.Queued, signals, resync)
	}
}
