package inbox

// Several Switchboard processes may serve one database (PostgreSQL):
// each tells the others what it committed, so that every agent's live
// pages follow whichever process a webhook or a teammate reached.

// LiveNote is one thing a process tells the others sharing its database:
// a committed Change, or a signal named by Kind with a few numbers (IDs),
// ids only, never content: each process reads what it shows from the
// database itself.
type LiveNote struct {
	Change Change
	Kind   string  // "" for a change; otherwise a signal the web layer names
	IDs    []int64 // the signal's numbers
	// Resync is set on a note that says notes may have been missed (the
	// connection that hears them was lost, or a process had too many to
	// tell): the pages should fetch what they show again.
	Resync bool
}

// LiveBus carries LiveNotes between the processes sharing a database.
// Notify never blocks and is never heard back by the process that sent
// it; Notes gives what the other processes sent, in the order each sent
// them, and is closed when the bus closes.
type LiveBus interface {
	Notify(n LiveNote)
	Notes() <-chan LiveNote
}
