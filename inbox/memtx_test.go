package inbox

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// memTx is an in-memory ReplyTx, so the rules can be tested without a
// database. It stores values, never pointers to the caller's structs, like
// a real store does. A message's ID is its place in messages plus one; a
// deleted message leaves a zero Message (ID 0) in its place.
type memTx struct {
	senders       map[string]string
	contacts      []Contact
	conversations []Conversation
	messages      []Message
	outbox        []OutboxEntry
	retired       map[string]int64 // retired Zavu id -> message id
	reactions     map[[2]string]Reaction
	templates     map[string]Template
	activities    []Activity
	events        map[string]bool
}

func newMemTx() *memTx {
	return &memTx{
		senders:   map[string]string{},
		retired:   map[string]int64{},
		reactions: map[[2]string]Reaction{},
		templates: map[string]Template{},
		events:    map[string]bool{},
	}
}

// ingest applies ev unless its id was seen, as the store does.
func (s *memTx) ingest(ev *Event) (Change, error) {
	if s.events[ev.ID] {
		return Change{}, nil
	}
	s.events[ev.ID] = true
	return Apply(context.Background(), s, ev)
}

func (s *memTx) UpsertSender(_ context.Context, id, phone string) error {
	if phone != "" || s.senders[id] == "" {
		s.senders[id] = phone
	}
	return nil
}

func (s *memTx) UpsertContact(_ context.Context, phone, name string, at time.Time) (Contact, error) {
	for i, c := range s.contacts {
		if c.Phone == phone {
			if name != "" && (c.NameAt.Before(at) || (c.NameAt.Equal(at) && name > c.Name)) {
				s.contacts[i].Name, s.contacts[i].NameAt = name, at
			}
			return s.contacts[i], nil
		}
	}
	c := Contact{ID: int64(len(s.contacts) + 1), Phone: phone, Name: name}
	if name != "" {
		c.NameAt = at
	}
	s.contacts = append(s.contacts, c)
	return c, nil
}

func (s *memTx) EnsureConversation(_ context.Context, k ConversationKey, at time.Time) (Conversation, error) {
	for _, c := range s.conversations {
		if c.SenderID == k.SenderID && c.Channel == k.Channel && c.Contact.ID == k.ContactID {
			c.Contact = s.contacts[k.ContactID-1]
			return c, nil
		}
	}
	c := Conversation{
		ID: int64(len(s.conversations) + 1), SenderID: k.SenderID, Channel: k.Channel,
		Contact: s.contacts[k.ContactID-1], Status: Open, LastMessageAt: at, CreatedAt: at, UpdatedAt: at,
	}
	s.conversations = append(s.conversations, c)
	return c, nil
}

func (s *memTx) SaveConversation(_ context.Context, c *Conversation) error {
	s.conversations[c.ID-1] = *c
	return nil
}

func (s *memTx) MessageByZavuID(_ context.Context, id string) (Message, error) {
	for _, m := range s.messages {
		if m.ID != 0 && id != "" && m.ZavuID == id {
			return m, nil
		}
	}
	return Message{}, fmt.Errorf("message %s: %w", id, ErrNotFound)
}

func (s *memTx) MessageByRetiredZavuID(ctx context.Context, id string) (Message, error) {
	if mid, ok := s.retired[id]; ok {
		return s.MessageByID(ctx, mid)
	}
	return Message{}, fmt.Errorf("retired message %s: %w", id, ErrNotFound)
}

func (s *memTx) RetireZavuID(_ context.Context, messageID int64, id string, _ time.Time) error {
	if _, ok := s.retired[id]; !ok {
		s.retired[id] = messageID
	}
	return nil
}

func (s *memTx) TakeOutboxKey(context.Context, int64, int) (string, error) { return "", nil }

func (s *memTx) InsertMessage(_ context.Context, m *Message) error {
	if m.ZavuID != "" {
		if _, err := s.MessageByZavuID(context.Background(), m.ZavuID); err == nil {
			return fmt.Errorf("zavu id %s: %w", m.ZavuID, ErrConflict)
		}
	}
	m.ID = int64(len(s.messages) + 1)
	s.messages = append(s.messages, *m)
	return nil
}

func (s *memTx) UpdateMessage(_ context.Context, m *Message) error {
	if m.ZavuID != "" {
		if x, err := s.MessageByZavuID(context.Background(), m.ZavuID); err == nil && x.ID != m.ID {
			return fmt.Errorf("zavu id %s: %w", m.ZavuID, ErrConflict)
		}
	}
	s.messages[m.ID-1] = *m
	return nil
}

func (s *memTx) ConversationByID(_ context.Context, id int64) (Conversation, error) {
	if id < 1 || int(id) > len(s.conversations) || s.conversations[id-1].ID == 0 {
		return Conversation{}, fmt.Errorf("conversation %d: %w", id, ErrNotFound)
	}
	c := s.conversations[id-1]
	c.Contact = s.contacts[c.Contact.ID-1]
	return c, nil
}

