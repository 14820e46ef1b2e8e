package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// newIdempotencyKey is a fresh key for one reply; every retry of its send
// carries the same one, so Zavu sends it at most once.
func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "sb_" + hex.EncodeToString(b)
}

// replyInput is a reply as a form or the API gives it: text, or a template
// with its variables.
type replyInput struct {
	Text              string            `json:"text"`
	TemplateID        string            `json:"templateId"`
	TemplateVariables map[string]string `json:"templateVariables"`
	// DraftSince turns on the send guard (see inbox.Reply.DraftSince).
	DraftSince *int64 `json:"draftSince"`
}

func (in replyInput) reply(convID int64, author *int64, src inbox.Source) inbox.Reply {
	r := inbox.Reply{ConversationID: convID, AuthorID: author, Source: src, Type: inbox.TypeText,
		Text: strings.TrimRight(in.Text, " \t\r\n"), IdempotencyKey: newIdempotencyKey(), DraftSince: in.DraftSince}
	if in.TemplateID != "" {
		r.Type, r.Text = inbox.TypeTemplate, ""
		r.Content = &inbox.Content{TemplateID: in.TemplateID, TemplateVariables: in.TemplateVariables}
	}
	return r
}

// queueReply writes the reply and its outbox entry, wakes the sender, and
// tells the live pages.
func (s *Server) queueReply(c echo.Context, r inbox.Reply) (inbox.Message, error) {
	m, _, err := s.queueKeyedReply(c, r, nil)
	return m, err
}

// queueRequestedReply is queueReply for a reply the API asked for with
// an idempotency key: a repeat of the request gives back the message the
// first one made, as it is now, and replayed is set; nothing is written
// or sent again.
func (s *Server) queueRequestedReply(c echo.Context, r inbox.Reply, k inbox.RequestKey) (m inbox.Message, replayed bool, err error) {
	return s.queueKeyedReply(c, r, &k)
}

// queueKeyedReply is queueReply, and queueRequestedReply when key is set.
func (s *Server) queueKeyedReply(c echo.Context, r inbox.Reply, key *inbox.RequestKey) (inbox.Message, bool, error) {
	ctx := c.Request().Context()
	r.At = s.now()
	if r.Type == inbox.TypeTemplate {
		// A template on SMS is refused for its channel, whatever the
		// template: that comes before whether it is approved.
		conv, err := s.store.Conversation(ctx, r.ConversationID)
		if err != nil {
			return inbox.Message{}, false, err
		}
		if err := inbox.CheckChannelTakes(conv.Channel, r.Type); err != nil {
			return inbox.Message{}, false, err
		}
		t, err := s.approvedTemplate(c, r.Content.TemplateID)
		if err != nil {
			return inbox.Message{}, false, err
		}
		vars := make(map[string]string, len(r.Content.TemplateVariables))
		for i := 1; i <= t.Variables(); i++ {
			k := strconv.Itoa(i)
			v := strings.TrimSpace(r.Content.TemplateVariables[k])
			if err := checkTemplateVariable(t, i, v); err != nil {
				return inbox.Message{}, false, err
			}
			vars[k] = v
		}
		// A variable the template does not have would be dropped
		// unseen: the writer meant it for another template, or
		// misnamed one.
		extra := make([]string, 0, len(r.Content.TemplateVariables))
		for k := range r.Content.TemplateVariables {
			if _, ok := vars[k]; !ok {
				extra = append(extra, "{{"+k+"}}")
			}
		}
		if len(extra) > 0 {
			slices.Sort(extra)
			has := "no variables"
			if n := t.Variables(); n == 1 {
				has = "one variable, {{1}}"
			} else if n > 1 {
				has = fmt.Sprintf("%d variables, {{1}} to {{%d}}", n, n)
			}
			return inbox.Message{}, false, newError(http.StatusBadRequest, "template_variables",
				fmt.Sprintf("%s has %s: there is no %s.", t.Name, has, strings.Join(extra, " or ")))
		}
		r.Content = &inbox.Content{TemplateID: r.Content.TemplateID, TemplateVariables: vars}
		r.Text = t.Fill(vars)
	}
	var m inbox.Message
	var ch inbox.Change
	var replayed bool
	var err error
	if key == nil {
		m, ch, err = s.store.QueueReply(ctx, r)
	} else {
		m, ch, replayed, err = s.store.QueueRequestedReply(ctx, r, *key)
	}
	if err != nil {
		return inbox.Message{}, false, err
	}
	if replayed {
		s.log.Info("reply asked for again; not sent again", "message_id", m.ID, "conversation_id", m.ConversationID)
		m, err = s.store.Message(ctx, m.ID)
		return m, true, err
	}
	s.log.Info("reply queued", "message_id", m.ID, "conversation_id", m.ConversationID, "type", m.Type)
	if s.outbox != nil {
		s.outbox.Wake()
	}
	s.publish(ch)
	return m, false, nil
}

