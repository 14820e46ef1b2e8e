package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// projectionLog is a Projection for tests: it decodes the bodies of
// events it was shown, applies them with apply, and records what it heard.
type projectionLog struct {
	mu      sync.Mutex
	known   map[string]*inbox.Event
	applied []string
	results map[string]inbox.IngestResult
}

func newProjectionLog(evs ...*inbox.Event) *projectionLog {
	l := &projectionLog{known: map[string]*inbox.Event{}, results: map[string]inbox.IngestResult{}}
	for _, ev := range evs {
		l.known[ev.ID] = ev
	}
	return l
}

func (l *projectionLog) projection(apply inbox.ApplyFunc) inbox.Projection {
	return inbox.Projection{
		Decode: func(raw []byte) (*inbox.Event, error) {
			var env struct{ ID string }
			if err := json.Unmarshal(raw, &env); err != nil {
				return nil, err
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			ev, ok := l.known[env.ID]
			if !ok {
				return nil, fmt.Errorf("unknown event %s", env.ID)
			}
			c := *ev
			return &c, nil
		},
		Apply: apply,
		Applied: func(ev *inbox.Event, res inbox.IngestResult) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.applied = append(l.applied, ev.ID)
			l.results[ev.ID] = res
		},
	}
}

func (l *projectionLog) result(id string) inbox.IngestResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.results[id]
}

func (l *projectionLog) heard() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.applied)
}

func settle(t testing.TB, db *DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := db.Settle(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAppendedEventIsAppliedAfterItsCommit(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ev := inboundEvent("evt_1", "+15550001", "msg_1", "Hello there", t0)
	log := newProjectionLog(ev)
	db.Project(log.projection(applyInbound))

	dup, err := db.Append(ctx, ev)
	if err != nil || dup {
		t.Fatalf("Append = %v, %v", dup, err)
	}
	settle(t, db)
	m, err := db.MessageByZavuID(ctx, "msg_1")
	if err != nil || m.Text != "Hello there" || !m.CreatedAt.Equal(t0) {
		t.Fatalf("message = %+v, %v", m, err)
	}
	stored, err := db.RawEvent(ctx, "evt_1")
	if err != nil || stored.State != inbox.EventApplied || string(stored.Raw) != string(ev.Raw) {
		t.Errorf("stored event = %+v, %v", stored, err)
	}
	res := log.result("evt_1")
	if res.State != inbox.EventApplied || len(res.Change.MessageIDs) != 1 || res.Change.MessageIDs[0] != m.ID {
		t.Errorf("the projection announced %+v", res)
	}
	if db.Pending() != 0 {
		t.Errorf("Pending = %d after Settle", db.Pending())
	}
}

func TestAppendTwiceStoresAndAppliesOnce(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ev := inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0)
	log := newProjectionLog(ev)
	db.Project(log.projection(applyInbound))
	if dup, err := db.Append(ctx, ev); err != nil || dup {
		t.Fatalf("first Append = %v, %v", dup, err)
	}
	again := inboundEvent("evt_1", "+15550001", "msg_2", "other", t0)
	if dup, err := db.Append(ctx, again); err != nil || !dup {
		t.Fatalf("second Append = %v, %v; want a duplicate", dup, err)
	}
	settle(t, db)
	if got := log.heard(); !slices.Equal(got, []string{"evt_1"}) {
		t.Errorf("applied %v, want evt_1 once", got)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM messages`); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// A crash between the commit that stores events and the one that applies
// them: the next start applies them, in the order they arrived.
func TestPendingEventsAreAppliedAtTheNextStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var evs []*inbox.Event
	for i := range 3 {
		ev := inboundEvent(fmtID("evt", i), "+15550001", fmtID("msg", i), "hi", t0.Add(timeMinutes(i)))
		evs = append(evs, ev)
		if _, err := db.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	// No projection yet: stored, acknowledged, not applied.
	stored, err := db.RawEvent(ctx, "evt_0")
	if err != nil || stored.State != inbox.EventPending {
		t.Fatalf("before projection: %+v, %v; want pending", stored, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := db.Pending(); n != 3 {
		t.Fatalf("Pending after reopening = %d, want 3", n)
	}
	log := newProjectionLog(evs...)
	db.Project(log.projection(applyInbound))
	settle(t, db)
	if got := log.heard(); !slices.Equal(got, []string{"evt_0", "evt_1", "evt_2"}) {
		t.Errorf("applied %v, want arrival order", got)
	}
	for i := range 3 {
		if _, err := db.MessageByZavuID(ctx, fmtID("msg", i)); err != nil {
			t.Errorf("msg_%d: %v", i, err)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM webhook_events WHERE pending = 1`); n != 0 {
		t.Errorf("%d events still pending", n)
	}
}

func TestAppendedEventThatCannotBeAppliedIsKeptAsFailed(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ev := inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0)
	log := newProjectionLog(ev)
	db.Project(log.projection(func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		if _, err := applyInbound(ctx, tx, ev); err != nil {
			return inbox.Change{}, err
		}
		return inbox.Change{}, errors.New("a rule broke")
	}))
	if _, err := db.Append(ctx, ev); err != nil {
		t.Fatal(err)
	}
	settle(t, db)
	stored, err := db.RawEvent(ctx, "evt_1")
	if err != nil || stored.State != inbox.EventFailed || stored.Error != "a rule broke" {
		t.Fatalf("stored event = %+v, %v", stored, err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM messages`); n != 0 {
		t.Errorf("the failed event's writes were kept: %d messages", n)
	}
	if res := log.result("evt_1"); res.State != inbox.EventFailed {
		t.Errorf("announced %+v", res)
	}
	// It can be replayed from the webhook log, as before.
	res, err := db.Replay(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0), applyInbound)
	if err != nil || res.State != inbox.EventApplied {
		t.Fatalf("Replay = %+v, %v", res, err)
	}
}

func TestStoredBodyThatNoLongerDecodesIsKeptAsFailed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.Append(ctx, inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = testOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := newProjectionLog() // knows no event: every body fails to decode
	db.Project(log.projection(applyInbound))
	settle(t, db)
	stored, err := db.RawEvent(ctx, "evt_1")
	if err != nil || stored.State != inbox.EventFailed || stored.Error == "" {
		t.Fatalf("stored event = %+v, %v", stored, err)
	}
}

// Events appended while the projection is busy, more than it keeps in
// memory, are read back from the database: each is applied once, in the
// order the commits stored them.
func TestProjectionKeepsArrivalOrderPastItsMemory(t *testing.T) {
	testProjectionOrder(t, 0)
}

// Applying slower than projectBudget allows per transaction: each
// transaction stops early, and the events it read back but did not apply
// are applied by the next, in order.
func TestProjectionKeepsArrivalOrderWhenApplyingIsSlow(t *testing.T) {
	testProjectionOrder(t, projectBudget/2)
}

func testProjectionOrder(t *testing.T, slow time.Duration) {
	db := openTest(t)
	db.proj.memLimit = 4
	ctx := context.Background()
	const n = 40
	evs := make([]*inbox.Event, n)
	for i := range n {
		evs[i] = inboundEvent(fmtID("evt", i), fmt.Sprintf("+1555000%02d", i%7), fmtID("msg", i), "hi", t0.Add(timeMinutes(i)))
	}
	log := newProjectionLog(evs...)
	gate, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	db.Project(log.projection(func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		once.Do(func() { close(held); <-gate }) // the first event holds the writer while others queue
		time.Sleep(slow)
		return applyInbound(ctx, tx, ev)
	}))
	if _, err := db.Append(ctx, evs[0]); err != nil {
		t.Fatal(err)
	}
	<-held
	var wg sync.WaitGroup
	for _, ev := range evs[1:] {
		wg.Go(func() {
			if _, err := db.Append(ctx, ev); err != nil {
				t.Error(err)
			}
		})
	}
	waitQueued(t, db, 8)
	close(gate)
	wg.Wait()
	settle(t, db)

	rows, err := db.reader.Query(`SELECT id FROM webhook_events ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	var stored []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		stored = append(stored, id)
	}
	rows.Close()
	if got := log.heard(); !slices.Equal(got, stored) {
		t.Errorf("applied in order %v\nstored in order %v", got, stored)
	}
	if m := count(t, db, `SELECT COUNT(*) FROM messages`); m != n {
		t.Errorf("%d messages, want %d", m, n)
	}
}

