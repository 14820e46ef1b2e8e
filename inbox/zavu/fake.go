package zavu

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// FakeOptions configures a Fake. The zero value is a fake that needs no
// API key and plays no webhooks.
type FakeOptions struct {
	// APIKey, when set, must come as "Authorization: Bearer <APIKey>";
	// anything else gets 401.
	APIKey string
	// SenderID, Phone and ProjectID stand for the project's default
	// sender; defaults snd_sandbox, +15550100000, prj_sandbox.
	SenderID  string
	Phone     string
	ProjectID string
	// PageSize caps every page of a list, whatever limit asks for, so
	// that a few items already span pages; default 3.
	PageSize int

	// Status playback. After each accepted send the fake plays the
	// message's statuses as webhooks: to Webhook when set (called from
	// playback goroutines, possibly at once for several messages), else
	// POSTed to WebhookURL signed with WebhookSecret. Neither set: no
	// playback.
	Webhook       func(body []byte) error
	WebhookURL    string
	WebhookSecret string
	// HTTPClient posts to WebhookURL; default a client with a 10 s timeout.
	HTTPClient *http.Client
	// StatusDelay is the typical pause between two statuses of a message
	// (each pause is drawn between half and one and a half times it;
	// "read" takes three times longer). 0 means 1 s; a negative value
	// means no pause at all, for tests.
	StatusDelay time.Duration
	// FailureRate is the share of accepted sends (0 to 1) that end in
	// message.failed instead of being delivered.
	FailureRate float64
	// Seed makes the order of delays and failures reproducible (playback
	// runs in send order); 0 seeds from the clock. Ids are unique per
	// Fake whatever the seed, so a restarted sandbox never reuses one.
	// clock.
	Seed uint64

	// MediaBaseURL is where the mediaUrl of inbound media points
	// (<MediaBaseURL>/media/<message id>, served by the fake); default
	// the scheme and host the request came to.
	MediaBaseURL string
	// Now is the clock for timestamps and signatures; default time.Now.
	Now func() time.Time
	// Log receives webhook deliveries that failed; default discard.
	Log *slog.Logger
}

// Failure is an answer the fake gives instead of the normal one; see
// Fake.FailNext.
type Failure struct {
	// Status, Code, Message and Details make the error answer
	// {code, message, details}. RetryAfter is sent as a Retry-After of
	// whole seconds; Header adds any other header (a Retry-After date).
	// Body, when set, is sent as it is instead of JSON (a proxy's page).
	Status     int
	Code       string
	Message    string
	Details    json.RawMessage
	RetryAfter time.Duration
	Header     http.Header
	Body       string
	// Delay holds the answer back this long, or until the client gives up
	// (its request context ends) or the fake closes. Without a Status or
	// Drop the request then goes on normally.
	Delay time.Duration
	// Hold, when set, holds the answer back like Delay until it is closed
	// (or Delay passes, when both are set).
	Hold <-chan struct{}
	// Drop closes the connection without an answer.
	Drop bool
	// AfterAccept applies the failure to POST /v1/messages only after the
	// send was accepted: Zavu has the message but the caller never hears
	// of it. The retry with the same idempotency key must not send again.
	AfterAccept bool
	// AnyPath lets the failure hit the next request to any path; by
	// default only POST /v1/messages consumes failures.
	AnyPath bool
	// FailAtOnce makes POST /v1/messages take the send and answer it
	// with status "failed", Code and Message as its errorCode and
	// errorMessage: a message Zavu took (it has an id) but could not
	// send. No statuses are played back for it.
	FailAtOnce bool
}

// Fake is a fake Zavu API speaking Zavu's wire format, for tests and for
// sandbox mode. It serves POST /v1/messages (validated like Zavu, with
// idempotency keys), GET /v1/messages/{id}, POST /v1/messages/{id}/
// reactions and /typing, GET /v1/templates and /v1/senders (cursor-paged),
// and GET /media/{id} for inbound media. It is safe for concurrent use.
type Fake struct {
	opts FakeOptions
	mux  *http.ServeMux

	mu        sync.Mutex
	rng       *rand.Rand // delays and failures only
	run       string     // makes ids unique across fakes and restarts
	seq       int
	messages  map[string]*Message
	sent      []string          // ids of accepted sends, in order
	byKey     map[string]string // idempotency key -> message id
	sends     map[string]int    // accepted sends per key
	requests  map[string]int    // POST /v1/messages per key, failed ones too
	convs     map[string]string // sender|to|channel -> conversation id
	templates []Template
	senders   []Sender
	failures  []Failure
	failWhen  func(SendRequest) (Failure, bool)
	reactions map[string]string
	typing    map[string]int
	// lastInbound is when the customer of each conversation last wrote,
	// which opens WhatsApp's 24-hour window.
	lastInbound map[string]time.Time
	// seenSenders are the senders inbound messages came to, with the
	// number they came to: replies on them are accepted like the
	// listed senders'.
	seenSenders map[string]string
	// mediaStatus answers GET /media/{id} with a status instead of the file.
	mediaStatus map[string]int
	closed      bool

	ctx    context.Context // ends when Close is called
	cancel context.CancelFunc
	wg     sync.WaitGroup // playback goroutines
}

