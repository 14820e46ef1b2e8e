// Package web serves Switchboard over HTTP: the Zavu webhook, the JSON API,
// the health check, the agents' pages and their live updates.
//
// # Live updates
//
// Whoever commits a change (a webhook, an agent's action, the outbox)
// hands its inbox.Change to Hub.Publish after the commit. Publish numbers
// it and queues it without ever blocking; a full queue drops it and later
// makes every page fetch again (a resync).
//
// One render goroutine takes what is queued, waits a few milliseconds for
// more (a burst costs one render; under a steady stream it renders at most
// every 50 ms, as each render is a message to every page that shows what
// changed, and further apart, up to 200 ms, when rendering and writing to
// the pages take over half that time), loads the messages, conversations
// and contacts from the store a few statements for all, and renders each
// fragment once, the same bytes for every
// agent: a bubble per message, and per conversation its list row and its
// thread's header, details and composer. Nothing per agent is in them:
// times go out as UTC <time datetime>, the unread count as the
// conversation's inbound count beside the reader's mark, the assignee as
// an id. The page (static/app.js) personalises them from the signed-in
// user's id and time zone on <body> (data-user-id, data-tz): "Assign to
// me", "(me)" in the picker, the agent's own unread counts and replies,
// local times. The assignee picker's teammates are rendered once in the
// page (TeamOptions) and sent again only when the team changes. What every
// row has alike (the link's attributes, the checkbox, the channel badge) is
// once in the page too (RowParts): a live row (LiveRow) leaves it out, and
// app.js puts it back. So is the reaction picker's set (ReactOptions),
// once per thread. A conversation's row and thread parts go only when they
// differ from what the hub last sent of them (threadSent): a reply's status
// sends its bubble alone. A few messages go to one agent's pages only
// (Hub.sendUser): a notice, a read mark, and "mention" / "mentions" for the
// Mentions badge (see Server.mentioned); they wait up to 50 ms for the
// next update, to reach each page in the same message. Notes and activity
// lines are messages like any other: they travel as bubbles.
//
// The hub goroutine owns the connected pages and only routes bytes. Each
// page subscribes over its websocket with a small JSON message: its list
// view (view, sender, channel, and the ids of the rows it shows) and its
// open conversation. It gets the bubbles and thread parts of that
// conversation only, and for its list a row to insert, move or update for
// each changed conversation the filter matches, or a removal for a shown
// row that no longer matches; app.js places rows in order of their latest
// message without losing the agent's scroll, focus or draft. Never a
// signal to re-fetch the list.
//
// Every page and fragment carries the stream's position when it was read
// (data-live-epoch, data-live-seq: the server's run and the number of the
// last change published before the read), and every update the position it
// brings the page to. A page subscribes "since" its position; the hub
// keeps its recent updates and replays what came after, and any update
// that read the store after the page may have (what a later update then
// leaves out as sent), so nothing committed between a page's render and
// its subscription, or while it was reconnecting, is lost. When the hub no longer has them (another run, too
// long ago, or dropped changes) it tells the page to resync: fetch its list
// and thread once, then subscribe again from their position. A page back
// after being cut off fetches them at once too, for what its agent did
// meanwhile in other tabs (a conversation read) is in no update, and
// subscribes from where it was, for the rest (the views' counts).
//
// Each page's message is one websocket frame written with one writev
// from the shared fragments, nothing copied. The hub goroutine writes it
// itself when the page's socket takes it without waiting (live_direct.go):
// no goroutine is woken per page. Otherwise the page's write pump waits
// for the socket and sends what waits for it as one message. A page that
// cannot keep up (its queue of 64 messages is full) is dropped with 1013
// and reconnects. Signing out, an expired or
// deleted session, deactivation and a password reset close the session's
// sockets with 1008, on which the page goes to the sign-in page; each
// socket checks its session every 30 seconds (the pages of one session
// share an answer of the last 15 seconds). A session that ended while the
// server was away refuses the socket with 401, which a page cannot see:
// a page whose socket is refused asks /ws plainly, and goes to the
// sign-in page on 401. A page over its limits (too many subscriptions or
// presence messages a minute) is closed with 4029, a message too big with
// 1009: it waits 5 s, doubling to a minute, and says so. A page past its
// agent's 20 live pages is closed with 4008, says why, and tries again
// now and then.
//
// Presence (presence.go) rides on the same sockets: a page viewing a
// thread says so every 2 s while visible, and whether its agent is typing;
// the hub keeps it in memory, lets it expire, and sends each thread's
// viewers to the pages that show the thread.
package web

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// MaxWebhookBody is the largest webhook body accepted; Zavu's events are a
// few kilobytes.
const MaxWebhookBody = 512 << 10

