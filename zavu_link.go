package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
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
		SenderID: "snd_sandbox", Phone: "+15550100000",
		WebhookURL: webhookURL, WebhookSecret: secret,
		StatusDelay: 1500 * time.Millisecond, FailureRate: 0.08, PageSize: 50,
		Log: log.With("component", "sandbox-zavu"),
	})
	fake.SetTemplates(sandboxTemplates)
	client := zavu.NewClient("http://zavu.sandbox", "zv_test_sandbox",
		zavu.WithHTTPClient(&http.Client{Transport: fake.Transport()}))
	return &zavuLink{client: client, fake: fake}
}

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
func syncTemplates(ctx context.Context, client *zavu.Client, db *store.DB, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ts, err := client.Templates(ctx)
	if err != nil {
		log.Warn("templates not synced from Zavu; the picker shows what was synced before", "err", err)
		return
	}
	out := make([]inbox.Template, 0, len(ts))
	for _, t := range ts {
		out = append(out, inbox.Template{ID: t.ID, Name: t.Name, Language: t.Language, Status: t.Status,
			RejectionReason: t.RejectionReason, Body: t.Body, UpdatedAt: time.Now()})
	}
	if err := db.SyncTemplates(ctx, out); err != nil {
		log.Error("templates not stored", "err", err)
		return
	}
	log.Info("templates synced from Zavu", "count", len(out))
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

func (t *templateSyncer) run(ctx context.Context, client *zavu.Client, db *store.DB, log *slog.Logger) {
	syncTemplates(ctx, client, db, log)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
			syncTemplates(ctx, client, db, log)
		}
	}
}
