package zavu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"switchboard/inbox"
)

// ErrBadEnvelope means a delivery is not a JSON object with a string id
// and type. Such a delivery is refused (400) and not stored.
var ErrBadEnvelope = errors.New("not a Zavu event")

// envelope is the part every event shares.
type envelope struct {
	Timestamp flexInt         `json:"timestamp"`
	SenderID  string          `json:"senderId"`
	ProjectID string          `json:"projectId"`
	Data      json.RawMessage `json:"data"`
}

// Decode decodes one webhook body. It returns an error wrapping
// ErrBadEnvelope only when the body is not a JSON object with a non-empty
// string id and type. A sound envelope with a broken payload decodes with
// Event.DecodeErr set, so the event is still stored and can be replayed.
func Decode(body []byte) (*inbox.Event, error) { return decode(body, true) }

// DecodeEnvelope is Decode without the payload: the event has its id,
// type, timestamp, sender and project, PayloadLater set, and no payload
// and no DecodeErr for a payload problem. It refuses what Decode refuses.
func DecodeEnvelope(body []byte) (*inbox.Event, error) { return decode(body, false) }

// decode is Decode, with the payload or without.
func decode(body []byte, payload bool) (*inbox.Event, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: the body is not a JSON object", ErrBadEnvelope)
	}
	// One pass over the body finds the envelope's fields; each is then
	// decoded on its own, from its few bytes.
	bare, err := readEnvelope(trimmed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEnvelope, err)
	}
	var id, typ string
	if stringValue(bare.ID, &id) != nil || strings.TrimSpace(id) == "" {
		return nil, fmt.Errorf("%w: id is missing or not a string", ErrBadEnvelope)
	}
	if stringValue(bare.Type, &typ) != nil || strings.TrimSpace(typ) == "" {
		return nil, fmt.Errorf("%w: type is missing or not a string", ErrBadEnvelope)
	}
	ev := &inbox.Event{ID: id, Type: inbox.EventType(typ), Raw: body}
	var env envelope
	if optional(bare.Timestamp, env.Timestamp.UnmarshalJSON) != nil || optionalString(bare.SenderID, &env.SenderID) != nil ||
		optionalString(bare.ProjectID, &env.ProjectID) != nil {
		// The id and type are sound, so the event is kept; the rest is
		// not. The whole envelope again, for the error to name its field.
		err := json.Unmarshal(trimmed, &env)
		if err == nil {
			err = errors.New("the envelope does not decode")
		}
		ev.DecodeErr = fmt.Errorf("%s: %s: %w", typ, jsonProblem(err), inbox.ErrInvalid)
		return ev, nil
	}
	env.Data = bare.Data
	ev.Timestamp, ev.SenderID, ev.ProjectID = env.Timestamp.time(), env.SenderID, env.ProjectID
	if !payload {
		ev.PayloadLater = true
		return ev, nil
	}
	if err := decodePayload(ev, env.Data); err != nil {
		ev.DecodeErr = fmt.Errorf("%s: %w", typ, err)
	}
	return ev, nil
}

// optional decodes an envelope field with unmarshal, if the body has it.
func optional(raw json.RawMessage, unmarshal func([]byte) error) error {
	if raw == nil {
		return nil
	}
	return unmarshal(raw)
}

// optionalString decodes an envelope string into s, if the body has it.
func optionalString(raw json.RawMessage, s *string) error {
	if raw == nil {
		return nil
	}
	return stringValue(raw, s)
}

// decodePayload fills the payload field of ev that its type calls for.
func decodePayload(ev *inbox.Event, data json.RawMessage) error {
	known := true
	switch ev.Type {
	case inbox.EventConversationNew, inbox.EventMessageInbound, inbox.EventMessageUnsupported,
		inbox.EventMessageReaction, inbox.EventMessageQueued, inbox.EventMessageSent,
		inbox.EventMessageDelivered, inbox.EventMessageRead, inbox.EventMessageFailed,
		inbox.EventTemplateStatus, inbox.EventBroadcastStatus, inbox.EventInvitationStatus:
	default:
		known = false
	}
	if !known {
		return nil // stored as it is; the domain says it is unknown
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return fmt.Errorf("data is missing: %w", inbox.ErrMissingField)
	}
	if trimmed[0] != '{' {
		return fmt.Errorf("data is not an object: %w", inbox.ErrInvalid)
	}
	var d wireData
	if err := json.Unmarshal(trimmed, &d); err != nil {
		return fmt.Errorf("data: %s: %w", jsonProblem(err), inbox.ErrInvalid)
	}
	switch ev.Type {
	case inbox.EventConversationNew:
		return d.newConversation(ev)
	case inbox.EventMessageInbound:
		if strings.EqualFold(d.MessageType, string(inbox.TypeReaction)) {
			return d.inboundReaction(ev)
		}
		return d.inbound(ev, inbox.MessageType(strings.ToLower(d.MessageType)))
	case inbox.EventMessageUnsupported:
		if d.Channel == "" {
			d.Channel = string(inbox.WhatsApp)
		}
		return d.inbound(ev, inbox.TypeUnsupported)
	case inbox.EventMessageReaction:
		return d.reaction(ev)
	case inbox.EventMessageSent:
		if d.isEcho() {
			return d.echo(ev)
		}
		return d.status(ev, inbox.StatusSent)
	case inbox.EventMessageQueued:
		return d.status(ev, inbox.StatusQueued)
	case inbox.EventMessageDelivered:
		return d.status(ev, inbox.StatusDelivered)
	case inbox.EventMessageRead:
		return d.status(ev, inbox.StatusRead)
	case inbox.EventMessageFailed:
		return d.status(ev, inbox.StatusFailed)
	case inbox.EventTemplateStatus:
		return d.template(ev)
	case inbox.EventBroadcastStatus:
		return d.broadcast(ev)
	case inbox.EventInvitationStatus:
		return d.invitation(ev)
	}
	return nil
}

