package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
)

// zavuLink is how Switchboard reaches Zavu: the real API with the key, or
// in sandbox mode the built-in fake Zavu, which accepts sends and plays
// their delivery statuses back as signed webhooks to our own endpoint,
// through the same path real ones take.
type zavuLink struct {
	client *zavu.Client
	fake   *zavu.Fake // sandbox only
}

func newZavuLink(cfg Config, webhookURL, secret string, log *slog.Logger) *zavuLink {
	if !cfg.Sandbox() {
		return &zavuLink{client: zavu.NewClient(cfg.ZavuAPIURL.String(), cfg.ZavuAPIKey)}
	}
	fake := zavu.NewFake(zavu.FakeOptions{
		SenderID: sandboxSenderID, Phone: sandboxPhone,
		WebhookURL: webhookURL, WebhookSecret: secret,
		StatusDelay: 1500 * time.Millisecond, FailureRate: 0.08, PageSize: 50,
		Log: log.With("component", "sandbox-zavu"),
	})
	fake.SetTemplates(sandboxTemplates)
	fake.SetSenders([]zavu.Sender{{
		ID: sandboxSenderID, Name: "Sandbox", PhoneNumber: sandboxPhone, IsDefault: true,
		Webhook: &zavu.SenderWebhook{URL: cfg.BaseURL.String() + "/webhooks/zavu", Events: sandboxEvents(), Active: true},
	}})
	client := zavu.NewClient("http://zavu.sandbox", "zv_test_sandbox",
		zavu.WithHTTPClient(&http.Client{Transport: fake.Transport()}))
	return &zavuLink{client: client, fake: fake}
}

// The sandbox's default sender and its number.
const (
	sandboxSenderID = "snd_sandbox"
	sandboxPhone    = "+15550100000"
)

// mediaClient downloads media: from the fake in sandbox mode; nil (the
// web layer's safe client: https, public addresses only) otherwise.
func (z *zavuLink) mediaClient() *http.Client {
	if z.fake == nil {
		return nil
	}
	return &http.Client{Transport: z.fake.Transport(), Timeout: 30 * time.Second}
}

func (z *zavuLink) close() {
	if z.fake != nil {
		_ = z.fake.Close()
	}
}

// sandboxEvents are the events the sandbox sender's webhook sends: all
// Switchboard needs.
func sandboxEvents() []string {
	out := make([]string, len(inbox.SenderEvents))
	for i, e := range inbox.SenderEvents {
		out[i] = string(e)
	}
	return out
}

// sandboxTemplates are the approved templates the sandbox offers when the
// WhatsApp window has closed.
var sandboxTemplates = []zavu.Template{
	{ID: "tmpl_sandbox_follow_up", Name: "follow_up", Language: "en", Status: "approved", Category: "UTILITY",
		Body: "Hi {{1}}, we are following up on your message. Reply here to continue the conversation."},
	{ID: "tmpl_sandbox_order_update", Name: "order_update", Language: "en", Status: "approved", Category: "UTILITY",
		Body: "Hi {{1}}, your order {{2}} is on its way and should arrive {{3}}."},
	{ID: "tmpl_sandbox_promo", Name: "spring_promo", Language: "en", Status: "pending", Category: "MARKETING",
		Body: "Spring sale: 20% off everything until Sunday."},
}

// syncTemplates copies Zavu's templates, with their text, into the store.
func syncTemplates(ctx context.Context, dir *zavu.Directory, log *slog.Logger) {
	n, err := dir.SyncTemplates(ctx)
	if err != nil {
		log.Warn("templates not synced from Zavu; the picker shows what was synced before", "err", err)
		return
	}
	log.Info("templates synced from Zavu", "count", n)
}

// syncSenders copies Zavu's senders, with their webhook settings, into the
// store.
func syncSenders(ctx context.Context, dir *zavu.Directory, log *slog.Logger) {
	n, err := dir.SyncSenders(ctx)
	if err != nil {
		log.Warn("senders not synced from Zavu; the admin page says why", "err", err)
		return
	}
	log.Info("senders synced from Zavu", "count", n)
}

// templateSyncer syncs templates at start and again, shortly after, each
// time a template.status_changed webhook says one changed.
type templateSyncer struct {
	wake chan struct{}
}

func newTemplateSyncer() *templateSyncer { return &templateSyncer{wake: make(chan struct{}, 1)} }

// Wake asks for a sync; it never blocks.
func (t *templateSyncer) Wake() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *templateSyncer) run(ctx context.Context, dir *zavu.Directory, log *slog.Logger) {
	syncTemplates(ctx, dir, log)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
			syncTemplates(ctx, dir, log)
		}
	}
}
