package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/inbox"
)

func TestNotificationSettingsDefaultThenSavedPerAgent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := user(t, db, "Ana", true), user(t, db, "Ben", true)

	got, err := db.NotificationSettings(ctx, ana)
	if err != nil || got != inbox.DefaultNotificationSettings() {
		t.Fatalf("settings never saved = %+v, %v; want the defaults", got, err)
	}
	if got.Sound {
		t.Error("sound is on by default")
	}

	mine := inbox.NotificationSettings{Assigned: true, Mentioned: true, Sound: true}
	if err := db.SaveNotificationSettings(ctx, ana, mine, t0); err != nil {
		t.Fatal(err)
	}
	if got, err := db.NotificationSettings(ctx, ana); err != nil || got != mine {
		t.Errorf("Ana's settings = %+v, %v; want %+v", got, err, mine)
	}
	// Saving again replaces them; Ben's stay the defaults.
	mine.Sound, mine.NewConversation = false, true
	if err := db.SaveNotificationSettings(ctx, ana, mine, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.NotificationSettings(ctx, ana); got != mine {
		t.Errorf("Ana's settings after a second save = %+v; want %+v", got, mine)
	}
	if got, _ := db.NotificationSettings(ctx, ben); got != inbox.DefaultNotificationSettings() {
		t.Errorf("Ben's settings = %+v; another agent's save changed them", got)
	}
	if err := db.SaveNotificationSettings(ctx, 999, mine, t0); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("settings of an unknown user: %v, want ErrNotFound", err)
	}
}

