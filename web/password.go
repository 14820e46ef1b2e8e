package web

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password Switchboard accepts.
const MinPasswordLength = 10

// passwordCost is bcrypt's work factor: about a quarter of a second per
// check on a small VPS, which makes a stolen hash slow to crack and a
// login still feel instant.
const passwordCost = bcrypt.DefaultCost + 2

// HashPassword returns the bcrypt hash to store for a password.
func HashPassword(pw string) (string, error) {
	if len([]rune(pw)) < MinPasswordLength {
		return "", fmt.Errorf("the password must be at least %d characters", MinPasswordLength)
	}
	if len(pw) > 72 {
		// bcrypt reads only the first 72 bytes; refuse rather than silently
		// ignore the rest.
		return "", fmt.Errorf("the password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), passwordCost)
	return string(h), err
}

// dummyHash is checked against when the e-mail address is unknown, so an
// attacker cannot tell unknown addresses from wrong passwords by timing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("switchboard-no-such-user"), passwordCost)

// checkPassword reports whether pw matches hash, in the time a real check
// takes even when hash is empty.
func checkPassword(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