// wireData is the union of every event's data fields. Each field of the
// seed documents is read somewhere below but these, which need nothing:
//   - providerMessageId (message.reaction) goes onto the event and no
//     further: messageId names the same message in Zavu's ids, the ones
//     Switchboard stores; Switchboard keeps no WhatsApp ids (wamid).
//   - status of a delivery report: the event's type says it, and a retried
//     or mislabelled delivery could contradict it (see status); only an
//     echo's is read.
//   - direction: "outbound" on an echo, but source alone makes one (see
//     isEcho).
//   - a template's previousStatus goes onto the event, not into the store:
//     the templates page shows the status now, and of two changes the
//     later event's stands whatever the earlier one said. A broadcast's or
//     an invitation's is kept with its activity line.
//   - content.mediaUrl is absent from an inbound event (Zavu adds it on
//     later reads of the message, GET /v1/messages/{id}, which the media
//     proxy makes); it is kept when an event has one, as an echo may.
//
// The envelope's projectId is kept on the event and in its raw body and
// checked nowhere: a signature by one of the secrets Switchboard holds
// already says the delivery is for its project.
type wireData struct {
	// Messages.
	MessageID         string       `json:"messageId"`
	ProviderMessageID string       `json:"providerMessageId"`
	From              string       `json:"from"`
	To                string       `json:"to"`
	Channel           string       `json:"channel"`
	MessageType       string       `json:"messageType"`
	Text              string       `json:"text"`
	Content           *wireContent `json:"content"`
	ProfileName       *string      `json:"profileName"`
	ConversationID    *string      `json:"conversationId"`
	Timestamp         flexInt      `json:"timestamp"`
	Status            string       `json:"status"`
	ErrorCode         flexString   `json:"errorCode"`
	ErrorMessage      string       `json:"errorMessage"`
	Source            string       `json:"source"`
	Direction         string       `json:"direction"`
	Reaction          *wireReact   `json:"reaction"`
	ReactToMessageID  string       `json:"reactToMessageId"`
	// conversation.new.
	PhoneNumber      string `json:"phoneNumber"`
	FirstMessageID   string `json:"firstMessageId"`
	FirstMessageText string `json:"firstMessageText"`
	// template.status_changed.
	TemplateID      string  `json:"templateId"`
	TemplateName    string  `json:"templateName"`
	Language        string  `json:"language"`
	PreviousStatus  string  `json:"previousStatus"`
	CurrentStatus   string  `json:"currentStatus"`
	RejectionReason *string `json:"rejectionReason"`
	// broadcast.status_changed.
	BroadcastID   string  `json:"broadcastId"`
	Name          string  `json:"name"`
	TotalContacts flexInt `json:"totalContacts"`
	// invitation.status_changed.
	InvitationID  string  `json:"invitationId"`
	ClientName    *string `json:"clientName"`
	ClientEmail   *string `json:"clientEmail"`
	SenderID      string  `json:"senderId"`
	NewSenderID   string  `json:"newSenderId"`
	WabaAccountID string  `json:"wabaAccountId"`
}

