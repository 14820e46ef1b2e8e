package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/store/sqlitetest"
)

// openTest opens a fresh database file in a temporary folder, closed when
// the test ends.
//
// The report hours are not packed in the background (tests count the
// writer's writes); TestReportHoursArePackedInTheBackground turns it on.
func openTest(t testing.TB, opts ...Option) *DB {
	t.Helper()
	if onPostgres(t) {
		return openPostgresTest(t, opts...)
	}
	path := filepath.Join(t.TempDir(), "data", "switchboard.db")
	sqlitetest.Migrated(t, path, migrateNew)
	db, err := Open(path, append([]Option{WithReportPacking(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migrateNew makes the database Open makes of a new file.
func migrateNew(path string) error {
	db, err := Open(path, ForOneCommand())
	if err != nil {
		return err
	}
	return db.Close()
}

// inTx runs fn on the writer's transaction, as Ingest runs apply.
func inTx(t testing.TB, db *DB, fn func(ctx context.Context, w *writeTx) error) {
	t.Helper()
	if err := db.write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// inboundEvent is a message.inbound event from phone on snd_1.
func inboundEvent(id, phone, msgID, text string, at time.Time) *inbox.Event {
	return &inbox.Event{
		ID: id, Type: inbox.EventMessageInbound, Timestamp: at, SenderID: "snd_1",
		Raw: []byte(fmt.Sprintf(`{"id":%q,"type":"message.inbound"}`, id)),
		Inbound: &inbox.InboundMessage{
			MessageID: msgID, From: phone, To: "+13125550000", Channel: inbox.WhatsApp,
			Type: inbox.TypeText, Text: text, ProfileName: "Customer " + phone, At: at,
		},
	}
}

// applyInbound is a small version of the rules for an inbound message:
// the writes inbox.Apply makes for one, through the Tx.
func applyInbound(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
	in := ev.Inbound
	if in == nil {
		return inbox.Change{}, fmt.Errorf("%s: %w", ev.Type, inbox.ErrUnknownEvent)
	}
	if err := tx.UpsertSender(ctx, ev.SenderID, in.To); err != nil {
		return inbox.Change{}, err
	}
	contact, err := tx.UpsertContact(ctx, in.From, in.ProfileName, in.At)
	if err != nil {
		return inbox.Change{}, err
	}
	conv, err := tx.EnsureConversation(ctx, inbox.ConversationKey{SenderID: ev.SenderID, Channel: in.Channel, ContactID: contact.ID}, in.At)
	if err != nil {
		return inbox.Change{}, err
	}
	if _, err := tx.MessageByZavuID(ctx, in.MessageID); err == nil {
		return inbox.Change{}, nil
	} else if !errors.Is(err, inbox.ErrNotFound) {
		return inbox.Change{}, err
	}
	m := inbox.Message{
		ZavuID: in.MessageID, ConversationID: conv.ID, Direction: inbox.Inbound, Channel: in.Channel,
		Type: in.Type, Text: in.Text, Content: in.Content, Status: inbox.StatusReceived,
		Source: inbox.SourceCustomer, CreatedAt: in.At, UpdatedAt: in.At,
	}
	if err := tx.InsertMessage(ctx, &m); err != nil {
		return inbox.Change{}, err
	}
	conv.InboundCount++
	if !m.CreatedAt.Before(conv.LastMessageAt) || conv.LastMessageID == 0 {
		conv.LastMessageID, conv.LastMessageAt, conv.LastMessagePreview = m.ID, m.CreatedAt, inbox.Preview(m)
	}
	if m.CreatedAt.After(conv.LastInboundAt) {
		conv.LastInboundAt = m.CreatedAt
	}
	conv.Status, conv.UpdatedAt = inbox.Open, in.At
	if err := tx.SaveConversation(ctx, &conv); err != nil {
		return inbox.Change{}, err
	}
	return inbox.Change{ConversationIDs: []int64{conv.ID}, MessageIDs: []int64{m.ID}}, nil
}

// count returns the number of rows of a query like "SELECT count(*) ...".
func count(t testing.TB, db *DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.reader.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// holdWriter makes the writer busy with one event whose apply waits until
// release is called, so that the writes queued meanwhile are committed
// together in the next batch. It returns once the writer is held.
func holdWriter(t testing.TB, db *DB) (release func()) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := db.Ingest(context.Background(), &inbox.Event{ID: fmt.Sprintf("evt_hold_%d", time.Now().UnixNano()), Type: "test.hold"},
			func(context.Context, inbox.Tx, *inbox.Event) (inbox.Change, error) {
				close(entered)
				<-gate
				return inbox.Change{}, nil
			})
		done <- err
	}()
	<-entered
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("held event: %v", err)
		}
	}
}

// waitQueued waits until n writes are queued for the writer.
func waitQueued(t testing.TB, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(db.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", len(db.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func fmtID(prefix string, i int) string { return fmt.Sprintf("%s_%d", prefix, i) }

func timeMinutes(i int) time.Duration { return time.Duration(i) * time.Minute }

// logBuffer holds a database's log for a test to read while the
// database's background goroutines (the stale openings' derivation, the
// report hours' packing) may still write to it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
