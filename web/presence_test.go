package web

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

// noRenders is a renderer for hub tests that never see a change.
type noRenders struct{}

func (noRenders) renderChange(context.Context, inbox.Change) (*update, error) { return &update{}, nil }
func (noRenders) renderTeam(context.Context) ([]byte, error)                  { return nil, nil }

// presenceHub is a hub whose clock and presence sweeps the test drives.
type presenceHub struct {
	t    *testing.T
	h    *Hub
	tick chan time.Time
	mu   sync.Mutex
	at   time.Time
}

func newPresenceHub(t *testing.T) *presenceHub {
	p := &presenceHub{t: t, tick: make(chan time.Time), at: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	p.h = newHubWith(noRenders{}, slog.New(slog.DiscardHandler), p.tick, p.now)
	t.Cleanup(p.h.Close)
	return p
}

func (p *presenceHub) now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.at
}

// pass moves the clock on and lets the hub look for pages gone quiet.
func (p *presenceHub) pass(d time.Duration) {
	// The hub takes one step at a time: once it takes this tick (a sweep
	// at the same time, which changes nothing), it has done what the test
	// asked before, at the time it was asked.
	p.tick <- p.now()
	p.mu.Lock()
	p.at = p.at.Add(d)
	p.mu.Unlock()
	p.tick <- p.at
}

func (p *presenceHub) page(userID int64, name string) *client {
	c := &client{hub: p.h, send: make(chan [][]byte, clientBuffer), userID: userID, name: name}
	p.h.register <- c
	return c
}

func (p *presenceHub) open(c *client, conv int64) {
	p.h.subscribe <- subscribeRequest{c: c, sub: subscription{open: conv}, epoch: p.h.epoch, since: p.h.published.Load()}
}

func (p *presenceHub) say(c *client, open int64, typing string) {
	p.h.presence <- presenceRequest{c: c, open: open, typing: typing}
}

// next is the next presence message the page is sent, as
// "conversation: user=typing user=typing".
func (p *presenceHub) next(c *client) string {
	p.t.Helper()
	select {
	case parts, ok := <-c.send:
		if !ok {
			p.t.Fatal("the page was disconnected")
		}
		return presenceSummary(p.t, bytes.Join(parts, nil))
	case <-time.After(5 * time.Second):
		p.t.Fatal("no presence message came")
		return ""
	}
}

var (
	presenceDiv   = regexp.MustCompile(`^<div data-live="presence" data-conversation="(\d+)" hidden>(.*)</div>$`)
	presenceEntry = regexp.MustCompile(`<i data-user="(\d+)" data-name="[^"]*" data-typing="(\w*)"></i>`)
)

func presenceSummary(t *testing.T, msg []byte) string {
	t.Helper()
	m := presenceDiv.FindSubmatch(msg)
	if m == nil {
		t.Fatalf("not a presence message: %s", msg)
	}
	out := []string{string(m[1]) + ":"}
	for _, e := range presenceEntry.FindAllSubmatch(m[2], -1) {
		out = append(out, string(e[1])+"="+string(e[2]))
	}
	return strings.Join(out, " ")
}

func expect(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("presence: got %q, want %q", got, want)
	}
}