// Webhooks checks and decodes Zavu webhook deliveries. inbox/zavu provides
// the implementation.
type Webhooks interface {
	// VerifyDecoded returns an error unless header is a valid, fresh
	// signature of body by one of the secrets in force for it; ev is what
	// Decode made of body (nil if it refused it). signer is the sender
	// whose own secret signed it, "" when one of the project's did.
	VerifyDecoded(ctx context.Context, header string, body []byte, ev *inbox.Event) (signer string, err error)
	// Decode returns an error only when body is not a JSON object with an
	// id and a type; payload problems are kept in Event.DecodeErr.
	Decode(body []byte) (*inbox.Event, error)
	// DecodeEnvelope is Decode without the payload (Event.PayloadLater),
	// for the acknowledgement; the projection decodes the rest.
	DecodeEnvelope(body []byte) (*inbox.Event, error)
}

// Config is what the web layer needs to know about its deployment.
type Config struct {
	BaseURL *url.URL // the public URL; https turns on Secure cookies and HSTS
	Sandbox bool     // no Zavu API key: pages say so
	// MediaDir is where inbound media fetched from Zavu is kept.
	MediaDir string
	// FilesDir keeps the files agents attach; FilesKey signs the links
	// Zavu fetches them from. Both empty: no attachments.
	FilesDir string
	FilesKey []byte
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Real-IP headers are believed; nil for DefaultTrustedProxies.
	TrustedProxies []netip.Prefix
	// MetricsToken is the bearer token GET /metrics wants; empty: no
	// /metrics.
	MetricsToken string
	// FormKey signs the CSRF tokens of the forms shown before sign-in.
	// Empty: a random key, so such forms expire when the server restarts.
	FormKey []byte
	// Version is the Switchboard version serving: the webhook log tells
	// the events another version failed to apply.
	Version string
	// LivePagesPerUser caps the live pages (websockets) one user may have
	// open at once; 0 for 20.
	LivePagesPerUser int
}

// Server is Switchboard's HTTP surface.
type Server struct {
	cfg       Config
	store     inbox.Store
	webhooks  Webhooks
	publisher inbox.Publisher
	log       *slog.Logger
	now       func() time.Time

	echo        *echo.Echo
	routeKeys   map[string]bool // "METHOD /path" of every route (routes)
	sigFailures *failureCounter
	failLog     *logLimiter // failures that repeat with every request
	tokens      *tokenTouches
	badTokens   *tokenFailures // API tokens that were not valid, per client address
	badMetrics  *tokenFailures // metrics tokens that were not valid, apart (handleMetrics)
	sessions    *scs.SessionManager
	logins      *loginLimiter
	hub         *Hub
	livePages   pageCounter
	outbox      Waker
	templates   Waker
	directory   Directory
	media       *mediaCache
	reactor     Reactor
	files       *fileStore
	receipts    ReadMarker
	metrics     *Metrics
	backlog     Backlog
	upkeep      Upkeep
	formKey     []byte
	// liveSessionCheck is how often each live connection checks its
	// session (wsSessionCheck; shorter in tests).
	liveSessionCheck time.Duration
	liveSessions     sessionChecks // the periodic checks, shared by a session's pages
	liveNames        liveNames     // the render goroutine's
	snoozes          Waker         // the snooze timer; may be nil
	undos            undoBook      // bulk actions that may be undone
	notifier         *notifier
	// The other processes on the database (relay.go); live is nil
	// without them.
	live               inbox.LiveBus
	liveStop, liveDone chan struct{}
	liveStopOnce       sync.Once
	relayNames         relayNames
}

// Reactor sends the business's reaction to a customer's message.
type Reactor interface {
	React(ctx context.Context, zavuMessageID, emoji string) error
}

// Directory copies the project's senders and templates from Zavu into the
// store, and says how the last sync of each went.
type Directory interface {
	SyncSenders(ctx context.Context) (int, error)
	SyncTemplates(ctx context.Context) (int, error)
	SendersSynced() inbox.SyncResult
	TemplatesSynced() inbox.SyncResult
}

// Waker is told when a reply was queued, so the outbox sends it now
// rather than at its next look.
type Waker interface{ Wake() }

// Deps are the Server's collaborators.
type Deps struct {
	Store     inbox.Store
	Webhooks  Webhooks
	Publisher inbox.Publisher // also told of every change; may be nil
	Sessions  scs.Store       // where browser sessions live
	Outbox    Waker           // the outbox worker; may be nil
	Templates Waker           // syncs templates from Zavu; may be nil
	Directory Directory       // syncs senders and templates when an admin asks; may be nil
	Media     MediaSource     // where inbound media is; nil: not shown
	Reactor   Reactor         // puts the team's emoji on a message; nil: no reactions
	Receipts  ReadMarker      // marks customers' messages read; may be nil
	// MediaClient downloads media; nil for SafeMediaClient (https only,
	// public addresses only).
	MediaClient *http.Client
	Logger      *slog.Logger
	Now         func() time.Time // nil for time.Now
	Metrics     *Metrics         // what /metrics shows; nil: nothing is counted
	Backlog     Backlog          // pending events and the outbox, for /metrics and /readyz; may be nil
	Upkeep      Upkeep           // scheduled backups and retention; nil: none
	Snoozes     Waker            // told when a snooze changes (inbox.SnoozeTimer); may be nil
	// PushClient delivers Web Push messages; nil for one that, like
	// SafeMediaClient, reaches only public https push services.
	PushClient *http.Client
	// Live carries live updates to and from the other Switchboard
	// processes on the same database (store.LiveBus on PostgreSQL); nil
	// when this process is the only one.
	Live inbox.LiveBus
}

