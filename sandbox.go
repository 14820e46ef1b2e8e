package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"switchboard/inbox/zavu"
	"switchboard/web"
)

// sandboxCustomers plays simulated customers (sim's stories) against the
// server's own webhook endpoint while Switchboard runs in sandbox mode, so
// that a newcomer sees a living inbox: conversations of every kind arrive
// every few seconds, signed with the sandbox secret, through the real
// path, each event at the time it is stamped with.
func sandboxCustomers(ctx context.Context, webhookURL, secret string, fake *zavu.Fake, sim *zavu.Simulator, log *slog.Logger) {
	client := &http.Client{Timeout: 10 * time.Second}
	wait := 2 * time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		for _, ev := range sim.Next() {
			// Each goes out at its time, as Zavu sends an event once it
			// has happened: the steps of a story come a moment apart, and
			// one delivered late (out of order, again, held back) right
			// away.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(ev.At)):
			}
			registerEvent(fake, ev.Body)
			code, err := postSigned(ctx, client, webhookURL, secret, ev.Body)
			if err != nil || code != http.StatusOK {
				if ctx.Err() == nil {
					log.Warn("sandbox customer's message not accepted", "event_id", ev.ID, "status", code, "err", err)
				}
				break
			}
		}
		wait = time.Duration(8+rand.IntN(17)) * time.Second
	}
}

// newSandboxSimulator is the sandbox's stream of customers: on its
// default sender, with only events Switchboard applies, template changes
// about the sandbox's own templates, and each story happening as it is
// played, its steps 0.3 to 1.5 s apart.
func newSandboxSimulator(seed uint64, now func() time.Time) *zavu.Simulator {
	sim := zavu.NewSimulator(seed, sandboxSenderID, sandboxPhone, now)
	sim.Sandbox(sandboxTemplates)
	sim.Paced(300*time.Millisecond, 1500*time.Millisecond)
	return sim
}

// registerEvent tells the sandbox's fake Zavu about a webhook event, so
// that it agrees with what the inbox shows: a customer's message is known
// (reacting to it works, opening a photo, voice note or document fetches a
// file, through the paths real ones take), the sender it came to takes
// replies and its WhatsApp window is open; a template's new status is the
// one the next template sync reads.
func registerEvent(fake *zavu.Fake, body []byte) {
	if fake == nil {
		return
	}
	ev, err := zavu.Decode(body)
	if err != nil {
		return
	}
	if t := ev.Template; t != nil && t.Status != "" {
		fake.SetTemplateStatus(t.TemplateID, t.Status, t.RejectionReason)
	}
	in := ev.Inbound
	if in == nil {
		return
	}
	m := zavu.Message{ID: in.MessageID, From: in.From, To: in.To, SenderID: ev.SenderID, Channel: string(in.Channel),
		MessageType: string(in.Type), Text: in.Text}
	if c := in.Content; c != nil {
		m.Content = &zavu.Content{MediaID: c.MediaID, MimeType: c.MimeType, Filename: c.Filename}
	}
	if _, known := fake.Message(m.ID); !known {
		fake.AddInbound(m)
	}
}

// sandboxWebhooks passes every webhook the server accepts (answered 200,
// so signed with a secret it knows) to the sandbox's fake Zavu too: the
// fake then knows the customers, messages and senders of deliveries that
// come from elsewhere (switchboard simulate, a script), and replies to
// them work as they would with Zavu.
func sandboxWebhooks(next http.Handler, fake *zavu.Fake) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/webhooks/zavu" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, web.MaxWebhookBody+1))
		if err != nil {
			http.Error(w, "The request body could not be read.", http.StatusBadRequest)
			return
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == http.StatusOK && len(body) <= web.MaxWebhookBody {
			registerEvent(fake, body)
		}
	})
}

// statusRecorder remembers the status of an answer it passes on.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