type wireContent struct {
	MediaID          string                  `json:"mediaId"`
	MediaURL         string                  `json:"mediaUrl"`
	MimeType         string                  `json:"mimeType"`
	Filename         string                  `json:"filename"`
	Latitude         *float64                `json:"latitude"`
	Longitude        *float64                `json:"longitude"`
	Name             string                  `json:"name"`
	Address          string                  `json:"address"`
	Contacts         []inbox.ContactCard     `json:"contacts"`
	InteractiveReply *inbox.InteractiveReply `json:"interactiveReply"`
	TemplateID       string                  `json:"templateId"`
	TemplateVars     map[string]string       `json:"templateVariables"`
	// Reactions that arrive as message.inbound.
	Emoji            string     `json:"emoji"`
	ReactToMessageID string     `json:"reactToMessageId"`
	MessageID        string     `json:"messageId"`
	ReactedMessageID string     `json:"reactedMessageId"`
	Action           string     `json:"action"`
	Reaction         *wireReact `json:"reaction"`
}

type wireReact struct {
	Emoji     string  `json:"emoji"`
	From      string  `json:"from"`
	Timestamp flexInt `json:"timestamp"`
	Action    string  `json:"action"`
	MessageID string  `json:"messageId"`
}

func (c *wireContent) domain() *inbox.Content {
	if c == nil {
		return nil
	}
	out := &inbox.Content{
		MediaID: c.MediaID, MediaURL: c.MediaURL, MimeType: c.MimeType, Filename: c.Filename,
		Latitude: c.Latitude, Longitude: c.Longitude, Name: c.Name, Address: c.Address,
		Contacts: c.Contacts, InteractiveReply: c.InteractiveReply,
		TemplateID: c.TemplateID, TemplateVariables: c.TemplateVars,
	}
	if out.IsZero() {
		return nil
	}
	return out
}

func missing(field string) error {
	return fmt.Errorf("data.%s is missing: %w", field, inbox.ErrMissingField)
}

