package main

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/inbox"
	"switchboard/inbox/zavu"
	"switchboard/store"
)

// TestCrashSendsEveryReplyOnce runs the binary against a fake Zavu that
// answers slowly and sometimes loses its answer after accepting, SIGKILLs
// it mid-stream several times, and checks that every reply the API
// accepted reached Zavu exactly once: none lost between the write and the
// send, none sent twice between the send and the answer; and that each
// conversation's replies reached Zavu in the order they were accepted.
func TestCrashSendsEveryReplyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	fake := zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_crash"})
	zsrv := httptest.NewServer(fake)
	defer zsrv.Close()
	defer fake.Close()
	// Answers are slow, and one in four is lost after Zavu accepted it.
	rng := rand.New(rand.NewPCG(7, 7))
	for range 400 {
		f := zavu.Failure{Delay: time.Duration(20+rng.IntN(120)) * time.Millisecond}
		if rng.IntN(4) == 0 {
			f.AfterAccept, f.Drop = true, true
		}
		fake.FailNext(1, f)
	}
	env := []string{"ZAVU_API_KEY=zv_test_crash", "ZAVU_API_URL=" + zsrv.URL}

	vars := map[string]string{"SWITCHBOARD_DB": dbPath}
	code, out, errOut := runCmd(t, vars, "", "token", "create", "--name", "crash")
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	token := strings.TrimSpace(out[strings.LastIndex(out, "sbt_"):])
	token = strings.Fields(token)[0]

	client := &http.Client{Timeout: 10 * time.Second}
	const conversations = 40
	var convIDs []int64
	var mu sync.Mutex
	accepted := map[string]bool{} // reply texts the API acknowledged with 202
	n := 0
	const rounds = 4
	for round := range rounds {
		c := startChild(t, bin, dbPath, env...)
		if round == 0 {
			for i := range conversations {
				body := []byte(fmt.Sprintf(`{"id":"evt_crash_in_%d","type":"message.inbound","timestamp":%d,"senderId":"snd_crash",`+
					`"data":{"messageId":"msg_crash_in_%d","from":"+1415555%04d","to":"+13125559876","channel":"whatsapp",`+
					`"messageType":"text","text":"Hello?","profileName":"Crash Test"}}`, i, time.Now().UnixMilli(), i, i))
				if status, err := postSigned(context.Background(), client, c.url+"/webhooks/zavu", childSecret, body); err != nil || status != 200 {
					t.Fatalf("inbound webhook: %d %v", status, err)
				}
			}
			// Acknowledged once stored; applied a moment later.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := waitApplied(ctx, dbPath)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			convIDs = conversationIDs(t, c.url, token)
			if len(convIDs) != conversations {
				t.Fatalf("%d conversations, want %d", len(convIDs), conversations)
			}
		}
		stop := time.After(time.Duration(500+250*round) * time.Millisecond)
		texts := make(chan string)
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				for text := range texts {
					var k int
					fmt.Sscanf(text, "reply %d", &k)
					if apiReply(client, c.url, token, convIDs[k%conversations], text) == http.StatusAccepted {
						mu.Lock()
						accepted[text] = true
						mu.Unlock()
					}
				}
			})
		}
	feed:
		for {
			select {
			case texts <- fmt.Sprintf("reply %d", n):
				n++
			case <-stop:
				break feed
			}
		}
		c.cmd.Process.Kill() // SIGKILL: mid-write, mid-send or mid-answer
		close(texts)
		wg.Wait()
		c.wait()
	}
	if len(accepted) < 20 {
		t.Fatalf("only %d replies were accepted; the test proves nothing", len(accepted))
	}

	// A last run sends whatever is left.
	c := startChild(t, bin, dbPath, env...)
	deadline := time.Now().Add(60 * time.Second)
	for pendingReplies(t, dbPath) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d replies still unsent after a minute:\n%s", pendingReplies(t, dbPath), c.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.cmd.Process.Kill()
	c.wait()

	sent := map[string]int{}
	position := map[string]int{} // Zavu id -> when Zavu accepted it
	for i, m := range fake.Sent() {
		sent[m.Text]++
		position[m.ID] = i
	}
	for text := range accepted {
		if sent[text] != 1 {
			t.Errorf("%q reached Zavu %d times, want exactly once", text, sent[text])
		}
	}
	for text, k := range sent {
		if k > 1 {
			t.Errorf("%q sent %d times", text, k)
		}
	}
	for conv, replies := range repliesByConversation(t, dbPath) {
		for i := 1; i < len(replies); i++ {
			if position[replies[i].ZavuID] < position[replies[i-1].ZavuID] {
				t.Errorf("conversation %d: %q reached Zavu before %q, written earlier", conv, replies[i].Text, replies[i-1].Text)
			}
		}
	}
	t.Logf("%d replies accepted over %d crashes; %d messages reached Zavu", len(accepted), rounds, len(sent))
}

