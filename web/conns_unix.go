//go:build unix

package web

import "syscall"

// fdLimit is how many files this process may have open, 0 if unknown.
func fdLimit() int {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	return int(min(r.Cur, 1<<30)) // RLIM_INFINITY is all ones

}
