//go:build !unix

package web

// fdLimit is how many files this process may have open, 0 if unknown.
func fdLimit() int { return 0 }