func TestPresenceJoinTypingAndLeave(t *testing.T) {
	p := newPresenceHub(t)
	ana, ben := p.page(1, "Ana"), p.page(2, "Ben")

	// Ana opens the thread: her page learns its presence (her alone, whom
	// it leaves out). Ben opens it: both pages see both agents.
	p.open(ana, 7)
	expect(t, p.next(ana), "7: 1=")
	p.open(ben, 7)
	expect(t, p.next(ana), "7: 1= 2=")
	expect(t, p.next(ben), "7: 1= 2=")

	// Ben types a reply, then a note; then stops.
	p.say(ben, 7, typingReply)
	expect(t, p.next(ana), "7: 1= 2=reply")
	expect(t, p.next(ben), "7: 1= 2=reply")
	p.say(ben, 7, typingNote)
	expect(t, p.next(ana), "7: 1= 2=note")
	expect(t, p.next(ben), "7: 1= 2=note")
	p.say(ben, 7, "")
	expect(t, p.next(ana), "7: 1= 2=")
	expect(t, p.next(ben), "7: 1= 2=")

	// A message from before Ben's page opened another thread changes
	// nothing; opening another thread leaves this one at once.
	p.open(ben, 8)
	expect(t, p.next(ana), "7: 1=")
	expect(t, p.next(ben), "8: 2=")
	p.say(ben, 7, typingReply)
	p.say(ana, 7, typingReply) // the next thing Ana's page hears
	expect(t, p.next(ana), "7: 1=reply")

	// Ben comes back, then his page hides (away), comes back, and closes.
	p.open(ben, 7)
	expect(t, p.next(ana), "7: 1=reply 2=")
	expect(t, p.next(ben), "7: 1=reply 2=")
	p.say(ben, 0, "")
	expect(t, p.next(ana), "7: 1=reply")
	expect(t, p.next(ben), "7: 1=reply")
	p.say(ben, 7, "")
	expect(t, p.next(ana), "7: 1=reply 2=")
	expect(t, p.next(ben), "7: 1=reply 2=")
	p.h.unregister <- ben
	expect(t, p.next(ana), "7: 1=reply")
}

func TestPresenceExpiresWhenAPageGoesQuiet(t *testing.T) {
	p := newPresenceHub(t)
	ana, ben := p.page(1, "Ana"), p.page(2, "Ben")
	p.open(ana, 7)
	p.next(ana)
	p.open(ben, 7)
	p.next(ana)
	p.next(ben)
	p.say(ben, 7, typingReply)
	expect(t, p.next(ana), "7: 1= 2=reply")
	p.next(ben)

	// Both pages keep saying they are there, Ben typing; a page saying
	// what it already said changes nothing (each step's next message is
	// the one expected, so nothing came between).
	p.pass(2 * time.Second)
	p.say(ana, 7, "")
	p.say(ben, 7, typingReply) // Ben's last word, at 2 s
	p.pass(2 * time.Second)
	p.say(ana, 7, typingReply)
	expect(t, p.next(ana), "7: 1=reply 2=reply")
	p.say(ana, 7, "") // at 4 s
	expect(t, p.next(ana), "7: 1= 2=reply")

	// Ben's page went away mid-sentence, without a word: his typing ends
	// typingTTL after his last word, and he is gone presenceTTL after it,
	// while Ana, who spoke since, stays.
	p.pass(typingTTL - 2*time.Second - time.Millisecond)
	p.pass(time.Millisecond)
	expect(t, p.next(ana), "7: 1= 2=")
	p.pass(presenceTTL - typingTTL)
	expect(t, p.next(ana), "7: 1=")
	for range 3 {
		p.say(ana, 7, "")
		p.pass(presenceBeat)
	}
	p.open(ben, 7) // back: the next thing Ana hears, so nothing came between
	expect(t, p.next(ana), "7: 1= 2=")
}

func TestPresenceNamesEachAgentOnceAndEscapes(t *testing.T) {
	p := newPresenceHub(t)
	ana := p.page(1, "Ana")
	bens := []*client{p.page(2, `Ben "B" <Boss>`), p.page(2, `Ben "B" <Boss>`)}
	p.open(ana, 7)
	p.next(ana)
	p.open(bens[0], 7)
	expect(t, p.next(ana), "7: 1= 2=")
	p.open(bens[1], 7) // Ben's second tab: nothing new to show
	p.say(bens[1], 7, typingNote)
	expect(t, p.next(ana), "7: 1= 2=note")
	p.say(bens[0], 7, typingReply) // either tab typing a reply shows as a reply
	select {
	case parts := <-ana.send:
		msg := bytes.Join(parts, nil)
		expect(t, presenceSummary(t, msg), "7: 1= 2=reply")
		if !bytes.Contains(msg, []byte(`data-name="Ben &#34;B&#34; &lt;Boss&gt;"`)) {
			t.Errorf("name not escaped: %s", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no presence message came")
	}
	// One tab closing leaves Ben there through the other, typing a note.
	p.h.unregister <- bens[0]
	expect(t, p.next(ana), "7: 1= 2=note")
}