// A webhook acknowledged after reading its envelope only is applied with
// its whole payload, decoded from its stored body once its turn comes; one
// whose body does not decode then fails, shown in the webhook log, and
// the events after it are applied.
func TestAnEventStoredWithItsEnvelopeOnlyIsAppliedWithItsPayload(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	full := []*inbox.Event{
		inboundEvent("evt_env_1", "+15550001", "msg_env_1", "first", t0),
		inboundEvent("evt_env_2", "+15550002", "msg_env_2", "second", t0.Add(time.Second)),
		inboundEvent("evt_env_3", "+15550001", "msg_env_3", "third", t0.Add(2*time.Second)),
	}
	// The third's body has no timestamp: the rules get the one stored
	// with its envelope (the handler stamps one without).
	bodyless := *full[2]
	bodyless.Timestamp = time.Time{}
	log := newProjectionLog(full[0], &bodyless) // the second's body is unknown to Decode
	var mu sync.Mutex
	seen := map[string]time.Time{}
	db.Project(log.projection(func(ctx context.Context, tx inbox.Tx, ev *inbox.Event) (inbox.Change, error) {
		mu.Lock()
		seen[ev.ID] = ev.Timestamp
		mu.Unlock()
		return applyInbound(ctx, tx, ev)
	}))
	for _, ev := range full {
		envelope := &inbox.Event{ID: ev.ID, Type: ev.Type, Timestamp: ev.Timestamp, SenderID: ev.SenderID, Raw: ev.Raw, PayloadLater: true}
		if _, err := db.Append(ctx, envelope); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, db)
	if m := count(t, db, `SELECT COUNT(*) FROM messages WHERE zavu_id IN ('msg_env_1', 'msg_env_3')`); m != 2 {
		t.Errorf("%d of the decodable events' messages stored, want 2", m)
	}
	for _, id := range []string{"evt_env_1", "evt_env_3"} {
		if res := log.result(id); res.State != inbox.EventApplied {
			t.Errorf("%s: %+v, want applied", id, res)
		}
	}
	mu.Lock()
	if got := seen["evt_env_3"]; !got.Equal(full[2].Timestamp) {
		t.Errorf("the rules saw evt_env_3 at %v, want its envelope's %v", got, full[2].Timestamp)
	}
	if _, ok := seen["evt_env_2"]; ok {
		t.Error("the rules saw the event whose body does not decode")
	}
	mu.Unlock()
	stored, err := db.RawEvent(ctx, "evt_env_2")
	if err != nil || stored.State != inbox.EventFailed || !strings.Contains(stored.Error, "does not decode") {
		t.Errorf("the event whose body does not decode: %+v, %v; want failed, saying so", stored, err)
	}
	if p := count(t, db, `SELECT COUNT(*) FROM webhook_events WHERE pending = 1`); p != 0 {
		t.Errorf("%d events still pending", p)
	}
}

