package inbox

import (
	"strings"
	"time"
)

// The keywords carriers and Zavu treat as opting out of, and back into,
// SMS from a business. The whole message must be the keyword.
var (
	stopWords  = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
	startWords = []string{"START", "UNSTOP", "SUBSCRIBE", "OPTIN"}
)

// OptKeyword says whether an inbound SMS text opts the customer out
// (stop) or back in (start).
func OptKeyword(text string) (stop, start bool) {
	w := strings.ToUpper(strings.Trim(strings.TrimSpace(text), ".!"))
	for _, s := range stopWords {
		if w == s {
			return true, false
		}
	}
	for _, s := range startWords {
		if w == s {
			return false, true
		}
	}
	return false, false
}

// setOptOut records an opt-out or opt-in that happened at at, unless a
// later one is already recorded.
func (c *Conversation) setOptOut(out bool, at time.Time) bool {
	if !c.OptChangedAt.IsZero() && !at.After(c.OptChangedAt) {
		return false
	}
	c.OptedOut, c.OptChangedAt = out, at
	return true
}

// OptedOutSentence tells an agent why nothing can be sent.
func (c Conversation) OptedOutSentence() string {
	return c.Contact.DisplayName() + " opted out of messages by replying STOP. They must text START before you can message them again."
}
