package zavu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Why a webhook signature was refused.
var (
	ErrNoSignature        = errors.New("no X-Zavu-Signature header")
	ErrMalformedSignature = errors.New("malformed X-Zavu-Signature header")
	ErrStaleSignature     = errors.New("signature timestamp is too old")
	ErrFutureSignature    = errors.New("signature timestamp is in the future")
	ErrSignatureMismatch  = errors.New("signature does not match any webhook secret")
	ErrNoSecrets          = errors.New("no webhook secret is configured")
)

// Signature is a parsed X-Zavu-Signature header.
type Signature struct {
	Timestamp    int64 // unix seconds; HasTimestamp tells whether it was given
	HasTimestamp bool
	V1, V2       [][]byte // decoded hex digests, in header order
}

// maxSignatureHeader bounds the header we are willing to parse.
const maxSignatureHeader = 4096

// ParseSignature parses "t=<unix seconds>,v1=<hex>,v2=<hex>". Parts may come
// in any order, any may be missing, a v1 or v2 may repeat, and unknown parts
// are ignored. It needs at least one v1 or v2.
func ParseSignature(header string) (Signature, error) {
	var sig Signature
	header = strings.TrimSpace(header)
	if header == "" {
		return sig, ErrNoSignature
	}
	if len(header) > maxSignatureHeader {
		return sig, fmt.Errorf("%w: longer than %d bytes", ErrMalformedSignature, maxSignatureHeader)
	}
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "t":
			t, err := strconv.ParseInt(value, 10, 64)
			if err != nil || t <= 0 {
				return Signature{}, fmt.Errorf("%w: t=%q is not a unix time", ErrMalformedSignature, value)
			}
			sig.Timestamp, sig.HasTimestamp = t, true
		case "v1", "v2":
			mac, err := hex.DecodeString(value)
			if err != nil || len(mac) != sha256.Size {
				return Signature{}, fmt.Errorf("%w: %s is not a hex SHA-256 digest", ErrMalformedSignature, key)
			}
			if key == "v1" {
				sig.V1 = append(sig.V1, mac)
			} else {
				sig.V2 = append(sig.V2, mac)
			}
		}
	}
	if len(sig.V1) == 0 && len(sig.V2) == 0 {
		return Signature{}, fmt.Errorf("%w: no v1 or v2 part", ErrMalformedSignature)
	}
	return sig, nil
}

// Verifier checks webhook signatures. The zero value uses Zavu's tolerances:
// a timestamp up to 300 s old and up to 60 s ahead.
type Verifier struct {
	Tolerance       time.Duration    // how old a timestamp may be; default 300 s
	FutureTolerance time.Duration    // how far ahead; default 60 s
	Now             func() time.Time // default time.Now
}

// Verify returns nil when header holds a valid signature of body by one of
// secrets. v2 (HMAC-SHA256 of "<t>.<body>") is checked first; v1 is accepted
// as the HMAC of the raw body, as Zavu computes it now, or of "<t>.<body>",
// as an older page describes it. Whenever the header has a timestamp, it
// must be fresh; v2 cannot be checked without one. Comparisons take
// constant time.
func (v Verifier) Verify(header string, body []byte, secrets []string) error {
	if len(secrets) == 0 {
		return ErrNoSecrets
	}
	sig, err := ParseSignature(header)
	if err != nil {
		return err
	}
	if sig.HasTimestamp {
		if err := v.fresh(sig.Timestamp); err != nil {
			return err
		}
	}
	// The timestamp's prefix is hashed before the body, not copied in
	// front of it: the body is the whole delivery.
	var prefix []byte
	if sig.HasTimestamp {
		prefix = strconv.AppendInt(make([]byte, 0, 21), sig.Timestamp, 10)
		prefix = append(prefix, '.')
	}
	var sum [sha256.Size]byte
	for _, secret := range secrets {
		if sig.HasTimestamp && anyEqual(macInto(&sum, secret, prefix, body), sig.V2) {
			return nil
		}
	}
	for _, secret := range secrets {
		if anyEqual(macInto(&sum, secret, nil, body), sig.V1) {
			return nil
		}
		if sig.HasTimestamp && anyEqual(macInto(&sum, secret, prefix, body), sig.V1) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

func (v Verifier) fresh(unix int64) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	past, future := v.Tolerance, v.FutureTolerance
	if past <= 0 {
		past = 300 * time.Second
	}
	if future <= 0 {
		future = 60 * time.Second
	}
	age := now().Sub(time.Unix(unix, 0))
	switch {
	case age > past:
		return fmt.Errorf("%w: signed %s ago", ErrStaleSignature, age.Round(time.Second))
	case -age > future:
		return fmt.Errorf("%w: signed %s ahead", ErrFutureSignature, (-age).Round(time.Second))
	}
	return nil
}

// Sign returns an X-Zavu-Signature header for body signed with secret at t,
// with t, v1 (over the raw body) and v2, as Zavu sends it.
func Sign(secret string, t time.Time, body []byte) string {
	unix := t.Unix()
	return fmt.Sprintf("t=%d,v1=%s,v2=%s", unix,
		hex.EncodeToString(mac(secret, body)), hex.EncodeToString(mac(secret, withTimestamp(unix, body))))
}

func withTimestamp(unix int64, body []byte) []byte {
	b := make([]byte, 0, len(body)+21)
	b = strconv.AppendInt(b, unix, 10)
	b = append(b, '.')
	return append(b, body...)
}

func mac(secret string, msg []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(msg)
	return h.Sum(nil)
}

// macInto is mac of prefix followed by body, written into sum.
func macInto(sum *[sha256.Size]byte, secret string, prefix, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(prefix)
	h.Write(body)
	return h.Sum(sum[:0])
}

func anyEqual(want []byte, got [][]byte) bool {
	ok := false
	for _, g := range got {
		// Check every candidate, so the time does not tell which matched.
		if hmac.Equal(want, g) {
			ok = true
		}
	}
	return ok
}
