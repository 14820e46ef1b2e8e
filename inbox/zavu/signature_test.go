package zavu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"
)

func hexMAC(secret, msg string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(msg))
	return hex.EncodeToString(h.Sum(nil))
}

func TestVerify(t *testing.T) {
	const secret = "whsec_abc123def456"
	body := []byte(`{"id":"evt_1","type":"message.inbound"}`)
	now := time.Unix(1705312200, 0)
	ts := fmt.Sprint(now.Unix())
	v := Verifier{Now: func() time.Time { return now }}
	v2 := hexMAC(secret, ts+"."+string(body))
	v1raw := hexMAC(secret, string(body))
	v1ts := hexMAC(secret, ts+"."+string(body))

	tests := []struct {
		name    string
		header  string
		body    []byte
		secrets []string
		want    error
	}{
		{"v2", "t=" + ts + ",v2=" + v2, body, []string{secret}, nil},
		{"v1 over the raw body", "t=" + ts + ",v1=" + v1raw, body, []string{secret}, nil},
		{"v1 over t.body", "t=" + ts + ",v1=" + v1ts, body, []string{secret}, nil},
		{"v1 over the raw body without t", "v1=" + v1raw, body, []string{secret}, nil},
		{"as Sign makes it", Sign(secret, now, body), body, []string{secret}, nil},
		{"parts reordered, spaces", " v2=" + v2 + " , t=" + ts, body, []string{secret}, nil},
		{"unknown parts ignored", "t=" + ts + ",v0=zz,scheme=hmac,v2=" + v2, body, []string{secret}, nil},
		{"a wrong v2 beside a right one", "t=" + ts + ",v2=" + hexMAC("x", "y") + ",v2=" + v2, body, []string{secret}, nil},
		{"second secret of several", "t=" + ts + ",v2=" + v2, body, []string{"whsec_old", secret}, nil},
		{"no header", "", body, []string{secret}, ErrNoSignature},
		{"no secrets", "t=" + ts + ",v2=" + v2, body, nil, ErrNoSecrets},
		{"no digest", "t=" + ts, body, []string{secret}, ErrMalformedSignature},
		{"digest not hex", "t=" + ts + ",v2=xyz", body, []string{secret}, ErrMalformedSignature},
		{"digest too short", "t=" + ts + ",v2=abcd", body, []string{secret}, ErrMalformedSignature},
		{"time not a number", "t=yesterday,v2=" + v2, body, []string{secret}, ErrMalformedSignature},
		{"wrong secret", "t=" + ts + ",v2=" + v2, body, []string{"whsec_other"}, ErrSignatureMismatch},
		{"tampered body", "t=" + ts + ",v2=" + v2, []byte(`{"id":"evt_2","type":"message.inbound"}`), []string{secret}, ErrSignatureMismatch},
		{"v2 needs t", "v2=" + v2, body, []string{secret}, ErrSignatureMismatch},
		{"stale", Sign(secret, now.Add(-301*time.Second), body), body, []string{secret}, ErrStaleSignature},
		{"just fresh enough", Sign(secret, now.Add(-300*time.Second), body), body, []string{secret}, nil},
		{"future", Sign(secret, now.Add(61*time.Second), body), body, []string{secret}, ErrFutureSignature},
		{"slightly ahead", Sign(secret, now.Add(60*time.Second), body), body, []string{secret}, nil},
		{"stale time with a raw-body v1", "t=" + fmt.Sprint(now.Unix()-400) + ",v1=" + v1raw, body, []string{secret}, ErrStaleSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(tt.header, tt.body, tt.secrets)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzParseSignature(f *testing.F) {
	for _, h := range []string{"t=1705312200,v1=00,v2=00", "v2=" + hexMAC("a", "b"), "t=,v1=", ",,,=,", "t=-1,v2=zz"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		sig, err := ParseSignature(header)
		if err != nil {
			return
		}
		if len(sig.V1)+len(sig.V2) == 0 {
			t.Fatalf("accepted %q with no digest", header)
		}
		for _, d := range append(sig.V1, sig.V2...) {
			if len(d) != sha256.Size {
				t.Fatalf("digest of %d bytes accepted", len(d))
			}
		}
	})
}

func FuzzSignRoundTrip(f *testing.F) {
	f.Add("whsec_abc", []byte(`{"id":"evt_1"}`), int64(0))
	f.Fuzz(func(t *testing.T, secret string, body []byte, skew int64) {
		if secret == "" {
			return
		}
		now := time.Unix(1705312200, 0)
		// Anywhere from 300 s ago to 60 s ahead is within tolerance.
		skew = skew % 361
		if skew < 0 {
			skew = -skew
		}
		at := now.Add(time.Duration(60-skew) * time.Second)
		v := Verifier{Now: func() time.Time { return now }}
		if err := v.Verify(Sign(secret, at, body), body, []string{secret}); err != nil {
			t.Fatalf("a signature made at %v does not verify at %v: %v", at, now, err)
		}
		if err := v.Verify(Sign(secret+"x", at, body), body, []string{secret}); err == nil {
			t.Fatal("another secret's signature verified")
		}
	})
}
