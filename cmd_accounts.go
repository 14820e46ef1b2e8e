package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"

	"switchboard/inbox"
	"switchboard/store"
	"switchboard/web"
)

// user runs "switchboard user add --email E --name N [--admin]".
func (e env) user(ctx context.Context, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		return e.help("user")
	}
	if len(args) == 0 || args[0] != "add" {
		return usageError("the only user command is: user add --email E --name N [--admin]")
	}
	fs := e.newFlags("user add")
	email := fs.String("email", "", "the user's e-mail address, used to log in")
	name := fs.String("name", "", "the name teammates see")
	admin := fs.Bool("admin", false, "make the user an admin")
	if err := fs.parseNoArgs(args[1:]); err != nil {
		return err
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(*email))
	if err != nil || addr.Name != "" {
		return usageError("--email %q is not an e-mail address", *email)
	}
	switch n := strings.TrimSpace(*name); {
	case n == "":
		return usageError("--name is required")
	case utf8.RuneCountInString(n) > web.MaxAgentName:
		// As the admin page refuses it.
		return usageError("--name can be at most %d characters", web.MaxAgentName)
	case strings.IndexFunc(n, unicode.IsControl) >= 0:
		return usageError("--name %q holds a line break or another control character: give the name on one line", n)
	}
	password, err := e.readPassword()
	if err != nil {
		return err
	}
	hash, err := web.HashPassword(password)
	if err != nil {
		return err
	}
	role := inbox.RoleAgent
	if *admin {
		role = inbox.RoleAdmin
	}
	db, err := e.openStore()
	if err != nil {
		return err
	}
	defer db.Close()
	u := inbox.User{Email: addr.Address, Name: strings.TrimSpace(*name), Role: role, PasswordHash: hash, Active: true, CreatedAt: time.Now().UTC()}
	if err := db.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, inbox.ErrConflict) {
			return fmt.Errorf("a user with e-mail %s already exists", u.Email)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "added %s %s <%s>\n", role, u.Name, u.Email)
	return nil
}

// readPassword prompts on a terminal without echo, or reads the first line
// of stdin when it is a pipe.
func (e env) readPassword() (string, error) {
	var pw string
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		pw = string(b)
	} else {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("no password on stdin: pipe it in, or run the command in a terminal to be asked")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if len([]rune(pw)) < web.MinPasswordLength {
		return "", fmt.Errorf("the password must be at least %d characters", web.MinPasswordLength)
	}
	return pw, nil
}

// token runs "switchboard token create|list|revoke".
func (e env) token(ctx context.Context, args []string) error {
	const usage = "token commands: token create --name N [--scope read|write], token list, token revoke ID"
	if len(args) == 0 {
		return usageError("%s", usage)
	}
	if isHelp(args[0]) {
		return e.help("token")
	}
	switch args[0] {
	case "create":
		return e.tokenCreate(ctx, args[1:])
	case "list":
		return e.tokenList(ctx, args[1:])
	case "revoke":
		return e.tokenRevoke(ctx, args[1:])
	}
	return usageError("unknown token command %q; %s", args[0], usage)
}

// tokenCreate runs "switchboard token create --name N [--scope read|write]".
func (e env) tokenCreate(ctx context.Context, args []string) error {
	fs := e.newFlags("token create")
	name := fs.String("name", "", "what the token is for, e.g. the script using it")
	scopeFlag := fs.String("scope", string(inbox.ScopeWrite), "read (only reads) or write (may also send and change conversations)")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	n := strings.TrimSpace(*name)
	switch {
	case n == "":
		return usageError("--name is required")
	case utf8.RuneCountInString(n) > inbox.MaxTokenName:
		return usageError("--name can be at most %d characters", inbox.MaxTokenName)
	}
	scope, err := inbox.ParseTokenScope(*scopeFlag)
	if err != nil || *scopeFlag == "" {
		return usageError("--scope %q: use read or write", *scopeFlag)
	}
	secret, hash, err := web.NewAPIToken()
	if err != nil {
		return err
	}
	db, err := e.openStore()
	if err != nil {
		return err
	}
	defer db.Close()
	t := inbox.APIToken{Name: n, Hash: hash, Scope: scope, CreatedAt: time.Now().UTC()}
	if err := db.CreateAPIToken(ctx, &t); errors.Is(err, inbox.ErrNameTaken) {
		return usageError("--name %q is the name of a token in use: give another name, or revoke that token first (token list shows its id)", n)
	} else if err != nil {
		return err
	}
	e.auditToken(ctx, db, "token.create", t)
	fmt.Fprintln(e.stdout, secret)
	fmt.Fprintf(e.stderr, "API token %d %q (%s) created. It is shown only this once; store it safely.\n", t.ID, t.Name, t.Scope)
	return nil
}

// tokenList runs "switchboard token list": every token, revoked ones
// too, newest first. It never shows a token's secret or hash.
func (e env) tokenList(ctx context.Context, args []string) error {
	fs := e.newFlags("token list")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	db, err := e.openStore()
	if err != nil {
		return err
	}
	defer db.Close()
	ts, err := db.APITokens(ctx)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		fmt.Fprintln(e.stderr, "No API tokens. Create one with: switchboard token create --name N")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tLAST USED\tREVOKED")
	for _, t := range ts {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, listField(t.Name), t.Scope,
			cliTime(t.CreatedAt, "-"), cliTime(t.LastUsedAt, "never"), cliTime(t.RevokedAt, "-"))
	}
	return tw.Flush()
}

// tokenRevoke runs "switchboard token revoke ID". A running server refuses
// the token from its next request on: it reads tokens from the database
// on every request.
func (e env) tokenRevoke(ctx context.Context, args []string) error {
	fs := e.newFlags("token revoke")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("token revoke takes one token id (see switchboard token list)")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id < 1 {
		return usageError("%q is not a token id: use a number from switchboard token list", fs.Arg(0))
	}
	db, err := e.openStore()
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.RevokeAPIToken(ctx, id, time.Now().UTC())
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		return fmt.Errorf("there is no API token with id %d (see switchboard token list)", id)
	case errors.Is(err, inbox.ErrRevoked):
		// What was asked holds: the token is refused. A script cleaning up
		// may revoke it twice.
		fmt.Fprintf(e.stdout, "API token %d %q was revoked already, at %s: nothing to do\n", id, t.Name, cliTime(t.RevokedAt, "-"))
		return nil
	case err != nil:
		return err
	}
	e.auditToken(ctx, db, "token.revoke", t)
	fmt.Fprintf(e.stdout, "revoked API token %d %q (%s): it is refused from its next request on\n", t.ID, t.Name, t.Scope)
	return nil
}

// auditToken records a token change made on the command line in the
// audit log, as the admin pages do. A failure is reported, not fatal: the
// change itself is done.
func (e env) auditToken(ctx context.Context, db *store.DB, action string, t inbox.APIToken) {
	detail := fmt.Sprintf("%q (%s, id %d)", t.Name, t.Scope, t.ID)
	if err := db.AddAudit(ctx, inbox.AuditEntry{At: time.Now().UTC(), Action: action, Detail: detail}); err != nil {
		fmt.Fprintf(e.stderr, "switchboard: the audit log did not record %s %s: %v\n", action, detail, err)
	}
}

// cliTime is a time as the command line shows it, in UTC; none when zero.
func cliTime(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// listField keeps a name on one cell of a listing and out of the
// terminal's control: tabs, line breaks and other control characters
// become spaces.
func listField(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