// checkTemplateVariable refuses v, with spaces around it trimmed, as the
// value of the template t's variable {{i}} when WhatsApp would refuse
// it: empty, or holding a line break, a tab or more than four spaces in
// a row.
func checkTemplateVariable(t inbox.Template, i int, v string) error {
	switch {
	case v == "":
		return newError(http.StatusBadRequest, "template_variables",
			fmt.Sprintf("Fill in every variable of %s: {{%d}} is empty.", t.Name, i))
	case strings.ContainsAny(v, "\n\r\t") || strings.Contains(v, "     "):
		return newError(http.StatusBadRequest, "template_variables",
			fmt.Sprintf("{{%d}} of %s holds a line break, a tab or more than four spaces in a row, which WhatsApp refuses in a template. Write it on one line.", i, t.Name))
	}
	return nil
}

func (s *Server) approvedTemplate(c echo.Context, id string) (inbox.Template, error) {
	ts, err := s.store.Templates(c.Request().Context())
	if err != nil {
		return inbox.Template{}, err
	}
	for _, t := range ts {
		if t.ID == id && t.Approved() {
			return t, nil
		}
	}
	return inbox.Template{}, newError(http.StatusBadRequest, "template_not_approved",
		"That template is not approved for sending. Choose an approved one.")
}

// templateGone says why a reply of template id can no longer be sent.
func (s *Server) templateGone(ctx context.Context, id string) string {
	name, status := id, "no longer in Zavu"
	if ts, err := s.store.Templates(ctx); err == nil {
		for _, t := range ts {
			if t.ID == id {
				name, status = t.Name, "now "+t.Status
			}
		}
	}
	return fmt.Sprintf("The template %s is %s, not approved, so this reply cannot be sent again. Send an approved template instead.", name, status)
}

// handleReply is the composer's Send: the reply shows at once as a pending
// bubble (in this response, and on every other page through the hub).
func (s *Server) handleReply(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	me := currentUser(c).ID
	form, err := s.readReplyForm(c, me, id)
	if err != nil {
		return err
	}
	since, err := draftSince(form.Get("draftSince"))
	if err != nil {
		form.discard()
		return err
	}
	if f := form.file; f != nil {
		r := s.attachmentReply(f.name, f.ctype, f.filename, form.Get("text"))
		if err := s.files.checkSize(f.name, form.conv.Channel, r.Type); err != nil {
			form.discard()
			return err
		}
		r.ConversationID, r.AuthorID, r.Source, r.IdempotencyKey = id, &me, inbox.SourceAgent, newIdempotencyKey()
		r.DraftSince = since
		m, err := s.queueReply(c, r)
		if err != nil {
			form.discard()
			return s.orDraftChanged(c, err, true)
		}
		return s.renderBubble(c, m, http.StatusOK)
	}
	in := replyInput{Text: form.Get("text"), TemplateID: form.Get("templateId"), DraftSince: since}
	if in.TemplateID == "" && strings.TrimSpace(in.Text) == "" {
		return newError(http.StatusBadRequest, "empty_reply", "Write a reply or attach a file first.")
	}
	if in.TemplateID != "" {
		in.TemplateVariables = map[string]string{}
		for i := 1; i < 100; i++ {
			v, ok := form.Values["var"+strconv.Itoa(i)]
			if !ok {
				break
			}
			in.TemplateVariables[strconv.Itoa(i)] = strings.TrimSpace(v[0])
		}
	}
	m, err := s.queueReply(c, in.reply(id, &me, inbox.SourceAgent))
	if err != nil {
		return s.orDraftChanged(c, err, true)
	}
	return s.renderBubble(c, m, http.StatusOK)
}