// A process watching a server's database (the bench, the soak) asks
// whether any event waits, without counting them.
func TestAnyPendingSeesAStoredEventUntilItIsApplied(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ev := inboundEvent("evt_1", "+15550001", "msg_1", "hi", t0)
	if dup, err := db.Append(ctx, ev); err != nil || dup {
		t.Fatalf("Append = %v, %v", dup, err)
	}
	if any, err := AnyPending(ctx, db.reader.DB); err != nil || !any {
		t.Fatalf("AnyPending before the projection = %v, %v; want true", any, err)
	}
	db.Project(newProjectionLog(ev).projection(applyInbound))
	settle(t, db)
	if any, err := AnyPending(ctx, db.reader.DB); err != nil || any {
		t.Fatalf("AnyPending once applied = %v, %v; want false", any, err)
	}
}

// The appends a batch holds share its commit; each still hears whether
// its id was stored before, by an earlier batch or earlier in the same
// one, and the stored ones are applied once each, in the order they came,
// around the other writes of the batch.
func TestAppendsOfOneBatchKeepTheirAnswersAndOrder(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	evs := map[string]*inbox.Event{}
	event := func(id string) *inbox.Event {
		if evs[id] == nil {
			evs[id] = inboundEvent(id, "+1555000"+id[4:], "msg_"+id, "hi "+id, t0)
		}
		c := *evs[id]
		return &c
	}
	for i := range 5 {
		if dup, err := db.Append(ctx, event(fmtID("evt", i))); err != nil || dup {
			t.Fatalf("Append evt_%d = %v, %v", i, dup, err)
		}
	}

	release := holdWriter(t, db)
	// 43 appends, the 21st after another write: ids evt_0 to evt_24, then
	// evt_0 to evt_17 again.
	type answer struct {
		dup bool
		err error
	}
	answers := make([]chan answer, 43)
	wrote := make(chan error, 1)
	var order []string
	queued := 0
	for i := range answers {
		if i == 20 {
			go func() {
				wrote <- db.write(ctx, func(ctx context.Context, w *writeTx) error {
					_, err := w.execSQL(ctx, `UPDATE webhook_events SET error = '' WHERE id = 'evt_0'`)
					return err
				})
			}()
			queued++
			waitQueued(t, db, queued)
		}
		id := fmtID("evt", i%25)
		order = append(order, id)
		answers[i] = make(chan answer, 1)
		ev := event(id)
		go func() {
			dup, err := db.Append(ctx, ev)
			answers[i] <- answer{dup, err}
		}()
		queued++
		waitQueued(t, db, queued)
	}
	release()
	if err := <-wrote; err != nil {
		t.Fatalf("the write between the appends: %v", err)
	}

	seen := map[string]bool{}
	for i := range 5 {
		seen[fmtID("evt", i)] = true
	}
	for i, ch := range answers {
		a := <-ch
		if a.err != nil {
			t.Fatalf("Append %s: %v", order[i], a.err)
		}
		if want := seen[order[i]]; a.dup != want {
			t.Errorf("Append %s (#%d) duplicate = %v, want %v", order[i], i, a.dup, want)
		}
		seen[order[i]] = true
	}
	if s := db.Stats(); s.MaxBatch < 44 {
		t.Errorf("the most writes in one transaction = %d, want the 44 queued behind the held one", s.MaxBatch)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM webhook_events WHERE id LIKE 'evt!_%' ESCAPE '!' AND id NOT LIKE 'evt!_hold%' ESCAPE '!'`); n != 25 {
		t.Errorf("%d events stored, want 25", n)
	}

	var all []*inbox.Event
	var want []string
	for i := range 25 {
		all = append(all, evs[fmtID("evt", i)])
		want = append(want, fmtID("evt", i))
	}
	log := newProjectionLog(all...)
	db.Project(log.projection(applyInbound))
	settle(t, db)
	if got := log.heard(); !slices.Equal(got, want) {
		t.Errorf("applied %v, want %v", got, want)
	}
}
