package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/inbox"
)

// Satisfaction surveys: the settings (a document in settings), each
// resolve's survey and its answer (csat_surveys), and the figures of the
// reports.

var _ inbox.CSATTx = (*writeTx)(nil)

// CSATConfig is the survey's settings: off, with the default question,
// until an admin saves them.
func (db *DB) CSATConfig(ctx context.Context) (inbox.CSATConfig, error) {
	raw, ok, err := db.Setting(ctx, inbox.SettingCSAT)
	if err != nil || !ok {
		c := inbox.CSATConfig{}
		c.Normalize()
		return c, err
	}
	return decodeCSATConfig(raw)
}

func decodeCSATConfig(raw string) (inbox.CSATConfig, error) {
	var c inbox.CSATConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return inbox.CSATConfig{}, fmt.Errorf("survey settings: %w", err)
	}
	c.Normalize()
	return c, nil
}

// SaveCSATConfig stores the survey's settings with the audit entry of the
// admin's change, in one transaction. Turning the survey on sets Since to
// at: resolves before it get no survey.
func (db *DB) SaveCSATConfig(ctx context.Context, c inbox.CSATConfig, audit inbox.AuditEntry, at time.Time) (inbox.CSATConfig, error) {
	c.Normalize()
	if err := c.Validate(); err != nil {
		return inbox.CSATConfig{}, err
	}
	err := db.write(ctx, func(ctx context.Context, w *writeTx) error {
		raw, ok, err := w.setting(ctx, inbox.SettingCSAT)
		if err != nil {
			return err
		}
		var old inbox.CSATConfig
		if ok {
			if old, err = decodeCSATConfig(raw); err != nil {
				return err
			}
		}
		c.Since = old.Since
		if c.Enabled && !old.Enabled {
			c.Since = stored(at)
		}
		b, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := w.setSetting(ctx, inbox.SettingCSAT, string(b), at); err != nil {
			return err
		}
		_, err = w.execSQL(ctx, `INSERT INTO audit_log (at, user_id, action, detail) VALUES (?, ?, ?, ?)`,
			msOf(audit.At), nullID(audit.UserID), audit.Action, audit.Detail)
		return err
	})
	if err != nil {
		return inbox.CSATConfig{}, fmt.Errorf("save survey settings: %w", err)
	}
	return c, nil
}

// SendDueSurveys decides the surveys of the resolves due by now (at most
// 200 at a time; the rest on the next call): each is sent through the
// outbox, skipped or cancelled, and recorded so that it never goes twice.
func (db *DB) SendDueSurveys(ctx context.Context, now time.Time) (inbox.Change, error) {
	cfg, err := db.CSATConfig(ctx)
	if err != nil || !cfg.Enabled {
		return inbox.Change{}, err
	}
	var ch inbox.Change
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		ch = inbox.Change{}
		from := max(msOf(cfg.Since), msOf(now.Add(-inbox.CSATMaxDelay)))
		rows, err := w.db.wconn.QueryContext(ctx, `SELECT r.id, r.conversation_id, r.at, r.user_id,
				r.id = (SELECT max(r2.id) FROM conversation_resolves r2 WHERE r2.conversation_id = r.conversation_id),
				c.status,
				(SELECT max(o.opened_at) FROM openings o WHERE o.conversation_id = r.conversation_id AND o.opened_at <= r.at)
			FROM conversation_resolves r INDEXED BY conversation_resolves_at
			JOIN conversations c ON c.id = r.conversation_id
			WHERE r.at >= ? AND r.at <= ? AND NOT EXISTS (SELECT 1 FROM csat_surveys s WHERE s.resolve_id = r.id)
			ORDER BY r.at LIMIT 200`, from, msOf(now.Add(-inbox.CSATDelay)))
		if err != nil {
			return err
		}
		type due struct {
			r      inbox.CSATResolve
			opened time.Time
		}
		var list []due
		for rows.Next() {
			var d due
			var status string
			if err := rows.Scan(&d.r.ID, &d.r.ConversationID, msTime{&d.r.At}, optID{&d.r.AgentID},
				&d.r.Latest, &status, msTime{&d.opened}); err != nil {
				rows.Close()
				return err
			}
			d.r.Status = inbox.ConversationStatus(status)
			list = append(list, d)
		}
		if err := errorsJoin(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, d := range list {
			c, err := inbox.SendSurvey(ctx, w, cfg, d.r, d.opened, now)
			if err != nil {
				return fmt.Errorf("conversation %d: %w", d.r.ConversationID, err)
			}
			ch.ConversationIDs = append(ch.ConversationIDs, c.ConversationIDs...)
			ch.MessageIDs = append(ch.MessageIDs, c.MessageIDs...)
			ch.Queued = ch.Queued || c.Queued
		}
		return nil
	})
	if err != nil {
		return inbox.Change{}, fmt.Errorf("send surveys: %w", err)
	}
	return ch, nil
}

// NextSurveyDue is when the next survey falls due; ok is false when none
// waits (or the survey is off).
func (db *DB) NextSurveyDue(ctx context.Context, now time.Time) (time.Time, bool, error) {
	cfg, err := db.CSATConfig(ctx)
	if err != nil || !cfg.Enabled {
		return time.Time{}, false, err
	}
	from := max(msOf(cfg.Since), msOf(now.Add(-inbox.CSATMaxDelay)))
	var at time.Time
	err = db.reader.QueryRowContext(ctx, `SELECT min(r.at) FROM conversation_resolves r INDEXED BY conversation_resolves_at
		WHERE r.at >= ? AND NOT EXISTS (SELECT 1 FROM csat_surveys s WHERE s.resolve_id = r.id)`, from).Scan(msTime{&at})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next survey: %w", err)
	}
	if at.IsZero() {
		return time.Time{}, false, nil
	}
	return at.Add(inbox.CSATDelay), true, nil
}

