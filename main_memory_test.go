package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// largePost is a multipart form with a file part of size bytes, generated
// as it is sent; chunked when withLength is false.
func largePost(url string, size int64, withLength bool) *http.Request {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("email", "someone@example.com")
	mw.CreateFormFile("file", "big.bin")
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	body := io.MultiReader(bytes.NewReader(head.Bytes()), io.LimitReader(zeros{}, size), strings.NewReader(tail))
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if withLength {
		req.ContentLength = int64(head.Len()) + size + int64(len(tail))
	} else {
		req.ContentLength = -1
	}
	return req
}

// procMemory reads a process's peak and current resident memory (kB).
func procMemory(t *testing.T, pid int) (peak, now int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			peak = n
		case "VmRSS":
			now = n
		}
	}
	return peak, now
}

// TestAnonymousLargePostsKeepMemoryBounded sends 20 concurrent 25 MiB
// anonymous posts to the sign-in page, then 20 to the attachment route, to
// the real server in its own process, and reads its peak resident memory:
// no page holds a body it has not checked the sender for.
func TestAnonymousLargePostsKeepMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	c := startChild(t, bin, filepath.Join(t.TempDir(), "sb.db"))
	defer func() {
		c.cmd.Process.Kill()
		c.wait()
	}()
	pid := c.cmd.Process.Pid
	startPeak, _ := procMemory(t, pid)

	const posts, size = 20, 25 << 20
	client := &http.Client{Timeout: time.Minute}
	statuses := map[string]map[int]int{}
	var mu sync.Mutex
	for _, path := range []string{"/login", "/conversations/1/messages"} {
		statuses[path] = map[int]int{}
		var wg sync.WaitGroup
		for i := range posts {
			wg.Go(func() {
				resp, err := client.Do(largePost(c.url+path, size, i%2 == 0))
				status := 0 // the server closed the connection before the body was sent
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				mu.Lock()
				statuses[path][status]++
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	peak, now := procMemory(t, pid)
	t.Logf("switchboard resident memory: %d MB at start, peak %d MB, now %d MB; answers %v", startPeak>>10, peak>>10, now>>10, statuses)
	if peak > 200<<10 {
		t.Errorf("peak resident memory %d MB after %d concurrent 25 MiB anonymous posts per route, want under 200 MB", peak>>10, posts)
	}
	for path, got := range statuses {
		for status, n := range got {
			if status >= 200 && status < 400 {
				t.Errorf("%s: %d anonymous posts answered %d", path, n, status)
			}
		}
	}
	resp, err := client.Get(c.url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz after the posts: %v %v", resp, err)
	}
	resp.Body.Close()
}
