package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"switchboard/inbox/zavu"
)

// simulate runs "switchboard simulate": it plays realistic conversations as
// signed Zavu webhooks against a running server.
func (e env) simulate(ctx context.Context, args []string) error {
	fs := e.newFlags("simulate")
	target := fs.String("url", "", "the server, or its webhook URL (default $SWITCHBOARD_BASE_URL, else the server's on $SWITCHBOARD_ADDR, http://localhost:8080 without it)")
	secret := fs.String("secret", "", "the webhook secret (default the first of $ZAVU_WEBHOOK_SECRET, else the sandbox secret)")
	count := fs.Int("count", 100, "how many webhook deliveries to send")
	rate := fs.Float64("rate", 20, "deliveries per second; 0 sends as fast as the server answers")
	workers := fs.Int("concurrency", 4, "deliveries in flight at once")
	sender := fs.String("sender", "snd_sandbox", "the Zavu sender id the events are for")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed, to replay the same stream")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	switch {
	case *count < 1:
		return usageError("--count must be at least 1")
	case *rate < 0:
		return usageError("--rate cannot be negative")
	case *workers < 1 || *workers > 256:
		return usageError("--concurrency must be from 1 to 256")
	}
	webhookURL, err := webhookURLFor(*target, strings.TrimSpace(e.getenv("SWITCHBOARD_BASE_URL")), strings.TrimSpace(e.getenv("SWITCHBOARD_ADDR")))
	if err != nil {
		return usageError("--url: %v", err)
	}
	if *secret == "" {
		*secret = sandboxSecret
		if s := strings.Split(e.getenv("ZAVU_WEBHOOK_SECRET"), ","); strings.TrimSpace(s[0]) != "" {
			*secret = strings.TrimSpace(s[0])
		}
	}

	// Each conversation's events are made as they come to be sent, not
	// all first: a large --count would take the memory before the first
	// delivery.
	sim := zavu.NewSimulator(*seed, *sender, "+13125559876", time.Now)
	client := &http.Client{Timeout: 30 * time.Second}
	sent := newDeliveryTally()
	start := time.Now()
	jobs := make(chan zavu.SimEvent)
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(func() {
			for ev := range jobs {
				status, err := postSigned(ctx, client, webhookURL, *secret, ev.Body)
				sent.add(status, err)
			}
		})
	}
	var tick <-chan time.Time
	if *rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / *rate))
		defer t.Stop()
		tick = t.C
	}
	var story []zavu.SimEvent
feed:
	for range *count {
		for len(story) == 0 {
			story = sim.Next()
		}
		ev := story[0]
		story = story[1:]
		if tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				break feed
			}
		}
		select {
		case jobs <- ev:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	fmt.Fprintf(e.stdout, "sent %d webhooks to %s in %s: %s\n", sent.total(), webhookURL, time.Since(start).Round(time.Millisecond), sent)
	if sent.failed() > 0 {
		return fmt.Errorf("%d deliveries were not accepted", sent.failed())
	}
	return nil
}

// webhookURLFor turns a server address or webhook URL into the webhook
// URL. Without one it is the server's own, as serve derives it from the
// same environment: SWITCHBOARD_BASE_URL, else the listen address (addr,
// :8080 when unset).
func webhookURLFor(target, baseURL, addr string) (string, error) {
	if target == "" {
		target = baseURL
	}
	if target == "" {
		if addr == "" {
			addr = ":8080"
		}
		target = addrURL(addr).String()
	}
	u, err := parseHTTPURL(target)
	if err != nil {
		return "", err
	}
	if u.Path == "" {
		u = u.JoinPath("webhooks", "zavu")
	}
	return u.String(), nil
}

// postSigned delivers body to url as Zavu would, signed with secret now.
func postSigned(ctx context.Context, client *http.Client, url, secret string, body []byte) (int, error) {
	return postWebhook(ctx, client, url, zavu.Sign(secret, time.Now(), body), body)
}

// postWebhook delivers body to url with the given signature header.
func postWebhook(ctx context.Context, client *http.Client, url, signature string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Zavu-Signature", signature)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// deliveryTally counts answers by status code.
type deliveryTally struct {
	mu     sync.Mutex
	codes  map[int]int
	errs   int
	sample error
}

func newDeliveryTally() *deliveryTally { return &deliveryTally{codes: map[int]int{}} }

func (d *deliveryTally) add(status int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.errs++
		d.sample = err
		return
	}
	d.codes[status]++
}

func (d *deliveryTally) total() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count()
}

// failed counts deliveries that were not answered 200.
func (d *deliveryTally) failed() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count() - d.codes[http.StatusOK]
}

// count is the number of deliveries; the caller holds mu.
func (d *deliveryTally) count() int {
	n := d.errs
	for _, c := range d.codes {
		n += c
	}
	return n
}

func (d *deliveryTally) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var parts []string
	for _, code := range []int{200, 400, 401, 413, 500, 503} {
		if n := d.codes[code]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d × %d %s", n, code, http.StatusText(code)))
		}
	}
	for code, n := range d.codes {
		switch code {
		case 200, 400, 401, 413, 500, 503:
		default:
			parts = append(parts, fmt.Sprintf("%d × %d %s", n, code, http.StatusText(code)))
		}
	}
	if d.errs > 0 {
		parts = append(parts, fmt.Sprintf("%d network errors (e.g. %v)", d.errs, d.sample))
	}
	return strings.Join(parts, ", ")
}