func apiReply(client *http.Client, base, token string, convID int64, text string) int {
	b, _ := json.Marshal(map[string]string{"text": text})
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/conversations/%d/messages", base, convID), bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func conversationIDs(t *testing.T, base, token string) []int64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/conversations?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatalf("conversations: %v", err)
	}
	var ids []int64
	for _, c := range page.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

// pendingReplies counts replies not yet accepted by Zavu, read straight
// from the database file.
func pendingReplies(t *testing.T, dbPath string) int {
	t.Helper()
	pending := 0
	for _, replies := range repliesByConversation(t, dbPath) {
		for _, m := range replies {
			if m.ZavuID == "" {
				pending++
			}
		}
	}
	return pending
}

// repliesByConversation reads every conversation's replies straight from
// the database file, in the order they were written.
func repliesByConversation(t *testing.T, dbPath string) map[int64][]inbox.Message {
	t.Helper()
	db, err := store.Open(dbPath, store.WithSessionCleanup(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	convs, _, err := db.Conversations(ctx, inbox.ConversationFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][]inbox.Message{}
	for _, conv := range convs {
		cursor := ""
		for {
			ms, next, err := db.Messages(ctx, conv.ID, inbox.MessageFilter{Limit: 200, Before: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.Direction == inbox.Outbound {
					out[conv.ID] = append(out[conv.ID], m)
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
		slices.SortFunc(out[conv.ID], func(a, b inbox.Message) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out
}

// TestStopLetsASendUnderWayFinish: a reply Zavu is slow to answer when
// the server is told to stop (SIGTERM) is answered and recorded as sent
// before the server exits 0, instead of being cut off and left waiting,
// with an attempt spent, for the next start.
func TestStopLetsASendUnderWayFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	o := startOneConversation(t)
	c, fake, dbPath := o.child, o.fake, o.dbPath
	fake.FailNext(1, zavu.Failure{Delay: 1500 * time.Millisecond}) // a slow answer, then accepted
	if status := apiReply(o.client, c.url, o.token, o.conv, "slow reply"); status != http.StatusAccepted {
		t.Fatalf("reply: %d", status)
	}
	time.Sleep(300 * time.Millisecond) // the outbox has sent it and waits for the answer
	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, c.logText())
	}
	if n := pendingReplies(t, dbPath); n != 0 || len(fake.Sent()) != 1 {
		t.Errorf("after the stop: %d reply(ies) not recorded as sent, Zavu has %d; want 0 and 1\n%s", n, len(fake.Sent()), c.logText())
	}
}

// TestSecondSignalStopsAtOnce: a second Ctrl-C during the graceful stop,
// which waits up to inbox.StopGrace for a reply Zavu is slow to answer,
// ends the process at once with one line saying so; the database is
// whole, and the reply cut off is sent at the next start, once.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	o := startOneConversation(t)
	c, fake, dbPath := o.child, o.fake, o.dbPath
	fake.FailNext(1, zavu.Failure{Delay: time.Minute}) // Zavu is slow: the stop would wait StopGrace
	if status := apiReply(o.client, c.url, o.token, o.conv, "slow reply"); status != http.StatusAccepted {
		t.Fatalf("reply: %d", status)
	}
	time.Sleep(300 * time.Millisecond) // the outbox has sent it and waits for the answer
	c.cmd.Process.Signal(os.Interrupt)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.logText(), "shutting down") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // well into the wait for the send
	second := time.Now()
	c.cmd.Process.Signal(os.Interrupt)
	exited := make(chan error, 1)
	go func() { exited <- c.wait() }()
	select {
	case <-exited:
	case <-time.After(inbox.StopGrace):
		c.cmd.Process.Kill()
		<-exited
		t.Fatalf("still running %v after the second Ctrl-C:\n%s", inbox.StopGrace, c.logText())
	}
	if took := time.Since(second); took > 2*time.Second {
		t.Errorf("the second Ctrl-C took %v to stop the process; want at once", took)
	}
	var forced []string
	for _, l := range strings.Split(c.logText(), "\n") {
		if strings.Contains(l, "second signal") {
			forced = append(forced, l)
		}
	}
	if len(forced) != 1 || !strings.Contains(forced[0], "at once") {
		t.Errorf("want one log line saying the second signal stops at once:\n%s", c.logText())
	}
	if c.cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("exit code %d after a forced stop; want 1", c.cmd.ProcessState.ExitCode())
	}

	// The next start finds the database whole and sends the reply.
	if code, out, _ := runCmd(t, map[string]string{"SWITCHBOARD_DB": dbPath}, "", "doctor"); !strings.Contains(out, "passes SQLite's quick check") {
		t.Errorf("doctor after the forced stop (exit %d):\n%s", code, out)
	}
	c = startChild(t, o.bin, dbPath, o.zavuEnv...)
	deadline = time.Now().Add(30 * time.Second)
	for pendingReplies(t, dbPath) != 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, c.logText())
	}
	if n := pendingReplies(t, dbPath); n != 0 || len(fake.Sent()) != 1 {
		t.Errorf("after the restart: %d reply(ies) not recorded as sent, Zavu has %d; want 0 and 1\n%s", n, len(fake.Sent()), c.logText())
	}
}

