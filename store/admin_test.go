package store

import (
	"context"
	"errors"
	"sync"
	"testing"

	"switchboard/inbox"
)

func addTestUser(t *testing.T, db *DB, email, name string, role inbox.Role) inbox.User {
	t.Helper()
	u := inbox.User{Email: email, Name: name, Role: role, PasswordHash: "hash-of-" + name, Active: true, CreatedAt: t0}
	if err := db.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUpdateUserChangesRoleAndAccess(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	addTestUser(t, db, "ana@example.com", "Ana", inbox.RoleAdmin)
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)

	if err := db.UpdateUser(ctx, ben.ID, inbox.RoleAdmin, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, ben.ID); got.Role != inbox.RoleAdmin || !got.Active {
		t.Errorf("after promotion: %s active=%v, want an active admin", got.Role, got.Active)
	}
	if err := db.UpdateUser(ctx, ben.ID, inbox.RoleAgent, false); err != nil {
		t.Fatal(err)
	}
	got, _ := db.User(ctx, ben.ID)
	if got.Role != inbox.RoleAgent || got.Active {
		t.Errorf("after demotion and deactivation: %s active=%v", got.Role, got.Active)
	}
	if us, _ := db.Users(ctx); len(us) != 2 || us[1].ID != ben.ID {
		t.Errorf("a deactivated user is not listed last: %+v", us)
	}
	if err := db.UpdateUser(ctx, ben.ID, inbox.RoleAgent, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, ben.ID); !got.Active {
		t.Error("reactivation did not stick")
	}

	if err := db.UpdateUser(ctx, 999, inbox.RoleAgent, true); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}
	if err := db.UpdateUser(ctx, ben.ID, inbox.Role("owner"), true); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("unknown role: %v, want ErrInvalid", err)
	}
	if got, _ := db.User(ctx, ben.ID); got.Role != inbox.RoleAgent || !got.Active {
		t.Errorf("a refused change changed the user: %s active=%v", got.Role, got.Active)
	}
}

func TestUpdateUserNeverLeavesNoActiveAdmin(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ana := addTestUser(t, db, "ana@example.com", "Ana", inbox.RoleAdmin)
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)

	for _, c := range []struct {
		what   string
		role   inbox.Role
		active bool
	}{
		{"demoted", inbox.RoleAgent, true},
		{"deactivated", inbox.RoleAdmin, false},
		{"demoted and deactivated", inbox.RoleAgent, false},
	} {
		err := db.UpdateUser(ctx, ana.ID, c.role, c.active)
		if !errors.Is(err, inbox.ErrLastAdmin) || !errors.Is(err, inbox.ErrConflict) {
			t.Errorf("the only admin %s: %v, want ErrLastAdmin (a conflict)", c.what, err)
		}
	}
	if got, _ := db.User(ctx, ana.ID); got.Role != inbox.RoleAdmin || !got.Active {
		t.Fatalf("the refused change was written: %s active=%v", got.Role, got.Active)
	}
	// An inactive admin does not count.
	old := addTestUser(t, db, "old@example.com", "Old", inbox.RoleAdmin)
	if err := db.UpdateUser(ctx, old.ID, inbox.RoleAdmin, false); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateUser(ctx, ana.ID, inbox.RoleAgent, true); !errors.Is(err, inbox.ErrLastAdmin) {
		t.Errorf("with only an inactive admin beside her, Ana demoted: %v, want ErrLastAdmin", err)
	}
	// With a second active admin, either may step down, but not both.
	if err := db.UpdateUser(ctx, ben.ID, inbox.RoleAdmin, true); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, id := range []int64{ana.ID, ben.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.UpdateUser(ctx, id, inbox.RoleAgent, true)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two admins stepping down at once: %v and %v, want exactly one refused", errs[0], errs[1])
	}
	us, _ := db.Users(ctx)
	admins := 0
	for _, u := range us {
		if u.Role == inbox.RoleAdmin && u.Active {
			admins++
		}
	}
	if admins != 1 {
		t.Errorf("%d active admins left, want 1", admins)
	}
}

func TestSetPassword(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	ben := addTestUser(t, db, "ben@example.com", "Ben", inbox.RoleAgent)
	if err := db.SetPassword(ctx, ben.ID, "new-hash"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.User(ctx, ben.ID); got.PasswordHash != "new-hash" || got.Role != inbox.RoleAgent || !got.Active {
		t.Errorf("after SetPassword: %+v", got)
	}
	if err := db.SetPassword(ctx, 999, "x"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}
	if err := db.SetPassword(ctx, ben.ID, ""); !errors.Is(err, inbox.ErrInvalid) {
		t.Errorf("empty hash: %v, want ErrInvalid", err)
	}
	if got, _ := db.User(ctx, ben.ID); got.PasswordHash != "new-hash" {
		t.Errorf("a refused SetPassword changed the hash to %q", got.PasswordHash)
	}
}
