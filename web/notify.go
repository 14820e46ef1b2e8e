package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"switchboard/inbox"
)

// Notifications
//
// The notifier decides, on the server and from committed changes, which
// agent is told of what (inbox.NotifyKind):
//   - a customer's first message in a conversation no one is assigned to
//     is a new conversation for every active agent;
//   - a customer's message in an assigned conversation is for its
//     assignee;
//   - both as the conversation was when the message was stored, however
//     late the notifier reads it: a new conversation a teammate assigned
//     meanwhile is still news to the team, and its assignee hears of the
//     assignment, not of a message;
//   - an assignment by a teammate is for the agent assigned (tell, from
//     the handler that committed it);
//   - a mention in a note is for the agent mentioned (notifyMentioned).
//
// Each agent's settings (inbox.NotificationSettings) filter the kinds. An
// agent with a live page open gets a "notify" part over the websocket
// (<i data-live="notify" ...>), which static/notify.js turns into the tab
// title's count, the icon's badge, a desktop notification and a sound as
// the settings say. An agent with no page open, on this process or any
// other (pages_relay.go), gets a Web Push message in every browser they
// turned it on in, encrypted for that browser and signed with the
// server's VAPID keys; a push service that answers 404 or 410 for a
// subscription has forgotten it, and so does the store.
//
// The notifier runs on its own goroutine, and Web Push on a few workers
// of their own: neither ever holds up a webhook, a handler or the hub. A
// committed change only wakes the notifier, which then reads the
// customers' messages stored since the last it saw, a batch at a time
// (store InboundSince): a burst of webhooks costs a few queries, not a
// few per message. The team and their settings are kept for a few
// seconds. An agent gets at most notifyBatch notices from one batch.

// notifyFreshness is how old a customer's message may be and still be
// announced: an event retried hours late, or history loaded in bulk, is
// not news.
const notifyFreshness = time.Hour

// Batch sizes: customers' messages read at once, and the most notices one
// agent gets from one batch (a burst of new conversations is not a burst
// of desktop notifications).
const (
	arrivalBatch = 500
	notifyBatch  = 5
)

// notifyTeamAge is how long the team and their settings are kept before
// they are read again; saving one's settings or push subscriptions reads
// them again at once.
const notifyTeamAge = 5 * time.Second

// notice is one thing to tell: to one agent, or with userID 0 to every
// agent the kind concerns.
type notice struct {
	kind   inbox.NotifyKind
	userID int64
	convID int64
	byID   int64  // the teammate who assigned or mentioned
	text   string // what they wrote, for a mention
	msgID  int64  // the customer's message it is about, if any
	noteID int64  // the note of a mention, which a click opens at
	// elsewhere: another process stored what it is about, and sends the
	// Web Push for it; this one tells its own pages only.
	elsewhere bool
}

type notifier struct {
	s       *Server
	wake    chan struct{} // a change stored messages
	notices chan notice   // assignments and mentions
	stop    chan struct{}
	done    chan struct{}
	// mark is the latest message considered: a customer's message is
	// announced once, when it is first stored, not when a status or a
	// reaction touches it again.
	mark   int64
	push   *pusher // nil: no Web Push
	closed sync.Once

	// The team as last read, by the notifier's goroutine alone.
	team    []notifyAgent
	teamAt  time.Time
	refresh atomic.Bool // read the team again before the next notice

	// elsewhere are the messages other processes told of (relay.go), not
	// yet past the mark: their notices are for this process's pages only.
	elsewhereMu sync.Mutex
	elsewhere   map[int64]struct{}
}

// notifyAgent is an active agent and what they want to hear of.
type notifyAgent struct {
	user     inbox.User
	settings inbox.NotificationSettings
	pushes   bool // some browser of theirs takes Web Push
}

