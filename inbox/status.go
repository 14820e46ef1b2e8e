package inbox

import "time"

// Status is the delivery state of a message.
type Status string

const (
	StatusPending   Status = "pending" // written by Switchboard, not yet accepted by Zavu
	StatusQueued    Status = "queued"
	StatusSending   Status = "sending"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusRead      Status = "read"
	StatusFailed    Status = "failed"
	StatusReceived  Status = "received" // an inbound message
)

// rank orders the forward path of an outbound message.
func (s Status) rank() int {
	switch s {
	case StatusPending:
		return 1
	case StatusQueued:
		return 2
	case StatusSending:
		return 3
	case StatusSent:
		return 4
	case StatusDelivered:
		return 5
	case StatusRead:
		return 6
	}
	return 0
}

// Valid reports whether s is a status Switchboard knows.
func (s Status) Valid() bool { return s.rank() > 0 || s == StatusFailed || s == StatusReceived }

// AdvanceStatus returns the status a message at cur has after a report of
// next, and whether that is a change.
//
// Statuses only move forward: pending < queued < sending < sent <
// delivered < read, so a late "sent" never hides "delivered". "failed" is
// final, whenever its report comes: a failure reported after "delivered"
// still fails the message, and nothing but an agent's retry (which is not
// a status report) revives it. So the same reports in any order end in the
// same status. Inbound messages stay "received".
func AdvanceStatus(cur, next Status) (Status, bool) {
	switch {
	case !next.Valid() || next == cur:
		return cur, false
	case cur == StatusFailed || cur == StatusReceived || next == StatusReceived:
		return cur, false
	case next == StatusFailed:
		return StatusFailed, true
	case next.rank() > cur.rank():
		return next, true
	}
	return cur, false
}

// Record notes t as the time status s was first reported, keeping an
// earlier time when the same status is reported again (a retried webhook).
// pending and received have no slot.
func (st *StatusTimes) Record(s Status, t time.Time) {
	var slot *time.Time
	switch s {
	case StatusQueued:
		slot = &st.Queued
	case StatusSending:
		slot = &st.Sending
	case StatusSent:
		slot = &st.Sent
	case StatusDelivered:
		slot = &st.Delivered
	case StatusRead:
		slot = &st.Read
	case StatusFailed:
		slot = &st.Failed
	default:
		return
	}
	if slot.IsZero() || t.Before(*slot) {
		*slot = t
	}
}
