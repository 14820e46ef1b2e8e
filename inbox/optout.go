package inbox

import (
	"context"
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

// OptOutTx is what an opt-out needs of storage beside the conversation.
type OptOutTx interface {
	// FailQueuedOutbox marks failed, with reason, the outbox entries of a
	// conversation waiting to be sent (one being sent is on its way
	// already), and returns their messages' ids.
	FailQueuedOutbox(ctx context.Context, conversationID int64, reason string) ([]int64, error)
	// OptSignals returns the messages of a conversation that may have
	// opted its customer out or back in from from to to, both included:
	// the customer's short texts of that time (a keyword is one word),
	// and the replies whose failure with 21610 was first reported then.
	OptSignals(ctx context.Context, conversationID int64, from, to time.Time) ([]Message, error)
}

// setOptOut records an opt-out or opt-in of conv that happened at at
// (see Conversation.setOptOut). An opt-out of a customer who was opted in
// also stops the replies of the conversation still waiting in the outbox
// (an agent's written a moment before the STOP came, or held back by a
// retry): they fail, saying why, and the customer gets none of them. The
// confirmation of an SMS STOP is queued after this, and goes; another
// sighting of the STOP (its conversation.new, then its message.inbound),
// or a second STOP, finds the customer opted out already and leaves it
// alone, since nothing but a confirmation is queued for one opted out.
func (a *applier) setOptOut(conv *Conversation, out bool, at time.Time) error {
	was := conv.OptedOut
	if !conv.setOptOut(out, at) || !out || was {
		return nil
	}
	reason := "Not sent: " + conv.Contact.DisplayName() + " opted out of messages before it went. They must text START before you can message them again."
	ids, err := a.tx.(OptOutTx).FailQueuedOutbox(a.ctx, conv.ID, reason)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := RecordFailed(a.ctx, a.tx.(ReplyTx), id, "", reason, a.at); err != nil {
			return err
		}
		a.change.addMessage(id)
	}
	return nil
}

// optMoved keeps the opt-out of conv right when its customer's message m,
// stored at old, turns out to be earlier (an earlier copy of it came, or
// its own event after its announcement). When m's STOP or START had the
// last word at old, whatever came between m's time and old, and was
// passed over as older, may have it now: the latest of them, or m at
// its time, decides.
func (a *applier) optMoved(conv *Conversation, m Message, old time.Time) error {
	if conv.Channel != SMS || m.Type != TypeText || !m.CreatedAt.Before(old) || !conv.OptChangedAt.Equal(old) {
		return nil
	}
	stop, start := OptKeyword(m.Text)
	if !stop && !start {
		return nil
	}
	out, at := stop, m.CreatedAt
	between, err := a.tx.(OptOutTx).OptSignals(a.ctx, conv.ID, m.CreatedAt, old)
	if err != nil {
		return err
	}
	for _, o := range between {
		if o.ID == m.ID {
			continue
		}
		oStop, oStart, oAt := false, false, o.CreatedAt
		switch {
		case o.Direction == Inbound && o.Type == TypeText:
			oStop, oStart = OptKeyword(o.Text)
		case o.Direction == Outbound && o.Status == StatusFailed && OptedOutByCarrier(o.ErrorCode):
			oStop, oAt = true, o.StatusTimes.Failed
		}
		if (oStop || oStart) && oAt.After(at) {
			out, at = oStop, oAt
		}
	}
	conv.OptChangedAt = time.Time{} // decided again, from what is known
	return a.setOptOut(conv, out, at)
}
