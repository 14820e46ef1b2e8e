package store

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// openTracedPostgres opens a store on a PostgreSQL schema of its own that
// records every statement it sends, and closes it when the test ends.
func openTracedPostgres(t *testing.T) (*DB, *statementLog) {
	t.Helper()
	pgTestURL(t)
	log := &statementLog{}
	db, err := Open(pgTestSchema(t), WithReportPacking(0), withPgTracer(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, log
}

// statementLog records the statements sent to PostgreSQL, by connection.
type statementLog struct {
	mu  sync.Mutex
	sql []sentStatement
}

type sentStatement struct {
	conn *pgx.Conn
	sql  string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, sentStatement{c, strings.TrimSpace(d.SQL)})
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements sent on the connections that began write
// transactions (the writer's), and forgets all.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	writer := map[*pgx.Conn]bool{}
	for _, s := range l.sql {
		if s.sql == "BEGIN" || s.sql == "BEGIN; "+writeLockSQL || s.sql == pgBeginApplying {
			writer[s.conn] = true
		}
	}
	var out []string
	for _, s := range l.sql {
		if writer[s.conn] {
			out = append(out, s.sql)
		}
	}
	l.sql = nil
	return out
}

// Every write transaction on PostgreSQL is a round trip per statement:
// BEGIN takes the write lock in the same one, and applying stored events
// sends nothing for SQLite's synchronous setting. What a webhook costs the
// database in round trips is what bounds how fast events are applied.
func TestPostgresWriteTransactionRoundTrips(t *testing.T) {
	db, log := openTracedPostgres(t)
	ctx := context.Background()
	ev := inboundEvent("evt_1", "+15550001", "msg_1", "Hello there", t0)
	events := newProjectionLog(ev)
	db.Project(events.projection(applyInbound))
	log.take()
	if dup, err := db.Append(ctx, ev); err != nil || dup {
		t.Fatalf("Append = %v, %v", dup, err)
	}
	settle(t, db)
	if m, err := db.MessageByZavuID(ctx, "msg_1"); err != nil || m.Text != "Hello there" {
		t.Fatalf("message = %+v, %v", m, err)
	}
	sent := log.take() // the writer's
	begins := 0
	for _, q := range sent {
		switch {
		case q == "BEGIN; "+writeLockSQL || q == pgBeginApplying:
			begins++
		case q == "BEGIN":
			t.Errorf("a transaction began without the write lock in the same statement: %q", q)
		case q == writeLockSQL:
			t.Errorf("the write lock took a round trip of its own")
		case q == "SELECT 1" || q == "":
			t.Errorf("a statement that does nothing was sent: %q", q)
		}
	}
	// Storing the event, then applying it: two write transactions.
	if begins < 2 {
		t.Errorf("%d write transactions began with the write lock, want 2 or more; sent:\n%s", begins, strings.Join(sent, "\n"))
	}
}
