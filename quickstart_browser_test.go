package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/browsertest"
)

// TestBrowserQuickStart is the README's quick start as a newcomer meets
// it: the binary started with no argument and no Zavu key (sandbox mode),
// the first visit in a real browser creating the admin account, simulated
// customers appearing live, a reply going out and its ticks coming back,
// then a token from a second terminal and the JSON API, and "simulate"
// playing a burst of customers at the running server.
func TestBrowserQuickStart(t *testing.T) {
	exe := browsertest.Chromium(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	// A newcomer's environment has no Switchboard or Zavu settings; the
	// data goes to ./data in the folder it runs from.
	env := append(benchChildEnv(os.Environ()), "SWITCHBOARD_ADDR=127.0.0.1:0", "SWITCHBOARD_LOG=info")
	cmd := exec.Command(bin)
	cmd.Dir = dir
	c := startProcess(t, cmd, env)
	t.Cleanup(func() { c.cmd.Process.Kill(); _ = c.wait() })
	if !strings.Contains(c.logText(), `"sandbox":true`) {
		t.Fatalf("no Zavu key, yet the start-up log does not say sandbox mode:\n%s", c.logText())
	}

	ctx := browsertest.Start(t, exe)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, c.logText())
		}
	}
	wait := func(what, expr string) {
		t.Helper()
		run(what, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond)))
	}
	eval := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("eval %s: %v", expr, err)
		}
		return s
	}

	// The first visit asks for the setup link Switchboard wrote to its
	// log: its code keeps whoever else reaches the page from taking the
	// admin account.
	run("open Switchboard", chromedp.Navigate(c.url), chromedp.WaitVisible(chromedp.CSS(`[data-testid=setup-needs-code]`)))
	if p := eval(`location.pathname`); p != "/setup" {
		t.Errorf("the first visit opened %s, want the admin account's setup", p)
	}
	run("open the setup link from the log", chromedp.Navigate(setupLink(t, c)), chromedp.WaitVisible(chromedp.CSS(`form[action="/setup"]`)))
	run("create the admin account",
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Ana Admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "ana@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form[action="/setup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=conv-list]`)),
	)
	wait("the live connection is up", `document.querySelector('[data-testid=live-banner]').hidden === true`)
	wait("the sandbox banner says so", `!!document.querySelector('[data-testid=sandbox-banner]')?.offsetParent`)
	eval(`window.__sameLoad = "yes"`)
	wait("a simulated customer writes", `document.querySelectorAll('[data-testid=conv-row]').length > 0`)
	if eval(`window.__sameLoad || "reloaded"`) != "yes" {
		t.Error("the first conversation came with a reload of the page, not live")
	}

	run("open the conversation", chromedp.Click(chromedp.CSS(`[data-testid=conv-row]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=reply-text]`)))
	wait("the customer's message is in the thread", `!!document.querySelector('[data-testid=message][data-direction=inbound]')`)
	const reply = "Thanks for writing, we are on it."
	run("reply", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), reply+"\r"))
	// The sandbox's Zavu plays the statuses back through the webhook: an
	// SMS ends delivered, a WhatsApp message read; now and then a send
	// fails, as real ones do, and then says why and offers Retry.
	ours := `[...document.querySelectorAll('[data-testid=message][data-direction=outbound]')].find(m => m.textContent.includes(` + jsString(reply) + `))`
	// The simulated customers go on writing: when one writes before the
	// page shows it, the send guard stops the reply and shows what came,
	// and a second Send sends it, as the newcomer would.
	stopped := `!!document.querySelector('#thread [data-testid=draft-changed]')`
	for range 3 {
		wait("the reply is sent or stopped by the send guard", `!!`+ours+` || `+stopped)
		if eval(`String(!!`+ours+`)`) == "true" {
			break
		}
		// What changed is read: the box goes, so that another stop shows.
		eval(`document.querySelector('#thread [data-testid=draft-changed]').remove(), ""`)
		run("send again after reading what changed", chromedp.SendKeys(chromedp.CSS(`[data-testid=reply-text]`), "\r"))
	}
	wait("the reply's ticks come back", `['delivered', 'read', 'failed'].includes(`+ours+`?.dataset.status)`)
	if eval(ours+`.dataset.status`) == "failed" {
		if eval(`String(!!`+ours+`.querySelector('[data-testid=failure]') && !!`+ours+`.querySelector('[data-testid=retry]'))`) != "true" {
			t.Errorf("the reply failed without its reason or a Retry: %s", eval(ours+`.outerHTML`))
		}
	}

	// From a second terminal: a token, then the JSON API.
	second := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = dir, benchChildEnv(os.Environ())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("switchboard %s: %v %s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	token := strings.TrimSpace(second("token", "create", "--name", "me"))
	api := func(path string, v any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, c.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	type conversations struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	var before conversations
	api("/api/v1/conversations?status=all&limit=100", &before)
	id := eval(`document.querySelector('[data-testid=message][data-direction=outbound]').dataset.conversation`)
	var thread struct {
		Items []struct{ Text, Source string } `json:"items"`
	}
	api("/api/v1/conversations/"+id+"/messages", &thread)
	found := false
	for _, m := range thread.Items {
		found = found || m.Text == reply && m.Source == "agent"
	}
	if !found {
		t.Errorf("the API's thread lacks the agent's reply: %+v", thread.Items)
	}

	// A burst of customers from the second terminal, through the sandbox
	// secret, each a new conversation in the list, live.
	second("simulate", "--url", c.url, "--count", "40")
	wait("the burst's conversations are listed live", fmt.Sprintf(`document.querySelectorAll('[data-testid=conv-row]').length > %d`, len(before.Items)))
	var after conversations
	api("/api/v1/conversations?status=all&limit=100", &after)
	if len(after.Items) <= len(before.Items) {
		t.Errorf("after simulate the API lists %d conversations, %d before", len(after.Items), len(before.Items))
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "switchboard.db")); err != nil {
		t.Errorf("the data is not in ./data/switchboard.db: %v", err)
	}
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// setupLink is the first-run setup's link that c wrote to its log.
func setupLink(t *testing.T, c *child) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, line := range strings.Split(c.logText(), "\n") {
			var entry struct {
				SetupURL string `json:"setup_url"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.SetupURL != "" {
				return entry.SetupURL
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no setup_url in the log:\n%s", c.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
