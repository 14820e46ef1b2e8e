package store

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"switchboard/inbox"
)

// Times are stored as INTEGER unix milliseconds, UTC.

// msOf is t in unix milliseconds, or 0 for the zero time.
func msOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// nullMS is t in unix milliseconds, or NULL for the zero time.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS is the time of unix milliseconds ms in UTC; 0 is the zero time.
func fromMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// stored is t as it reads back from the database: UTC, to the millisecond.
func stored(t time.Time) time.Time { return fromMS(msOf(t)) }

// msTime scans an INTEGER of unix milliseconds, or NULL, into a time.
type msTime struct{ t *time.Time }

func (m msTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*m.t = time.Time{}
	case int64:
		*m.t = fromMS(x)
	default:
		return fmt.Errorf("time column holds %T, want INTEGER milliseconds", v)
	}
	return nil
}

// nullID is an optional reference: NULL for nil or 0.
func nullID(p *int64) any {
	if p == nil || *p == 0 {
		return nil
	}
	return *p
}

// optID scans a nullable INTEGER reference into a pointer, nil for NULL.
type optID struct{ p **int64 }

func (o optID) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*o.p = nil
	case int64:
		*o.p = &x
	default:
		return fmt.Errorf("id column holds %T, want INTEGER", v)
	}
	return nil
}

// nullText is s, or NULL when empty: for UNIQUE columns where "none" must
// not collide, like messages.zavu_id.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// contentJSON is c as JSON text, or NULL when it carries nothing.
func contentJSON(c *inbox.Content) (any, error) {
	if c.IsZero() {
		return nil, nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode message content: %w", err)
	}
	return string(b), nil
}

// contentCol scans the JSON of a message's content; NULL is nil.
type contentCol struct{ c **inbox.Content }

func (cc contentCol) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case nil:
		*cc.c = nil
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("content column holds %T, want JSON text", v)
	}
	c := new(inbox.Content)
	if err := json.Unmarshal(b, c); err != nil {
		return fmt.Errorf("decode message content: %w", err)
	}
	*cc.c = c
	return nil
}

// isUniqueViolation reports whether err is SQLite or PostgreSQL refusing a duplicate in a
// UNIQUE or PRIMARY KEY column.
func isUniqueViolation(err error) bool {
	if pgErrorCode(err) == "23505" { // unique_violation
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isBusy reports whether err is SQLite saying another connection holds the
// lock it waited for.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isForeignKeyViolation reports whether err is SQLite or PostgreSQL refusing a reference
// to a row that does not exist.
func isForeignKeyViolation(err error) bool {
	if pgErrorCode(err) == "23503" { // foreign_key_violation
		return true
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// notFound turns sql.ErrNoRows into inbox.ErrNotFound, naming what was
// looked for; other errors are wrapped with the same words.
func notFound(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, inbox.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Limits of a page in every list.
const (
	defaultLimit = 50
	maxLimit     = 200
)

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// A cursor is the position of the last row of a page in its list's order:
// a time in milliseconds and an id, as base64url of "ms:id". It is opaque
// to callers.

func encodeCursor(ms int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(ms, 10) + ":" + id))
}

func decodeCursor(c string) (ms int64, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", fmt.Errorf("cursor %q: %w", c, inbox.ErrInvalid)
	}
	num, id, ok := strings.Cut(string(b), ":")
	if !ok || id == "" {
		return 0, "", fmt.Errorf("cursor %q: %w", c, inbox.ErrInvalid)
	}
	ms, err = strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("cursor %q: %w", c, inbox.ErrInvalid)
	}
	return ms, id, nil
}

// decodeIDCursor decodes a cursor whose id is one of our integer ids.
func decodeIDCursor(c string) (ms, id int64, err error) {
	ms, s, err := decodeCursor(c)
	if err != nil {
		return 0, 0, err
	}
	id, err = strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, 0, fmt.Errorf("cursor %q: %w", c, inbox.ErrInvalid)
	}
	return ms, id, nil
}

func encodeIDCursor(ms, id int64) string { return encodeCursor(ms, strconv.FormatInt(id, 10)) }