func TestPushSubscriptionsPerAgent(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := user(t, db, "Ana", true), user(t, db, "Ben", true)
	// Each browser subscribes from a signed-in session.
	sessions := db.Sessions()
	for _, tok := range []string{"tok-laptop", "tok-phone", "tok-ben"} {
		if err := sessions.Commit(tok, []byte("data"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	laptop := inbox.PushSubscription{UserID: ana, Endpoint: "https://push.example/laptop", P256dh: "k1", Auth: "a1", Session: "tok-laptop", CreatedAt: t0}
	phone := inbox.PushSubscription{UserID: ana, Endpoint: "https://push.example/phone", P256dh: "k2", Auth: "a2", Session: "tok-phone", CreatedAt: t0}
	for _, p := range []*inbox.PushSubscription{&laptop, &phone} {
		if err := db.SavePushSubscription(ctx, p); err != nil || p.ID == 0 {
			t.Fatalf("save %s: %v, id %d", p.Endpoint, err, p.ID)
		}
	}
	if err := db.SavePushSubscription(ctx, &inbox.PushSubscription{UserID: ana, Endpoint: "https://push.example/x", Session: "tok-laptop"}); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("a subscription without keys: %v, want ErrInvalid", err)
	}
	subs, err := db.PushSubscriptions(ctx, ana)
	laptop.Session, phone.Session = "", ""
	if err != nil || len(subs) != 2 || subs[0] != laptop || subs[1] != phone {
		t.Fatalf("Ana's subscriptions = %+v, %v", subs, err)
	}
	// Ana signs out on her phone: it is told nothing more.
	if err := sessions.Delete("tok-phone"); err != nil {
		t.Fatal(err)
	}
	if subs, _ := db.PushSubscriptions(ctx, ana); len(subs) != 1 || subs[0].Endpoint != laptop.Endpoint {
		t.Errorf("after signing out on the phone, Ana's subscriptions = %+v", subs)
	}

	// Ben signs in on Ana's laptop and turns push on: the laptop now
	// hears of Ben only.
	moved := inbox.PushSubscription{UserID: ben, Endpoint: laptop.Endpoint, P256dh: "k3", Auth: "a3", Session: "tok-ben"}
	if err := db.SavePushSubscription(ctx, &moved); err != nil {
		t.Fatal(err)
	}
	if subs, _ := db.PushSubscriptions(ctx, ana); len(subs) != 0 {
		t.Errorf("Ana's subscriptions after Ben took the laptop = %+v", subs)
	}
	if subs, _ := db.PushSubscriptions(ctx, ben); len(subs) != 1 || subs[0].P256dh != "k3" {
		t.Errorf("Ben's subscriptions = %+v; want the laptop with its new keys", subs)
	}

	// Ana cannot remove Ben's; the push service's "gone" (user 0) can.
	if ok, err := db.DeletePushSubscription(ctx, ana, laptop.Endpoint); err != nil || ok {
		t.Errorf("Ana removed Ben's subscription: %v, %v", ok, err)
	}
	if ok, err := db.DeletePushSubscription(ctx, 0, laptop.Endpoint); err != nil || !ok {
		t.Errorf("removing a gone endpoint: %v, %v", ok, err)
	}
	if subs, _ := db.PushSubscriptions(ctx, ben); len(subs) != 0 {
		t.Errorf("Ben still has %+v", subs)
	}
}

func TestPushKeysAreMadeOnceAndKept(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var mu sync.Mutex
	made := 0
	gen := func() (inbox.VAPIDKeys, error) {
		mu.Lock()
		defer mu.Unlock()
		made++
		return inbox.VAPIDKeys{Public: "pub" + string(rune('0'+made)), Private: "priv" + string(rune('0'+made))}, nil
	}
	// Several first starts at once agree on one pair.
	var wg sync.WaitGroup
	got := make([]inbox.VAPIDKeys, 4)
	for i := range got {
		wg.Go(func() {
			k, err := db.PushKeys(ctx, gen)
			if err != nil {
				t.Error(err)
			}
			got[i] = k
		})
	}
	wg.Wait()
	for _, k := range got {
		if k != got[0] || k.Public == "" || k.Private == "" {
			t.Fatalf("keys differ between callers: %+v", got)
		}
	}
	// A later start finds them and makes none.
	before := made
	k, err := db.PushKeys(ctx, gen)
	if err != nil || k != got[0] || made != before {
		t.Errorf("later start: %+v, %v, made %d more", k, err, made-before)
	}
	failing := func() (inbox.VAPIDKeys, error) { return inbox.VAPIDKeys{}, errors.New("no randomness") }
	if k, err := db.PushKeys(ctx, failing); err != nil || k != got[0] {
		t.Errorf("stored keys are not read first: %+v, %v", k, err)
	}
}

// A customer's message is announced to whoever had its conversation when
// it came, however late the notifier reads it: a new conversation that a
// teammate assigned meanwhile is still news to the whole team, and a
// message that came while Ana had the conversation is for Ana even once
// Ben has it.
func TestInboundSinceTellsWhoHadTheConversation(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana, ben := user(t, db, "Ana", true), user(t, db, "Ben", true)
	came := func(n int, assign *int64) int64 {
		t.Helper()
		ev := inboundEvent(fmt.Sprintf("evt_%d", n), "+15550001", fmt.Sprintf("msg_%d", n), "Hello?", t0.Add(time.Duration(n)*time.Minute))
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatal(err)
		}
		m, err := db.MessageByZavuID(ctx, ev.Inbound.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Assign(ctx, m.ConversationID, assign, t0.Add(time.Duration(n)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	// Each message comes, then the conversation changes hands.
	want := map[int64]*int64{}
	want[came(1, &ana)] = nil
	want[came(2, &ben)] = &ana
	want[came(3, nil)] = &ben
	want[came(4, &ana)] = nil
	got, err := db.InboundSince(ctx, 0, 10)
	if err != nil || len(got) != len(want) {
		t.Fatalf("InboundSince(0) = %+v, %v", got, err)
	}
	name := func(id *int64) string {
		switch {
		case id == nil:
			return "no one"
		case *id == ana:
			return "Ana"
		case *id == ben:
			return "Ben"
		}
		return fmt.Sprint(*id)
	}
	for i, a := range got {
		if w := want[a.MessageID]; name(a.AssigneeID) != name(w) {
			t.Errorf("message %d came while %s had the conversation; InboundSince says %s", i+1, name(w), name(a.AssigneeID))
		}
		if a.First != (i == 0) {
			t.Errorf("message %d: First = %v", i+1, a.First)
		}
	}
}

func TestInboundSinceWalksNewCustomerMessages(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := inbox.User{Email: "ana@example.com", Name: "Ana", Role: inbox.RoleAgent, Active: true}
	if err := db.CreateUser(ctx, &ana); err != nil {
		t.Fatal(err)
	}
	for i, ev := range []*inbox.Event{
		inboundEvent("evt_1", "+15550001", "msg_a1", "Hi", t0),
		inboundEvent("evt_2", "+15550001", "msg_a2", "Hello?", t0.Add(time.Minute)),
		inboundEvent("evt_3", "+15550002", "msg_b1", "Order 42", t0.Add(2*time.Minute)),
	} {
		if _, err := db.Ingest(ctx, ev, applyInbound); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	all, err := db.InboundSince(ctx, 0, 10)
	if err != nil || len(all) != 3 {
		t.Fatalf("InboundSince(0) = %+v, %v", all, err)
	}
	a1, a2, b1 := all[0], all[1], all[2]
	if !a1.First || a2.First || !b1.First || a1.ConversationID != a2.ConversationID || b1.ConversationID == a1.ConversationID {
		t.Errorf("first messages: %+v", all)
	}
	if !a1.CreatedAt.Equal(t0) || a1.AssigneeID != nil {
		t.Errorf("a1 = %+v", a1)
	}
	if latest, err := db.LatestMessageID(ctx); err != nil || latest != b1.MessageID {
		t.Errorf("LatestMessageID = %d, %v; want %d", latest, err, b1.MessageID)
	}

	// From a mark, only what came after; the assignee is the one the
	// message came in with (TestInboundSinceTellsWhoHadTheConversation).
	if _, err := db.Assign(ctx, b1.ConversationID, &ana.ID, t0); err != nil {
		t.Fatal(err)
	}
	after, err := db.InboundSince(ctx, a2.MessageID, 10)
	if err != nil || len(after) != 1 || after[0].MessageID != b1.MessageID || after[0].AssigneeID != nil {
		t.Errorf("InboundSince(a2) = %+v, %v", after, err)
	}
	if some, _ := db.InboundSince(ctx, 0, 2); len(some) != 2 || some[1].MessageID != a2.MessageID {
		t.Errorf("limit 2: %+v", some)
	}
	if none, _ := db.InboundSince(ctx, b1.MessageID, 10); len(none) != 0 {
		t.Errorf("nothing new, yet %+v", none)
	}

	// It reads from the mark on: a range of the primary key, not a scan.
	// (SQLite's plan; PostgreSQL plans on its own.)
	if onPostgres(t) {
		return
	}
	plan := explain(t, db, inboundSinceQuery, 0, 10)
	if !strings.Contains(plan, "SEARCH m USING INTEGER PRIMARY KEY (rowid>?)") || !strings.Contains(plan, "messages_inbound") {
		t.Errorf("plan:\n%s", plan)
	}
}
