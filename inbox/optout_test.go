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
// later, stamped with the time of that delivery. A late copy of a STOP the
// customer took back with START is the same STOP: it opts no one out.
func TestALateCopyOfAStopTakenBackStaysTakenBack(t *testing.T) {
	stop, start := smsEv("e1", "m1", 1, "STOP"), smsEv("e2", "m2", 5, "START")
	stopAgain := smsEv("e1-copy", "m1", 180, "STOP")
	for _, order := range [][]*Event{{stop, start, stopAgain}, {stop, stopAgain, start}, {start, stop, stopAgain}} {
		s := newMemTx()
		mustIngest(t, s, order...)
		if c := onlyConversation(t, s); c.OptedOut {
			t.Errorf("order %s, %s, %s: opted out, want back in (START is later than the STOP)", order[0].ID, order[1].ID, order[2].ID)
		}
	}
}