// NewFake returns a fake Zavu API. Call Close when done with it.
func NewFake(opts FakeOptions) *Fake {
	if opts.SenderID == "" {
		opts.SenderID = "snd_sandbox"
	}
	if opts.Phone == "" {
		opts.Phone = "+15550100000"
	}
	if opts.ProjectID == "" {
		opts.ProjectID = "prj_sandbox"
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 3
	}
	if opts.StatusDelay == 0 {
		opts.StatusDelay = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Fake{
		opts:      opts,
		rng:       rand.New(rand.NewPCG(seed, seed^0x2a7a)),
		run:       fmt.Sprintf("%08x", rand.Uint32()),
		messages:  map[string]*Message{},
		byKey:     map[string]string{},
		sends:     map[string]int{},
		requests:  map[string]int{},
		convs:     map[string]string{},
		reactions: map[string]string{},
		typing:    map[string]int{},
		ctx:       ctx,
		cancel:    cancel,

		lastInbound: map[string]time.Time{},
		seenSenders: map[string]string{},
		mediaStatus: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", f.handleSend)
	mux.HandleFunc("GET /v1/messages/{id}", f.handleGet)
	mux.HandleFunc("POST /v1/messages/{id}/reactions", f.handleReact)
	mux.HandleFunc("POST /v1/messages/{id}/typing", f.handleTyping)
	mux.HandleFunc("GET /v1/templates", f.handleTemplates)
	mux.HandleFunc("GET /v1/senders", f.handleSenders)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "No route "+r.Method+" "+r.URL.Path, nil)
	})
	f.mux = mux
	return f
}

// Close stops status playback and waits for the playback goroutines to
// end. A hung request (Failure.Delay) ends too. The fake still answers
// requests afterwards, without playback.
func (f *Fake) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
	return nil
}

// FailNext makes the next n matching requests fail with fl, after any
// failures already queued. Failures are consumed in order: one waiting for
// POST /v1/messages lets requests to other paths through.
func (f *Fake) FailNext(n int, fl Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.failures = append(f.failures, fl)
	}
}

// FailWhen makes each POST /v1/messages that no queued failure (FailNext)
// answers ask rule first: when it returns true, its Failure applies to
// that send. rule sees the decoded request (to pick a recipient, a key or
// a text) and is called with no lock held. nil removes the rule.
func (f *Fake) FailWhen(rule func(SendRequest) (Failure, bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWhen = rule
}

// SetTemplates replaces the templates GET /v1/templates serves.
func (f *Fake) SetTemplates(ts []Template) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.templates = append([]Template(nil), ts...)
}

// SetTemplateStatus changes the status of the template with id, as Meta's
// review does; false when there is no such template.
func (f *Fake) SetTemplateStatus(id, status, rejectionReason string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.templates {
		if f.templates[i].ID == id {
			f.templates[i].Status, f.templates[i].RejectionReason = status, rejectionReason
			return true
		}
	}
	return false
}

// FailMedia makes the file behind message messageID's mediaUrl answer
// status (403, 404 or 410: a link that expired; 5xx: a file server in
// trouble) until FailMedia(messageID, 0) serves it again.
func (f *Fake) FailMedia(messageID string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if status == 0 {
		delete(f.mediaStatus, messageID)
	} else {
		f.mediaStatus[messageID] = status
	}
}

// SetSenders replaces the senders GET /v1/senders serves. When some are
// set, a Zavu-Sender header must name one of them.
func (f *Fake) SetSenders(ss []Sender) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.senders = append([]Sender(nil), ss...)
}

