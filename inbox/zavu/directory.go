package zavu

import (
	"context"
	"sync"
	"time"

	"switchboard/inbox"
)

// DirectoryStore is where a Directory keeps what it copies from Zavu.
type DirectoryStore interface {
	SyncSenders(ctx context.Context, ss []inbox.Sender, at time.Time) error
	SyncTemplates(ctx context.Context, ts []inbox.Template) error
}

// Directory copies the project's senders and templates from Zavu into the
// store and remembers how the last sync of each went. It is safe for
// concurrent use.
type Directory struct {
	Client *Client
	Store  DirectoryStore
	Now    func() time.Time // nil for time.Now

	mu        sync.Mutex
	senders   inbox.SyncResult
	templates inbox.SyncResult
}

// syncTimeout bounds one sync, all pages.
const syncTimeout = time.Minute

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// SyncSenders copies every sender Zavu lists, with its webhook settings.
func (d *Directory) SyncSenders(ctx context.Context) (int, error) {
	return d.sync(ctx, &d.senders, d.syncSenders)
}

// sync runs one sync within syncTimeout and remembers how it went in
// last.
func (d *Directory) sync(ctx context.Context, last *inbox.SyncResult, run func(context.Context, time.Time) (int, error)) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	at := d.now()
	n, err := run(ctx, at)
	d.mu.Lock()
	*last = inbox.SyncResult{At: at, Count: n, Err: err}
	d.mu.Unlock()
	return n, err
}

func (d *Directory) syncSenders(ctx context.Context, at time.Time) (int, error) {
	ss, err := d.Client.Senders(ctx)
	if err != nil {
		return 0, err
	}
	out := make([]inbox.Sender, 0, len(ss))
	for _, s := range ss {
		x := inbox.Sender{ID: s.ID, Name: s.Name, Phone: s.PhoneNumber, IsDefault: s.IsDefault}
		if s.Webhook != nil && s.Webhook.URL != "" {
			x.Webhook = &inbox.SenderWebhook{URL: s.Webhook.URL, Events: s.Webhook.Events, Active: s.Webhook.Active}
		}
		out = append(out, x)
	}
	if err := d.Store.SyncSenders(ctx, out, at); err != nil {
		return 0, err
	}
	return len(out), nil
}

// SyncTemplates copies every template Zavu lists, with its text.
func (d *Directory) SyncTemplates(ctx context.Context) (int, error) {
	return d.sync(ctx, &d.templates, d.syncTemplates)
}

func (d *Directory) syncTemplates(ctx context.Context, at time.Time) (int, error) {
	ts, err := d.Client.Templates(ctx)
	if err != nil {
		return 0, err
	}
	out := make([]inbox.Template, 0, len(ts))
	for _, t := range ts {
		out = append(out, inbox.Template{ID: t.ID, Name: t.Name, Language: t.Language, Status: t.Status,
			Category: t.Category, RejectionReason: t.RejectionReason, Body: t.Body, UpdatedAt: at})
	}
	if err := d.Store.SyncTemplates(ctx, out); err != nil {
		return 0, err
	}
	return len(out), nil
}

// SendersSynced is how the last sender sync went.
func (d *Directory) SendersSynced() inbox.SyncResult {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.senders
}

// TemplatesSynced is how the last template sync went.
func (d *Directory) TemplatesSynced() inbox.SyncResult {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.templates
}
