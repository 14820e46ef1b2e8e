// Package inbox is Switchboard's domain: contacts, conversations, messages,
// reactions and delivery statuses, and the rules that turn Zavu webhook
// events into conversation threads.
//
// The package imports only the standard library. Adapters implement the
// interfaces declared here: store (SQLite) implements Store and Tx,
// inbox/zavu decodes Zavu's wire format into Event, and web serves it all.
//
// The rules, in one place:
//
//   - Every event is applied at most once, keyed by its Zavu event id.
//   - A conversation is one contact on one sender and one channel.
//   - Delivery statuses only move forward; failed is final (see
//     AdvanceStatus).
//   - A status, reaction or echo for a message not seen yet is kept and
//     reconciled when the message arrives. A status report stays with the
//     conversation of the message it names.
//   - A message's time is the event's timestamp, never the arrival time,
//     and the first sighting (the earliest copy of its own event) fixes
//     it, so a late retry neither looks new nor stretches the WhatsApp
//     window.
//   - A conversation's latest activity, preview, unread count and WhatsApp
//     window (from the last inbound message) are derived from the messages
//     it holds after every change, so the same events in any order give
//     the same state.
//   - A sender's webhook must point at Switchboard and send every event in
//     SenderEvents (see Sender.WebhookProblems). A per-sender webhook
//     secret is write-only: it is read back only to check signatures.
//   - A customer's new message may trigger one auto-reply, queued in the
//     transaction that stores it (see AutoReplyConfig.Decide and
//     IngestWithAutoReplies); nothing else triggers one.
package inbox
