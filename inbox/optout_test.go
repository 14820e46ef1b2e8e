package inbox

import "testing"

func smsEv(id, msg string, min int, text string) *Event {
	ev := inboundEv(id, msg, min, text)
	ev.Inbound.Channel = SMS
	return ev
}

func TestOptKeyword(t *testing.T) {
	for text, want := range map[string][2]bool{
		"STOP": {true, false}, " stop ": {true, false}, "Stop.": {true, false}, "unsubscribe": {true, false},
		"START": {false, true}, "unstop": {false, true},
		"please stop texting me": {false, false}, "stopped": {false, false}, "": {false, false},
	} {
		stop, start := OptKeyword(text)
		if stop != want[0] || start != want[1] {
			t.Errorf("OptKeyword(%q) = %v, %v; want %v", text, stop, start, want)
		}
	}
}

func TestSMSStopAndStartFollowMessageTimeNotArrival(t *testing.T) {
	stop, start := smsEv("e1", "m1", 1, "STOP"), smsEv("e2", "m2", 5, "START")
	for _, order := range [][]*Event{{stop, start}, {start, stop}} {
		s := newMemTx()
		mustIngest(t, s, order...)
		if c := onlyConversation(t, s); c.OptedOut {
			t.Errorf("order %s, %s: opted out, want back in (START is later)", order[0].ID, order[1].ID)
		}
	}
	s := newMemTx()
	mustIngest(t, s, smsEv("e3", "m3", 9, "stop"), start)
	if c := onlyConversation(t, s); !c.OptedOut {
		t.Error("a STOP after the START did not opt out")
	}
}

func TestStopOnWhatsAppIsJustText(t *testing.T) {
	s := newMemTx()
	mustIngest(t, s, inboundEv("e1", "m1", 1, "STOP"))
	if onlyConversation(t, s).OptedOut {
		t.Error("WhatsApp STOP opted out; only SMS carriers act on it")
	}
}

func TestFailure21610OptsOut(t *testing.T) {
	s := newMemTx()
	failed := statusEv("e2", "m9", 3, StatusFailed)
	failed.Status.Channel = SMS
	failed.Status.ErrorCode = "21610"
	mustIngest(t, s, smsEv("e1", "m1", 1, "Hi"), failed)
	if c := onlyConversation(t, s); !c.OptedOut {
		t.Error("a 21610 failure did not close the conversation")
	}
}

// Zavu may deliver a customer's message again under a new event id, hours
// later, stamped with the time of that delivery; either copy may come
// first. A STOP counts at its own time, the earliest of its copies: a
// START after it opts back in whatever the order, and a late copy of a
// STOP the customer took back is the same STOP.
func TestAStopOrStartCountsAtItsOwnTimeWhicheverCopyComesFirst(t *testing.T) {
	stop, start := smsEv("e1", "m1", 1, "STOP"), smsEv("e2", "m2", 5, "START")
	stopAgain := smsEv("e1-copy", "m1", 180, "STOP")
	inEveryOrder(t, []*Event{stop, start, stopAgain}, func(t *testing.T, s *memTx) {
		if c := onlyConversation(t, s); c.OptedOut || !c.OptChangedAt.Equal(at(5)) {
			t.Errorf("opted out %v at %v, want back in at %v (the START is later than the STOP)", c.OptedOut, c.OptChangedAt, at(5))
		}
	})
	// And the other way round: a START, its copy, and a STOP between them.
	start, stop = smsEv("e3", "m3", 1, "START"), smsEv("e4", "m4", 5, "stop")
	startAgain := smsEv("e3-copy", "m3", 180, "START")
	inEveryOrder(t, []*Event{start, stop, startAgain}, func(t *testing.T, s *memTx) {
		if c := onlyConversation(t, s); !c.OptedOut || !c.OptChangedAt.Equal(at(5)) {
			t.Errorf("opted out %v at %v, want out at %v (the STOP is later than the START)", c.OptedOut, c.OptChangedAt, at(5))
		}
	})
}