// AddCSATRecord stores a resolve's survey, with its conversation's sender
// and channel for the reports' filters.
func (w *writeTx) AddCSATRecord(ctx context.Context, r inbox.CSATRecord) error {
	var msg any
	if r.MessageID != 0 {
		msg = r.MessageID
	}
	_, err := w.execSQL(ctx, `INSERT INTO csat_surveys (resolve_id, conversation_id, opened_at, agent_id, sender_id, channel,
			sent_at, message_id, skip)
		SELECT ?, id, ?, ?, sender_id, channel, ?, ?, ? FROM conversations WHERE id = ?`,
		r.ResolveID, nullMS(r.OpenedAt), nullID(r.AgentID), msOf(r.SentAt), msg, string(r.Skip), r.ConversationID)
	return err
}

// LatestCSATSurvey is the conversation's latest survey that went.
func (w *writeTx) LatestCSATSurvey(ctx context.Context, conversationID int64) (inbox.CSATRecord, bool, error) {
	var r inbox.CSATRecord
	var score sql.NullInt64
	err := w.queryRowSQL(ctx, `SELECT resolve_id, conversation_id, opened_at, agent_id, sent_at, message_id, score, answered_at
		FROM csat_surveys WHERE conversation_id = ? AND message_id IS NOT NULL ORDER BY sent_at DESC LIMIT 1`, conversationID).
		Scan(&r.ResolveID, &r.ConversationID, msTime{&r.OpenedAt}, optID{&r.AgentID}, msTime{&r.SentAt}, &r.MessageID,
			&score, msTime{&r.AnsweredAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return inbox.CSATRecord{}, false, nil
	case err != nil:
		return inbox.CSATRecord{}, false, fmt.Errorf("latest survey of conversation %d: %w", conversationID, err)
	}
	r.Score = int(score.Int64)
	return r, true, nil
}

// RecordCSATAnswer stores the first answer to a resolve's survey.
func (w *writeTx) RecordCSATAnswer(ctx context.Context, resolveID int64, score int, at time.Time, messageID int64) error {
	_, err := w.execSQL(ctx, `UPDATE csat_surveys SET score = ?, answered_at = ?, answer_message_id = ?
		WHERE resolve_id = ? AND score IS NULL`, score, msOf(at), messageID, resolveID)
	return err
}

// CSATAnswer is one stored answer, for tests and the admin.
type CSATAnswer struct {
	ConversationID int64
	OpenedAt       time.Time
	AgentID        *int64
	Score          int
	AnsweredAt     time.Time
}

// CSATAnswers lists the answers of a conversation, oldest first.
func (db *DB) CSATAnswers(ctx context.Context, conversationID int64) ([]CSATAnswer, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT conversation_id, opened_at, agent_id, score, answered_at
		FROM csat_surveys WHERE conversation_id = ? AND score IS NOT NULL ORDER BY answered_at`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("survey answers: %w", err)
	}
	defer rows.Close()
	var out []CSATAnswer
	for rows.Next() {
		var a CSATAnswer
		if err := rows.Scan(&a.ConversationID, msTime{&a.OpenedAt}, optID{&a.AgentID}, &a.Score, msTime{&a.AnsweredAt}); err != nil {
			return nil, fmt.Errorf("survey answers: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// reportCSAT scores the answers given in f's period, in all and per agent
// credited with the resolve. The filters are those of the openings: the
// conversation's sender, channel and label, and the agent.
func (db *DB) reportCSAT(ctx context.Context, f inbox.ReportFilter, s *inbox.Summary, agent func(int64) *inbox.AgentFigures) error {
	var b strings.Builder
	args := []any{msOf(f.From), msOf(f.To)}
	b.WriteString(`SELECT coalesce(agent_id, 0), score FROM csat_surveys INDEXED BY csat_surveys_answered
		WHERE score IS NOT NULL AND answered_at >= ? AND answered_at < ?`)
	cond, args := andSenderChannel(f, "", "", args)
	b.WriteString(cond)
	if f.AgentID != 0 {
		b.WriteString(` AND agent_id = ?`)
		args = append(args, f.AgentID)
	}
	if f.LabelID != 0 {
		b.WriteString(` AND conversation_id IN (SELECT cl.conversation_id FROM conversation_labels cl WHERE cl.label_id = ?)`)
		args = append(args, f.LabelID)
	}
	rows, err := db.reader.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return fmt.Errorf("report survey answers: %w", err)
	}
	defer rows.Close()
	var all []int
	byAgent := map[int64][]int{}
	for rows.Next() {
		var id int64
		var score int
		if err := rows.Scan(&id, &score); err != nil {
			return fmt.Errorf("report survey answers: %w", err)
		}
		all = append(all, score)
		if id != 0 {
			byAgent[id] = append(byAgent[id], score)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("report survey answers: %w", err)
	}
	s.CSAT = inbox.ScoreCSAT(all)
	for id, scores := range byAgent {
		agent(id).CSAT = inbox.ScoreCSAT(scores)
	}
	return nil
}
