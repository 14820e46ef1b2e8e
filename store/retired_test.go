package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/inbox"
)

// A reply went out as Zavu's z1 and failed; the agent pressed Retry and
// it went again as z2. Reports about z1 keep coming after the Retry (Zavu
// delivers webhooks late and twice), in any order with z2's report and
// Zavu's answer to the second send: each finds the reply and changes
// nothing, and the thread shows the one reply, delivered, with no bubble
// of a message "sent outside Switchboard".
func TestLateReportsOfARetriedReplyStayWithIt(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	type step struct {
		name string
		do   func(t *testing.T)
	}
	var want *inbox.Message
	for i, order := range permutationsOf(4) {
		phone := fmt.Sprintf("+1415555%04d", i)
		z1, z2 := fmt.Sprintf("msg_z1_%d", i), fmt.Sprintf("msg_z2_%d", i)
		report := func(id, zavuID string, s inbox.Status, min int, code string) *inbox.Event {
			return &inbox.Event{ID: fmt.Sprintf("%s_%d", id, i), Type: inbox.EventType("message." + string(s)), Timestamp: at(min),
				SenderID: "snd_1", Raw: fmt.Appendf(nil, `{"id":"%s_%d"}`, id, i),
				Status: &inbox.StatusReport{MessageID: zavuID, To: phone, Channel: inbox.WhatsApp, Status: s,
					ErrorCode: code, ErrorMessage: map[bool]string{true: "Unreachable destination handset"}[code != ""]}}
		}
		conv := conversationWith(t, db, phone, at(0))
		m := mustQueue(t, db, reply(conv, "On its way", fmt.Sprintf("k1_%d", i), at(1)))
		first := mustClaim(t, db, at(1))
		if len(first) != 1 {
			t.Fatalf("claimed %+v, want the reply", first)
		}
		if _, err := db.OutboxSent(ctx, first[0].ID, inbox.SendResult{ZavuID: z1, Status: inbox.StatusQueued}, at(1)); err != nil {
			t.Fatal(err)
		}
		failed := report("evt_z1_failed", z1, inbox.StatusFailed, 2, "30003")
		mustIngest(t, db, failed)
		if _, _, err := db.RetryReply(ctx, m.ID, fmt.Sprintf("k2_%d", i), at(3)); err != nil {
			t.Fatal(err)
		}
		second := mustClaim(t, db, at(3))
		if len(second) != 1 {
			t.Fatalf("claimed %+v, want the retried reply", second)
		}
		late := func(ev *inbox.Event) func(t *testing.T) {
			return func(t *testing.T) {
				res, err := db.Ingest(ctx, ev, inbox.Apply)
				if err != nil || res.State != inbox.EventApplied || !res.Change.Empty() {
					t.Fatalf("late report %s: %+v %v, want it applied with nothing to show", ev.ID, res, err)
				}
			}
		}
		steps := []step{
			{"answer", func(t *testing.T) {
				if _, err := db.OutboxSent(ctx, second[0].ID, inbox.SendResult{ZavuID: z2, Status: inbox.StatusQueued}, at(4)); err != nil {
					t.Fatal(err)
				}
			}},
			{"z2-delivered", func(t *testing.T) { mustIngest(t, db, report("evt_z2_delivered", z2, inbox.StatusDelivered, 6, "")) }},
			{"z1-failed-again", late(report("evt_z1_failed_copy", z1, inbox.StatusFailed, 7, "30003"))},
			{"z1-delivered", late(report("evt_z1_delivered", z1, inbox.StatusDelivered, 8, ""))},
		}
		name := ""
		for _, k := range order {
			steps[k].do(t)
			name += steps[k].name + " "
		}
		if res, err := db.Ingest(ctx, failed, inbox.Apply); err != nil || !res.Duplicate {
			t.Fatalf("%sthen the first failure again: %+v %v, want a duplicate", name, res, err)
		}

		msgs, _, err := db.Messages(ctx, conv, inbox.MessageFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[1].ID != m.ID {
			t.Fatalf("%s: the thread holds %+v, want the customer's message and the reply", name, msgs)
		}
		got := msgs[1]
		if got.ZavuID != z2 || got.Status != inbox.StatusDelivered || got.ErrorCode != "" || got.ErrorMessage != "" ||
			!got.StatusTimes.Failed.IsZero() || !got.StatusTimes.Delivered.Equal(at(6)) {
			t.Errorf("%s: the reply is %s %s error %q times %+v, want %s delivered at %v with no error",
				name, got.ZavuID, got.Status, got.ErrorCode, got.StatusTimes, z2, at(6))
		}
		got.ID, got.ZavuID, got.ConversationID, got.UpdatedAt, got.Rev = 0, "", 0, time.Time{}, 0
		if want == nil {
			want = &got
		} else if fmt.Sprint(got) != fmt.Sprint(*want) {
			t.Errorf("%s: the reply is\n%+v\nwant as in the first order\n%+v", name, got, *want)
		}
	}
}

// permutationsOf is every order of 0..n-1.
func permutationsOf(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutationsOf(n - 1) {
		for i := 0; i <= len(p); i++ {
			out = append(out, append(append(append([]int{}, p[:i]...), n-1), p[i:]...))
		}
	}
	return out
}
