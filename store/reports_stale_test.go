package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"
)

// generatedBeforeReplyStatuses makes a database of conversations at path
// as the schema before replies counted once they reached the customer
// (migrations/0038_opening_reply_statuses.sql, PostgreSQL's 0015) left
// it: every opening answered as it opened, which the upgrade must derive
// again. The database is closed.
func generatedBeforeReplyStatuses(t *testing.T, path string, conversations int) {
	t.Helper()
	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Generate(context.Background(), Generation{Conversations: conversations, Messages: 4 * conversations,
		Senders: []string{"snd_1"}, Now: t0})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	asBeforeReplyStatuses(t, path, `UPDATE openings SET first_response_at = opened_at, first_responder_id = NULL`)
}

// asBeforeReplyStatuses takes the closed database at path back to the
// schema before migration 0038 (PostgreSQL's 0015), then runs more on it.
func asBeforeReplyStatuses(t *testing.T, path string, more ...string) {
	t.Helper()
	var raw *sql.DB
	var qs []string
	if onPostgres(t) {
		u, ok := pgTestURLs.Load(path)
		if !ok {
			t.Fatalf("%s was not opened", path)
		}
		raw = pgAdmin(t, u.(string))
		qs = []string{`DROP TRIGGER messages_report_status ON messages`, `DROP FUNCTION messages_report_status()`,
			`DROP TABLE IF EXISTS openings_stale`, `DELETE FROM schema_migrations WHERE version = 15`}
	} else {
		var err error
		if raw, err = sql.Open("sqlite", DSN(path, true)); err != nil {
			t.Fatal(err)
		}
		qs = []string{`DROP TRIGGER messages_report_status`, `DROP TABLE IF EXISTS openings_stale`,
			`DELETE FROM schema_migrations WHERE version = 38`}
	}
	defer raw.Close()
	for _, q := range append(qs, more...) {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// countDerived counts the write transactions of db that derive openings
// again, from now, and the most conversations one of them derives.
func countDerived(db *DB) (most, txs *atomic.Int64) {
	most, txs = new(atomic.Int64), new(atomic.Int64)
	db.ObserveCommits(func(c Commit) {
		if c.Derived == 0 {
			return
		}
		txs.Add(1)
		for m := most.Load(); int64(c.Derived) > m && !most.CompareAndSwap(m, int64(c.Derived)); m = most.Load() {
		}
	})
	return most, txs
}

// TestUpgradeDerivesOpeningsInTheBackgroundAFewAtATime: the upgrade that
// derives every conversation's openings again (replies count once they
// reached the customer) does not derive them as the database opens, nor
// in the first write after: Open returns with the openings as they were,
// which the reports read meanwhile, a write goes through at once, and
// they are derived in the background, at most staleOpeningsAtOnce
// conversations in a write transaction (beside what its writes changed),
// until they are all right. Deriving a 100,000 conversations' database
// at once held its start for seconds.
func TestUpgradeDerivesOpeningsInTheBackgroundAFewAtATime(t *testing.T) {
	const convs = 2*staleOpeningsAtOnce + 88
	path := filepath.Join(t.TempDir(), "switchboard.db")
	generatedBeforeReplyStatuses(t, path, convs)

	hold := make(chan struct{})
	db, err := testOpen(t, path, withStaleOpeningsHeld(hold))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	most, txs := countDerived(db)
	old := rolledOpenings(t, db)
	if len(old) < convs*9/10 {
		t.Fatalf("%d conversations with openings after Open, want the %d of before", len(old), convs)
	}
	for conv, os := range old {
		for _, o := range os {
			if !o.FirstResponseAt.Equal(o.OpenedAt) {
				t.Fatalf("conversation %d's openings after Open %+v: derived again, want them as they were", conv, os)
			}
		}
	}
	if n := count(t, db, `SELECT count(*) FROM openings_stale`); n != convs {
		t.Fatalf("%d conversations left to derive again after Open, want %d", n, convs)
	}

	// A write right after Open derives its own conversation's openings.
	mustIngest(t, db, inboundEvent("evt_new_1", "+15559990001", "msg_new_1", "Hello", t0))
	if n := most.Load(); n != 1 {
		t.Fatalf("the first write derived the openings of %d conversations, want its own", n)
	}
	close(hold)
	mustIngest(t, db, inboundEvent("evt_new_2", "+15559990002", "msg_new_2", "Hello", t0.Add(time.Minute)))
	<-db.staleDone
	if n := most.Load(); n > staleOpeningsAtOnce+1 {
		t.Fatalf("a write transaction derived the openings of %d conversations, want %d at most", n, staleOpeningsAtOnce+1)
	}
	// The second write may share a step's transaction (the writer takes
	// the jobs queued together in one).
	if n := txs.Load(); n < 1+(convs+staleOpeningsAtOnce-1)/staleOpeningsAtOnce {
		t.Fatalf("%d write transactions derived openings, want the first write's and a few conversations in each other", n)
	}
	if n := count(t, db, `SELECT count(*) FROM openings_stale`); n != 0 {
		t.Fatalf("%d conversations left to derive again, want none", n)
	}
	if got, want := rolledOpenings(t, db), scratchOpenings(t, db); !reflect.DeepEqual(got, want) {
		t.Fatalf("openings once derived again differ from the messages'")
	}
}

// TestOpeningsLeftToDeriveAtCloseAreDerivedAfterTheNextStart: Close stops
// deriving the stale openings between two write transactions, and the next
// start derives what is left.
func TestOpeningsLeftToDeriveAtCloseAreDerivedAfterTheNextStart(t *testing.T) {
	const convs = staleOpeningsAtOnce + 40
	path := filepath.Join(t.TempDir(), "switchboard.db")
	generatedBeforeReplyStatuses(t, path, convs)

	db, err := testOpen(t, path, withStaleOpeningsHeld(make(chan struct{})))
	if err != nil {
		t.Fatal(err)
	}
	if n, more, err := db.deriveStaleChunk(context.Background()); err != nil || n != staleOpeningsAtOnce || !more {
		t.Fatalf("deriveStaleChunk = %d, %v, %v; want %d, more", n, more, err, staleOpeningsAtOnce)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	hold := make(chan struct{})
	db, err = testOpen(t, path, withStaleOpeningsHeld(hold))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := count(t, db, `SELECT count(*) FROM openings_stale`); n != convs-staleOpeningsAtOnce {
		t.Fatalf("%d conversations left to derive again after the restart, want %d", n, convs-staleOpeningsAtOnce)
	}
	close(hold)
	<-db.staleDone
	if n := count(t, db, `SELECT count(*) FROM openings_stale`); n != 0 {
		t.Fatalf("%d conversations left to derive again, want none", n)
	}
	if got, want := rolledOpenings(t, db), scratchOpenings(t, db); !reflect.DeepEqual(got, want) {
		t.Fatalf("openings once derived again differ from the messages'")
	}
}