func newNotifier(s *Server, pushClient *http.Client) *notifier {
	n := &notifier{s: s, wake: make(chan struct{}, 1), notices: make(chan notice, 256),
		stop: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mark, err := s.store.LatestMessageID(ctx)
	if err != nil {
		s.log.Warn("notifications: latest message not read", "err", err)
	}
	n.mark = mark
	keys, err := s.store.PushKeys(ctx, newVAPIDKeys)
	if err != nil {
		s.log.Warn("web push is off: keys not loaded", "err", err)
	} else {
		if pushClient == nil {
			pushClient = SafeMediaClient()
			pushClient.Timeout = 30 * time.Second
		}
		n.push = newPusher(s.store, keys, s.pushSubscriber(), pushClient, s.log, s.failLog, n.forget)
	}
	go n.run()
	return n
}

func newVAPIDKeys() (inbox.VAPIDKeys, error) {
	priv, pub, err := webpush.GenerateVAPIDKeys()
	return inbox.VAPIDKeys{Public: pub, Private: priv}, err
}

// pushSubscriber is the contact push services see in the VAPID claims:
// the public URL when it is https, else an address at its host.
func (s *Server) pushSubscriber() string {
	if s.https() {
		return s.cfg.BaseURL.String()
	}
	host := "localhost"
	if s.cfg.BaseURL != nil && s.cfg.BaseURL.Hostname() != "" {
		host = s.cfg.BaseURL.Hostname()
	}
	return "switchboard@" + host
}

// changed hears of a committed change; it never blocks.
func (n *notifier) changed(ch inbox.Change) {
	if len(ch.MessageIDs) == 0 {
		return
	}
	select {
	case n.wake <- struct{}{}:
	default: // awake already: it reads whatever is new
	}
}

// maxElsewhere bounds the messages other processes told of that the
// notifier keeps.
const maxElsewhere = 100_000

// changedElsewhere hears of a change another process committed.
func (n *notifier) changedElsewhere(ch inbox.Change) {
	if len(ch.MessageIDs) == 0 {
		return
	}
	n.elsewhereMu.Lock()
	if n.elsewhere == nil || len(n.elsewhere) > maxElsewhere {
		// Past the bound (replies' statuses, with no customer's message
		// to move the mark): at worst a notice is pushed twice.
		n.elsewhere = map[int64]struct{}{}
	}
	for _, id := range ch.MessageIDs {
		n.elsewhere[id] = struct{}{}
	}
	n.elsewhereMu.Unlock()
	n.changed(ch)
}

// storedElsewhere reports whether another process told of message id,
// and forgets those up to mark.
func (n *notifier) storedElsewhere(id, mark int64) bool {
	n.elsewhereMu.Lock()
	defer n.elsewhereMu.Unlock()
	_, ok := n.elsewhere[id]
	if len(n.elsewhere) > 0 && id == mark {
		for x := range n.elsewhere {
			if x <= mark {
				delete(n.elsewhere, x)
			}
		}
	}
	return ok
}

// tell queues one notice; it never blocks.
func (n *notifier) tell(nt notice) {
	select {
	case n.notices <- nt:
	default:
		n.s.failLog.Log(context.Background(), slog.LevelWarn, "notification dropped: queue full", "kind", nt.kind)
	}
}

// forget makes the notifier read the team and their settings again
// before its next notice.
func (n *notifier) forget() { n.refresh.Store(true) }

func (n *notifier) close() {
	n.closed.Do(func() {
		close(n.stop)
		<-n.done
		if n.push != nil {
			n.push.close()
		}
	})
}

// notifyWork bounds one round of the notifier's work.
const notifyWork = 30 * time.Second

func (n *notifier) run() {
	defer close(n.done)
	// Each round of work has notifyWork from when it starts, not from when
	// the notifier began to wait for it.
	work := func(f func(context.Context) error) error {
		ctx, cancel := context.WithTimeout(context.Background(), notifyWork)
		defer cancel()
		return f(ctx)
	}
	for {
		var err error
		select {
		case <-n.wake:
			err = work(n.arrivals)
		case nt := <-n.notices:
			err = work(func(ctx context.Context) error { return n.send(ctx, []notice{nt}) })
		case <-n.stop:
			return
		}
		if err != nil {
			n.s.failLog.Log(context.Background(), slog.LevelWarn, "notifications not sent", "err", err)
		}
	}
}

// arrivals announces the customers' messages stored since the mark.
func (n *notifier) arrivals(ctx context.Context) error {
	for {
		as, err := n.s.store.InboundSince(ctx, n.mark, arrivalBatch)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return nil
		}
		n.mark = as[len(as)-1].MessageID
		var out []notice
		elsewhere := map[int64]bool{}
		for _, a := range as {
			elsewhere[a.MessageID] = n.storedElsewhere(a.MessageID, n.mark)
		}
		told := map[int64]bool{} // one notice per conversation
		fresh := n.s.now().Add(-notifyFreshness)
		for _, a := range as {
			if a.CreatedAt.Before(fresh) || told[a.ConversationID] {
				continue
			}
			switch {
			case a.AssigneeID != nil:
				out = append(out, notice{kind: inbox.NotifyMessage, userID: *a.AssigneeID, convID: a.ConversationID, msgID: a.MessageID,
					elsewhere: elsewhere[a.MessageID]})
			case a.First:
				out = append(out, notice{kind: inbox.NotifyNewConversation, convID: a.ConversationID, msgID: a.MessageID,
					elsewhere: elsewhere[a.MessageID]})
			default:
				continue
			}
			told[a.ConversationID] = true
		}
		if err := n.send(ctx, out); err != nil {
			return err
		}
		if len(as) < arrivalBatch {
			return nil
		}
	}
}