func (s *memTx) MessageByID(_ context.Context, id int64) (Message, error) {
	if id < 1 || int(id) > len(s.messages) || s.messages[id-1].ID == 0 {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	return s.messages[id-1], nil
}

func (s *memTx) DeleteMessage(ctx context.Context, id int64) error {
	if _, err := s.MessageByID(ctx, id); err != nil {
		return err
	}
	s.messages[id-1] = Message{}
	return nil
}

func (s *memTx) DeleteEmptyConversation(ctx context.Context, id int64) (bool, error) {
	if _, err := s.ConversationByID(ctx, id); err != nil {
		return false, nil
	}
	for _, m := range s.messages {
		if m.ID != 0 && m.ConversationID == id {
			return false, nil
		}
	}
	s.conversations[id-1] = Conversation{}
	return true, nil
}

func (s *memTx) SummarizeMessages(_ context.Context, conversationID int64) (MessageSummary, error) {
	var sum MessageSummary
	for _, m := range s.messages {
		if m.ID == 0 || m.ConversationID != conversationID {
			continue
		}
		if l := sum.Latest; l.ID == 0 || m.CreatedAt.After(l.CreatedAt) ||
			(m.CreatedAt.Equal(l.CreatedAt) && (m.ZavuID > l.ZavuID || (m.ZavuID == l.ZavuID && m.ID > l.ID))) {
			sum.Latest = m
		}
		if m.Direction == Inbound {
			sum.InboundCount++
			if m.CreatedAt.After(sum.LastInboundAt) {
				sum.LastInboundAt = m.CreatedAt
			}
		}
	}
	return sum, nil
}

func (s *memTx) InsertOutbox(_ context.Context, e *OutboxEntry) error {
	for _, x := range s.outbox {
		if x.Message.IdempotencyKey == e.Message.IdempotencyKey {
			return fmt.Errorf("idempotency key %s: %w", e.Message.IdempotencyKey, ErrConflict)
		}
	}
	e.ID = int64(len(s.outbox) + 1)
	s.outbox = append(s.outbox, *e)
	return nil
}

func (s *memTx) FailQueuedOutbox(_ context.Context, conversationID int64, reason string) ([]int64, error) {
	var ids []int64
	for i := range s.outbox {
		if e := &s.outbox[i]; e.ConversationID == conversationID && (e.State == "" || e.State == OutboxQueued) {
			e.State, e.LastError = OutboxFailed, reason
			ids = append(ids, e.MessageID)
		}
	}
	return ids, nil
}

func (s *memTx) OptSignals(_ context.Context, conversationID int64, from, to time.Time) ([]Message, error) {
	var out []Message
	within := func(t time.Time) bool { return !t.Before(from) && !t.After(to) }
	for _, m := range s.messages {
		if m.ID == 0 || m.ConversationID != conversationID {
			continue
		}
		if m.Direction == Inbound && m.Type == TypeText && len([]rune(m.Text)) <= 64 && within(m.CreatedAt) ||
			m.ErrorCode == "21610" && within(m.StatusTimes.Failed) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *memTx) Reaction(_ context.Context, msg, from string) (Reaction, bool, error) {
	r, ok := s.reactions[[2]string{msg, from}]
	return r, ok, nil
}

func (s *memTx) PutReaction(_ context.Context, r Reaction) error {
	s.reactions[[2]string{r.MessageZavuID, r.From}] = r
	return nil
}

func (s *memTx) Template(_ context.Context, id string) (Template, error) {
	t, ok := s.templates[id]
	if !ok {
		return Template{}, ErrNotFound
	}
	return t, nil
}

func (s *memTx) PutTemplate(_ context.Context, t Template) error {
	s.templates[t.ID] = t
	return nil
}

func (s *memTx) AddActivity(_ context.Context, a Activity) error {
	s.activities = append(s.activities, a)
	return nil
}

// snapshot is the state a user could see, independent of insertion order:
// messages keyed by Zavu id, conversations by key, reactions that show.
type snapshot struct {
	Messages      map[string]Message
	Conversations map[string]Conversation
	Reactions     map[string][]string
	Templates     map[string]Template
}

func (s *memTx) snapshot() snapshot {
	snap := snapshot{
		Messages: map[string]Message{}, Conversations: map[string]Conversation{},
		Reactions: map[string][]string{}, Templates: s.templates,
	}
	convKey := map[int64]string{}
	for _, c := range s.conversations {
		if c.ID == 0 {
			continue // deleted
		}
		k := fmt.Sprintf("%s/%s/%s", c.SenderID, c.Channel, c.Contact.Phone)
		convKey[c.ID] = k
		c.ID, c.Contact.ID, c.CreatedAt, c.UpdatedAt = 0, 0, time.Time{}, time.Time{}
		c.Contact = s.contacts[slices.IndexFunc(s.contacts, func(x Contact) bool { return x.Phone == c.Contact.Phone })]
		c.Contact.ID, c.Contact.NameAt = 0, time.Time{}
		if c.LastMessageID != 0 {
			c.LastMessagePreview = "#" + s.messages[c.LastMessageID-1].ZavuID + " " + c.LastMessagePreview
		}
		c.LastMessageID = 0
		snap.Conversations[k] = c
	}
	for _, m := range s.messages {
		if m.ID == 0 {
			continue // deleted
		}
		k := m.ZavuID + " in " + convKey[m.ConversationID]
		m.ID, m.ConversationID, m.UpdatedAt = 0, 0, time.Time{}
		snap.Messages[k] = m
	}
	for k, r := range s.reactions {
		if r.Emoji != "" {
			snap.Reactions[k[0]] = append(snap.Reactions[k[0]], r.From+" "+r.Emoji)
		}
	}
	for _, v := range snap.Reactions {
		slices.Sort(v)
	}
	return snap
}