// AddInbound registers a message a customer sent, so that GET
// /v1/messages/{id}, reactions and typing find it. Missing fields are
// filled in (id, status received, direction inbound, the default sender);
// a media message gets a mediaUrl served by the fake. Its sender is
// accepted on replies from then on, and its conversation's WhatsApp
// window is open for 24 hours. It returns the message as stored.
func (f *Fake) AddInbound(m Message) Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.ID == "" {
		m.ID = f.newID("msg")
	}
	if m.Direction == "" {
		m.Direction = "inbound"
	}
	if m.Status == "" {
		m.Status = "received"
	}
	if m.Channel == "" {
		m.Channel = "whatsapp"
	}
	if m.MessageType == "" {
		m.MessageType = "text"
	}
	if m.SenderID == "" {
		m.SenderID = f.opts.SenderID
	}
	if m.To == "" {
		m.To = f.opts.Phone
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = f.opts.Now().UTC()
	}
	if m.ConversationID == "" {
		m.ConversationID = f.conversation(m.SenderID, m.From, m.Channel)
	}
	if m.Direction == "inbound" {
		if _, ok := f.seenSenders[m.SenderID]; !ok {
			f.seenSenders[m.SenderID] = m.To
		}
		if m.CreatedAt.After(f.lastInbound[m.ConversationID]) {
			f.lastInbound[m.ConversationID] = m.CreatedAt
		}
	}
	m = cloneMessage(m)
	f.messages[m.ID] = &m
	return cloneMessage(m)
}

// Message returns a message the fake holds, with its current status.
func (f *Fake) Message(id string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.messages[id]
	if !ok {
		return Message{}, false
	}
	return cloneMessage(*m), true
}

// Sent returns every accepted send once, in order, with its current
// status. A resend with a known idempotency key adds nothing.
func (f *Fake) Sent() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Message, 0, len(f.sent))
	for _, id := range f.sent {
		out = append(out, cloneMessage(*f.messages[id]))
	}
	return out
}

// SendsFor is how many messages were accepted with idempotency key key:
// 1 however often it was retried, 0 when none got through.
func (f *Fake) SendsFor(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sends[key]
}

// RequestsFor is how many POST /v1/messages carried key, including those
// answered with an injected failure.
func (f *Fake) RequestsFor(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

// Reaction is the emoji the business last put on a message, "" for none.
func (f *Fake) Reaction(messageID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reactions[messageID]
}

// TypingCount is how many times typing was shown for a message.
func (f *Fake) TypingCount(messageID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.typing[messageID]
}

// ServeHTTP answers one request as Zavu would.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/media/") && r.Method == http.MethodGet {
		f.serveMedia(w, r) // media links work without the API key, like signed URLs
		return
	}
	if f.opts.APIKey != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(f.opts.APIKey)) != 1 {
			writeError(w, http.StatusUnauthorized, "unauthorized", "Invalid or missing API key", nil)
			return
		}
	}
	f.mux.ServeHTTP(w, r)
}

// takeFailure pops the next failure when it applies to this request.
func (f *Fake) takeFailure(r *http.Request) (Failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.failures) == 0 {
		return Failure{}, false
	}
	fl := f.failures[0]
	if !fl.AnyPath && (r.Method != http.MethodPost || r.URL.Path != "/v1/messages") {
		return Failure{}, false
	}
	f.failures = f.failures[1:]
	return fl, true
}

// fail applies fl and reports whether it answered the request; false
// means the request goes on normally (a pure delay).
func (f *Fake) fail(w http.ResponseWriter, r *http.Request, fl Failure) bool {
	if fl.Delay > 0 || fl.Hold != nil {
		var elapsed <-chan time.Time
		if fl.Delay > 0 {
			t := time.NewTimer(fl.Delay)
			defer t.Stop()
			elapsed = t.C
		}
		select {
		case <-elapsed:
		case <-fl.Hold:
		case <-r.Context().Done():
			return true // the client is gone
		case <-f.ctx.Done():
			writeError(w, http.StatusServiceUnavailable, "service_unavailable", "The server is shutting down", nil)
			return true
		}
	}
	if fl.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if fl.Status == 0 {
		return false
	}
	for k, vs := range fl.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	if fl.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(fl.RetryAfter.Seconds()))))
	}
	if fl.Body != "" {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		w.WriteHeader(fl.Status)
		io.WriteString(w, fl.Body)
		return true
	}
	code, msg := fl.Code, fl.Message
	if code == "" {
		code = defaultCode(fl.Status)
	}
	if msg == "" {
		msg = http.StatusText(fl.Status)
	}
	writeError(w, fl.Status, code, msg, fl.Details)
	return true
}

func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "validation_error"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusPaymentRequired:
		return "insufficient_balance"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	}
	if status >= 500 {
		return "internal_error"
	}
	return strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}

