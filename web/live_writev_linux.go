//go:build linux

package web

import (
	"syscall"
	"unsafe"
)

const writevSupported = true

type sysIovec = syscall.Iovec

func iovec(b []byte) sysIovec {
	v := sysIovec{Base: unsafe.SliceData(b)}
	v.SetLen(len(b))
	return v
}

// writev writes iov to fd once; fd is non-blocking, as every socket of
// the Go runtime is.
func writev(fd uintptr, iov []sysIovec) (int, error) {
	n, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
	if e != 0 {
		return int(n), e
	}
	return int(n), nil
}
