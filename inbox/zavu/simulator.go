package zavu

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// SimEvent is one simulated webhook delivery: the JSON body Zavu would POST.
type SimEvent struct {
	ID   string
	Type string
	Body []byte
	At   time.Time // its timestamp: when it happened
}

// Simulator plays realistic conversations as Zavu webhook events of every
// type: new contacts, text and media, locations, contact cards, button and
// list replies, unsupported messages, reactions in both shapes, echoes from
// the phone app with their statuses out of order, failures, template,
// broadcast and invitation changes, an unknown type now and then, and
// duplicate deliveries. It is deterministic for a seed. Not safe for
// concurrent use.
type Simulator struct {
	rng      *rand.Rand
	now      func() time.Time
	senderID string
	ourPhone string
	run      string // makes ids unique across runs with the same seed
	seq      int
	pending  []SimEvent // events held back to arrive late

	// Set by Sandbox.
	sandbox   bool
	templates []Template

	// Set by Paced: how far apart a story's steps are, at least and at
	// most; zero for a story that has already happened.
	paceMin, paceMax time.Duration
}

// Paced makes each story happen from the moment it is made, its steps min
// to max apart, for a player that delivers each event at its time (At),
// as Zavu does, rather than all at once: the sandbox's customers. Without
// it, a story has already happened when it is made: its steps, 1 to 20
// seconds apart, end before that moment, so that a stream delivered at
// once never tells of a time still to come.
func (s *Simulator) Paced(min, max time.Duration) {
	s.paceMin, s.paceMax = min, max
}

// storyLead is how long before the moment it is made a story that has
// already happened begins: a story has at most 13 steps, of at most 20
// seconds each, after a start up to 30 seconds earlier still.
const storyLead = 5 * time.Minute

// Sandbox makes the stream one a live sandbox shows as it is: every event
// is of a type Switchboard applies (no unknown type), and template changes
// speak only of templates (the sandbox's own), each pending one approved
// once. The statuses of the changes are kept in templates' place (the
// caller tells its fake Zavu as each change is delivered).
func (s *Simulator) Sandbox(templates []Template) {
	s.sandbox = true
	s.templates = append([]Template(nil), templates...)
}

// templateChange is the next status change of one of the sandbox's
// templates: a pending template approved. ok is false when none is
// pending.
func (s *Simulator) templateChange() (t Template, ok bool) {
	for i := range s.templates {
		if s.templates[i].Status == "pending" {
			s.templates[i].Status = "approved"
			return s.templates[i], true
		}
	}
	return Template{}, false
}

// NewSimulator returns a Simulator for one sender. now gives the clock
// events are stamped with (time.Now for a live server).
func NewSimulator(seed uint64, senderID, ourPhone string, now func() time.Time) *Simulator {
	if now == nil {
		now = time.Now
	}
	return &Simulator{
		rng:      rand.New(rand.NewPCG(seed, seed^0x5eed)),
		now:      now,
		senderID: senderID,
		ourPhone: ourPhone,
		run:      fmt.Sprintf("%x", now().UnixNano()&0xffffffffff),
	}
}

var (
	simNames = []string{"Zoe Quinn", "Ana Souza", "Liam Chen", "Fatima Khan", "Noah Berg", "Mia Rossi",
		"Kenji Sato", "Amara Obi", "Lucas Martin", "Sofia García", "Ivan Petrov", "Chloé Dubois"}
	simOpeners = []string{"Hi, where is my order?", "Hello! Do you deliver on Sundays?",
		"My package arrived damaged 😞", "Can I change my delivery address?",
		"Is the blue one back in stock?", "I was charged twice for order #4821",
		"How do I return an item?", "Hola, ¿tienen envío a Madrid?"}
	simFollowUps = []string{"Thanks!", "Any update?", "It's order #4821", "Perfect, thank you 🙏",
		"Can you call me instead?", "Still waiting…", "Great, that works for me."}
	simReplies = []string{"Hi! Let me check that for you.", "Sorry about that, we're on it.",
		"Your order ships tomorrow.", "Done, the address is updated.", "Here is your return label."}
	simEmojis = []string{"👍", "❤️", "😂", "🙏", "😮"}
)

func (s *Simulator) pick(xs []string) string { return xs[s.rng.IntN(len(xs))] }

// SimulatedEventIDs is a GLOB pattern that the ids of the simulator's
// events match and Zavu's do not (evt_<milliseconds>_<letters and
// digits>): their timestamps are the simulating machine's clock, often
// set minutes back (a story that has already happened), so they say
// nothing of this clock against Zavu's.
const SimulatedEventIDs = "evt_*_sim*"

// eventID is a new event's id, shaped like Zavu's: the clock's
// milliseconds first, then what makes it unique, so that ids sort about in
// the order the events happen. It matches SimulatedEventIDs.
func (s *Simulator) eventID() string {
	s.seq++
	return fmt.Sprintf("evt_%d_sim%s%07d", s.now().UnixMilli(), s.run, s.seq)
}