// The channels and message types Zavu takes.
var (
	fakeChannels = map[string]bool{"auto": true, "sms": true, "whatsapp": true, "telegram": true,
		"email": true, "instagram": true, "messenger": true, "voice": true}
	fakeTypes = map[string]bool{"text": true, "image": true, "video": true, "audio": true, "document": true,
		"sticker": true, "location": true, "contact": true, "buttons": true, "list": true, "reaction": true,
		"template": true}
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

func (f *Fake) handleSend(w http.ResponseWriter, r *http.Request) {
	var body SendRequest // the sender comes in its header
	decodeErr := decodeBody(r, &body)
	if decodeErr == nil && body.IdempotencyKey != "" {
		f.mu.Lock()
		f.requests[body.IdempotencyKey]++
		f.mu.Unlock()
	}
	fl, failing := f.takeFailure(r)
	if !failing && decodeErr == nil {
		f.mu.Lock()
		rule := f.failWhen
		f.mu.Unlock()
		if rule != nil {
			fl, failing = rule(body)
		}
	}
	if failing && !fl.AfterAccept && f.fail(w, r, fl) {
		return
	}
	if decodeErr != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", decodeErr.Error(), nil)
		return
	}
	senderID := strings.TrimSpace(r.Header.Get("Zavu-Sender"))
	f.mu.Lock()
	msg, status, apiErr := f.accept(senderID, body)
	var play *playback
	switch {
	case apiErr != nil || status != http.StatusCreated:
	case failing && fl.FailAtOnce:
		stored := f.messages[msg.ID]
		stored.Status, stored.ErrorCode, stored.ErrorMessage = "failed", fl.Code, fl.Message
		msg = cloneMessage(*stored)
	default:
		play = f.schedule(msg)
	}
	f.mu.Unlock()
	if apiErr != nil {
		writeError(w, apiErr.Status, apiErr.Code, apiErr.Message, apiErr.Details)
		return
	}
	if play != nil {
		go f.play(play)
	}
	if failing && fl.AfterAccept && f.fail(w, r, fl) {
		return
	}
	writeJSON(w, status, map[string]any{"message": msg})
}

