package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// BenchmarkOutbox sends 2,000 replies over 200 conversations through the
// outbox to a fake Zavu over loopback HTTP, with the client's production
// timeout (15 s) and the outbox's real backoff. Each run is bounded (5
// minutes at most) and reports:
//
//   - replies/s: replies that reached Zavu per second of the run, not
//     counting the hanging conversation's;
//   - wait-p50-ms, wait-max-ms: from the moment a reply was written to
//     the moment Zavu accepted it, for every reply not in the hanging
//     conversation;
//   - out-of-order: conversations whose replies reached Zavu in another
//     order than they were written.
//
// Scenarios: burst writes every reply before the outbox starts (a
// broadcast; waits count from the start); paced writes 100 a second while
// it runs. fail30 answers 500 to 30% of sends at random (seeded);
// hang1 holds every send to one conversation until the run ends. Run with
//
//	go test ./store -run '^$' -bench Outbox -benchtime 1x
func BenchmarkOutbox(b *testing.B) {
	for _, pace := range []struct {
		name string
		rate int // replies written per second; 0 writes them all at once
	}{{"burst", 0}, {"paced", 100}} {
		for _, sc := range []struct {
			name     string
			failRate float64
			hang     bool
		}{{"clean", 0, false}, {"fail30", 0.3, false}, {"hang1", 0, true}, {"fail30+hang1", 0.3, true}} {
			b.Run(pace.name+"/"+sc.name, func(b *testing.B) {
				for range b.N {
					benchOutbox(b, 200, 10, pace.rate, sc.failRate, sc.hang)
				}
			})
		}
	}
}

func benchOutbox(b *testing.B, convs, perConv, rate int, failRate float64, hang bool) {
	b.StopTimer()
	db := openTest(b)
	ctx := context.Background()
	now := time.Now()
	ids := make([]int64, convs)
	phones := make([]string, convs)
	for c := range convs {
		phones[c] = fmt.Sprintf("+1312556%04d", c)
		msgID := fmt.Sprintf("msg_bench_in_%d", c)
		if _, err := db.Ingest(ctx, inboundEvent("evt_"+msgID, phones[c], msgID, "Hello", now), inbox.Apply); err != nil {
			b.Fatal(err)
		}
		m, err := db.MessageByZavuID(ctx, msgID)
		if err != nil {
			b.Fatal(err)
		}
		ids[c] = m.ConversationID
	}

	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_bench", Seed: 1})
	srv := httptest.NewServer(fake)
	release := make(chan struct{})
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(30, 30))
	fake.FailWhen(func(r zavu.SendRequest) (zavu.Failure, bool) {
		if hang && r.To == phones[0] {
			return zavu.Failure{Hold: release}, true
		}
		mu.Lock()
		defer mu.Unlock()
		if failRate > 0 && rng.Float64() < failRate {
			return zavu.Failure{Status: 500}, true
		}
		return zavu.Failure{}, false
	})
	total := convs * perConv
	written := make(map[string]time.Time, total)
	var wmu sync.Mutex
	write := func(i int) {
		c, k := i%convs, i/convs
		text := fmt.Sprintf("c%d r%d", c, k)
		at := time.Now()
		if _, _, err := db.QueueReply(ctx, reply(ids[c], text, fmt.Sprintf("bench-%d-%d", c, k), at)); err != nil {
			b.Error(err)
		}
		wmu.Lock()
		written[text] = at
		wmu.Unlock()
	}
	if rate == 0 {
		// A broadcast: every reply is written before the outbox starts
		// (by several writers, so that the writes commit in groups).
		var wg sync.WaitGroup
		next := make(chan int)
		for range 16 {
			wg.Go(func() {
				for i := range next {
					write(i)
				}
			})
		}
		for i := range total {
			next <- i
		}
		close(next)
		wg.Wait()
	}

	client := zavu.NewClient(srv.URL, "zv_bench")
	ob := inbox.NewOutbox(db, zavu.Messenger{Client: client}, nil, nil)
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	b.StartTimer()
	start := time.Now()
	go func() { defer close(ran); ob.Run(runCtx) }()
	defer func() {
		close(release)
		stop()
		<-ran
		fake.Close()
		srv.Close()
	}()
	if rate > 0 {
		for i := range total {
			if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
				time.Sleep(d)
			}
			write(i)
			ob.Wake()
		}
	}
	want := total
	if hang {
		want -= perConv
	}
	deadline := time.Now().Add(5 * time.Minute)
	var sent []zavu.Message
	for {
		sent = fake.Sent()
		n := 0
		for _, m := range sent {
			if !hang || m.To != phones[0] {
				n++
			}
		}
		if n >= want {
			break
		}
		if time.Now().After(deadline) {
			var conv, attempts int
			db.reader.QueryRow(`SELECT count(DISTINCT conversation_id), max(attempts) FROM outbox
				WHERE state IN ('queued', 'sending')`).Scan(&conv, &attempts)
			b.Fatalf("only %d of %d replies reached Zavu in 5 minutes; %d conversations wait, at most %d attempts so far",
				n, want, conv, attempts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.StopTimer()

	var waits []time.Duration
	var last time.Time
	order := map[string][]int{}
	for _, m := range sent {
		var c, k int
		fmt.Sscanf(m.Text, "c%d r%d", &c, &k)
		order[m.To] = append(order[m.To], k)
		if hang && m.To == phones[0] {
			continue
		}
		from := written[m.Text]
		if from.Before(start) {
			from = start
		}
		waits = append(waits, m.CreatedAt.Sub(from))
		if m.CreatedAt.After(last) {
			last = m.CreatedAt
		}
	}
	outOfOrder := 0
	for _, ks := range order {
		if !slices.IsSorted(ks) {
			outOfOrder++
		}
	}
	slices.Sort(waits)
	b.ReportMetric(float64(len(waits))/last.Sub(start).Seconds(), "replies/s")
	b.ReportMetric(float64(waits[len(waits)/2].Milliseconds()), "wait-p50-ms")
	b.ReportMetric(float64(waits[len(waits)-1].Milliseconds()), "wait-max-ms")
	b.ReportMetric(float64(outOfOrder), "out-of-order")
}