// handleRetry sends a failed reply again.
func (s *Server) handleRetry(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	// A template Meta has paused or rejected since would only fail again.
	if old, err := s.store.Message(ctx, id); err != nil {
		return err
	} else if err := inbox.CheckChannelTakes(old.Channel, old.Type); err != nil && old.Status == inbox.StatusFailed {
		return err
	} else if old.Type == inbox.TypeTemplate && old.Content != nil && old.Status == inbox.StatusFailed {
		if _, err := s.approvedTemplate(c, old.Content.TemplateID); err != nil {
			return newError(http.StatusBadRequest, "template_not_approved", s.templateGone(ctx, old.Content.TemplateID))
		}
	}
	m, ch, err := s.store.RetryReply(ctx, id, newIdempotencyKey(), s.now())
	if errors.Is(err, inbox.ErrConflict) {
		return newError(http.StatusConflict, "not_failed",
			"This reply is already being sent again, or was sent: a teammate may have pressed Retry first. There is nothing to retry.")
	}
	if err != nil {
		return err
	}
	s.log.Info("reply retried", "message_id", m.ID, "by", currentUser(c).ID)
	if s.outbox != nil {
		s.outbox.Wake()
	}
	s.publish(ch)
	return s.renderBubble(c, m, http.StatusOK)
}

