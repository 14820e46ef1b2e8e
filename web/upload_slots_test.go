package web

import (
	"errors"
	"net/http"
	"testing"
)

// Uploads are capped per agent (429) and server-wide (503), and a
// finished upload frees its slot.
func TestUploadSlots(t *testing.T) {
	var u uploadSlots
	status := func(err error) int {
		var ae *apiError
		if !errors.As(err, &ae) {
			t.Fatalf("error %v has no status", err)
		}
		return ae.Status
	}
	var releases []func()
	for range MaxUploadsPerUser {
		rel, err := u.take(1)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, rel)
	}
	if _, err := u.take(1); err == nil || status(err) != http.StatusTooManyRequests {
		t.Fatalf("agent 1's upload past %d: %v, want 429", MaxUploadsPerUser, err)
	}
	for user := int64(2); len(releases) < MaxConcurrentUploads; user++ {
		rel, err := u.take(user)
		if err != nil {
			t.Fatalf("upload %d: %v", len(releases)+1, err)
		}
		releases = append(releases, rel)
	}
	if _, err := u.take(100); err == nil || status(err) != http.StatusServiceUnavailable {
		t.Fatalf("an upload past %d server-wide: %v, want 503", MaxConcurrentUploads, err)
	}
	releases[0]() // one of agent 1's
	releases[0]() // twice changes nothing
	other, err := u.take(100)
	if err != nil {
		t.Fatalf("an upload after one finished: %v", err)
	}
	if _, err := u.take(101); err == nil {
		t.Fatal("the freed slot was counted twice")
	}
	other()
	rel, err := u.take(1)
	if err != nil {
		t.Fatalf("agent 1 after one of theirs finished: %v", err)
	}
	rel()
	for _, r := range releases[1:] {
		r()
	}
	if u.total != 0 || len(u.byUser) != 0 {
		t.Errorf("after every upload ended: %d in use, %v", u.total, u.byUser)
	}
}
