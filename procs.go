package main

import "runtime"

// The WAL syncer (store/walsync.go) spends most of a busy second inside
// fdatasync, waiting for the disk. Go counts a goroutine in a system call
// as holding one of its GOMAXPROCS processors until the scheduler's
// monitor takes that processor back, which under load it seldom does
// before the call returns. On two cores, a trace of one second of a
// webhook burst showed the syncer in system calls for two thirds of it,
// holding one of the two processors, while the HTTP handlers and the
// writer, ready to run, waited for the other (p90 0.29 ms each time one
// was woken). Serving from SQLite, Switchboard therefore runs one
// processor more than Go chooses: the one the syncer holds while it waits.
//
// A GOMAXPROCS set in the environment is the operator's choice, and kept.
// Once set here, Go no longer follows a change of the container's CPU
// limit while the server runs; a restart does.

// goProcs is GOMAXPROCS as Go chose it when the process started.
var goProcs = runtime.GOMAXPROCS(0)

// syncerProcs is the GOMAXPROCS to serve SQLite with: one more than procs,
// Go's choice, unless the environment sets GOMAXPROCS.
func syncerProcs(getenv func(string) string, procs int) int {
	if getenv("GOMAXPROCS") != "" {
		return procs
	}
	return procs + 1
}

// lendSyncerProc sets GOMAXPROCS for serving SQLite (see syncerProcs).
func lendSyncerProc(getenv func(string) string) {
	runtime.GOMAXPROCS(syncerProcs(getenv, goProcs))
}
