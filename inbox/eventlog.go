package inbox

import (
	"regexp"
	"strings"
)

// EventCounts sums up the webhook log for its admin page.
type EventCounts struct {
	Recent       int // events received since the time asked for
	RecentFailed int // of those, the ones stored but not applied
	Failed       int // events of any age stored but not applied
	FailedOlder  int // of those, the ones another (older) version failed
}

var missingField = regexp.MustCompile(`data\.([A-Za-z0-9_.]+) is missing`)

// ExplainEventError turns the error kept with a failed webhook event into a
// sentence an admin can act on. The stored error is kept as it is for the
// technical detail; this is what the webhook log says first.
func ExplainEventError(typ EventType, stored string) string {
	switch {
	case stored == "":
		return ""
	case strings.Contains(stored, ErrUnknownEvent.Error()):
		return "Switchboard does not know the event type " + string(typ) +
			" yet. The event is kept: replay it after an upgrade that knows it."
	case strings.Contains(stored, ErrApplyPanicked.Error()):
		return "Switchboard hit a bug while applying this event; the details are in the server log. Replay it after an upgrade."
	case strings.Contains(stored, ErrMissingField.Error()):
		if m := missingField.FindStringSubmatch(stored); m != nil {
			return "The event has no " + m[1] + ", which Switchboard needs to apply it."
		}
		return "The event lacks a field Switchboard needs to apply it."
	case strings.Contains(stored, ErrInvalid.Error()):
		return "Part of the event is not in the form Zavu documents, so Switchboard could not read it."
	case strings.Contains(stored, signsOnlyItsOwn):
		return "Only one sender's own webhook secret signed this event, and it is about another sender's message or conversation: " +
			"a sender's secret signs only that sender's events, so nothing of it was applied."
	case strings.Contains(stored, ErrConflict.Error()):
		return "The event contradicts what is already stored (a message id already used in the other direction)."
	}
	return "Switchboard could not apply this event."
}