// oneConversation is a server started from exec with a fake Zavu, an API
// token and one customer's conversation, for the tests that stop it while
// a reply is being sent.
type oneConversation struct {
	bin, dbPath string
	fake        *zavu.Fake
	zavuEnv     []string
	child       *child
	client      *http.Client
	token       string
	conv        int64
}

// startOneConversation starts a oneConversation: the customer's message is
// applied before it returns.
func startOneConversation(t *testing.T) oneConversation {
	t.Helper()
	o := oneConversation{bin: buildBinary(t), dbPath: filepath.Join(t.TempDir(), "sb.db"),
		fake: zavu.NewFake(zavu.FakeOptions{APIKey: "zv_test_stop"}), client: &http.Client{Timeout: 10 * time.Second}}
	zsrv := httptest.NewServer(o.fake)
	t.Cleanup(zsrv.Close)
	t.Cleanup(func() { o.fake.Close() }) // first: it ends the answers it holds back, which zsrv.Close waits for
	code, out, errOut := runCmd(t, map[string]string{"SWITCHBOARD_DB": o.dbPath}, "", "token", "create", "--name", "stop")
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	o.token = strings.Fields(out[strings.LastIndex(out, "sbt_"):])[0]
	o.zavuEnv = []string{"ZAVU_API_KEY=zv_test_stop", "ZAVU_API_URL=" + zsrv.URL}
	o.child = startChild(t, o.bin, o.dbPath, o.zavuEnv...)
	body := []byte(fmt.Sprintf(`{"id":"evt_stop_in","type":"message.inbound","timestamp":%d,"senderId":"snd_stop",`+
		`"data":{"messageId":"msg_stop_in","from":"+14155550001","to":"+13125559876","channel":"whatsapp",`+
		`"messageType":"text","text":"Hello?","profileName":"Stop Test"}}`, time.Now().UnixMilli()))
	if status, err := postSigned(context.Background(), o.client, o.child.url+"/webhooks/zavu", childSecret, body); err != nil || status != 200 {
		t.Fatalf("inbound webhook: %d %v", status, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := waitApplied(ctx, o.dbPath)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	convs := conversationIDs(t, o.child.url, o.token)
	if len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
	o.conv = convs[0]
	return o
}

// TestSecondSignalDuringStartStopsAtOnce: a start held up opening the
// database (here another program holds its write lock, for up to the 5 s
// of the busy timeout; a long migration holds it the same way) is
// stopped at once by a second Ctrl-C, with the same line.
func TestSecondSignalDuringStartStopsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	other, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	if _, err := other.Exec(`BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "SWITCHBOARD_DB="+dbPath, "SWITCHBOARD_ADDR=127.0.0.1:0", "SWITCHBOARD_LOG=info")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	time.Sleep(time.Second) // waiting for the lock
	cmd.Process.Signal(os.Interrupt)
	time.Sleep(200 * time.Millisecond)
	second := time.Now()
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
	if took := time.Since(second); took > time.Second || !strings.Contains(stderr.String(), "stopping at once on a second signal") {
		t.Errorf("the second Ctrl-C during the start ended it after %v; want at once, saying so:\n%s", took, stderr.String())
	}
}
