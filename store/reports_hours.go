package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"switchboard/inbox"
)

// The openings of one hour (UTC, opened_at / 3600000 as SQLite divides),
// sender and channel are packed into one opening_hours row
// (migrations/0025_opening_hours.sql), so a summary of 90 days reads a few
// thousand rows rather than one per opening. Triggers on openings note the
// hours whose openings changed in opening_hours_dirty, and packHours packs
// those hours again from openings every 2 s, reading them beside the
// writer and storing them in a write of their own (PackOpeningHours):
// packing an hour costs as much as it has openings, so doing it before
// every commit made a busy hour's writes quadratic. Until an hour is packed again, a summary reads that hour's
// openings themselves (eachOpening). The packed rows hold every column the
// summary reads, so its figures are those of the openings either way.
//
// A packed opening is: uvarint conversation id, varint opened_at minus the
// hour's first millisecond, a flags byte (1: answered, 2: resolved), then
// for each flag set the varint time since opened_at and uvarint agent id
// (0 for none) of the first response, then of the resolve.

const hourMS = 3600 * 1000

// packReport is how often the log hears how far packing an existing
// database's openings is.
var packReport = 2 * time.Second

const (
	packedAnswered = 1 << iota
	packedResolved
)

// packedOpening is one opening as packed in opening_hours; times are Unix
// milliseconds.
type packedOpening struct {
	conv, opened         int64
	answered, resolved   bool
	firstAt, responder   int64
	resolvedAt, resolver int64
}

// sqlHour is the hour of the instant ms as the triggers compute it: SQLite
// divides integers towards zero.
func sqlHour(ms int64) int64 { return ms / hourMS }

func appendPacked(b []byte, hour int64, o packedOpening) []byte {
	b = binary.AppendUvarint(b, uint64(o.conv))
	b = binary.AppendVarint(b, o.opened-hour*hourMS)
	var flags byte
	if o.answered {
		flags |= packedAnswered
	}
	if o.resolved {
		flags |= packedResolved
	}
	b = append(b, flags)
	if o.answered {
		b = binary.AppendVarint(b, o.firstAt-o.opened)
		b = binary.AppendUvarint(b, uint64(o.responder))
	}
	if o.resolved {
		b = binary.AppendVarint(b, o.resolvedAt-o.opened)
		b = binary.AppendUvarint(b, uint64(o.resolver))
	}
	return b
}

var errPacked = errors.New("malformed packed openings")

// unpackOpenings calls fn with each opening packed in b, in order.
func unpackOpenings(b []byte, hour int64, fn func(*packedOpening)) error {
	var o packedOpening
	for len(b) > 0 {
		var k int
		var u uint64
		var v int64
		if u, k = binary.Uvarint(b); k <= 0 {
			return errPacked
		}
		o.conv, b = int64(u), b[k:]
		if v, k = binary.Varint(b); k <= 0 || len(b) == k {
			return errPacked
		}
		o.opened, b = hour*hourMS+v, b[k:]
		flags := b[0]
		b = b[1:]
		o.answered, o.resolved = flags&packedAnswered != 0, flags&packedResolved != 0
		o.firstAt, o.responder, o.resolvedAt, o.resolver = 0, 0, 0, 0
		if o.answered {
			if v, k = binary.Varint(b); k <= 0 {
				return errPacked
			}
			o.firstAt, b = o.opened+v, b[k:]
			if u, k = binary.Uvarint(b); k <= 0 {
				return errPacked
			}
			o.responder, b = int64(u), b[k:]
		}
		if o.resolved {
			if v, k = binary.Varint(b); k <= 0 {
				return errPacked
			}
			o.resolvedAt, b = o.opened+v, b[k:]
			if u, k = binary.Uvarint(b); k <= 0 {
				return errPacked
			}
			o.resolver, b = int64(u), b[k:]
		}
		fn(&o)
	}
	return nil
}

