package zavu

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"switchboard/inbox"
)

// Messenger sends Switchboard's replies through a Client: it implements
// inbox.Messenger, turning Zavu's answers and errors into the domain's.
type Messenger struct {
	Client *Client
}

var _ inbox.Messenger = Messenger{}

// Send sends m with its idempotency key.
func (s Messenger) Send(ctx context.Context, m inbox.OutgoingMessage) (inbox.SendResult, error) {
	req := SendRequest{
		SenderID: m.SenderID, To: m.To, Channel: string(m.Channel), MessageType: string(m.Type),
		Text: m.Text, IdempotencyKey: m.IdempotencyKey,
	}
	if c := m.Content; c != nil {
		req.Content = &Content{MediaURL: c.MediaURL, MimeType: c.MimeType, Filename: c.Filename,
			TemplateID: c.TemplateID, TemplateVariables: c.TemplateVariables}
		for _, b := range c.Buttons {
			req.Content.Buttons = append(req.Content.Buttons, Button{ID: b.ID, Title: b.Title})
		}
	}
	if m.Type == inbox.TypeTemplate {
		req.Text = "" // the template carries the words
	}
	res, err := s.Client.Send(ctx, req)
	if err != nil {
		return inbox.SendResult{}, sendError(err)
	}
	st := inbox.Status(res.Status)
	if !st.Valid() {
		st = inbox.StatusQueued
	}
	// Taken and failed at once, the message has its id all the same:
	// Zavu's reports about it name it.
	return inbox.SendResult{ZavuID: res.ID, Status: st, ErrorCode: res.ErrorCode, ErrorMessage: res.ErrorMessage}, nil
}

// sendError says what the outbox needs of a failed call: temporary or not,
// how long Zavu asked to wait, and a code ExplainFailure knows.
func sendError(err error) error {
	var api *APIError
	if errors.As(err, &api) {
		code := api.Code
		if code == "" || api.Status == http.StatusUnauthorized || api.Status == http.StatusPaymentRequired || api.Status == http.StatusForbidden {
			switch api.Status {
			case http.StatusUnauthorized:
				code = "unauthorized"
			case http.StatusPaymentRequired:
				code = "insufficient_balance"
			case http.StatusForbidden:
				code = "forbidden"
			default:
				if code == "" {
					code = strconv.Itoa(api.Status)
				}
			}
		}
		return &inbox.SendError{Temporary: api.Temporary(), RateLimited: api.Status == http.StatusTooManyRequests,
			RetryAfter: api.RetryAfter, Code: code, Message: api.Message, Status: api.Status}
	}
	se := &inbox.SendError{Temporary: IsTemporary(err) || !errors.Is(err, context.Canceled), Message: err.Error()}
	var ne *NetworkError
	se.Timeout = errors.As(err, &ne) && ne.Timeout
	return se
}

// MediaURL is where Zavu keeps a message's media, a customer's or one sent
// from the WhatsApp Business phone app: webhooks carry only its id; the
// message, read back, has the URL.
func (s Messenger) MediaURL(ctx context.Context, zavuMessageID string) (string, error) {
	m, err := s.Client.GetMessage(ctx, zavuMessageID)
	if err != nil {
		return "", err
	}
	if m.Content == nil || m.Content.MediaURL == "" {
		return "", errors.New("zavu: the message has no media url yet")
	}
	return m.Content.MediaURL, nil
}

// React puts the business's emoji on a customer's message; an empty emoji
// removes it.
func (s Messenger) React(ctx context.Context, zavuMessageID, emoji string) error {
	if err := s.Client.React(ctx, zavuMessageID, emoji); err != nil {
		return sendError(err)
	}
	return nil
}

// MarkRead marks a customer's WhatsApp message read (and shows "typing..."
// for a moment), as the typing endpoint does.
func (s Messenger) MarkRead(ctx context.Context, zavuMessageID string) error {
	if err := s.Client.Typing(ctx, zavuMessageID); err != nil {
		return sendError(err)
	}
	return nil
}
