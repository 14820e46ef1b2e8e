package inbox

import "time"

// WindowLength is how long after a customer's last message WhatsApp
// accepts free-form replies. After it, only approved templates go out.
const WindowLength = 24 * time.Hour

// WindowClosesAt is when the WhatsApp customer-service window closes for a
// conversation whose customer last wrote at lastInbound. It is the zero
// time on channels without a window, and when the customer never wrote.
func WindowClosesAt(ch Channel, lastInbound time.Time) time.Time {
	if ch != WhatsApp || lastInbound.IsZero() {
		return time.Time{}
	}
	return lastInbound.Add(WindowLength)
}

// WindowOpen reports whether free-form text may be sent at now. Channels
// without a window are always open.
func WindowOpen(ch Channel, lastInbound, now time.Time) bool {
	if ch != WhatsApp {
		return true
	}
	closes := WindowClosesAt(ch, lastInbound)
	return !closes.IsZero() && now.Before(closes)
}