// agents returns the active team and their settings, read again when
// they are older than notifyTeamAge or were changed.
func (n *notifier) agents(ctx context.Context) ([]notifyAgent, error) {
	now := time.Now()
	if !n.refresh.Swap(false) && n.team != nil && now.Sub(n.teamAt) < notifyTeamAge {
		return n.team, nil
	}
	users, err := n.s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	team := []notifyAgent{}
	for _, u := range users {
		if !u.Active {
			continue
		}
		set, err := n.s.store.NotificationSettings(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		a := notifyAgent{user: u, settings: set}
		if set.Push && n.push != nil {
			subs, err := n.s.store.PushSubscriptions(ctx, u.ID)
			if err != nil {
				return nil, err
			}
			a.pushes = len(subs) > 0
		}
		team = append(team, a)
	}
	n.team, n.teamAt = team, now
	return team, nil
}

// send tells each notice to the agents it is for: over their live pages
// (one message for all of an agent's notices), or by Web Push when they
// have none open.
func (n *notifier) send(ctx context.Context, notices []notice) error {
	if len(notices) == 0 {
		return nil
	}
	team, err := n.agents(ctx)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, a := range team {
		names[a.user.ID] = a.user.Name
	}
	perAgent := map[int64][]notification{}
	convs := map[int64]*inbox.Conversation{}
	for _, nt := range notices {
		var to []notifyAgent
		for _, a := range team {
			if (nt.userID == 0 || a.user.ID == nt.userID) && a.user.ID != nt.byID && a.settings.Wants(nt.kind) &&
				len(perAgent[a.user.ID]) < notifyBatch {
				to = append(to, a)
			}
		}
		if len(to) == 0 {
			continue
		}
		c, ok := convs[nt.convID]
		if !ok {
			cv, err := n.s.store.Conversation(ctx, nt.convID)
			if errors.Is(err, inbox.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			c, convs[nt.convID] = &cv, &cv
		}
		var m *inbox.Message
		// The conversation's preview is its latest message's already.
		if nt.msgID != 0 && nt.msgID != c.LastMessageID {
			if msg, err := n.s.store.Message(ctx, nt.msgID); err == nil {
				m = &msg
			}
		}
		msg := n.message(nt, *c, m, names[nt.byID])
		msg.elsewhere = nt.elsewhere
		for _, a := range to {
			perAgent[a.user.ID] = append(perAgent[a.user.ID], msg)
		}
	}
	for _, a := range team {
		msgs := perAgent[a.user.ID]
		if len(msgs) == 0 {
			continue
		}
		n.s.log.Debug("agent notified", "user_id", a.user.ID, "notices", len(msgs))
		if n.s.livePages.count(a.user.ID) > 0 {
			var b []byte
			for _, m := range msgs {
				b = append(b, m.live(a.settings)...)
			}
			n.s.hub.sendUser(a.user.ID, b)
			continue
		}
		if !a.pushes {
			continue
		}
		n.s.hub.awaitOthers()
		if n.s.hub.pageElsewhere(a.user.ID) {
			continue // a page on another process shows the notice
		}
		subs, err := n.s.store.PushSubscriptions(ctx, a.user.ID)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.elsewhere {
				continue // the process that stored it pushes it
			}
			body, _ := json.Marshal(m)
			for _, sub := range subs {
				n.push.enqueue(pushJob{sub: sub, body: body, topic: "c" + strconv.FormatInt(m.Conversation, 10)})
			}
		}
	}
	return nil
}

// notification is what an agent is told: the page and the service worker
// (static/sw.js) show Title and Body, and open URL when it is clicked.
type notification struct {
	Kind         inbox.NotifyKind `json:"kind"`
	Conversation int64            `json:"conversation"`
	Title        string           `json:"title"`
	Body         string           `json:"body"`
	URL          string           `json:"url"`
	elsewhere    bool             // another process sends its Web Push
}

// notificationText bounds what a notification says of a message.
const notificationText = 140

func (n *notifier) message(nt notice, c inbox.Conversation, m *inbox.Message, by string) notification {
	who := c.Contact.Name
	if who == "" {
		who = c.Contact.Phone
	}
	what := c.LastMessagePreview
	if m != nil {
		what = inbox.Preview(*m)
	}
	if nt.kind == inbox.NotifyMentioned {
		what = nt.text
	}
	if by == "" {
		by = "A teammate"
	}
	out := notification{Kind: nt.kind, Conversation: c.ID, URL: "/conversations/" + strconv.FormatInt(c.ID, 10)}
	if nt.noteID != 0 {
		out.URL += "#m-" + strconv.FormatInt(nt.noteID, 10) // the thread opens at the note, as from the Mentions view
	}
	switch nt.kind {
	case inbox.NotifyNewConversation:
		out.Title = "New conversation with " + who
	case inbox.NotifyMessage:
		out.Title = "New message from " + who
	case inbox.NotifyAssigned:
		out.Title = by + " assigned you the conversation with " + who
	case inbox.NotifyMentioned:
		out.Title = by + " mentioned you in the conversation with " + who
	}
	out.Title = shorten(out.Title, notificationText)
	out.Body = shorten(what, notificationText)
	return out
}

func shorten(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

// live is the notification as a part of a live message, with what the
// agent's settings ask the page to do with it.
func (m notification) live(set inbox.NotificationSettings) []byte {
	flag := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	return fmt.Appendf(nil, `<i data-live="notify" data-kind="%s" data-conversation="%d" data-title="%s" data-body="%s" data-url="%s" data-sound="%s" data-desktop="%s" hidden></i>`,
		html.EscapeString(string(m.Kind)), m.Conversation, html.EscapeString(m.Title), html.EscapeString(m.Body),
		html.EscapeString(m.URL), flag(set.Sound), flag(set.Desktop))
}

// notifyReassigned tells the agent a teammate (byID) assigned the
// conversation to, when its assignee changed; assigning oneself tells no
// one.
func (s *Server) notifyReassigned(before, after inbox.Conversation, byID int64) {
	if after.AssigneeID == nil || *after.AssigneeID == byID ||
		(before.AssigneeID != nil && *before.AssigneeID == *after.AssigneeID) {
		return
	}
	s.notifier.tell(notice{kind: inbox.NotifyAssigned, userID: *after.AssigneeID, convID: after.ID, byID: byID})
	s.relay(relayAssigned, *after.AssigneeID, after.ID, byID)
}

// notifyMentioned tells an agent that a teammate (byID) mentioned them in
// a note of the conversation; text is the note, noteID its id, at which
// the notification opens the thread. Call it after the commit
// that stored the note, once per agent mentioned. An agent mentioning
// themselves is not told. elsewhere: another process stored the note
// (see notice).
func (s *Server) notifyMentioned(convID, noteID, mentionedID, byID int64, text string, elsewhere bool) {
	if mentionedID == 0 || mentionedID == byID {
		return
	}
	s.notifier.tell(notice{kind: inbox.NotifyMentioned, userID: mentionedID, convID: convID, noteID: noteID, byID: byID, text: text,
		elsewhere: elsewhere})
}

// count is how many live pages the user has open.
func (p *pageCounter) count(userID int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byUser[userID]
}

// pusher sends Web Push messages on a few workers of its own.
type pusher struct {
	store      inbox.NotifyStore
	keys       inbox.VAPIDKeys
	subscriber string
	client     *http.Client
	log        *slog.Logger
	limited    *logLimiter // for what repeats under load
	jobs       chan pushJob
	gone       func() // a subscription was forgotten
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

type pushJob struct {
	sub   inbox.PushSubscription
	body  []byte
	topic string // a later message with the same topic replaces one not yet delivered
}

// Web Push limits: workers sending at once, messages waiting, how long a
// push service keeps a message for a browser that is offline, and the
// size of the encrypted record (a whole message is one record).
const (
	pushWorkers    = 2
	pushQueue      = 256
	pushTTL        = 3600
	pushRecordSize = 2048
)

func newPusher(st inbox.NotifyStore, keys inbox.VAPIDKeys, subscriber string, client *http.Client, log *slog.Logger, limited *logLimiter, gone func()) *pusher {
	ctx, cancel := context.WithCancel(context.Background())
	p := &pusher{store: st, keys: keys, subscriber: subscriber, client: client, log: log, limited: limited, gone: gone,
		jobs: make(chan pushJob, pushQueue), ctx: ctx, cancel: cancel}
	for range pushWorkers {
		p.wg.Go(func() {
			for j := range p.jobs {
				p.send(j)
			}
		})
	}
	return p
}

func (p *pusher) enqueue(j pushJob) {
	select {
	case p.jobs <- j:
	default:
		p.limited.Log(context.Background(), slog.LevelWarn, "web push dropped: queue full", "user_id", j.sub.UserID)
	}
}

// close ends the sends under way and stops the workers.
func (p *pusher) close() {
	p.cancel()
	close(p.jobs)
	p.wg.Wait()
}

// send delivers one message to one browser's push service; a
// subscription the service no longer knows is forgotten.
func (p *pusher) send(j pushJob) {
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	resp, err := webpush.SendNotificationWithContext(ctx, j.body,
		&webpush.Subscription{Endpoint: j.sub.Endpoint, Keys: webpush.Keys{Auth: j.sub.Auth, P256dh: j.sub.P256dh}},
		&webpush.Options{
			HTTPClient: p.client, Subscriber: p.subscriber, TTL: pushTTL, Urgency: webpush.UrgencyHigh,
			Topic: j.topic, RecordSize: pushRecordSize,
			VAPIDPublicKey: p.keys.Public, VAPIDPrivateKey: p.keys.Private,
		})
	if err != nil {
		p.log.Warn("web push not sent", "user_id", j.sub.UserID, "subscription_id", j.sub.ID, "err", err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		// The browser unsubscribed or the subscription expired.
		if _, err := p.store.DeletePushSubscription(ctx, 0, j.sub.Endpoint); err != nil {
			p.log.Warn("gone push subscription not removed", "subscription_id", j.sub.ID, "err", err)
			return
		}
		p.gone()
		p.log.Info("push subscription gone; removed", "user_id", j.sub.UserID, "subscription_id", j.sub.ID, "status", resp.StatusCode)
	default:
		p.log.Warn("web push refused", "user_id", j.sub.UserID, "subscription_id", j.sub.ID, "status", resp.StatusCode)
	}
}