// New builds the Server and its routes.
func New(cfg Config, d Deps) *Server {
	s := &Server{
		cfg:         cfg,
		store:       d.Store,
		webhooks:    d.Webhooks,
		publisher:   d.Publisher,
		log:         d.Logger,
		now:         d.Now,
		sigFailures: newFailureCounter(1024),
		tokens:      newTokenTouches(),
		outbox:      d.Outbox,
		templates:   d.Templates,
		directory:   d.Directory,
		reactor:     d.Reactor,
		receipts:    d.Receipts,
		metrics:     d.Metrics,
		backlog:     d.Backlog,
		upkeep:      d.Upkeep,
		snoozes:     d.Snoozes,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.failLog = newLogLimiter(s.log, time.Second, time.Now)
	s.logins = newLoginLimiter(loginWindow, s.now)
	s.badTokens = newTokenFailures(tokenFailureLimit, tokenFailureWindow, tokenFailureAddresses, s.now)
	s.badMetrics = newTokenFailures(tokenFailureLimit, tokenFailureWindow, tokenFailureAddresses, s.now)
	if sl, ok := d.Store.(sharedLogins); ok && sl.SharesLogins() {
		s.logins.shared, s.logins.log = sl, s.log
	}
	if d.Media != nil && cfg.MediaDir != "" {
		client := d.MediaClient
		if client == nil {
			client = SafeMediaClient()
		}
		s.media = &mediaCache{dir: cfg.MediaDir, source: d.Media, client: client, inFlight: map[string]*sync.Mutex{}}
	}
	if cfg.FilesDir != "" && len(cfg.FilesKey) >= 16 {
		s.files = &fileStore{dir: cfg.FilesDir, key: cfg.FilesKey}
	}
	if s.cfg.Version == "" {
		s.cfg.Version = "dev" // as the store records it by default
	}
	s.formKey = cfg.FormKey
	if len(s.formKey) < 16 {
		s.formKey = make([]byte, 32)
		_, _ = rand.Read(s.formKey)
	}
	s.sessions = newSessions(d.Sessions, s.https())
	s.liveSessionCheck = wsSessionCheck
	s.hub = newHub(s, s.log)
	s.notifier = newNotifier(s, d.PushClient)
	if d.Live != nil {
		s.startRelay(d.Live)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	trusted := cfg.TrustedProxies
	if trusted == nil {
		trusted = DefaultTrustedProxies
	}
	e.IPExtractor = clientAddresses(trusted)
	s.echo = e
	// Before every other middleware: a HEAD is routed as its GET, and is
	// a HEAD again once routed (routes.go).
	e.Pre(s.headAsGET)
	e.Use(restoreHEAD, s.measureRequests)
	s.routes()
	if s.metrics != nil {
		s.metrics.watchServer(s)
	}
	if d.Webhooks != nil {
		// Stored webhooks become conversations as soon as they are
		// stored; those an earlier run left pending, first.
		d.Store.Project(inbox.Projection{Decode: d.Webhooks.Decode,
			Apply: inbox.IngestWithAutoReplies(s.now), Applied: s.announce})
	}
	return s
}

// Routes lists every route as "METHOD /path", sorted.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.echo.Routes() {
		if strings.HasPrefix(r.Method, "echo_") { // echo's own not-found routes of groups
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ServeHTTP makes the Server an http.Handler. On a connection from the
// ConnListener's reserve only webhooks are served; downloads and uploads
// get longer write deadlines than the server's WriteTimeout.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if refuseOutsideReserve(w, r) {
		return
	}
	extendDeadline(w, r)
	s.echo.ServeHTTP(w, r)
}

// Hub is the live-update hub; every change the server commits goes
// through it.
func (s *Server) Hub() *Hub { return s.hub }

// Close disconnects the live pages, telling them to reconnect, and stops
// notifications. Call it when the HTTP server shuts down: hijacked
// websockets are not waited for.
func (s *Server) Close() {
	s.stopRelay()
	s.hub.Close()
	s.notifier.close()
}

// SignatureFailures returns how many webhook deliveries each source address
// sent with no valid signature since start.
func (s *Server) SignatureFailures() map[string]int64 {
	out := map[string]int64{}
	for _, f := range s.sigFailures.snapshot() {
		out[f.Address] = f.Count
	}
	return out
}

func (s *Server) livePagesPerUser() int {
	if s.cfg.LivePagesPerUser > 0 {
		return s.cfg.LivePagesPerUser
	}
	return maxLivePages
}

func (s *Server) https() bool { return s.cfg.BaseURL != nil && s.cfg.BaseURL.Scheme == "https" }