// hourOpeningsSQL selects the openings of one hour, sender and channel,
// oldest first, through the index the summary used to scan.
const hourOpeningsSQL = `SELECT conversation_id, opened_at, first_response_at, coalesce(first_responder_id, 0),
		resolved_at, coalesce(resolver_id, 0)
	FROM openings INDEXED BY openings_opened
	WHERE opened_at > ?1 * 3600000 - 3600000 AND opened_at < ?1 * 3600000 + 3600000 AND opened_at / 3600000 = ?1
		AND sender_id = ?2 AND channel = ?3
	ORDER BY opened_at, conversation_id`

// scanOpening reads a row of the columns first, then hourOpeningsSQL's
// columns, into o.
func scanOpening(rows *sql.Rows, o *packedOpening, first ...any) error {
	var answered, resolved sql.NullInt64
	if err := rows.Scan(append(first, &o.conv, &o.opened, &answered, &o.responder, &resolved, &o.resolver)...); err != nil {
		return err
	}
	o.answered, o.firstAt = answered.Valid, answered.Int64
	o.resolved, o.resolvedAt = resolved.Valid, resolved.Int64
	return nil
}

// packRows packs the openings rows (of hourOpeningsSQL) of one hour.
func packRows(rows *sql.Rows, hour int64, buf []byte) (n int, out []byte, err error) {
	defer rows.Close()
	for rows.Next() {
		var o packedOpening
		if err := scanOpening(rows, &o); err != nil {
			return 0, buf, err
		}
		buf = appendPacked(buf, hour, o)
		n++
	}
	return n, buf, rows.Err()
}

type openingHour struct {
	hour            int64
	sender, channel string
}

// packHoursAtOnce bounds the hours one packing round packs, so it holds
// the writer briefly.
const packHoursAtOnce = 64

// packHours packs changed hours every period until Close.
func (db *DB) packHours(every time.Duration) {
	lease := db.Lease(JobReportPacking)
	db.background(every, db.packDone, func() { lease.Run(db.packDirtyHours) })
}

// packDirtyHours is one round of packHours.
func (db *DB) packDirtyHours() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		more, err := db.PackOpeningHours(ctx)
		switch {
		case errors.Is(err, inbox.ErrStoreClosed):
			return
		case err != nil:
			db.log.Warn("could not pack report hours", "err", err)
			return
		case !more:
			return
		}
	}
}

// PackOpeningHours packs again up to packHoursAtOnce hours whose openings
// changed, and says whether more wait. Packing an hour costs as much as it
// has openings, so they are read and packed from a read snapshot beside
// the writer, which webhooks must not wait behind; the writer then stores
// each packed hour only if no opening of it changed since the snapshot
// (its version in opening_hours_dirty is the one read). An hour that did
// change stays to pack, at the next round: its openings are changing
// still, and until they settle a summary reads them themselves.
func (db *DB) PackOpeningHours(ctx context.Context) (more bool, err error) {
	packs, more, err := db.readHourPacks(ctx, packHoursAtOnce)
	if err != nil || len(packs) == 0 {
		return false, err
	}
	stored := 0
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var err error
		stored, err = w.storeHourPacks(ctx, packs)
		return err
	})
	// More only if this round stored some: hours that keep changing are
	// not read again at once.
	return more && stored > 0, err
}

// hourPacksRead is called as a packing round has read its hours, its read
// transaction still open (a test writes there).
var hourPacksRead = func() {}

// hourPack is one hour's openings packed from a snapshot in which its
// dirty row had version.
type hourPack struct {
	openingHour
	version int64
	n       int
	data    []byte
}

