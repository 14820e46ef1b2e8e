//go:build !(linux || darwin)

package store

import "errors"

// statfsFree is not measured on this system: the free space is not
// reported, only failed writes are.
func statfsFree(string) (uint64, error) {
	return 0, errors.New("free space is not measured on this system")
}
