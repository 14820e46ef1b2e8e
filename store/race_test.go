//go:build race

package store

// raceEnabled is set under the race detector, which slows SQLite about
// tenfold: the longest tests run fewer rounds.
const raceEnabled = true
