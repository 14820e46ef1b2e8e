package web

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password Switchboard accepts.
const MinPasswordLength = 10

// passwordCost is bcrypt's work factor: about a quarter of a second per
// check on a small VPS, which makes a stolen hash slow to crack and a
// login still feel instant.
const passwordCost = bcrypt.DefaultCost + 2

// hashCost is the cost new hashes are made at: passwordCost, but for the
// package's own tests (export_test.go), which sign in hundreds of times
// under the race detector, where one hash at passwordCost takes seconds.
// A check always runs at the cost its hash was made at.
var hashCost = passwordCost

// HashPassword returns the bcrypt hash to store for a password.
func HashPassword(pw string) (string, error) {
	if err := checkPasswordRules(pw); err != nil {
		return "", err
	}
	var h []byte
	err := passwordWork.do(context.Background(), func() (err error) {
		h, err = bcrypt.GenerateFromPassword([]byte(pw), hashCost)
		return err
	})
	return string(h), err
}

// checkPasswordRules says what is wrong with pw as a new password, or nil.
func checkPasswordRules(pw string) error {
	if len([]rune(pw)) < MinPasswordLength {
		return fmt.Errorf("the password must be at least %d characters", MinPasswordLength)
	}
	if len(pw) > 72 {
		// bcrypt reads only the first 72 bytes; refuse rather than silently
		// ignore the rest.
		return fmt.Errorf("the password must be at most 72 bytes")
	}
	return nil
}

// dummyHash is checked against when the e-mail address is unknown, so an
// attacker cannot tell unknown addresses from wrong passwords by timing.
// It is made on the first such sign-in, not when the program starts.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("switchboard-no-such-user"), hashCost)
	return h
})

// checkPassword reports whether pw matches hash, in the time a real check
// takes even when hash is empty. It waits for its turn with the rest of
// the process's bcrypt work; err is ctx's error when the client left
// before that turn came.
func checkPassword(ctx context.Context, hash, pw string) (ok bool, err error) {
	err = passwordWork.do(ctx, func() error {
		if hash == "" {
			_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(pw))
			return nil
		}
		ok = bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
		return nil
	})
	return ok, err
}

// passwordWork bounds the bcrypt work of the whole process. Each hash or
// check keeps a core busy for a quarter of a second; however many people
// (or attackers) sign in at once, at most this many run together, so the
// other cores stay free for webhooks and pages. With two cores, one.
var passwordWork = newWorkBound(min(2, max(1, runtime.GOMAXPROCS(0)/2)))

// workBound lets at most a fixed number of jobs run at once and counts
// them.
type workBound struct {
	slots chan struct{}

	started atomic.Int64 // jobs begun since start
	running atomic.Int64 // jobs running now
	peak    atomic.Int64 // most jobs ever running at once
}

func newWorkBound(n int) *workBound {
	return &workBound{slots: make(chan struct{}, n)}
}

// do runs job once a slot is free, or returns ctx's error if ctx ends
// first.
func (w *workBound) do(ctx context.Context, job func() error) error {
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-w.slots }()
	w.started.Add(1)
	n := w.running.Add(1)
	defer w.running.Add(-1)
	for p := w.peak.Load(); n > p && !w.peak.CompareAndSwap(p, n); p = w.peak.Load() {
	}
	return job()
}
