package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
)

// The JSON API's shapes. Field names are camelCase like Zavu's; absent
// values are null, never omitted, so scripts see a stable shape.

// jsonTime formats as RFC 3339 in UTC with milliseconds, like Zavu.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

func optTime(t time.Time) *jsonTime {
	if t.IsZero() {
		return nil
	}
	jt := jsonTime(t)
	return &jt
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type contactJSON struct {
	ID    int64   `json:"id"`
	Phone string  `json:"phone"`
	Name  *string `json:"name"`
}

type conversationJSON struct {
	ID                 int64       `json:"id"`
	SenderID           string      `json:"senderId"`
	Channel            string      `json:"channel"`
	Contact            contactJSON `json:"contact"`
	Status             string      `json:"status"`
	AssigneeID         *int64      `json:"assigneeId"`
	UnreadCount        int64       `json:"unreadCount"`
	LastMessageAt      *jsonTime   `json:"lastMessageAt"`
	LastMessagePreview string      `json:"lastMessagePreview"`
	WindowClosesAt     *jsonTime   `json:"windowClosesAt"`
	Labels             []string    `json:"labels"`
	SnoozedUntil       *jsonTime   `json:"snoozedUntil"`
}

func toConversationJSON(c inbox.Conversation) conversationJSON {
	return conversationJSON{
		ID:                 c.ID,
		SenderID:           c.SenderID,
		Channel:            string(c.Channel),
		Contact:            contactJSON{ID: c.Contact.ID, Phone: c.Contact.Phone, Name: optString(c.Contact.Name)},
		Status:             string(c.Status),
		AssigneeID:         c.AssigneeID,
		UnreadCount:        c.UnreadCount,
		LastMessageAt:      optTime(c.LastMessageAt),
		LastMessagePreview: c.LastMessagePreview,
		WindowClosesAt:     optTime(c.WindowClosesAt()),
		Labels:             labelNames(c.Labels),
		SnoozedUntil:       optTime(c.SnoozedUntil),
	}
}

type reactionJSON struct {
	Emoji string `json:"emoji"`
	From  string `json:"from"`
}

type messageJSON struct {
	ID             int64          `json:"id"`
	ZavuID         *string        `json:"zavuId"`
	ConversationID int64          `json:"conversationId"`
	Direction      string         `json:"direction"`
	Channel        string         `json:"channel"`
	Type           string         `json:"type"`
	Text           string         `json:"text"`
	Content        *inbox.Content `json:"content"`
	Status         string         `json:"status"`
	ErrorCode      *string        `json:"errorCode"`
	ErrorMessage   *string        `json:"errorMessage"`
	Source         string         `json:"source"`
	AuthorID       *int64         `json:"authorId"`
	Reactions      []reactionJSON `json:"reactions"`
	CreatedAt      jsonTime       `json:"createdAt"`
	UpdatedAt      jsonTime       `json:"updatedAt"`
}

func toMessageJSON(m inbox.Message) messageJSON {
	out := messageJSON{
		ID:             m.ID,
		ZavuID:         optString(m.ZavuID),
		ConversationID: m.ConversationID,
		Direction:      string(m.Direction),
		Channel:        string(m.Channel),
		Type:           string(m.Type),
		Text:           m.Text,
		Status:         string(m.Status),
		ErrorCode:      optString(m.ErrorCode),
		ErrorMessage:   optString(m.ErrorMessage),
		Source:         string(m.Source),
		AuthorID:       m.AuthorID,
		Reactions:      make([]reactionJSON, 0, len(m.Reactions)),
		CreatedAt:      jsonTime(m.CreatedAt),
		UpdatedAt:      jsonTime(m.UpdatedAt),
	}
	if !m.Content.IsZero() {
		out.Content = m.Content
		if _, _, _, ok := ownFileLink(m.Content.MediaURL); ok {
			// An agent's attachment is named as the pages name it: its
			// signed link hands the file to whoever holds it, and is
			// Zavu's alone.
			c := *m.Content
			c.MediaURL = "/media/" + strconv.FormatInt(m.ID, 10)
			out.Content = &c
		}
	}
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, reactionJSON{Emoji: r.Emoji, From: r.From})
	}
	return out
}

