package zavu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/inbox"
)

// DefaultBaseURL is Zavu's production API.
const DefaultBaseURL = "https://api.zavu.dev"

// DefaultTimeout bounds one HTTP request to Zavu unless WithTimeout says
// otherwise.
const DefaultTimeout = 15 * time.Second

// maxResponseBody bounds what is read of any answer.
const maxResponseBody = 1 << 20

// pageLimit is the page size asked for on lists; Zavu allows at most 100.
const pageLimit = 100

// maxPages stops a list that never ends (a server that hands out fresh
// cursors forever): 1,000 pages of 100 is far beyond any real account.
const maxPages = 1000

// maxRetryAfter caps a Retry-After, so a broken header cannot stall the
// outbox for days.
const maxRetryAfter = inbox.MaxPause

// Client calls Zavu's REST API. It is safe for concurrent use.
type Client struct {
	base    string // without a trailing slash
	apiKey  string
	http    *http.Client
	timeout time.Duration
	agent   string
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient makes the client send its requests through h (its
// transport, proxy settings and any timeout of its own).
func WithHTTPClient(h *http.Client) ClientOption {
	return func(c *Client) {
		if h != nil {
			c.http = h
		}
	}
}

// WithTimeout bounds every request; d <= 0 keeps the default of 15 s.
func WithTimeout(d time.Duration) ClientOption {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithUserAgent sets the User-Agent header sent with every request.
func WithUserAgent(ua string) ClientOption {
	return func(c *Client) { c.agent = ua }
}

// NewClient returns a client for the API at baseURL (DefaultBaseURL when
// empty) authenticated with apiKey.
func NewClient(baseURL, apiKey string, opts ...ClientOption) *Client {
	if strings.TrimSpace(baseURL) == "" {
		baseURL = DefaultBaseURL
	}
	c := &Client{
		base:    strings.TrimRight(strings.TrimSpace(baseURL), "/"),
		apiKey:  apiKey,
		http:    &http.Client{},
		timeout: DefaultTimeout,
		agent:   "switchboard",
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// Content is the part of a message beyond its text, in Zavu's field names.
type Content struct {
	MediaID           string            `json:"mediaId,omitempty"`
	MediaURL          string            `json:"mediaUrl,omitempty"`
	MimeType          string            `json:"mimeType,omitempty"`
	Filename          string            `json:"filename,omitempty"`
	TemplateID        string            `json:"templateId,omitempty"`
	TemplateVariables map[string]string `json:"templateVariables,omitempty"`
	Emoji             string            `json:"emoji,omitempty"`
	ReactToMessageID  string            `json:"reactToMessageId,omitempty"`
	// Buttons of a buttons message: at most 3.
	Buttons []Button `json:"buttons,omitempty"`
}

// Button is a reply button: its id comes back in the customer's
// interactiveReply.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// SendRequest is the body of POST /v1/messages.
type SendRequest struct {
	// SenderID picks the sending number (the Zavu-Sender header); empty
	// means the project's default sender.
	SenderID    string   `json:"-"`
	To          string   `json:"to"`
	Channel     string   `json:"channel,omitempty"`     // auto, sms, whatsapp...
	MessageType string   `json:"messageType,omitempty"` // text, image, template, reaction...
	Text        string   `json:"text,omitempty"`
	Content     *Content `json:"content,omitempty"`
	// IdempotencyKey must be the same on every retry of one message, so a
	// retry can never send it twice.
	IdempotencyKey  string            `json:"idempotencyKey,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	FallbackEnabled *bool             `json:"fallbackEnabled,omitempty"`
}

// Message is a message as Zavu's API returns it.
type Message struct {
	ID                string            `json:"id"`
	To                string            `json:"to,omitempty"`
	From              string            `json:"from,omitempty"`
	SenderID          string            `json:"senderId,omitempty"`
	Channel           string            `json:"channel,omitempty"`
	MessageType       string            `json:"messageType,omitempty"`
	Direction         string            `json:"direction,omitempty"` // inbound or outbound, when Zavu says
	Status            string            `json:"status,omitempty"`
	Text              string            `json:"text,omitempty"`
	Content           *Content          `json:"content,omitempty"`
	ConversationID    string            `json:"conversationId,omitempty"`
	ProviderMessageID string            `json:"providerMessageId,omitempty"`
	ErrorCode         string            `json:"errorCode,omitempty"`
	ErrorMessage      string            `json:"errorMessage,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	CreatedAt         time.Time         `json:"createdAt,omitzero"`
	UpdatedAt         time.Time         `json:"updatedAt,omitzero"`
}

// UnmarshalJSON reads a message, accepting an error code given as a number
// and times given as RFC 3339 strings or Unix milliseconds.
func (m *Message) UnmarshalJSON(b []byte) error {
	type plain Message
	var w struct {
		*plain
		ConversationID *string    `json:"conversationId"`
		ErrorCode      flexString `json:"errorCode"`
		CreatedAt      flexTime   `json:"createdAt"`
		UpdatedAt      flexTime   `json:"updatedAt"`
	}
	w.plain = (*plain)(m)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	m.ConversationID = deref(w.ConversationID)
	m.ErrorCode = string(w.ErrorCode)
	m.CreatedAt, m.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return nil
}

// Template is a WhatsApp message template.
type Template struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Language string `json:"language,omitempty"`
	Status   string `json:"status,omitempty"`   // draft, pending, approved, rejected, disabled
	Category string `json:"category,omitempty"` // UTILITY, MARKETING, AUTHENTICATION
	// Body is the text with its placeholders: "Hi {{1}}, your order {{2}}
	// has shipped."
	Body string `json:"body,omitempty"`
	// Variables names the placeholders, when the template says.
	Variables []string `json:"variables,omitempty"`
	// Components is Meta's component list, kept as given when Zavu sends
	// one; Body is filled from its BODY component when Zavu gives no body.
	Components      json.RawMessage `json:"components,omitempty"`
	RejectionReason string          `json:"rejectionReason,omitempty"`
	CreatedAt       time.Time       `json:"createdAt,omitzero"`
	UpdatedAt       time.Time       `json:"updatedAt,omitzero"`
}

// UnmarshalJSON reads a template, filling Body from its components when
// needed and tolerating times as strings or Unix milliseconds.
func (t *Template) UnmarshalJSON(b []byte) error {
	type plain Template
	var w struct {
		*plain
		RejectionReason *string  `json:"rejectionReason"`
		CreatedAt       flexTime `json:"createdAt"`
		UpdatedAt       flexTime `json:"updatedAt"`
	}
	w.plain = (*plain)(t)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t.RejectionReason = deref(w.RejectionReason)
	t.CreatedAt, t.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	if t.Body == "" && len(t.Components) > 0 {
		var comps []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if json.Unmarshal(t.Components, &comps) == nil {
			for _, c := range comps {
				if strings.EqualFold(c.Type, "body") {
					t.Body = c.Text
					break
				}
			}
		}
	}
	return nil
}

var placeholder = regexp.MustCompile(`\{\{\s*(\d+)\s*\}\}`)

// VariableCount is how many variables the template takes: the highest
// {{n}} in its body, or the number of named variables when that is more.
func (t Template) VariableCount() int {
	n := 0
	for _, m := range placeholder.FindAllStringSubmatch(t.Body, -1) {
		if v, err := strconv.Atoi(m[1]); err == nil && v > n && v <= 1000 {
			n = v
		}
	}
	return max(n, len(t.Variables))
}

// Sender is one of the project's numbers.
type Sender struct {
	ID           string          `json:"id"`
	Name         string          `json:"name,omitempty"`
	PhoneNumber  string          `json:"phoneNumber,omitempty"`
	IsDefault    bool            `json:"isDefault,omitempty"`
	Capabilities json.RawMessage `json:"capabilities,omitempty"`
	Webhook      *SenderWebhook  `json:"webhook,omitempty"`
	CreatedAt    time.Time       `json:"createdAt,omitzero"`
	UpdatedAt    time.Time       `json:"updatedAt,omitzero"`
}

// SenderWebhook is a sender's webhook settings. Secret is only ever shown
// when the webhook is created.
type SenderWebhook struct {
	URL    string   `json:"url,omitempty"`
	Events []string `json:"events,omitempty"`
	Secret string   `json:"secret,omitempty"`
	Active bool     `json:"active"`
}

// UnmarshalJSON reads a sender, tolerating times as strings or Unix
// milliseconds.
func (s *Sender) UnmarshalJSON(b []byte) error {
	type plain Sender
	var w struct {
		*plain
		CreatedAt flexTime `json:"createdAt"`
		UpdatedAt flexTime `json:"updatedAt"`
	}
	w.plain = (*plain)(s)
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.CreatedAt, s.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return nil
}

// Send sends one message: POST /v1/messages. Retrying with the same
// IdempotencyKey is always safe.
func (c *Client) Send(ctx context.Context, req SendRequest) (Message, error) {
	var hdr http.Header
	if req.SenderID != "" {
		hdr = http.Header{"Zavu-Sender": {req.SenderID}}
	}
	var out struct {
		Message *Message `json:"message"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/messages", nil, hdr, req, &out); err != nil {
		return Message{}, err
	}
	if out.Message == nil || out.Message.ID == "" {
		return Message{}, &NetworkError{Op: "POST /v1/messages", Err: errors.New("the answer holds no message id")}
	}
	return *out.Message, nil
}

// GetMessage reads one message: GET /v1/messages/{id}. This is where the
// permanent mediaUrl of an inbound media message appears.
func (c *Client) GetMessage(ctx context.Context, id string) (Message, error) {
	if id == "" {
		return Message{}, fmt.Errorf("zavu: get message: no id: %w", inbox.ErrInvalid)
	}
	var out struct {
		Message *Message `json:"message"`
	}
	raw, err := c.doRaw(ctx, http.MethodGet, "/v1/messages/"+url.PathEscape(id), nil, nil, nil)
	if err != nil {
		return Message{}, err
	}
	// Zavu wraps a message in {"message": ...}; accept a bare one too.
	if err := json.Unmarshal(raw, &out); err == nil && out.Message != nil {
		return *out.Message, nil
	}
	var m Message
	if err := json.Unmarshal(raw, &m); err != nil || m.ID == "" {
		return Message{}, &NetworkError{Op: "GET /v1/messages/{id}", Err: fmt.Errorf("the answer is not a message: %s", snippet(raw))}
	}
	return m, nil
}

// React puts emoji on a message: POST /v1/messages/{id}/reactions.
func (c *Client) React(ctx context.Context, messageID, emoji string) error {
	if messageID == "" {
		return fmt.Errorf("zavu: react: no message id: %w", inbox.ErrInvalid)
	}
	body := struct {
		Emoji string `json:"emoji"`
	}{emoji}
	return c.do(ctx, http.MethodPost, "/v1/messages/"+url.PathEscape(messageID)+"/reactions", nil, nil, body, nil)
}

// Typing marks an inbound WhatsApp message read and shows "typing..." to
// the customer for up to 25 s: POST /v1/messages/{id}/typing.
func (c *Client) Typing(ctx context.Context, messageID string) error {
	if messageID == "" {
		return fmt.Errorf("zavu: typing: no message id: %w", inbox.ErrInvalid)
	}
	return c.do(ctx, http.MethodPost, "/v1/messages/"+url.PathEscape(messageID)+"/typing", nil, nil, struct{}{}, nil)
}

// Templates lists every template of the project, all pages.
func (c *Client) Templates(ctx context.Context) ([]Template, error) {
	return list[Template](ctx, c, "/v1/templates")
}

// Senders lists every sender of the project with its webhook settings,
// all pages.
func (c *Client) Senders(ctx context.Context) ([]Sender, error) {
	return list[Sender](ctx, c, "/v1/senders")
}

// list follows nextCursor until it is null or empty. A cursor seen before
// ends the walk with an error rather than looping.
func list[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		if page >= maxPages {
			return all, &NetworkError{Op: "GET " + path, Err: fmt.Errorf("more than %d pages: the server keeps handing out cursors", maxPages)}
		}
		q := url.Values{"limit": {strconv.Itoa(pageLimit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var out struct {
			Items      []T     `json:"items"`
			NextCursor *string `json:"nextCursor"`
		}
		if err := c.do(ctx, http.MethodGet, path, q, nil, nil, &out); err != nil {
			return all, err
		}
		all = append(all, out.Items...)
		if out.NextCursor == nil || *out.NextCursor == "" {
			return all, nil
		}
		next := *out.NextCursor
		if seen[next] || next == cursor {
			return all, &NetworkError{Op: "GET " + path, Err: fmt.Errorf("the server repeated cursor %q: stopping instead of looping", next)}
		}
		seen[next] = true
		cursor = next
	}
}

// do sends a request with a JSON body (when in is not nil) and decodes a
// JSON answer into out (when out is not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, hdr http.Header, in, out any) error {
	raw, err := c.doRaw(ctx, method, path, q, hdr, in)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &NetworkError{Op: method + " " + path, Err: fmt.Errorf("the answer is not the JSON expected (%v): %s", err, snippet(raw))}
	}
	return nil
}

// errCallTimeout is the cause of a request cut by the client's own timeout.
var errCallTimeout = errors.New("timeout")

// doRaw sends one request and returns the body of a 2xx answer. Every
// other outcome is an *APIError or a *NetworkError.
func (c *Client) doRaw(ctx context.Context, method, path string, q url.Values, hdr http.Header, in any) ([]byte, error) {
	op := method + " " + opPath(path)
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("zavu: %s: %v: %w", op, err, inbox.ErrInvalid)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errCallTimeout)
	defer cancel()
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("zavu: %s: %v: %w", op, err, inbox.ErrInvalid)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.networkError(ctx, op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return nil, c.networkError(ctx, op, fmt.Errorf("reading the answer: %w", err))
	}
	tooBig := len(raw) > maxResponseBody
	if tooBig {
		raw = raw[:maxResponseBody]
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if tooBig {
			return nil, &NetworkError{Op: op, Err: fmt.Errorf("the answer is larger than %d bytes", maxResponseBody)}
		}
		return raw, nil
	}
	return nil, newAPIError(op, resp, raw)
}

// networkError wraps a transport failure, telling our own timeout from
// the caller's cancellation.
func (c *Client) networkError(ctx context.Context, op string, err error) error {
	ne := &NetworkError{Op: op, Err: err}
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), errCallTimeout) {
			ne.Timeout = true
			ne.Err = fmt.Errorf("no answer within %s: %w", c.timeout, context.DeadlineExceeded)
		} else {
			ne.Timeout = errors.Is(ctx.Err(), context.DeadlineExceeded)
			ne.Err = ctx.Err()
		}
		return ne
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		ne.Timeout = true
	}
	return ne
}

// opPath hides message ids in error texts, which are logged.
func opPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/v1/messages/"); ok {
		if _, tail, ok := strings.Cut(rest, "/"); ok {
			return "/v1/messages/{id}/" + tail
		}
		return "/v1/messages/{id}"
	}
	return p
}

// APIError is an answer from Zavu other than 2xx.
type APIError struct {
	Status     int             // HTTP status
	Code       string          // Zavu's error code, e.g. whatsapp_window_closed
	Message    string          // Zavu's message, or what the body said
	Details    json.RawMessage // Zavu's details, as given
	RetryAfter time.Duration   // from Retry-After, when given
	Op         string          // e.g. "POST /v1/messages"
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("zavu: ")
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	b.WriteString(strconv.Itoa(e.Status))
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after " + e.RetryAfter.String() + ")")
	}
	return b.String()
}

// Temporary reports whether the same request may succeed later: 408, 429
// and 5xx. Every other 4xx is permanent.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Unwrap maps the error to the domain error it means, if any:
// whatsapp_window_closed to inbox.ErrWindowClosed, 401 to
// inbox.ErrUnauthorized, 404 to inbox.ErrNotFound, 409 to
// inbox.ErrConflict, and other permanent 4xx to inbox.ErrInvalid.
func (e *APIError) Unwrap() error {
	switch {
	case e.Code == "whatsapp_window_closed" || e.Code == "131047":
		return inbox.ErrWindowClosed
	case e.Status == http.StatusUnauthorized:
		return inbox.ErrUnauthorized
	case e.Status == http.StatusNotFound:
		return inbox.ErrNotFound
	case e.Status == http.StatusConflict:
		return inbox.ErrConflict
	case e.Status >= 400 && e.Status < 500 && !e.Temporary():
		return inbox.ErrInvalid
	}
	return nil
}

func newAPIError(op string, resp *http.Response, raw []byte) *APIError {
	e := &APIError{Status: resp.StatusCode, Op: op, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	var body struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
		Details json.RawMessage `json:"details"`
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &body) == nil {
		e.Code, e.Message, e.Details = rawString(body.Code), body.Message, body.Details
		// Some gateways nest it: {"error": {"code", "message"}} or
		// {"error": "text"}.
		if len(body.Error) > 0 && e.Code == "" && e.Message == "" {
			var nested struct {
				Code    json.RawMessage `json:"code"`
				Message string          `json:"message"`
				Details json.RawMessage `json:"details"`
			}
			if json.Unmarshal(body.Error, &nested) == nil {
				e.Code, e.Message = rawString(nested.Code), nested.Message
				if len(nested.Details) > 0 {
					e.Details = nested.Details
				}
			} else {
				e.Message = rawString(body.Error)
			}
		}
		if e.Code != "" || e.Message != "" {
			return e
		}
	}
	// Not Zavu's JSON: a proxy's page, an empty body. Say what came.
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case len(trimmed) == 0:
		e.Message = "empty answer"
	case ct != "" && ct != "application/json":
		e.Message = fmt.Sprintf("unexpected %s answer: %s", ct, snippet(trimmed))
	default:
		e.Message = "unexpected answer: " + snippet(trimmed)
	}
	return e
}

// rawString reads a JSON string or number as text.
func rawString(r json.RawMessage) string {
	var s flexString
	if len(r) == 0 || json.Unmarshal(r, &s) != nil {
		return ""
	}
	return string(s)
}

// snippet is the start of a body, safe to put in an error message.
func snippet(b []byte) string {
	const n = 200
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when
// absent, malformed or past. It is capped at an hour.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs != secs {
			return 0
		}
		if secs > maxRetryAfter.Seconds() {
			return maxRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter).Round(time.Millisecond)
}

// NetworkError is a request that got no usable answer: the connection
// failed or dropped, the call timed out, or the answer could not be read.
// It is always worth retrying (with the same idempotency key).
type NetworkError struct {
	Op      string
	Timeout bool // the call ran out of time
	Err     error
}

func (e *NetworkError) Error() string {
	what := "network error"
	if e.Timeout {
		what = "timeout"
	}
	return fmt.Sprintf("zavu: %s: %s: %v", e.Op, what, e.Err)
}

// Temporary is always true: the request may succeed when tried again.
func (e *NetworkError) Temporary() bool { return true }

func (e *NetworkError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is worth retrying: a network error or
// timeout, or an answer of 408, 429 or 5xx.
func IsTemporary(err error) bool {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// RetryAfter is how long Zavu asked us to wait before trying again, or 0.
func RetryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// flexTime reads a time given as an RFC 3339 string or Unix milliseconds
// (seconds when too small to be milliseconds); null or "" is the zero time.
type flexTime time.Time

func (f *flexTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 time", s)
		}
		*f = flexTime(t.UTC())
		return nil
	}
	var n flexInt
	if err := n.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = flexTime(n.time())
	return nil
}