// renderBubble answers with the message's bubble, swapped into its thread
// out of band, as the websocket would.
func (s *Server) renderBubble(c echo.Context, m inbox.Message, status int) error {
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<div hx-swap-oob="beforeend:#msgs-%d">`, m.ConversationID)
	if err := views.Message(messageView(m, who, location(c))).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	buf.WriteString(`</div>`)
	return c.HTMLBlob(status, buf.Bytes())
}

// handleAPIReply is POST /api/v1/conversations/{id}/messages: 202 with the
// pending message.
func (s *Server) handleAPIReply(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in replyInput
	if err := decodeJSONBody(c, &in, `The body must be JSON: {"text": "..."} or {"templateId": "...", "templateVariables": {"1": "..."}}.`,
		"text", "templateId", "templateVariables", "draftSince"); err != nil {
		return err
	}
	switch {
	case in.Text != "" && in.TemplateID != "":
		return newError(http.StatusBadRequest, "invalid_body", "Send either text or a templateId, not both.")
	case in.TemplateID == "" && strings.TrimSpace(in.Text) == "":
		// Missing, empty or blank: the one mistake, as a form's.
		return newError(http.StatusBadRequest, "empty_reply", "Write a reply first: send its text, or a templateId.")
	case in.TemplateID == "" && in.TemplateVariables != nil:
		return newError(http.StatusBadRequest, "invalid_body", "templateVariables go with a templateId; text is sent as it is.")
	}
	r := in.reply(id, nil, inbox.SourceAPI)
	key, err := requestKey(c, id, in)
	if err != nil {
		return err
	}
	var m inbox.Message
	if key == nil {
		m, err = s.queueReply(c, r)
	} else {
		var replayed bool
		m, replayed, err = s.queueRequestedReply(c, r, *key)
		if err == nil && replayed {
			c.Response().Header().Set("Idempotent-Replayed", "true")
		}
	}
	switch {
	case errors.Is(err, inbox.ErrKeyReused):
		return newError(http.StatusUnprocessableEntity, "idempotency_key_reused",
			"This Idempotency-Key was sent in the last 24 hours with another request (another conversation, text or template). Send a new key for a new message.")
	case err != nil:
		return s.orDraftChanged(c, err, false)
	}
	return c.JSON(http.StatusAccepted, toMessageJSON(m))
}

// maxRequestKey bounds an Idempotency-Key header.
const maxRequestKey = 255

// requestKey reads the request's Idempotency-Key header: nil when there
// is none. The key counts for the API token that sent it, with what was
// asked (the conversation and the body) as its fingerprint.
func requestKey(c echo.Context, convID int64, in replyInput) (*inbox.RequestKey, error) {
	values := c.Request().Header.Values("Idempotency-Key")
	if len(values) == 0 {
		return nil, nil
	}
	key := values[0]
	ok := len(values) == 1 && key != "" && len(key) <= maxRequestKey
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		return nil, newError(http.StatusBadRequest, "invalid_idempotency_key",
			fmt.Sprintf("Send one Idempotency-Key header of 1 to %d visible ASCII characters (a UUID, say), new for each message.", maxRequestKey))
	}
	tok, _ := c.Get(ctxToken).(inbox.APIToken)
	asked, err := json.Marshal(struct {
		ConversationID    int64             `json:"conversationId"`
		Text              string            `json:"text"`
		TemplateID        string            `json:"templateId"`
		TemplateVariables map[string]string `json:"templateVariables"`
		DraftSince        *int64            `json:"draftSince"`
	}{convID, in.Text, in.TemplateID, in.TemplateVariables, in.DraftSince})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(asked)
	return &inbox.RequestKey{TokenID: tok.ID, Key: key, Fingerprint: hex.EncodeToString(sum[:])}, nil
}

// placeholderNameMax is the most characters of the customer's name the
// reply box's "Reply to <name>…" shows: with it the placeholder fits the
// box's two lines on a phone.
const placeholderNameMax = 24

// placeholderName is name as the reply box's placeholder shows it: whole
// when it is short, else cut after a word within placeholderNameMax
// characters (or at that many, when its first word is longer), the "…"
// after it saying there is more.
func placeholderName(name string) string {
	r := []rune(name)
	if len(r) <= placeholderNameMax {
		return name
	}
	cut := placeholderNameMax
	for i := cut; i > placeholderNameMax/2; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:cut]), func(c rune) bool { return unicode.IsSpace(c) || unicode.IsPunct(c) })
}

// composerView decides what the reply box offers.
func (s *Server) composerView(ctx context.Context, conv inbox.Conversation) (views.ComposerView, error) {
	v := views.ComposerView{ConvID: conv.ID, SMS: conv.Channel == inbox.SMS, FreeText: true,
		Placeholder: "Reply to " + placeholderName(conv.Contact.DisplayName()) + "…", MaxLength: inbox.MaxReplyLength,
		MaxCaption: inbox.MaxCaption(conv.Channel)}
	now := s.now()
	if conv.OptedOut {
		v.Closed, v.FreeText = conv.OptedOutSentence(), false
		return v, nil
	}
	if conv.Channel == inbox.WhatsApp {
		w := windowView(conv, now)
		v.FreeText = w.Open
		if w.Open {
			v.WindowLabel = "WhatsApp window closes in " + strings.TrimPrefix(w.Label, "Closes in ")
			v.WindowCloses = conv.WindowClosesAt().UTC().Format("2006-01-02T15:04:05.000Z07:00")
		} else if conv.LastInboundAt.IsZero() {
			v.WindowLabel = "The customer has not written yet: WhatsApp allows only an approved template to start a conversation."
		} else {
			v.WindowLabel = "More than 24 hours have passed since the customer last wrote: WhatsApp allows only an approved template until they write again."
		}
	}
	if !v.FreeText {
		ts, err := s.store.Templates(ctx)
		if err != nil {
			return v, err
		}
		for _, t := range ts {
			if t.Approved() {
				v.Templates = append(v.Templates, views.TemplateOption{ID: t.ID, Name: t.Name, Language: t.Language,
					Body: t.Body, Vars: t.Variables()})
			}
		}
	}
	return v, nil
}