// readHourPacks packs up to limit changed hours in one read transaction,
// and says whether more are changed.
func (db *DB) readHourPacks(ctx context.Context, limit int) (packs []hourPack, more bool, err error) {
	tx, err := db.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("read changed opening hours: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT hour, sender_id, channel, version FROM opening_hours_dirty LIMIT ?`, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read changed opening hours: %w", err)
	}
	for rows.Next() {
		var p hourPack
		if err := rows.Scan(&p.hour, &p.sender, &p.channel, &p.version); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("read changed opening hours: %w", err)
		}
		packs = append(packs, p)
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return nil, false, fmt.Errorf("read changed opening hours: %w", err)
	}
	if len(packs) > limit {
		packs, more = packs[:limit], true
	}
	for i := range packs {
		p := &packs[i]
		rows, err := tx.QueryContext(ctx, hourOpeningsSQL, p.hour, p.sender, p.channel)
		if err != nil {
			return nil, false, fmt.Errorf("pack opening hour: %w", err)
		}
		if p.n, p.data, err = packRows(rows, p.hour, nil); err != nil {
			return nil, false, fmt.Errorf("pack opening hour: %w", err)
		}
	}
	hourPacksRead()
	return packs, more, nil
}

var (
	stCleanHourAt = writerStatement(`DELETE FROM opening_hours_dirty WHERE hour = ? AND sender_id = ? AND channel = ? AND version = ?`)
	stPutHour     = writerStatement(`INSERT OR REPLACE INTO opening_hours (hour, sender_id, channel, n, data) VALUES (?, ?, ?, ?, ?)`)
	stDeleteHour  = writerStatement(`DELETE FROM opening_hours WHERE hour = ? AND sender_id = ? AND channel = ?`)
)