// accept validates a send like Zavu and stores it; a known idempotency key
// returns the message already sent (200) instead of a new one (201).
// f.mu is held.
func (f *Fake) accept(senderID string, b SendRequest) (Message, int, *APIError) {
	invalid := func(field, format string, args ...any) (Message, int, *APIError) {
		details, _ := json.Marshal(map[string]string{"field": field})
		return Message{}, 0, &APIError{Status: http.StatusBadRequest, Code: "validation_error",
			Message: fmt.Sprintf(format, args...), Details: details}
	}
	if b.IdempotencyKey != "" {
		if id, ok := f.byKey[b.IdempotencyKey]; ok {
			return cloneMessage(*f.messages[id]), http.StatusOK, nil
		}
	}
	to := strings.TrimSpace(b.To)
	if to == "" {
		return invalid("to", "to is required")
	}
	typ := strings.ToLower(strings.TrimSpace(b.MessageType))
	if typ == "" {
		typ = "text"
	}
	if !fakeTypes[typ] {
		return invalid("messageType", "messageType %q is not supported", b.MessageType)
	}
	ch := strings.ToLower(strings.TrimSpace(b.Channel))
	if ch == "" {
		ch = "auto"
	}
	if !fakeChannels[ch] {
		return invalid("channel", "channel must be one of auto, sms, whatsapp, telegram, email, instagram, messenger, voice; not %q", b.Channel)
	}
	if ch == "auto" {
		ch = "sms"
		if typ != "text" || !e164.MatchString(to) {
			ch = "whatsapp"
		}
	}
	if ch == "sms" && !e164.MatchString(to) {
		return invalid("to", "to must be a phone number in E.164 format, such as +14155551234")
	}
	if ch == "sms" && typ != "text" {
		return invalid("messageType", "messageType %s is only supported on WhatsApp", typ)
	}
	c := b.Content
	if c == nil {
		c = &Content{}
	}
	switch typ {
	case "text":
		if strings.TrimSpace(b.Text) == "" {
			return invalid("text", "text is required for text messages")
		}
	case "image", "video", "audio", "document", "sticker":
		if c.MediaURL == "" && c.MediaID == "" {
			return invalid("content.mediaUrl", "content.mediaUrl is required for %s messages", typ)
		}
	case "template":
		if c.TemplateID == "" {
			return invalid("content.templateId", "content.templateId is required for template messages")
		}
		if len(f.templates) > 0 {
			var found *Template
			for i := range f.templates {
				if f.templates[i].ID == c.TemplateID {
					found = &f.templates[i]
				}
			}
			if found == nil {
				return Message{}, 0, &APIError{Status: http.StatusNotFound, Code: "template_not_found",
					Message: fmt.Sprintf("Template %s not found", c.TemplateID)}
			}
			if found.Status != "" && found.Status != "approved" {
				return invalid("content.templateId", "template %s is %s, not approved", found.Name, found.Status)
			}
		}
	case "buttons":
		if strings.TrimSpace(b.Text) == "" {
			return invalid("text", "text is required for buttons messages")
		}
		if len(c.Buttons) == 0 || len(c.Buttons) > 3 {
			return invalid("content.buttons", "content.buttons takes 1 to 3 buttons, not %d", len(c.Buttons))
		}
	case "reaction":
		if c.Emoji == "" || c.ReactToMessageID == "" {
			return invalid("content.emoji", "content.emoji and content.reactToMessageId are required for reactions")
		}
	}
	if utf8.RuneCountInString(b.Text) > 4096 {
		return invalid("text", "text is longer than 4096 characters")
	}
	from := f.opts.Phone
	if senderID == "" {
		senderID = f.opts.SenderID
	} else if phone, seen := f.seenSenders[senderID]; seen {
		// Customers wrote to this sender: it exists, listed or not.
		if phone != "" {
			from = phone
		}
	} else if len(f.senders) > 0 {
		var found *Sender
		for i := range f.senders {
			if f.senders[i].ID == senderID {
				found = &f.senders[i]
			}
		}
		if found == nil {
			return Message{}, 0, &APIError{Status: http.StatusNotFound, Code: "sender_not_found",
				Message: fmt.Sprintf("Sender %s not found", senderID)}
		}
		if found.PhoneNumber != "" {
			from = found.PhoneNumber
		}
	}
	now := f.opts.Now().UTC()
	m := Message{
		ID: f.newID("msg"), To: to, From: from, SenderID: senderID, Channel: ch, MessageType: typ,
		Direction: "outbound", Status: "queued", Text: b.Text, Metadata: b.Metadata,
		ConversationID: f.conversation(senderID, to, ch), CreatedAt: now, UpdatedAt: now,
	}
	if b.Content != nil {
		cc := *b.Content
		m.Content = &cc
	}
	m = cloneMessage(m)
	f.messages[m.ID] = &m
	f.sent = append(f.sent, m.ID)
	if b.IdempotencyKey != "" {
		f.byKey[b.IdempotencyKey] = m.ID
		f.sends[b.IdempotencyKey]++
	}
	return cloneMessage(m), http.StatusCreated, nil
}

// conversation returns the conversation id of a contact on a sender and
// channel. f.mu is held.
func (f *Fake) conversation(senderID, contact, channel string) string {
	k := senderID + "|" + contact + "|" + channel
	id, ok := f.convs[k]
	if !ok {
		id = f.newID("conv")
		f.convs[k] = id
	}
	return id
}

// newID returns a fresh id such as msg_fk3f9a0c1d000001. f.mu is held.
func (f *Fake) newID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s_fk%s%06d", prefix, f.run, f.seq)
}