func (s *Simulator) id(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s_sim%s_%d", prefix, s.run, s.seq)
}

// event builds one delivery at time t.
func (s *Simulator) event(typ string, t time.Time, senderless bool, data map[string]any) SimEvent {
	env := map[string]any{
		"id":        s.eventID(),
		"type":      typ,
		"timestamp": t.UnixMilli(),
		"projectId": "prj_sim",
		"data":      data,
	}
	if !senderless {
		env["senderId"] = s.senderID
	}
	body, err := json.Marshal(env)
	if err != nil {
		panic(err) // only maps of plain values: cannot fail
	}
	return SimEvent{ID: env["id"].(string), Type: typ, Body: body, At: t}
}

// Next returns the next events of the stream, in delivery order: mostly one
// conversation step, sometimes with a late or duplicated delivery.
func (s *Simulator) Next() []SimEvent {
	evs := s.story()
	// Some deliveries are retried: the same event id arrives twice.
	for _, ev := range evs {
		if s.rng.IntN(10) == 0 {
			evs = append(evs, ev)
		}
	}
	// Statuses and reactions may overtake what they describe.
	s.rng.Shuffle(len(evs), func(i, j int) {
		if s.rng.IntN(3) == 0 {
			evs[i], evs[j] = evs[j], evs[i]
		}
	})
	// A few are held back and arrive with a later batch.
	if len(s.pending) > 0 {
		evs = append(evs, s.pending...)
		s.pending = nil
	}
	if len(evs) > 2 && s.rng.IntN(4) == 0 {
		s.pending = append(s.pending, evs[len(evs)-1])
		evs = evs[:len(evs)-1]
	}
	return evs
}

// Stream returns at least n events (the last story is not cut).
func (s *Simulator) Stream(n int) []SimEvent {
	var out []SimEvent
	for len(out) < n {
		out = append(out, s.Next()...)
	}
	return out
}

