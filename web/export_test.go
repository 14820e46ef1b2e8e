package web

import (
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The tests hash passwords at bcrypt's least cost: they sign in hundreds
// of times, under the race detector too. The program's cost is checked by
// TestUserAndTokenCommands, outside this package.
func init() { hashCost = bcrypt.MinCost }

// RefuseSpecial is the media dialer's address check, for table tests.
var RefuseSpecial = refuseSpecial

// PasswordWork reports how many bcrypt hashes and checks this process has
// begun, and the most that ever ran at once.
func PasswordWork() (started, peak int64) {
	return passwordWork.started.Load(), passwordWork.peak.Load()
}

// PasswordWorkBound is the most bcrypt jobs allowed to run at once.
func PasswordWorkBound() int64 { return int64(cap(passwordWork.slots)) }

// SetLiveSessionCheck sets how often each live connection checks its
// session; call it before any page connects.
func SetLiveSessionCheck(s *Server, every time.Duration) { s.liveSessionCheck = every }

// TokenFailureLimit and TokenFailureWindow are how many failed API tokens
// one client address may send within how long.
const (
	TokenFailureLimit  = tokenFailureLimit
	TokenFailureWindow = tokenFailureWindow
)

// PasswordStamp is what a session keeps of the password it was signed in
// with, for tests that write a session as an older Switchboard did.
var PasswordStamp = passwordStamp

// HumanSeconds is how the reports write a duration, for table tests.
var HumanSeconds = humanSeconds