func (f *Fake) handleGet(w http.ResponseWriter, r *http.Request) {
	if fl, ok := f.takeFailure(r); ok && f.fail(w, r, fl) {
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	p, ok := f.messages[id]
	var m Message
	if ok {
		m = cloneMessage(*p)
	}
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "message_not_found", fmt.Sprintf("Message %s not found", id), nil)
		return
	}
	if m.Content != nil && m.Content.MediaID != "" && m.Content.MediaURL == "" {
		m.Content.MediaURL = f.mediaBase(r) + "/media/" + url.PathEscape(m.ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": m})
}

func (f *Fake) mediaBase(r *http.Request) string {
	if f.opts.MediaBaseURL != "" {
		return strings.TrimRight(f.opts.MediaBaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (f *Fake) handleReact(w http.ResponseWriter, r *http.Request) {
	if fl, ok := f.takeFailure(r); ok && f.fail(w, r, fl) {
		return
	}
	var body struct {
		Emoji *string `json:"emoji"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error(), nil)
		return
	}
	if body.Emoji == nil {
		writeError(w, http.StatusBadRequest, "validation_error", "emoji is required", json.RawMessage(`{"field":"emoji"}`))
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	defer f.mu.Unlock()
	target, ok := f.messages[id]
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "message_not_found", fmt.Sprintf("Message %s not found", id), nil)
		return
	case target.Channel != "whatsapp":
		writeError(w, http.StatusBadRequest, "unsupported_channel", "Reactions are only supported on WhatsApp", nil)
		return
	}
	if *body.Emoji == "" {
		delete(f.reactions, id)
	} else {
		f.reactions[id] = *body.Emoji
	}
	now := f.opts.Now().UTC()
	to := target.From
	if target.Direction == "outbound" {
		to = target.To
	}
	m := Message{
		ID: f.newID("msg"), To: to, From: f.opts.Phone, SenderID: target.SenderID, Channel: "whatsapp",
		MessageType: "reaction", Direction: "outbound", Status: "queued", Text: *body.Emoji,
		Content:        &Content{Emoji: *body.Emoji, ReactToMessageID: id},
		ConversationID: target.ConversationID, CreatedAt: now, UpdatedAt: now,
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": m})
}

func (f *Fake) handleTyping(w http.ResponseWriter, r *http.Request) {
	if fl, ok := f.takeFailure(r); ok && f.fail(w, r, fl) {
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.messages[id]
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "message_not_found", fmt.Sprintf("Message %s not found", id), nil)
		return
	case m.Channel != "whatsapp" || m.Direction != "inbound":
		writeError(w, http.StatusBadRequest, "validation_error",
			"Typing indicators can only answer an inbound WhatsApp message", nil)
		return
	}
	f.typing[id]++
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

func (f *Fake) handleTemplates(w http.ResponseWriter, r *http.Request) {
	if fl, ok := f.takeFailure(r); ok && f.fail(w, r, fl) {
		return
	}
	f.mu.Lock()
	items := make([]Template, 0, len(f.templates))
	status := r.URL.Query().Get("status")
	for _, t := range f.templates {
		if status == "" || t.Status == status {
			items = append(items, t)
		}
	}
	f.mu.Unlock()
	servePage(w, r, items, f.opts.PageSize)
}

func (f *Fake) handleSenders(w http.ResponseWriter, r *http.Request) {
	if fl, ok := f.takeFailure(r); ok && f.fail(w, r, fl) {
		return
	}
	f.mu.Lock()
	items := append([]Sender(nil), f.senders...)
	f.mu.Unlock()
	for i := range items {
		if items[i].Webhook != nil {
			wh := *items[i].Webhook
			wh.Secret = "" // shown once, at creation
			items[i].Webhook = &wh
		}
	}
	servePage(w, r, items, f.opts.PageSize)
}

// servePage answers {items, nextCursor} for one page of items. The cursor
// is opaque to clients; here it is the offset of the next page.
func servePage[T any](w http.ResponseWriter, r *http.Request, items []T, pageSize int) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "validation_error", "limit must be a number from 1 to 100",
				json.RawMessage(`{"field":"limit"}`))
			return
		}
		limit = n
	}
	limit = min(limit, pageSize)
	offset := 0
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "cur_"))
		if !strings.HasPrefix(c, "cur_") || err != nil || n < 0 || n > len(items) {
			writeError(w, http.StatusBadRequest, "invalid_cursor", "The cursor is not valid", nil)
			return
		}
		offset = n
	}
	end := min(offset+limit, len(items))
	var next *string
	if end < len(items) {
		s := "cur_" + strconv.Itoa(end)
		next = &s
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items[offset:end], "nextCursor": next})
}

// serveMedia serves the file behind an inbound message's mediaUrl: a small
// picture for images, a placeholder for anything else.
func (f *Fake) serveMedia(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/media/")
	f.mu.Lock()
	m, ok := f.messages[id]
	var c Content
	if ok && m.Content != nil {
		c = *m.Content
	}
	failed := f.mediaStatus[id]
	f.mu.Unlock()
	if failed != 0 {
		http.Error(w, http.StatusText(failed), failed)
		return
	}
	if !ok || c.MediaID == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "private, max-age=3600")
	if strings.HasPrefix(c.MimeType, "image/") {
		w.Header().Set("Content-Type", "image/png")
		w.Write(placeholderPNG())
		return
	}
	ct := c.MimeType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	if c.Filename != "" {
		w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", c.Filename))
	}
	fmt.Fprintf(w, "sandbox media %s for message %s\n", c.MediaID, id)
}

var placeholderPNG = sync.OnceValue(func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{R: uint8(120 + x), G: uint8(140 + y), B: 200, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// playback is the status story of one accepted message.
type playback struct {
	msg   Message
	steps []playStep
}

type playStep struct {
	wait         time.Duration
	status       string
	errorCode    string
	errorMessage string
}

// Failure codes the fake plays, with the texts carriers and Meta give.
var (
	smsFailures = [][2]string{
		{"30003", "Unreachable destination handset"},
		{"30005", "Unknown destination handset"},
		{"30006", "Landline or unreachable carrier"},
		{"30007", "Message filtered by carrier"},
	}
	// whatsappFailures can end any WhatsApp message, window open or not.
	whatsappFailures = [][2]string{
		{"131026", "Message undeliverable"},
		{"131049", "This message was not delivered to maintain healthy ecosystem engagement"},
	}
	// whatsappMediaFailure ends only a message that carries media.
	whatsappMediaFailure = [2]string{"131053", "Media upload error"}
	// whatsappWindowClosed ends only a free-form message sent more than
	// 24 hours after the customer last wrote.
	whatsappWindowClosed = [2]string{"131047", "Re-engagement message"}
)

// FailureFor picks, with r, a delivery failure that fits a message of
// messageType on channel: a carrier's code on SMS; on WhatsApp, the
// re-engagement error only for a free-form message outside the 24-hour
// window (windowOpen false; a template may always be sent), a media error
// only for media, else an error any message may meet.
func FailureFor(channel, messageType string, windowOpen bool, r *rand.Rand) (code, message string) {
	if channel != "whatsapp" {
		c := smsFailures[r.IntN(len(smsFailures))]
		return c[0], c[1]
	}
	if !windowOpen && messageType != "template" {
		return whatsappWindowClosed[0], whatsappWindowClosed[1]
	}
	codes := whatsappFailures
	switch messageType {
	case "image", "video", "audio", "document", "sticker":
		codes = append(codes[:len(codes):len(codes)], whatsappMediaFailure)
	}
	c := codes[r.IntN(len(codes))]
	return c[0], c[1]
}

// windowOpen reports whether the customer of conversation conv wrote in
// the last 24 hours. f.mu is held.
func (f *Fake) windowOpen(conv string) bool {
	last, ok := f.lastInbound[conv]
	return ok && f.opts.Now().Sub(last) < 24*time.Hour
}

// schedule draws the story of m: its delays and whether it fails. It
// returns nil when nothing is to be played. f.mu is held.
func (f *Fake) schedule(m Message) *playback {
	if f.closed || (f.opts.Webhook == nil && f.opts.WebhookURL == "") {
		return nil
	}
	jitter := func(scale float64) time.Duration {
		if f.opts.StatusDelay < 0 {
			return 0
		}
		d := float64(f.opts.StatusDelay) * scale
		return time.Duration(d/2 + f.rng.Float64()*d)
	}
	p := &playback{msg: m}
	add := func(scale float64, status string) {
		p.steps = append(p.steps, playStep{wait: jitter(scale), status: status})
	}
	add(0.2, "queued")
	if f.opts.FailureRate > 0 && f.rng.Float64() < f.opts.FailureRate {
		if m.Channel != "whatsapp" {
			add(1, "sent") // carriers refuse after taking it
		}
		code, msg := FailureFor(m.Channel, m.MessageType, f.windowOpen(m.ConversationID), f.rng)
		p.steps = append(p.steps, playStep{wait: jitter(1), status: "failed", errorCode: code, errorMessage: msg})
	} else {
		add(1, "sent")
		add(1, "delivered")
		if m.Channel == "whatsapp" {
			add(3, "read")
		}
	}
	f.wg.Add(1)
	return p
}

// play delivers a message's statuses in order, until the fake closes.
func (f *Fake) play(p *playback) {
	defer f.wg.Done()
	for _, st := range p.steps {
		if !f.sleep(st.wait) {
			return
		}
		body := f.advance(p.msg, st)
		if err := f.deliver(body); err != nil && f.ctx.Err() == nil {
			f.opts.Log.Warn("zavu fake: webhook not delivered", "message_id", p.msg.ID,
				"status", st.status, "err", err)
		}
	}
}

// sleep waits d, or less when the fake closes; false means it closed.
func (f *Fake) sleep(d time.Duration) bool {
	if d <= 0 {
		return f.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-f.ctx.Done():
		return false
	}
}

// advance moves the stored message to st and returns the webhook body
// announcing it, in the envelope of Zavu's documents.
func (f *Fake) advance(m Message, st playStep) []byte {
	f.mu.Lock()
	now := f.opts.Now()
	if cur, ok := f.messages[m.ID]; ok {
		cur.Status, cur.UpdatedAt = st.status, now.UTC()
		if st.errorCode != "" {
			cur.ErrorCode, cur.ErrorMessage = st.errorCode, st.errorMessage
		}
	}
	f.seq++
	eventID := fmt.Sprintf("evt_%d_fk%s%06d", now.UnixMilli(), f.run, f.seq)
	f.mu.Unlock()
	type data struct {
		MessageID    string `json:"messageId"`
		To           string `json:"to"`
		Channel      string `json:"channel"`
		Status       string `json:"status"`
		ErrorCode    string `json:"errorCode,omitempty"`
		ErrorMessage string `json:"errorMessage,omitempty"`
	}
	env := struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		Timestamp int64  `json:"timestamp"`
		SenderID  string `json:"senderId"`
		ProjectID string `json:"projectId"`
		Data      data   `json:"data"`
	}{
		ID: eventID, Type: "message." + st.status, Timestamp: now.UnixMilli(),
		SenderID: m.SenderID, ProjectID: f.opts.ProjectID,
		Data: data{MessageID: m.ID, To: m.To, Channel: m.Channel, Status: st.status,
			ErrorCode: st.errorCode, ErrorMessage: st.errorMessage},
	}
	body, err := json.Marshal(env)
	if err != nil {
		panic(err) // strings and numbers only
	}
	return body
}

// deliver hands one webhook to Webhook, or POSTs it signed to WebhookURL,
// trying three times as Zavu retries (much sooner than Zavu).
func (f *Fake) deliver(body []byte) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 && !f.sleep(max(5*f.opts.StatusDelay, 50*time.Millisecond)) {
			return err
		}
		if f.opts.Webhook != nil {
			err = f.opts.Webhook(body)
		} else {
			err = f.post(body)
		}
		if err == nil || f.ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (f *Fake) post(body []byte) error {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodPost, f.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Zavu-Webhooks/1.0 (switchboard fake)")
	if f.opts.WebhookSecret != "" {
		req.Header.Set("X-Zavu-Signature", Sign(f.opts.WebhookSecret, f.opts.Now(), body))
	}
	resp, err := f.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Transport returns a RoundTripper that serves requests with the fake in
// memory, with no socket: give it to NewClient (WithHTTPClient) in sandbox
// mode. A dropped connection comes back as an error; a hang ends with the
// request's context.
func (f *Fake) Transport() http.RoundTripper { return fakeTransport{f} }

type fakeTransport struct{ f *Fake }

// errDropped is what a Failure.Drop looks like through Transport.
var errDropped = errors.New("zavu fake: connection closed without an answer")

func (t fakeTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	var body []byte
	if req.Body != nil {
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	sreq := req.Clone(req.Context())
	sreq.Body = io.NopCloser(bytes.NewReader(body))
	sreq.ContentLength = int64(len(body))
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:0"
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	rec := &memResponse{header: http.Header{}}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler {
					err = fmt.Errorf("zavu fake: handler panicked: %v", p)
				} else {
					err = errDropped
				}
			}
		}()
		t.f.ServeHTTP(rec, sreq)
	}()
	if err != nil {
		return nil, err
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	code := rec.code
	if code == 0 {
		code = http.StatusOK
	}
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode: code, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()), Request: req,
	}, nil
}

// memResponse collects an answer in memory.
type memResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (m *memResponse) Header() http.Header { return m.header }

func (m *memResponse) WriteHeader(code int) {
	if m.code == 0 {
		m.code = code
	}
}

func (m *memResponse) Write(b []byte) (int, error) {
	m.WriteHeader(http.StatusOK)
	return m.body.Write(b)
}

// decodeBody reads a JSON request body of at most 1 MiB.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBody+1))
	if err != nil {
		return fmt.Errorf("the request body could not be read")
	}
	if len(b) > maxResponseBody {
		return fmt.Errorf("the request body is larger than 1 MiB")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return fmt.Errorf("the request body must be a JSON object")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("the request body is not valid JSON: %s", jsonProblem(err))
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"internal_error","message":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, code, message string, details json.RawMessage) {
	body := struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details,omitempty"`
	}{code, message, details}
	writeJSON(w, status, body)
}

// cloneMessage copies m deeply enough that the copy shares nothing
// mutable with the original.
func cloneMessage(m Message) Message {
	if m.Content != nil {
		c := *m.Content
		c.TemplateVariables = maps.Clone(c.TemplateVariables)
		m.Content = &c
	}
	m.Metadata = maps.Clone(m.Metadata)
	return m
}

// SendRequests is how many POST /v1/messages the fake got, answered or
// failed, whatever their idempotency keys.
func (f *Fake) SendRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.requests {
		n += c
	}
	return n
}
