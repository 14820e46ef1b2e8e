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
func sandboxCustomers(ctx context.Context, webhookURL, secret string, fake *zavu.Fake, log *slog.Logger) {
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
			registerInbound(fake, ev.Body)
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

// registerInbound tells the sandbox's fake Zavu about a simulated
// customer's message, so that reacting to it works and opening a photo,
// voice note or document fetches a file, through the paths real ones take.
func registerInbound(fake *zavu.Fake, body []byte) {
	if fake == nil {
		return
	}
	ev, err := zavu.Decode(body)
	if err != nil || ev.Inbound == nil {
		return
	}
	in := ev.Inbound
	m := zavu.Message{ID: in.MessageID, From: in.From, To: in.To, Channel: string(in.Channel),
		MessageType: string(in.Type), Text: in.Text}
	if c := in.Content; c != nil {
		m.Content = &zavu.Content{MediaID: c.MediaID, MimeType: c.MimeType, Filename: c.Filename}
	}
	fake.AddInbound(m)
}