func channel(s string) inbox.Channel { return inbox.Channel(strings.ToLower(strings.TrimSpace(s))) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (d *wireData) newConversation(ev *inbox.Event) error {
	if d.PhoneNumber == "" {
		return missing("phoneNumber")
	}
	ev.NewConversation = &inbox.NewConversation{
		Phone: d.PhoneNumber, Channel: channel(d.Channel), FirstMessageID: d.FirstMessageID,
		FirstMessageText: d.FirstMessageText, ProfileName: deref(d.ProfileName),
	}
	return nil
}

func (d *wireData) inbound(ev *inbox.Event, typ inbox.MessageType) error {
	switch {
	case d.MessageID == "":
		return missing("messageId")
	case d.From == "":
		return missing("from")
	}
	if typ == "" {
		typ = inbox.TypeText
	}
	ev.Inbound = &inbox.InboundMessage{
		MessageID: d.MessageID, From: d.From, To: d.To, Channel: channel(d.Channel), Type: typ,
		Text: d.Text, Content: d.Content.domain(), ProfileName: deref(d.ProfileName),
		ZavuConversationID: deref(d.ConversationID), At: d.Timestamp.time(),
	}
	return nil
}

// inboundReaction reads a reaction delivered as message.inbound. Zavu does
// not document this shape, so every plausible place is looked at.
func (d *wireData) inboundReaction(ev *inbox.Event) error {
	c := d.Content
	if c == nil {
		c = &wireContent{}
	}
	r := d.Reaction
	if r == nil {
		r = c.Reaction
	}
	if r == nil {
		r = &wireReact{}
	}
	emoji := firstOf(c.Emoji, r.Emoji, d.Text)
	target := firstOf(c.ReactToMessageID, c.ReactedMessageID, c.MessageID, r.MessageID, d.ReactToMessageID)
	if target == "" {
		return missing("content.reactToMessageId")
	}
	from := firstOf(d.From, r.From)
	if from == "" {
		return missing("from")
	}
	action := inbox.ReactionAction(strings.ToLower(firstOf(r.Action, c.Action)))
	if action == "" {
		action = inbox.ReactionAdded
	}
	if emoji == "" {
		action = inbox.ReactionRemoved
	}
	at := r.Timestamp.time()
	if at.IsZero() {
		at = d.Timestamp.time()
	}
	ev.Reaction = &inbox.ReactionChange{MessageID: target, From: from, Emoji: emoji, Action: action, At: at}
	return nil
}

func (d *wireData) reaction(ev *inbox.Event) error {
	if d.MessageID == "" {
		return missing("messageId")
	}
	if d.Reaction == nil {
		return missing("reaction")
	}
	r := d.Reaction
	if r.From == "" {
		return missing("reaction.from")
	}
	action := inbox.ReactionAction(strings.ToLower(r.Action))
	switch action {
	case inbox.ReactionAdded, inbox.ReactionRemoved:
	case "":
		action = inbox.ReactionAdded
		if r.Emoji == "" {
			action = inbox.ReactionRemoved
		}
	default:
		return fmt.Errorf("data.reaction.action %q is neither added nor removed: %w", r.Action, inbox.ErrInvalid)
	}
	ev.Reaction = &inbox.ReactionChange{
		MessageID: d.MessageID, ProviderMessageID: d.ProviderMessageID, From: r.From,
		Emoji: r.Emoji, Action: action, At: r.Timestamp.time(),
	}
	return nil
}

// isEcho tells a message typed in the WhatsApp Business phone app from a
// status report. Only that source makes an echo: a message.sent of a
// message sent through the API reports a status, whatever text or
// direction it carries.
func (d *wireData) isEcho() bool {
	return d.Source == "whatsapp_business_app"
}

func (d *wireData) echo(ev *inbox.Event) error {
	switch {
	case d.MessageID == "":
		return missing("messageId")
	case d.To == "":
		return missing("to")
	}
	status := inbox.Status(strings.ToLower(d.Status))
	if !status.Valid() || status == inbox.StatusReceived {
		status = inbox.StatusSent
	}
	typ := inbox.MessageType(strings.ToLower(d.MessageType))
	if typ == "" {
		typ = inbox.TypeText
	}
	ev.Echo = &inbox.Echo{
		MessageID: d.MessageID, From: d.From, To: d.To, Channel: channel(d.Channel),
		Type: typ, Text: d.Text, Content: d.Content.domain(), Status: status,
	}
	return nil
}

// status reads a delivery report. The status is the event type's, not
// data.status, which a retried or mislabelled delivery could contradict.
func (d *wireData) status(ev *inbox.Event, s inbox.Status) error {
	if d.MessageID == "" {
		return missing("messageId")
	}
	ev.Status = &inbox.StatusReport{
		MessageID: d.MessageID, To: d.To, Channel: channel(d.Channel), Status: s,
		ErrorCode: string(d.ErrorCode), ErrorMessage: d.ErrorMessage,
	}
	return nil
}

func (d *wireData) template(ev *inbox.Event) error {
	if d.TemplateID == "" {
		return missing("templateId")
	}
	if d.CurrentStatus == "" {
		return missing("currentStatus")
	}
	ev.Template = &inbox.TemplateChange{
		TemplateID: d.TemplateID, Name: d.TemplateName, Language: d.Language,
		PreviousStatus: d.PreviousStatus, Status: d.CurrentStatus, RejectionReason: deref(d.RejectionReason),
	}
	return nil
}

func (d *wireData) broadcast(ev *inbox.Event) error {
	if d.BroadcastID == "" {
		return missing("broadcastId")
	}
	var detail []string
	if d.Channel != "" {
		detail = append(detail, "channel "+d.Channel)
	}
	if d.TotalContacts.set {
		detail = append(detail, fmt.Sprintf("%d contacts", d.TotalContacts.n))
	}
	ev.Activity = &inbox.Activity{
		Kind: string(ev.Type), SubjectID: d.BroadcastID, Name: d.Name, Status: d.Status,
		PreviousStatus: d.PreviousStatus, Detail: strings.Join(detail, ", "), At: ev.Timestamp,
	}
	return nil
}

func (d *wireData) invitation(ev *inbox.Event) error {
	if d.InvitationID == "" {
		return missing("invitationId")
	}
	var detail []string
	if e := deref(d.ClientEmail); e != "" {
		detail = append(detail, e)
	}
	// The two Zavu documents name the new sender differently.
	if s := firstOf(d.NewSenderID, d.SenderID); s != "" {
		detail = append(detail, "new sender "+s)
	}
	if d.WabaAccountID != "" {
		detail = append(detail, "WhatsApp Business Account "+d.WabaAccountID)
	}
	ev.Activity = &inbox.Activity{
		Kind: string(ev.Type), SubjectID: d.InvitationID, Name: deref(d.ClientName), Status: d.CurrentStatus,
		PreviousStatus: d.PreviousStatus, Detail: strings.Join(detail, ", "), At: ev.Timestamp,
	}
	return nil
}

func firstOf(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// flexInt reads a whole number given as a JSON number or a numeric string.
type flexInt struct {
	n   int64
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1<<62 {
		return fmt.Errorf("%s is not a number", b)
	}
	f.n, f.set = int64(v), true
	return nil
}

// time reads the number as Unix milliseconds, or seconds when it is too
// small to be milliseconds (before 2001 in ms).
func (f flexInt) time() time.Time {
	switch {
	case !f.set || f.n <= 0:
		return time.Time{}
	case f.n < 1e12:
		return time.Unix(f.n, 0).UTC()
	}
	return time.UnixMilli(f.n).UTC()
}

// flexString reads an error code, which Zavu sends as a string or a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("errorCode must be a string or a number, not %s", b)
	}
	*f = flexString(n.String())
	return nil
}

// jsonProblem names the field a decoding error is about.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s should be %s, not %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}
