package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"switchboard/inbox"
	"switchboard/web"
)

// user runs "switchboard user add --email E --name N [--admin]".
func (e env) user(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError("the only user command is: user add --email E --name N [--admin]")
	}
	fs := e.newFlags("user add")
	email := fs.String("email", "", "the user's e-mail address, used to log in")
	name := fs.String("name", "", "the name teammates see")
	admin := fs.Bool("admin", false, "make the user an admin")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(*email))
	if err != nil || addr.Name != "" {
		return usageError("--email %q is not an e-mail address", *email)
	}
	if strings.TrimSpace(*name) == "" {
		return usageError("--name is required")
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

// token runs "switchboard token create --name N".
func (e env) token(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("the only token command is: token create --name N")
	}
	fs := e.newFlags("token create")
	name := fs.String("name", "", "what the token is for, e.g. the script using it")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usageError("--name is required")
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
	t := inbox.APIToken{Name: strings.TrimSpace(*name), Hash: hash, CreatedAt: time.Now().UTC()}
	if err := db.CreateAPIToken(ctx, &t); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, secret)
	fmt.Fprintf(e.stderr, "API token %q created. It is shown only this once; store it safely.\n", t.Name)
	return nil
}
