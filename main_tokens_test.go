package main

import (
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"switchboard/inbox"
	"switchboard/store"
	"switchboard/web"
)

// createToken runs "token create" and returns the printed secret and the
// id stderr names.
func createToken(t *testing.T, vars map[string]string, args ...string) (secret, id string) {
	t.Helper()
	code, out, errOut := runCmd(t, vars, "", append([]string{"token", "create"}, args...)...)
	secret = strings.TrimSpace(out)
	m := regexp.MustCompile(`API token (\d+) `).FindStringSubmatch(errOut)
	if code != 0 || !strings.HasPrefix(secret, "sbt_") || m == nil {
		t.Fatalf("token create %v = %d %q %q", args, code, out, errOut)
	}
	return secret, m[1]
}

func TestTokenCommands(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	vars := map[string]string{"SWITCHBOARD_DB": dbPath}

	if code, out, _ := runCmd(t, nil, "", "-h"); code != 0 || !strings.Contains(out, "token create --name N [--scope read|write]") ||
		!strings.Contains(out, "token list") || !strings.Contains(out, "token revoke ID") {
		t.Errorf("-h does not list the token commands: %q", out)
	}
	if code, _, errOut := runCmd(t, vars, "", "token", "list"); code != 0 || !strings.Contains(errOut, "No API tokens") {
		t.Errorf("list with no tokens = %d %q", code, errOut)
	}
	readSecret, readID := createToken(t, vars, "--name", "dashboard", "--scope", "read")
	writeSecret, writeID := createToken(t, vars, "--name", "order bot")
	for _, bad := range [][]string{
		{"token", "create", "--name", "x", "--scope", "admin"},
		{"token", "create", "--name", "x", "--scope", ""},
		{"token", "create", "--scope", "read"},
		{"token", "create", "--name", strings.Repeat("n", inbox.MaxTokenName+1)},
		{"token", "revoke"},
		{"token", "revoke", "abc"},
		{"token", "revoke", "1", "2"},
		{"token", "list", "extra"},
		{"token", "rotate"},
		{"token"},
	} {
		if code, _, errOut := runCmd(t, vars, "", bad...); code != 2 || errOut == "" {
			t.Errorf("%q = exit %d %q, want 2 with a reason", bad, code, errOut)
		}
	}

	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tok, err := db.APITokenByHash(ctx, web.HashAPIToken(readSecret))
	if err != nil || tok.Scope != inbox.ScopeRead || tok.Name != "dashboard" {
		t.Errorf("read token stored as %+v, %v", tok, err)
	}
	tok, err = db.APITokenByHash(ctx, web.HashAPIToken(writeSecret))
	if err != nil || tok.Scope != inbox.ScopeWrite {
		t.Errorf("token made without --scope stored as %+v, %v; want write", tok, err)
	}

	code, out, _ := runCmd(t, vars, "", "token", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(lines[0], "LAST USED") {
		t.Fatalf("list = %d %q", code, out)
	}
	if strings.Contains(out, readSecret) || strings.Contains(out, writeSecret) || strings.Contains(out, tok.Hash) {
		t.Error("token list shows a token or its hash")
	}
	// Newest first: the write token, then the read one.
	if f := strings.Fields(lines[1]); f[0] != writeID || !strings.Contains(lines[1], "order bot") || !strings.Contains(lines[1], "write") || !strings.Contains(lines[1], "never") {
		t.Errorf("write token line %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[0] != readID || f[1] != "dashboard" || f[2] != "read" {
		t.Errorf("read token line %q", lines[2])
	}

	// Revoke: at once; again, it is revoked already, which is what was
	// asked (a script cleaning up runs it twice).
	code, out, errOut := runCmd(t, vars, "", "token", "revoke", readID)
	if code != 0 || !strings.Contains(out, "revoked API token "+readID) {
		t.Fatalf("revoke = %d %q %q", code, out, errOut)
	}
	if _, err := db.APITokenByHash(ctx, web.HashAPIToken(readSecret)); err == nil {
		t.Error("a database handle opened before the revocation still finds the token")
	}
	if code, out, errOut := runCmd(t, vars, "", "token", "revoke", readID); code != 0 || !strings.Contains(out, "revoked already") || errOut != "" {
		t.Errorf("revoking twice = %d %q %q, want 0 saying it was revoked already", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, vars, "", "token", "revoke", "999"); code != 1 || !strings.Contains(errOut, "no API token with id 999") {
		t.Errorf("revoking an unknown id = %d %q, want 1 and a clear reason", code, errOut)
	}
	_, out, _ = runCmd(t, vars, "", "token", "list")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasSuffix(lines[2], "UTC") || strings.HasSuffix(lines[1], "UTC") {
		t.Errorf("list after revoking: %q", out)
	}

	// The command line's changes are in the audit log, without the token.
	entries, err := db.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if strings.Contains(e.Detail, "sbt_") || e.UserID != nil {
			t.Errorf("audit entry %+v", e)
		}
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, " ") != "token.revoke token.create token.create" {
		t.Errorf("audit log = %v", actions)
	}
}

// A token revoked on the command line is refused by the server that is
// running at the time, at its next request.
func TestTokenRevokeHoldsOnARunningServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dbPath := filepath.Join(t.TempDir(), "sb.db")
	vars := map[string]string{"SWITCHBOARD_DB": dbPath}
	secret, id := createToken(t, vars, "--name", "cron", "--scope", "read")
	c := startChild(t, bin, dbPath)
	defer func() { c.cmd.Process.Kill(); c.wait() }()

	call := func(method string) int {
		t.Helper()
		req, _ := http.NewRequest(method, c.url+"/api/v1/conversations", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := call(http.MethodGet); s != http.StatusOK {
		t.Fatalf("GET before revoking: %d", s)
	}
	if s := call(http.MethodPost); s != http.StatusForbidden {
		t.Errorf("POST with a read token: %d, want 403", s)
	}
	if code, _, errOut := runCmd(t, vars, "", "token", "revoke", id); code != 0 {
		t.Fatalf("revoke = %d %q", code, errOut)
	}
	if s := call(http.MethodGet); s != http.StatusUnauthorized {
		t.Errorf("GET right after revoking: %d, want 401", s)
	}
	_, out, _ := runCmd(t, vars, "", "token", "list")
	if strings.Contains(out, "never") {
		t.Errorf("the server's use of the token is not in the list: %q", out)
	}
}

// Two tokens not revoked never share a name: "token create" refuses the
// name of one still in use, in one line with exit 2, and takes it again
// once that token is revoked.
func TestTokenCreateRefusesANameInUse(t *testing.T) {
	vars := map[string]string{"SWITCHBOARD_DB": filepath.Join(t.TempDir(), "sb.db")}
	_, id := createToken(t, vars, "--name", "ci")
	code, out, errOut := runCmd(t, vars, "", "token", "create", "--name", " ci ", "--scope", "read")
	if code != 2 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, `"ci"`) || !strings.Contains(errOut, "revoke") {
		t.Errorf("a second token named ci = exit %d %q %q, want 2 with one line naming it", code, out, errOut)
	}
	db, err := store.Open(vars["SWITCHBOARD_DB"])
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := db.APITokens(context.Background()); err != nil || len(ts) != 1 {
		t.Errorf("after the refused create, %d tokens (%v), want 1", len(ts), err)
	}
	db.Close()
	if code, _, errOut := runCmd(t, vars, "", "token", "revoke", id); code != 0 {
		t.Fatalf("revoke = %d %q", code, errOut)
	}
	createToken(t, vars, "--name", "ci")
}
