package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"switchboard/inbox"
	"switchboard/migrations"
)

func TestAPITokenScopesCreatorsAndRevocation(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := addTestUser(t, db, "ana@example.com", "Ana", inbox.RoleAdmin)

	cli := inbox.APIToken{Name: "nightly", Hash: "hash-cli", CreatedAt: t0}
	if err := db.CreateAPIToken(ctx, &cli); err != nil {
		t.Fatal(err)
	}
	if cli.Scope != inbox.ScopeWrite {
		t.Errorf("a token made without a scope has scope %q, want write (the default)", cli.Scope)
	}
	page := inbox.APIToken{Name: "dashboard", Hash: "hash-page", Scope: inbox.ScopeRead, CreatedAt: t0.Add(time.Minute), CreatedBy: &ana.ID}
	if err := db.CreateAPIToken(ctx, &page); err != nil {
		t.Fatal(err)
	}
	bad := inbox.APIToken{Name: "x", Hash: "hash-bad", Scope: "admin"}
	if err := db.CreateAPIToken(ctx, &bad); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("scope admin: err = %v, want ErrInvalid", err)
	}

	got, err := db.APITokenByHash(ctx, "hash-page")
	if err != nil || got.ID != page.ID || got.Scope != inbox.ScopeRead || got.CreatedBy == nil || *got.CreatedBy != ana.ID || got.CreatedByName != "Ana" {
		t.Errorf("read token by hash = %+v, %v", got, err)
	}

	// Last use is recorded, and an older time never moves it back.
	used := t0.Add(time.Hour)
	if err := db.TouchAPIToken(ctx, cli.ID, used); err != nil {
		t.Fatal(err)
	}
	if err := db.TouchAPIToken(ctx, cli.ID, t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}

	list, err := db.APITokens(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("APITokens = %+v, %v", list, err)
	}
	if list[0].ID != page.ID || list[1].ID != cli.ID {
		t.Errorf("order = %d, %d, want newest first", list[0].ID, list[1].ID)
	}
	if !list[1].LastUsedAt.Equal(used) || !list[0].LastUsedAt.IsZero() {
		t.Errorf("last used = %v and %v, want %v and never", list[1].LastUsedAt, list[0].LastUsedAt, used)
	}
	if list[1].CreatedBy != nil || list[1].CreatedByName != "" {
		t.Errorf("command-line token has a creator: %+v", list[1])
	}

	revokedAt := t0.Add(2 * time.Hour)
	r, err := db.RevokeAPIToken(ctx, cli.ID, revokedAt)
	if err != nil || r.Name != "nightly" || !r.RevokedAt.Equal(revokedAt) {
		t.Fatalf("revoke = %+v, %v", r, err)
	}
	if _, err := db.APITokenByHash(ctx, "hash-cli"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("revoked token still found: %v", err)
	}
	again, err := db.RevokeAPIToken(ctx, cli.ID, revokedAt.Add(time.Hour))
	if !errors.Is(err, inbox.ErrRevoked) || !errors.Is(err, inbox.ErrConflict) || !again.RevokedAt.Equal(revokedAt) {
		t.Errorf("revoking again = %+v, %v; want ErrRevoked and the first time kept", again, err)
	}
	if _, err := db.RevokeAPIToken(ctx, 999, revokedAt); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("revoking an unknown id: %v, want ErrNotFound", err)
	}
	list, _ = db.APITokens(ctx)
	if !list[1].Revoked() || list[0].Revoked() {
		t.Errorf("listed revocations: %+v", list)
	}
}

// A database whose tokens predate scopes upgrades with every token able to
// write, as it could before.
func TestTokenScopeMigrationKeepsOldTokensWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	before := fstest.MapFS{}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		v, _, _ := strings.Cut(name, "_")
		if n, _ := strconv.Atoi(v); n < 11 {
			b, _ := fs.ReadFile(migrations.FS, name)
			before[name] = &fstest.MapFile{Data: b}
		}
	}
	raw, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(context.Background(), raw, before, func() time.Time { return t0 }); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO api_tokens (name, hash, created_at) VALUES ('old script', 'hash-old', ?)`, t0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := testOpen(t, path)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer db.Close()
	tok, err := db.APITokenByHash(context.Background(), "hash-old")
	if err != nil || tok.Scope != inbox.ScopeWrite || tok.CreatedBy != nil {
		t.Errorf("old token after the upgrade = %+v, %v; want scope write", tok, err)
	}
	err = db.write(context.Background(), func(ctx context.Context, w *writeTx) error {
		_, err := w.execSQL(ctx, `UPDATE api_tokens SET scope = 'admin'`)
		return err
	})
	if err == nil {
		t.Error("the schema accepted scope 'admin'")
	}
}

// Two tokens not revoked never share a name; a revoked token's name may
// be used again.
func TestAPITokenNameInUseIsRefused(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	first := inbox.APIToken{Name: "ci", Hash: "hash-1", CreatedAt: t0}
	if err := db.CreateAPIToken(ctx, &first); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIToken(ctx, &inbox.APIToken{Name: "ci", Hash: "hash-2", CreatedAt: t0}); !errors.Is(err, inbox.ErrNameTaken) {
		t.Errorf("a second token named ci: err = %v, want ErrNameTaken", err)
	}
	if _, err := db.RevokeAPIToken(ctx, first.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIToken(ctx, &inbox.APIToken{Name: "ci", Hash: "hash-3", CreatedAt: t0}); err != nil {
		t.Errorf("the name of a revoked token: %v", err)
	}
}