// story is one conversation: a new customer writes, maybe sends media, the
// business answers from the phone, statuses follow, the customer reacts.
// Project-level events are mixed in now and then.
func (s *Simulator) story() []SimEvent {
	t := s.now().Add(-storyLead - time.Duration(s.rng.IntN(30))*time.Second)
	step := func() time.Duration { return time.Duration(1+s.rng.IntN(20)) * time.Second }
	if s.paceMax > 0 {
		t = s.now()
		step = func() time.Duration { return s.paceMin + time.Duration(s.rng.Int64N(int64(s.paceMax-s.paceMin)+1)) }
	}
	tick := func() time.Time { t = t.Add(step()); return t }
	whatsapp := s.rng.IntN(4) != 0
	channel := "sms"
	if whatsapp {
		channel = "whatsapp"
	}
	phone := fmt.Sprintf("+1415555%04d", s.rng.IntN(10000))
	var profile any // null on SMS
	if whatsapp {
		profile = s.pick(simNames)
	}
	var evs []SimEvent
	inbound := func(msgType, text string, content map[string]any) string {
		id := s.id("msg")
		data := map[string]any{"messageId": id, "from": phone, "to": s.ourPhone, "channel": channel,
			"messageType": msgType, "text": text, "profileName": profile}
		if content != nil {
			data["content"] = content
		}
		evs = append(evs, s.event("message.inbound", tick(), false, data))
		return id
	}

	first := s.pick(simOpeners)
	firstID := inbound("text", first, nil)
	if s.rng.IntN(2) == 0 {
		evs = append(evs, s.event("conversation.new", t, false, map[string]any{
			"phoneNumber": phone, "channel": channel, "firstMessageId": firstID,
			"firstMessageText": first, "profileName": profile}))
	}
	var customerMsgs = []string{firstID}
	if whatsapp {
		switch s.rng.IntN(8) {
		case 0:
			customerMsgs = append(customerMsgs, inbound("image", "This is how it arrived", map[string]any{"mediaId": fmt.Sprint(s.rng.Int64()), "mimeType": "image/jpeg"}))
		case 1:
			inbound("audio", "", map[string]any{"mediaId": fmt.Sprint(s.rng.Int64()), "mimeType": "audio/ogg; codecs=opus"})
		case 2:
			inbound("document", "Invoice", map[string]any{"mediaId": fmt.Sprint(s.rng.Int64()), "mimeType": "application/pdf", "filename": "invoice-4821.pdf"})
		case 3:
			inbound("location", "", map[string]any{"latitude": 37.7749, "longitude": -122.4194, "name": "San Francisco", "address": "San Francisco, CA, USA"})
		case 4:
			inbound("contact", "", map[string]any{"contacts": []any{map[string]any{"name": "Jane Smith",
				"phones": []any{map[string]any{"phone": "+14155559999", "type": "MOBILE"}}}}})
		case 5:
			inbound("text", "Yes, I'm interested", map[string]any{"interactiveReply": map[string]any{"type": "button_reply", "id": "btn_yes", "title": "Yes, I'm interested"}})
		case 6:
			evs = append(evs, s.event("message.unsupported", tick(), false, map[string]any{
				"messageId": s.id("msg"), "from": phone, "to": s.ourPhone, "channel": "whatsapp", "timestamp": t.UnixMilli()}))
		case 7:
			inbound("video", "", map[string]any{"mediaId": fmt.Sprint(s.rng.Int64()), "mimeType": "video/mp4"})
		}
	}

	// The business answers; on WhatsApp from the phone app (an echo), on SMS
	// we see only the statuses of a message sent by another system.
	replyID := s.id("msg")
	if whatsapp {
		evs = append(evs, s.event("message.sent", tick(), false, map[string]any{
			"messageId": replyID, "from": s.ourPhone, "to": phone, "channel": channel, "messageType": "text",
			"status": "sent", "text": s.pick(simReplies), "source": "whatsapp_business_app", "direction": "outbound"}))
	}
	statuses := []string{"queued", "sent", "delivered"}
	if whatsapp {
		statuses = append(statuses, "read")
	}
	for _, st := range statuses {
		data := map[string]any{"messageId": replyID, "to": phone, "channel": channel, "status": st}
		evs = append(evs, s.event("message."+st, tick(), false, data))
	}
	if s.rng.IntN(6) == 0 {
		// A second reply that fails, with the code as a string or a number:
		// the carrier's on SMS, WhatsApp's inside the window it just opened.
		failID := s.id("msg")
		code, text := "30003", "Unreachable destination handset"
		if whatsapp {
			code, text = "131026", "Message undeliverable"
		}
		var wire any = code
		if s.rng.IntN(2) == 0 {
			wire = json.Number(code)
		}
		evs = append(evs,
			s.event("message.queued", tick(), false, map[string]any{"messageId": failID, "to": phone, "channel": channel, "status": "queued"}),
			s.event("message.failed", tick(), false, map[string]any{"messageId": failID, "to": phone, "channel": channel,
				"status": "failed", "errorCode": wire, "errorMessage": text}))
	}
	if whatsapp && s.rng.IntN(3) == 0 {
		emoji := s.pick(simEmojis)
		reacted := replyID
		if s.rng.IntN(2) == 0 {
			evs = append(evs, s.event("message.reaction", tick(), false, map[string]any{
				"messageId": reacted, "providerMessageId": "wamid." + s.id("w"),
				"reaction": map[string]any{"emoji": emoji, "from": phone, "timestamp": t.UnixMilli(), "action": "added"}}))
		} else {
			evs = append(evs, s.event("message.inbound", tick(), false, map[string]any{
				"messageId": s.id("msg"), "from": phone, "to": s.ourPhone, "channel": channel, "messageType": "reaction",
				"text": emoji, "content": map[string]any{"emoji": emoji, "reactToMessageId": reacted}, "profileName": profile}))
		}
		if s.rng.IntN(3) == 0 {
			evs = append(evs, s.event("message.reaction", tick(), false, map[string]any{
				"messageId": reacted, "reaction": map[string]any{"emoji": "", "from": phone, "timestamp": t.UnixMilli(), "action": "removed"}}))
		}
	}
	if s.rng.IntN(2) == 0 {
		inbound("text", s.pick(simFollowUps), nil)
	}

	switch s.rng.IntN(12) {
	case 0:
		if !s.sandbox {
			evs = append(evs, s.event("template.status_changed", tick(), false, map[string]any{
				"templateId": "tmpl_order_update", "templateName": "order_update", "language": "en",
				"previousStatus": "pending", "currentStatus": "approved", "rejectionReason": nil}))
		} else if tm, ok := s.templateChange(); ok {
			evs = append(evs, s.event("template.status_changed", tick(), false, map[string]any{
				"templateId": tm.ID, "templateName": tm.Name, "language": tm.Language,
				"previousStatus": "pending", "currentStatus": "approved", "rejectionReason": nil}))
		}
	case 1:
		evs = append(evs, s.event("broadcast.status_changed", tick(), true, map[string]any{
			"broadcastId": s.id("brd"), "name": "Weekend sale", "status": "completed", "previousStatus": "sending",
			"channel": "sms", "totalContacts": 1200}))
	case 2:
		evs = append(evs, s.event("invitation.status_changed", tick(), true, map[string]any{
			"invitationId": s.id("inv"), "clientName": "Acme Corp", "clientEmail": "contact@acme.example",
			"previousStatus": "in_progress", "currentStatus": "completed", "senderId": s.id("snd"), "wabaAccountId": "waba_1"}))
	case 3:
		if !s.sandbox { // a type Switchboard does not know: kept in the log as failed
			evs = append(evs, s.event("contact.updated", tick(), false, map[string]any{"phone": phone}))
		}
	}
	return evs
}