type eventJSON struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Timestamp  *jsonTime       `json:"timestamp"`
	ReceivedAt jsonTime        `json:"receivedAt"`
	SenderID   *string         `json:"senderId"`
	State      string          `json:"state"`
	Error      *string         `json:"error"`
	Attempts   int             `json:"attempts"`
	Payload    json.RawMessage `json:"payload"`
}

func toEventJSON(e inbox.StoredEvent) eventJSON {
	out := eventJSON{
		ID:         e.ID,
		Type:       string(e.Type),
		Timestamp:  optTime(e.Timestamp),
		ReceivedAt: jsonTime(e.ReceivedAt),
		SenderID:   optString(e.SenderID),
		State:      string(e.State),
		Error:      optString(e.Error),
		Attempts:   e.Attempts,
	}
	if json.Valid(e.Raw) {
		out.Payload = e.Raw
	} else {
		out.Payload = json.RawMessage("null")
	}
	return out
}

// page is a list answer: items and the cursor of the next page, null at
// the end.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func newPage[S any, T any](items []S, next string, conv func(S) T) page[T] {
	p := page[T]{Items: make([]T, 0, len(items)), NextCursor: optString(next)}
	for _, it := range items {
		p.Items = append(p.Items, conv(it))
	}
	return p
}

// jsonObject reads a request body that must be one JSON object, with
// nothing after it, into its fields. A field not among known (spelt
// exactly so: JSON's names are case-sensitive) is refused as
// unknown_field; anything else amiss as invalid_body, saying shape.
func jsonObject(body []byte, shape string, known ...string) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if !decodeJSON(body, &fields) || fields == nil {
		return nil, newError(http.StatusBadRequest, "invalid_body", shape)
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if !slices.Contains(known, k) {
			use := known[len(known)-1]
			if len(known) > 1 {
				use = strings.Join(known[:len(known)-1], ", ") + " or " + use
			}
			return nil, newError(http.StatusBadRequest, "unknown_field", "There is no field "+strconv.Quote(k)+"; use "+use+".")
		}
	}
	return fields, nil
}

// decodeJSONBody reads an API request's body (limitAPIBody has capped
// it) as one JSON object into v, whatever its Content-Type says (curl -d
// sends JSON as a form unless told otherwise); an empty body, a form, or
// anything after the object is refused as invalid_body, saying shape, and
// a field not among known as unknown_field (as jsonObject does), so that
// a misspelt field (draftsince, templateVars) is not silently ignored.
func decodeJSONBody(c echo.Context, v any, shape string, known ...string) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return newError(http.StatusBadRequest, "invalid_body", shape)
	}
	if _, err := jsonObject(body, shape, known...); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			// Name the field: the shape alone may not mention it
			// (draftSince).
			what := te.Field + " must be " + jsonKind(te.Type)
			if f := fieldType(reflect.TypeOf(v), te.Field); f != nil && f.Kind() == reflect.Map && f.Elem() == te.Type {
				// A value in an object: encoding/json names the object.
				what = "each value of " + te.Field + " must be " + jsonKind(te.Type)
			}
			return newError(http.StatusBadRequest, "invalid_body", what+". "+shape)
		}
		return newError(http.StatusBadRequest, "invalid_body", shape)
	}
	return nil
}

// fieldType is the type of the field of struct t (or a pointer to one)
// whose JSON name is name, or nil.
func fieldType(t reflect.Type, name string) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name || (tag == "" && f.Name == name) {
			return f.Type
		}
	}
	return nil
}

// jsonKind says in words what JSON a Go type of a request's field takes.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "of another type"
}

// decodeJSON reads body as one JSON value into v, and reports whether it
// was one, with nothing after it.
func decodeJSON(body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if dec.Decode(v) != nil {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}