// storeHourPacks stores the packed hours whose openings did not change
// since they were read, and clears their changed mark; it returns how
// many it stored.
func (w *writeTx) storeHourPacks(ctx context.Context, packs []hourPack) (int, error) {
	stored := 0
	for _, p := range packs {
		r, err := w.exec(ctx, stCleanHourAt, p.hour, p.sender, p.channel, p.version)
		if err != nil {
			return 0, fmt.Errorf("clear changed opening hour: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil {
			return 0, fmt.Errorf("clear changed opening hour: %w", err)
		} else if n == 0 {
			continue // changed since it was read: left to pack
		}
		if p.n == 0 {
			_, err = w.exec(ctx, stDeleteHour, p.hour, p.sender, p.channel)
		} else {
			_, err = w.exec(ctx, stPutHour, p.hour, p.sender, p.channel, p.n, p.data)
		}
		if err != nil {
			return 0, fmt.Errorf("store opening hour: %w", err)
		}
		stored++
	}
	return stored, nil
}

// packAllOpeningHours packs every hour of the openings stored, in a
// migration's transaction, logging its progress on a large database.
func packAllOpeningHours(ctx context.Context, tx *sql.Tx, log *slog.Logger) error {
	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM openings`).Scan(&total); err != nil {
		return fmt.Errorf("pack opening hours: %w", err)
	}
	if total == 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM opening_hours_dirty`)
		return err
	}
	start := time.Now()
	last := start
	log.Info("report rollups: packing openings by hour", "openings", total)
	rows, err := tx.QueryContext(ctx, `SELECT opened_at / 3600000, sender_id, channel, conversation_id, opened_at, first_response_at,
			coalesce(first_responder_id, 0), resolved_at, coalesce(resolver_id, 0)
		FROM openings ORDER BY 1, 2, 3, opened_at, conversation_id`)
	if err != nil {
		return fmt.Errorf("pack opening hours: %w", err)
	}
	defer rows.Close()
	type packed struct {
		h    openingHour
		n    int
		data []byte
	}
	var cur packed
	hours := 0
	done := int64(0)
	put := func() error {
		if cur.n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO opening_hours (hour, sender_id, channel, n, data) VALUES (?, ?, ?, ?, ?)`,
			cur.h.hour, cur.h.sender, cur.h.channel, cur.n, cur.data); err != nil {
			return fmt.Errorf("pack opening hours: %w", err)
		}
		hours++
		return nil
	}
	// Hours are written as they are read: the read does not touch
	// opening_hours.
	for rows.Next() {
		var h openingHour
		var o packedOpening
		if err := scanOpening(rows, &o, &h.hour, &h.sender, &h.channel); err != nil {
			return fmt.Errorf("pack opening hours: %w", err)
		}
		if h != cur.h {
			if err := put(); err != nil {
				return err
			}
			cur = packed{h: h}
		}
		cur.data = appendPacked(cur.data, h.hour, o)
		cur.n++
		done++
		if time.Since(last) >= packReport {
			last = time.Now()
			log.Info("report rollups: packing openings by hour", "openings_done", done, "openings", total,
				"percent", done*100/total)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pack opening hours: %w", err)
	}
	if err := put(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM opening_hours_dirty`); err != nil {
		return fmt.Errorf("pack opening hours: %w", err)
	}
	log.Info("report rollups: packed openings by hour", "openings", done, "hours", hours,
		"took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// eachOpening calls fn with each opening of f's period that f keeps,
// reading the packed hours, and the openings themselves of the hours not
// packed again since they changed; all in one read transaction, so a
// packing in between cannot count an hour twice or not at all.
func (db *DB) eachOpening(ctx context.Context, f inbox.ReportFilter, fn func(*packedOpening)) error {
	from, to := msOf(f.From), msOf(f.To)
	where := ` WHERE hour >= ? AND hour <= ?`
	args := []any{sqlHour(from) - 1, sqlHour(to) + 1}
	where, args = andSenderChannel(f, "", where, args)
	var labelled map[int64]bool
	if f.LabelID != 0 {
		var err error
		if labelled, err = db.labelledConversations(ctx, f.LabelID); err != nil {
			return err
		}
	}
	keep := func(o *packedOpening) {
		if o.opened < from || o.opened >= to {
			return
		}
		if f.AgentID != 0 && !(o.answered && o.responder == f.AgentID) && !(o.resolved && o.resolver == f.AgentID) {
			return
		}
		if labelled != nil && !labelled[o.conv] {
			return
		}
		fn(o)
	}

	tx, err := db.reader.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("report openings: %w", err)
	}
	defer tx.Rollback()
	dirty := map[openingHour]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT hour, sender_id, channel FROM opening_hours_dirty`+where, args...)
	if err != nil {
		return fmt.Errorf("report openings: %w", err)
	}
	for rows.Next() {
		var h openingHour
		if err := rows.Scan(&h.hour, &h.sender, &h.channel); err != nil {
			rows.Close()
			return fmt.Errorf("report openings: %w", err)
		}
		dirty[h] = true
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("report openings: %w", err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT hour, sender_id, channel, data FROM opening_hours`+where, args...)
	if err != nil {
		return fmt.Errorf("report openings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h openingHour
		var data sql.RawBytes
		if err := rows.Scan(&h.hour, &h.sender, &h.channel, &data); err != nil {
			return fmt.Errorf("report openings: %w", err)
		}
		if dirty[h] {
			continue
		}
		if err := unpackOpenings(data, h.hour, keep); err != nil {
			return fmt.Errorf("report openings of hour %d: %w", h.hour, err)
		}
	}
	if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("report openings: %w", err)
	}

	var buf []byte
	for h := range dirty {
		rows, err := tx.QueryContext(ctx, hourOpeningsSQL, h.hour, h.sender, h.channel)
		if err != nil {
			return fmt.Errorf("report openings: %w", err)
		}
		if _, buf, err = packRows(rows, h.hour, buf[:0]); err != nil {
			return fmt.Errorf("report openings of hour %d: %w", h.hour, err)
		}
		if err := unpackOpenings(buf, h.hour, keep); err != nil {
			return fmt.Errorf("report openings of hour %d: %w", h.hour, err)
		}
	}
	return nil
}

// labelledConversations is the set of conversations that carry label id.
func (db *DB) labelledConversations(ctx context.Context, id int64) (map[int64]bool, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT conversation_id FROM conversation_labels WHERE label_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("report label: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("report label: %w", err)
		}
		out[c] = true
	}
	return out, rows.Err()
}
