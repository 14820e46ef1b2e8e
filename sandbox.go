package main

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"switchboard/inbox/zavu"
)

// sandboxCustomers plays simulated customers against the server's own
// webhook endpoint while Switchboard runs in sandbox mode, so that a
// newcomer sees a living inbox: conversations of every kind arrive every
// few seconds, signed with the sandbox secret, through the real path.
func sandboxCustomers(ctx context.Context, webhookURL, secret string, log *slog.Logger) {
	sim := zavu.NewSimulator(uint64(time.Now().UnixNano()), "snd_sandbox", "+15550100000", time.Now)
	client := &http.Client{Timeout: 10 * time.Second}
	wait := 2 * time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		for _, ev := range sim.Next() {
			code, err := postSigned(ctx, client, webhookURL, secret, ev.Body)
			if err != nil || code != http.StatusOK {
				if ctx.Err() == nil {
					log.Warn("sandbox customer's message not accepted", "event_id", ev.ID, "status", code, "err", err)
				}
				break
			}
			// Steps of one story come a moment apart, as in life.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(300+rand.IntN(1200)) * time.Millisecond):
			}
		}
		wait = time.Duration(8+rand.IntN(17)) * time.Second
	}
}
