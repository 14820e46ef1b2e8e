package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/inbox"
)

// Generation describes made-up data for benchmarks and demonstrations.
type Generation struct {
	// Conversations is how many conversations to make, each with a
	// contact of its own; at least 1.
	Conversations int
	// Messages is how many messages to make in all, at least one per
	// conversation.
	Messages int
	// LargeThread, when above 0, is how many of the messages go to one
	// conversation, the one with the latest activity. The others share
	// the rest unevenly.
	LargeThread int
	// Senders are the ids of the numbers the conversations are spread
	// over; at least one.
	Senders []string
	// Now ends the 30 days the messages span; zero is the store's clock.
	Now time.Time
}

// generateSpan is how far back generated messages go.
const generateSpan = 30 * 24 * time.Hour

// Generate fills an empty database with made-up conversations: each with a
// contact of its own, on one of g.Senders, on WhatsApp or (a third of
// them) SMS; most of those quiet for two days resolved; some open ones,
// fewer resolved ones, assigned to nobody, the others to the active users.
// When there is no active user, it adds six agents with no password to
// assign to: they cannot sign in. Messages alternate between the customer
// and the business, starting with the customer, with texts, statuses and
// times spread over the 30 days before g.Now; each conversation's counts,
// latest message and preview agree with its messages, and its assignee
// has read it (all of it, but for an open one waiting on the business).
// The data are the same for the same g.
//
// Everything is made by a few INSERT ... SELECT statements in one write
// transaction: a million messages take seconds. On PostgreSQL the same
// statements make the data in a SQLite database of their own, copied from
// there (generate_postgres.go). A database that holds
// conversations or contacts already is an error wrapping
// inbox.ErrConflict; a g that cannot be met, one wrapping
// inbox.ErrInvalid.
func (db *DB) Generate(ctx context.Context, g Generation) error {
	if db.dialect.postgres {
		return db.generatePostgres(ctx, g)
	}
	if err := g.check(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	now := g.Now
	if now.IsZero() {
		now = db.now()
	}
	spread, large := g.Messages, 0
	if g.LargeThread > 0 {
		spread, large = g.Messages-g.LargeThread, 1
	}
	// Every conversation but the large one has one message, plus its
	// share of what is left.
	spread -= g.Conversations - large
	pools, err := json.Marshal(generatePools)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	senders, err := json.Marshal(g.Senders)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	agents, err := json.Marshal(generateAgents)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	nowArg, spanArg := sql.Named("now", now.UnixMilli()), sql.Named("span", generateSpan.Milliseconds())
	err = db.write(ctx, func(ctx context.Context, w *writeTx) error {
		var taken bool
		if err := w.queryRowSQL(ctx, `SELECT EXISTS (SELECT 1 FROM conversations) OR EXISTS (SELECT 1 FROM contacts)`).
			Scan(&taken); err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("the database holds conversations or contacts already: %w", inbox.ErrConflict)
		}
		for _, q := range generateSetup {
			if _, err := w.execSQL(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		steps := []struct {
			what string
			q    string
			args []any
		}{
			{"texts", `INSERT INTO gen_text (id, body, fill)
				SELECT p.key * 1000 + t.key, t.value, instr(t.value, '{n}') > 0
				FROM json_each(?) p, json_each(p.value) t`, []any{string(pools)}},
			{"senders", `INSERT INTO gen_sender (i, id) SELECT key, value FROM json_each(?)`, []any{string(senders)}},
			{"senders", `INSERT INTO senders (id, phone, created_at, updated_at)
				SELECT id, printf('+1312555%04d', 100 + i), :now - :span, :now - :span FROM gen_sender WHERE true
				ON CONFLICT (id) DO NOTHING`, []any{nowArg, spanArg}},
			{"agents", `INSERT INTO users (email, name, role, active, created_at)
				SELECT printf('agent%d@generated.invalid', key + 1), value, 'agent', 1, :now - :span
				FROM json_each(:agents) WHERE NOT EXISTS (SELECT 1 FROM users WHERE active)
				ON CONFLICT DO NOTHING`,
				[]any{nowArg, spanArg, sql.Named("agents", string(agents))}},
			{"assignees", `INSERT INTO gen_user (i, id)
				SELECT row_number() OVER (ORDER BY id) - 1, id FROM users WHERE active`, nil},
			{"conversations", generatePlan, []any{nowArg, spanArg, sql.Named("convs", g.Conversations),
				sql.Named("messages", g.Messages), sql.Named("large", g.LargeThread), sql.Named("l", large),
				sql.Named("spread", spread), sql.Named("weights", max(1, weightsBefore(g.Conversations-large))),
				sql.Named("slot", max(1, (generateSpan.Milliseconds()-180000)/int64(max(1, g.Conversations-large)))),
				sql.Named("senders", len(g.Senders))}},
			{"places in threads", generateSeq, nil},
			{"contacts", generateContacts, nil},
			{"conversations", generateConversations, nil},
			{"messages", generateMessages, []any{nowArg}},
			{"contacts' latest contact", generateLastContact, nil},
			{"reads", generateReads, nil},
			{"resolves", generateResolves, []any{nowArg}},
		}
		for _, s := range steps {
			if _, err := w.execSQL(ctx, s.q, s.args...); err != nil {
				return fmt.Errorf("make %s: %w", s.what, err)
			}
		}
		for _, q := range generateTeardown {
			if _, err := w.execSQL(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("generate %d conversations and %d messages: %w", g.Conversations, g.Messages, err)
	}
	return nil
}

// check reports what in g cannot be made.
func (g Generation) check() error {
	switch {
	case g.Conversations < 1:
		return fmt.Errorf("%d conversations: %w", g.Conversations, inbox.ErrInvalid)
	case g.Messages < g.Conversations:
		return fmt.Errorf("%d messages for %d conversations, want one each at least: %w",
			g.Messages, g.Conversations, inbox.ErrInvalid)
	case g.LargeThread < 0:
		return fmt.Errorf("a large thread of %d messages: %w", g.LargeThread, inbox.ErrInvalid)
	case g.LargeThread > 0 && g.Messages-g.LargeThread < g.Conversations-1:
		return fmt.Errorf("a large thread of %d messages leaves %d for %d conversations: %w",
			g.LargeThread, g.Messages-g.LargeThread, g.Conversations-1, inbox.ErrInvalid)
	case g.LargeThread > 0 && g.Conversations == 1 && g.Messages != g.LargeThread:
		return fmt.Errorf("%d messages in one conversation, a large thread of %d: %w",
			g.Messages, g.LargeThread, inbox.ErrInvalid)
	case len(g.Senders) == 0:
		return fmt.Errorf("no senders: %w", inbox.ErrInvalid)
	}
	for _, s := range g.Senders {
		if s == "" {
			return fmt.Errorf("a sender with no id: %w", inbox.ErrInvalid)
		}
	}
	return nil
}

// The made-up values come from hashes of the conversation's and the
// message's numbers, so that the data are the same every time, and so
// that a value used twice (a message's type: in the message, and in its
// conversation's preview) is computed twice alike. SQLite has no XOR: the
// hash is a step of a linear congruential generator, made non-linear by a
// shift between two steps. Every product stays below 2^62.
//
// The queries are written for speed: SQLite interprets every operation of
// a statement once a row, and a million rows make each count. What does
// not change along a conversation is computed once in its row of
// gen_plan, and what depends only on a message's place in its thread in
// gen_seq.

// genMix is a step of the generator on the non-negative integer x: a number
// from 0 to 2^31-1 whose high bits look random.
func genMix(x string) string {
	return `((((` + x + `) % 2147483648) * 1103515245 + 12345) % 2147483648)`
}

// genHash hashes the non-negative integers a and b: 31 bits.
func genHash(a, b string) string {
	return genMix(`(` + genMix(`(`+a+`) + (`+b+`)`) + ` >> 7) + (` + b + `) * 31`)
}

// genPick is a number from 0 to n-1 drawn from the hash h: the high bits
// of h times an odd number of salt's own, so that picks of different
// salts do not go together.
func genPick(h string, salt, n int) string {
	m := (uint32(salt)*2654435761 | 1) & 0x7fffffff
	return fmt.Sprintf(`((((%s) * %d) %% 2147483648 >> 11) %% %d)`, h, m, n)
}

// genMessageHash is the hash of the message of gen_seq row s in the
// conversation of gen_plan row p: the product of their hashes, which an
// odd factor makes different for every message of a conversation.
func genMessageHash(p, s string) string {
	return `(((` + p + `.h | 1) * ` + s + `.mj) % 2147483648)`
}

// genTime is the time of message s of conversation p, whose hash is mh:
// s.j steps after the first, and up to half a step later, but for the
// first and the last, which are at exactly c0 and c0 + (n-1)*step. So a
// conversation's times grow, and its first and last are known.
func genTime(p, s, mh string) string {
	return `(` + p + `.c0 + ` + s + `.j * ` + p + `.step + CASE WHEN ` + s + `.j = 0 OR ` + s + `.j + 1 = ` + p + `.n THEN 0
		ELSE (` + mh + ` >> 4) % ` + p + `.jit END)`
}

// genImage is true when message s of conversation p is an image: now and
// then from a WhatsApp customer.
func genImage(p, s, mh string) string {
	return `(` + p + `.wa AND ` + s + `.inbound AND (` + mh + ` >> 12) % 15 = 0)`
}

// genTextID is the gen_text id of the text of message s of conversation p:
// from the pool of its place in the thread, or an image's caption.
func genTextID(p, s, mh string) string {
	return fmt.Sprintf(`(CASE WHEN %s THEN %d + (%s >> 17) %% %d ELSE %s.pool + (%s >> 17) %% %s.size END)`,
		genImage(p, s, mh), poolCaption*1000, mh, len(generatePools[poolCaption]), s, mh, s)
}

// genBody is the text of gen_text row t for a message of hash mh: {n}
// becomes a number, as of an order.
func genBody(t, mh string) string {
	return `(CASE WHEN ` + t + `.fill THEN replace(` + t + `.body, '{n}', 48000 + (` + mh + ` >> 3) % 9000)
		ELSE ` + t + `.body END)`
}

// The temporary tables Generate works with: the text pools; the senders
// and assignees by number; one row for each place in a thread, up to the
// longest; and one row for each conversation.
var (
	generateSetup = []string{
		`DROP TABLE IF EXISTS temp.gen_text`,
		`DROP TABLE IF EXISTS temp.gen_sender`,
		`DROP TABLE IF EXISTS temp.gen_user`,
		`DROP TABLE IF EXISTS temp.gen_seq`,
		`DROP TABLE IF EXISTS temp.gen_plan`,
		// fill is true when body has a {n} to fill in.
		`CREATE TEMP TABLE gen_text (id INTEGER PRIMARY KEY, body TEXT NOT NULL, fill INTEGER NOT NULL)`,
		`CREATE TEMP TABLE gen_sender (i INTEGER PRIMARY KEY, id TEXT NOT NULL)`,
		`CREATE TEMP TABLE gen_user (i INTEGER PRIMARY KEY, id INTEGER NOT NULL)`,
		// Message j of every thread: its hash, who writes it, and the pool
		// of texts it draws from (the gen_text ids from pool to
		// pool+size-1).
		`CREATE TEMP TABLE gen_seq (
			j INTEGER PRIMARY KEY, mj INTEGER NOT NULL, inbound INTEGER NOT NULL, direction TEXT NOT NULL,
			pool INTEGER NOT NULL, size INTEGER NOT NULL
		)`,
		// A conversation (and its contact) and what its messages are made
		// of: they are first to first+n-1; the first at c0, then step
		// apart, and up to jit later; h is its hash; wa is true on
		// WhatsApp; recent is true when its last message is less than an
		// hour old; the business's messages have status out_status
		// (unless failed or just sent) and source out_source (unless an
		// auto-reply).
		`CREATE TEMP TABLE gen_plan (
			id INTEGER PRIMARY KEY, n INTEGER NOT NULL, first INTEGER NOT NULL, c0 INTEGER NOT NULL,
			step INTEGER NOT NULL, jit INTEGER NOT NULL, h INTEGER NOT NULL, sender_id TEXT NOT NULL,
			channel TEXT NOT NULL, wa INTEGER NOT NULL, recent INTEGER NOT NULL, status TEXT NOT NULL,
			assignee_id INTEGER, out_status TEXT NOT NULL, out_source TEXT NOT NULL, name TEXT NOT NULL
		)`,
	}
	generateTeardown = []string{
		`DROP TABLE temp.gen_text`, `DROP TABLE temp.gen_sender`, `DROP TABLE temp.gen_user`,
		`DROP TABLE temp.gen_seq`, `DROP TABLE temp.gen_plan`,
	}
)

// genNoFlatten ends a subquery whose columns are expressions used more
// than once: SQLite does not flatten a subquery with an OFFSET into the
// query around it, where each use would compute the expression again, but
// runs it as a co-routine that computes each row once.
const genNoFlatten = `LIMIT -1 OFFSET 0`

// generatePlan fills gen_plan. With :l at 1, the last conversation,
// :convs, is the large one. Each other has a weight, from generateWeights
// by its number, and one message plus its weight's share of :spread: the
// shares are differences of the running sum of weights scaled to :spread,
// so they add up to :spread exactly, and a conversation's first message
// follows from the running sum before it, with no window over the others.
//
// Conversations are numbered in the order of their latest message, each
// ending at a random time in a slot of its own, so that they go into the
// inbox's indexes in order, at the end; the large one ends a minute ago,
// the latest of all, and the others at least two minutes ago. Their
// messages are 20 seconds to 3 hours apart, closer when they would go
// back more than 30 days.
var generatePlan = `INSERT INTO gen_plan (id, n, first, c0, step, jit, h, sender_id, channel, wa, recent, status,
		assignee_id, out_status, out_source, name)
	WITH RECURSIVE
	seq(k, h) AS (SELECT 1, ` + genHash(`1`, `1`) + ` UNION ALL SELECT k + 1, ` + genHash(`k + 1`, `1`) + ` FROM seq WHERE k < :convs),
	counted AS (
		SELECT k, h, CASE WHEN k > :convs - :l THEN :large ELSE 1 + ` + genShare(`k`) + ` - ` + genShare(`k - 1`) + ` END AS n,
			CASE WHEN k > :convs - :l THEN :messages - :large + 1 ELSE k + ` + genShare(`k - 1`) + ` END AS first,
			CASE WHEN k > :convs - :l THEN :now - 60000
				ELSE :now - 120000 - (:convs - :l - k) * :slot - ` + genPick(`h`, 3, 1<<19) + ` % :slot END AS last
		FROM seq ` + genNoFlatten + `
	),
	stepped AS (
		SELECT k, h, n, first, last, max(1, min(20000 + ` + genPick(`h`, 2, 180) + ` * 60000,
			(last - (:now - :span)) / max(1, n - 1), (:span - 3600000) / n)) AS step
		FROM counted ` + genNoFlatten + `
	),
	placed AS (
		SELECT k, h, n, first, step, last,
			CASE WHEN k > :convs - :l THEN 'open'
				WHEN last < :now - 172800000 AND ` + genPick(`h`, 7, 10) + ` < 9 THEN 'resolved'
				WHEN ` + genPick(`h`, 7, 10) + ` < 2 THEN 'resolved'
				ELSE 'open' END AS status,
			CASE WHEN ` + genPick(`h`, 6, 3) + ` = 0 THEN 'sms' ELSE 'whatsapp' END AS channel
		FROM stepped ` + genNoFlatten + `
	),
	assigned AS (
		SELECT *, CASE WHEN ` + genPick(`h`, 8, 10) + ` < (CASE status WHEN 'open' THEN 3 ELSE 1 END) THEN NULL
			ELSE (SELECT u.id FROM gen_user u WHERE u.i = ` + genPick(`h`, 9, 1<<19) + ` % max(1, (SELECT count(*) FROM gen_user)))
			END AS assignee
		FROM placed ` + genNoFlatten + `
	)
	SELECT k, n, first, last - (n - 1) * step, step, max(1, step / 2), h,
		(SELECT s.id FROM gen_sender s WHERE s.i = ` + genPick(`h`, 5, 1<<19) + ` % :senders),
		channel, channel = 'whatsapp', last > :now - 3600000, status, assignee,
		CASE channel WHEN 'sms' THEN 'delivered' ELSE 'read' END,
		CASE WHEN assignee IS NULL THEN 'phone_app' ELSE 'agent' END,
		CASE WHEN channel = 'sms' OR ` + genPick(`h`, 10, 10) + ` = 0 THEN ''
			ELSE (SELECT body FROM gen_text WHERE id = ` + strconv.Itoa(poolFirstName*1000) + ` + ` + genPick(`h`, 11, len(generatePools[poolFirstName])) + `)
				|| ' ' || (SELECT body FROM gen_text WHERE id = ` + strconv.Itoa(poolLastName*1000) + ` + ` + genPick(`h`, 12, len(generatePools[poolLastName])) + `)
			END
	FROM assigned`

// generateSeq fills gen_seq: the customer writes first, then every other
// message; the first two messages are an opening question and a first
// answer.
var generateSeq = fmt.Sprintf(`INSERT INTO gen_seq (j, mj, inbound, direction, pool, size)
	WITH RECURSIVE s(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM s WHERE j + 1 < (SELECT max(n) FROM gen_plan))
	SELECT j, %s, j %% 2 = 0, CASE j %% 2 WHEN 0 THEN 'inbound' ELSE 'outbound' END,
		CASE WHEN j = 0 THEN %d WHEN j = 1 THEN %d WHEN j %% 2 = 0 THEN %d ELSE %d END,
		CASE WHEN j = 0 THEN %d WHEN j = 1 THEN %d WHEN j %% 2 = 0 THEN %d ELSE %d END
	FROM s`, genHash(`j`, `0`),
	poolOpening*1000, poolFirstReply*1000, poolCustomer*1000, poolReply*1000,
	len(generatePools[poolOpening]), len(generatePools[poolFirstReply]), len(generatePools[poolCustomer]), len(generatePools[poolReply]))

// generateContacts makes each conversation's contact, with the
// conversation's id, a phone number of its own, and the name the
// customer's first message gave.
var generateContacts = `INSERT INTO contacts (id, phone, name, name_at, created_at, updated_at)
	SELECT id, printf('+1%03d555%04d', 200 + (id / 10000) % 800, id % 10000), name,
		CASE WHEN name <> '' THEN c0 END, c0, c0
	FROM gen_plan ORDER BY id`

// generateLastContact sets each contact's latest contact, its one
// conversation's latest message, as the writer does with each message.
var generateLastContact = `UPDATE contacts SET last_contact_at = c.last_message_at
	FROM conversations c WHERE c.contact_id = contacts.id`

// generateConversations makes the conversations, with the counts, times
// and preview of the messages generateMessages will make: s is the last
// message, i the customer's last.
var generateConversations = `INSERT INTO conversations (id, sender_id, channel, contact_id, status, assignee_id,
		zavu_conversation_id, inbound_count, last_message_id, last_message_at, last_message_preview,
		last_inbound_at, created_at, updated_at)
	SELECT p.id, p.sender_id, p.channel, p.id, p.status, p.assignee_id, printf('conv_gen_%07d', p.id),
		(p.n + 1) / 2, p.first + p.n - 1, p.c0 + (p.n - 1) * p.step,
		CASE WHEN ` + genImage(`p`, `s`, genMessageHash(`p`, `s`)) + ` THEN '📷 Photo' || CASE WHEN t.body <> '' THEN ': ' || t.body ELSE '' END
			ELSE ` + genBody(`t`, genMessageHash(`p`, `s`)) + ` END,
		` + genTime(`p`, `i`, genMessageHash(`p`, `i`)) + `, p.c0, p.c0 + (p.n - 1) * p.step
	FROM gen_plan p CROSS JOIN gen_seq s CROSS JOIN gen_seq i CROSS JOIN gen_text t
	WHERE s.j = p.n - 1 AND i.j = p.n - 1 - (p.n - 1) % 2 AND t.id = ` + genTextID(`p`, `s`, genMessageHash(`p`, `s`)) + `
	ORDER BY p.id`

// generateMessages makes the messages, conversation after conversation,
// in the order of their ids, so that every index grows at its end: each
// row of gen_plan with the rows of gen_seq up to its count of messages.
var generateMessages = `INSERT INTO messages (id, zavu_id, conversation_id, direction, channel, type, text, content,
		status, queued_at, sent_at, delivered_at, read_at, failed_at, error_code, error_message, source, author_id,
		created_at, updated_at)
	WITH x AS (
		SELECT p.first + s.j AS id, p.id AS k, s.direction AS direction, p.channel AS channel,
			p.assignee_id AS assignee_id, ` + genMessageHash(`p`, `s`) + ` AS mh,
			` + genTime(`p`, `s`, genMessageHash(`p`, `s`)) + ` AS t,
			CASE WHEN ` + genImage(`p`, `s`, genMessageHash(`p`, `s`)) + ` THEN 'image' ELSE 'text' END AS typ,
			` + genTextID(`p`, `s`, genMessageHash(`p`, `s`)) + ` AS tid,
			CASE WHEN s.inbound THEN 'received'
				WHEN (` + genMessageHash(`p`, `s`) + ` >> 8) % 40 = 0 THEN 'failed'
				WHEN p.recent AND s.j + 1 = p.n THEN 'sent'
				ELSE p.out_status END AS st,
			CASE WHEN s.inbound THEN 'customer'
				WHEN s.j = 1 AND (` + genMessageHash(`p`, `s`) + ` >> 10) % 4 = 0 THEN 'auto_reply'
				ELSE p.out_source END AS src
		FROM gen_plan p CROSS JOIN gen_seq s WHERE s.j < p.n ORDER BY p.id, s.j ` + genNoFlatten + `
	)
	SELECT x.id, 'msg_gen_' || (10000000000 + x.id), k, direction, channel, typ, ` + genBody(`t`, `mh`) + `,
		CASE WHEN typ = 'image' THEN json_object('mediaId', 'media_gen_' || (10000000000 + x.id), 'mimeType', 'image/jpeg') END,
		st, CASE WHEN st <> 'received' THEN x.t END,
		CASE WHEN st IN ('sent', 'delivered', 'read') THEN x.t + 1000 END,
		CASE WHEN st IN ('delivered', 'read') THEN x.t + 2500 END,
		CASE WHEN st = 'read' THEN min(:now, x.t + 5000 + (mh >> 2) % 900000) END,
		CASE WHEN st = 'failed' THEN x.t + 1500 END,
		CASE WHEN st = 'failed' THEN '131026' ELSE '' END,
		CASE WHEN st = 'failed' THEN 'Message undeliverable' ELSE '' END,
		src, CASE WHEN src = 'agent' THEN assignee_id END,
		x.t, CASE st WHEN 'received' THEN x.t WHEN 'read' THEN min(:now, x.t + 5000 + (mh >> 2) % 900000)
			WHEN 'delivered' THEN x.t + 2500 WHEN 'failed' THEN x.t + 1500 ELSE x.t + 1000 END
	FROM x CROSS JOIN gen_text t WHERE t.id = x.tid`

// generateResolves records when each resolved conversation was resolved,
// by its assignee, up to an hour after its last message, for reports: the
// writer derives the openings from these and the messages at commit.
var generateResolves = `INSERT INTO conversation_resolves (conversation_id, at, user_id)
	SELECT id, min(:now, c0 + (n - 1) * step + 60000 + (h >> 20) % 3600000), assignee_id
	FROM gen_plan WHERE status = 'resolved' ORDER BY id`

// generateReads marks each assigned conversation read by its assignee:
// all of it, but for the customer's last message in an open conversation
// waiting on the business.
var generateReads = `INSERT INTO conversation_reads (conversation_id, user_id, read_count, read_at)
	SELECT id, assignee_id,
		CASE WHEN status = 'open' AND n % 2 = 1 THEN (n + 1) / 2 - 1 ELSE (n + 1) / 2 END,
		c0 + max(0, CASE WHEN status = 'open' AND n % 2 = 1 THEN n - 2 ELSE n - 1 END) * step
	FROM gen_plan WHERE assignee_id IS NOT NULL ORDER BY id`

// generateWeights are the weights of conversations by their number, in
// turn: most conversations are short, a few long, and some are a
// customer's message alone.
var generateWeights = []int{0, 1, 2, 1, 3, 0, 1, 6, 2, 1, 12, 1, 0, 4, 1, 24}

// weightsBefore is the sum of the weights of the first s conversations.
func weightsBefore(s int) int {
	sum := 0
	for _, w := range generateWeights {
		sum += w
	}
	before := s / len(generateWeights) * sum
	for _, w := range generateWeights[:s%len(generateWeights)] {
		before += w
	}
	return before
}

// genShare is, in SQL, how many of the :spread messages the first s
// conversations have, beyond their first (the large one is last): the running
// sum of weights scaled to :spread (:weights is the sum of them all).
func genShare(s string) string {
	var q strings.Builder
	fmt.Fprintf(&q, `((((%s) / %d) * %d + CASE (%s) %% %d`, s, len(generateWeights), weightsBefore(len(generateWeights)),
		s, len(generateWeights))
	for i := range generateWeights {
		fmt.Fprintf(&q, ` WHEN %d THEN %d`, i, weightsBefore(i))
	}
	q.WriteString(` END) * :spread / :weights)`)
	return q.String()
}

// The pools of generated texts, by number.
const (
	poolFirstName = iota
	poolLastName
	poolOpening
	poolCustomer
	poolFirstReply
	poolReply
	poolCaption
)

// generatePools hold the texts Generate draws from. Each is short and
// single-spaced, so that it is its own preview.
var generatePools = [][]string{
	poolFirstName: {"Maria", "José", "Ana", "Luis", "Sofia", "Carlos", "Emma", "Liam", "Olivia", "Noah",
		"Aisha", "Omar", "Fatima", "Yusuf", "Chen", "Wei", "Priya", "Arjun", "Hana", "Kenji",
		"Lucas", "Gabriel", "Julia", "Mateo", "Valentina", "Diego", "Camila", "Ethan", "Chloe", "Amara",
		"Kwame", "Zanele", "Ingrid", "Lars", "Elena", "Marco", "Giulia", "Pierre", "Léa", "Tomás"},
	poolLastName: {"García", "Silva", "Smith", "Johnson", "Müller", "Rossi", "Dubois", "Nguyen", "Kim", "Patel",
		"Khan", "Okafor", "Mensah", "Haddad", "Cohen", "Novak", "Kowalski", "Andersen", "Larsen", "Costa",
		"Santos", "Pereira", "Fernández", "López", "Martin", "Bernard", "Tanaka", "Sato", "Wang", "Li",
		"Ivanova", "Popescu", "Nagy", "Horvat", "Jensen", "O'Brien", "Murphy", "Walker", "Brown", "Díaz"},
	poolOpening: {
		"Hi, my order #{n} hasn't arrived yet. Can you check?",
		"Hello! Do you ship to Canada?",
		"Good morning, I'd like to change the delivery address for order #{n}",
		"Is the blue one back in stock?",
		"Hi, I was charged twice for my last order",
		"Can I book a table for 4 tonight at 8pm?",
		"Hello, what are your opening hours on Sunday?",
		"Hi there, I need to return an item from order #{n}",
		"My package says delivered but I don't have it",
		"Hey, is the discount code still valid? It says expired",
		"Hi, can I move my appointment to Friday?",
		"Do you have this in size M?",
		"Hello, I never got the confirmation email for order #{n}",
		"Hi! How long does delivery usually take?",
		"The app keeps logging me out, can you help?",
		"Good afternoon, I want to cancel my subscription",
		"Hi, the item I received is damaged",
		"Hola, ¿tienen envío gratis?",
		"Bonjour, ma commande #{n} est incomplète",
		"Can I pay on delivery?",
	},
	poolCustomer: {
		"Thanks!", "Ok, thank you", "It's #{n}", "Yes please", "Any update on this?", "That works for me",
		"Perfect, thanks a lot 🙏", "Still nothing arrived today", "Can you send me the tracking link?",
		"Sorry, one more question", "Great 👍", "I sent a photo of the receipt", "Friday at 10 would be ideal",
		"Sure, my email is on the account", "No, that's all", "Ok, I'll wait", "It was the black one, size 42",
		"When will the refund show up?", "Got it!", "Hmm, the link doesn't open", "Yes, same address as last time",
		"Could you call me instead?", "Alright, let's do that", "Thank you so much, you've been very helpful",
		"The order number is #{n}", "Is there any way to get it faster?", "It still says pending",
		"Ok, done. Did it work?", "What about the other item?", "👍",
	},
	poolFirstReply: {
		"Hi! Thanks for reaching out, let me check that for you.",
		"Hello, happy to help. Could you share your order number?",
		"Hi there! One moment while I look into it.",
		"Thanks for your message! An agent will be with you shortly.",
		"Good morning! Sure, let me see what I can do.",
		"Hi, sorry to hear that. Let me look into it right away.",
		"Hello! Yes, we can help with that.",
		"Hi! Could you tell me the email on your account?",
	},
	poolReply: {
		"Your order #{n} is on its way and should arrive tomorrow.",
		"I've issued the refund, it takes 3 to 5 business days.",
		"Here is your tracking link: https://track.example.com/{n}",
		"Done! Your appointment is moved to Friday at 10:00.",
		"We're open 9am to 6pm, Monday to Saturday.",
		"Yes, we ship worldwide. Shipping is free over $50.",
		"Sorry about that! I've sent a replacement.",
		"Could you send a photo of the item?",
		"I've updated the address on your order.",
		"Is there anything else I can help with?",
		"You're welcome! Have a great day 😊",
		"Size M is back in stock, I've reserved one for you.",
		"I've cancelled the subscription, you won't be charged again.",
		"Let me check with the warehouse and get back to you.",
		"The code has been extended until the end of the month.",
		"Thanks for your patience, it's sorted now.",
		"I've sent you a new confirmation email.",
		"Your table for 4 is booked for 8pm. See you tonight!",
		"The courier will call you before delivering.",
		"I can see the double charge, the second one is refunded.",
		"Please log out and back in, that should fix it.",
		"Of course! You can pay by card or cash on delivery.",
		"Our team will call you within the hour.",
		"The return label is on its way to your email.",
		"Great, I've noted that.",
	},
	poolCaption: {"", "", "", "", "Here's the receipt", "This is what arrived", "The damaged box",
		"Screenshot of the error", "This one", "The label on the package"},
}

// generateAgents are the agents Generate adds when there is no active user
// to assign conversations to.
var generateAgents = []string{"Ana Souza", "Ben Carter", "Chloé Martin", "David Kim", "Emma Rossi", "Farid Haddad"}
