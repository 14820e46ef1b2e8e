//go:build !linux

package web

import "errors"

// Elsewhere every message goes through the write pump.
const writevSupported = false

type sysIovec struct{}

func iovec([]byte) sysIovec { return sysIovec{} }

func writev(uintptr, []sysIovec) (int, error) { return 0, errors.ErrUnsupported }
