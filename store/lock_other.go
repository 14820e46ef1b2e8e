//go:build !unix

package store

// LockServing does nothing where flock does not exist.
func LockServing(path string) (release func(), err error) { return func() {}, nil }
