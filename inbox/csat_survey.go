package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// The survey. When an admin turns it on, each resolve earns one survey,
// sent CSATDelay after the resolve (longer than any Undo the inbox offers)
// if the conversation is still resolved by that resolve; a reopen or an
// Undo in between cancels it, and a resolve never earns two. The scale is
// 1 to 5, 4 and 5 being satisfied: on WhatsApp inside the 24-hour window
// the survey is a buttons message with three buttons, Good (5), OK (3) and
// Bad (1); outside the window, the approved template the admin chose (no
// template: no survey); on SMS a text asking for a number from 1 to 5.

// SettingCSAT is the setting that holds the survey's configuration
// (CSATConfig as JSON).
const SettingCSAT = "csat"

// CSATDelay is how long after a resolve its survey goes: past the minute
// in which the inbox offers to undo a resolve (`e` and bulk actions).
const CSATDelay = 2 * time.Minute

// CSATMaxDelay bounds how late a survey may go (Switchboard was down):
// a resolve older than that gets none.
const CSATMaxDelay = 24 * time.Hour

// CSATRule names the survey where an auto-reply shows its rule: the thread
// says "Auto-reply: Satisfaction survey".
const CSATRule = "Satisfaction survey"

// DefaultCSATQuestion is the question until an admin writes another.
const DefaultCSATQuestion = "How would you rate our help today?"

// MaxCSATQuestion bounds the question: the body of a WhatsApp buttons
// message takes 1,024 characters.
const MaxCSATQuestion = 1024

// CSATSMSHint follows the question on SMS.
const CSATSMSHint = "Reply with a number from 1 (bad) to 5 (great)."

// CSATButtons are the survey's WhatsApp buttons and their scores.
var CSATButtons = []CSATChoice{{5, "Good"}, {3, "OK"}, {1, "Bad"}}

// CSATChoice is a button of the survey.
type CSATChoice struct {
	Score int
	Title string
}

// CSATLabel names a score in words: Good (4, 5), OK (3), Bad (1, 2).
func CSATLabel(score int) string {
	switch {
	case score >= 4:
		return "Good"
	case score == 3:
		return "OK"
	}
	return "Bad"
}

// CSATConfig is the survey's settings.
type CSATConfig struct {
	Enabled  bool   `json:"enabled"`
	Question string `json:"question"`
	// TemplateID is the approved template sent on WhatsApp once the
	// window has closed; empty for no survey then.
	TemplateID string `json:"templateId,omitempty"`
	// Since is when the survey was last turned on: earlier resolves get
	// none.
	Since time.Time `json:"since,omitzero"`
}

// Normalize trims the question and fills in the default one.
func (c *CSATConfig) Normalize() {
	c.Question = strings.TrimSpace(c.Question)
	if c.Question == "" {
		c.Question = DefaultCSATQuestion
	}
	c.TemplateID = strings.TrimSpace(c.TemplateID)
}

// Validate reports a question too long to send, wrapping ErrInvalid.
func (c CSATConfig) Validate() error {
	if n := len([]rune(c.Question)); n > MaxCSATQuestion {
		return fmt.Errorf("the question has %d characters, more than %d: %w", n, MaxCSATQuestion, ErrInvalid)
	}
	return nil
}

// CSATResolve is a resolve that may earn a survey, as it stands when its
// survey falls due.
type CSATResolve struct {
	ID             int64 // the resolve's id: one survey per resolve
	ConversationID int64
	At             time.Time
	AgentID        *int64 // the assignee then, credited with the resolve
	// Latest tells the resolve is the conversation's latest one, and
	// Status is the conversation's status now.
	Latest bool
	Status ConversationStatus
}

// CSATDecision is what becomes of a resolve's survey.
type CSATDecision int

const (
	CSATWait   CSATDecision = iota // the resolve may still be undone
	CSATSend                       // the survey goes now
	CSATCancel                     // never: reopened, resolved again, too old, or the survey is off
)

// Decide says whether r's survey goes at now.
func (c CSATConfig) Decide(r CSATResolve, now time.Time) CSATDecision {
	switch {
	case !c.Enabled || r.At.Before(c.Since) || now.Sub(r.At) > CSATMaxDelay:
		return CSATCancel
	case now.Sub(r.At) < CSATDelay:
		return CSATWait
	case !r.Latest || r.Status != Resolved:
		return CSATCancel
	}
	return CSATSend
}

// CSATSkip is why a due survey did not go.
type CSATSkip string

const (
	CSATSkipReopened   CSATSkip = "reopened"
	CSATSkipOptedOut   CSATSkip = "opted out"
	CSATSkipNoTemplate CSATSkip = "window closed, no template"
	CSATSkipChannel    CSATSkip = "channel"
)

// Survey is the message that asks conv's customer for a score at now, or
// why none goes: the opted-out get none; on WhatsApp, a buttons message
// inside the window, the template t outside it (none when the admin chose
// no template or it is not approved); on SMS, a text.
func (c CSATConfig) Survey(conv Conversation, t Template, now time.Time) (Reply, CSATSkip) {
	if conv.OptedOut {
		return Reply{}, CSATSkipOptedOut
	}
	r := Reply{ConversationID: conv.ID, Source: SourceAutoReply, AutoReplyRule: CSATRule, At: now}
	switch {
	case conv.Channel == SMS:
		r.Type, r.Text = TypeText, c.Question+" "+CSATSMSHint
	case conv.Channel != WhatsApp:
		return Reply{}, CSATSkipChannel
	case WindowOpen(conv.Channel, conv.LastInboundAt, now):
		r.Type, r.Text, r.Content = TypeButtons, c.Question, &Content{}
		for _, b := range CSATButtons {
			r.Content.Buttons = append(r.Content.Buttons, Button{ID: CSATButtonID(b.Score), Title: b.Title})
		}
	case c.TemplateID == "" || t.ID != c.TemplateID || !t.Approved():
		return Reply{}, CSATSkipNoTemplate
	default:
		vars := map[string]string{}
		for i := 1; i <= t.Variables(); i++ {
			vars[strconv.Itoa(i)] = conv.Contact.DisplayName()
		}
		if len(vars) == 0 {
			vars = nil
		}
		r.Type, r.Content = TypeTemplate, &Content{TemplateID: t.ID, TemplateVariables: vars}
		r.Text = t.Fill(vars)
	}
	return r, ""
}

// CSATRecord is a resolve's survey as stored: sent (MessageID set) or
// skipped, and the customer's answer once it comes.
type CSATRecord struct {
	ResolveID      int64
	ConversationID int64
	OpenedAt       time.Time // the opening the survey asks about; zero when unknown
	AgentID        *int64
	SentAt         time.Time
	MessageID      int64 // the survey; 0 when skipped
	Skip           CSATSkip
	Score          int // 0 until answered
	AnsweredAt     time.Time
}

// CSATTx is what surveys need from storage inside a write transaction.
type CSATTx interface {
	ReplyTx
	// AddCSATRecord stores a resolve's survey; a resolve has one.
	AddCSATRecord(ctx context.Context, r CSATRecord) error
	// LatestCSATSurvey is the conversation's latest survey that went; ok
	// is false when none did.
	LatestCSATSurvey(ctx context.Context, conversationID int64) (r CSATRecord, ok bool, err error)
	// RecordCSATAnswer stores the answer to the survey of a resolve.
	RecordCSATAnswer(ctx context.Context, resolveID int64, score int, at time.Time, messageID int64) error
}

// csatKey is the idempotency key of a resolve's survey: it goes once.
func csatKey(r CSATResolve) string {
	sum := sha256.Sum256([]byte("csat\x00" + strconv.FormatInt(r.ConversationID, 10) + "\x00" +
		strconv.FormatInt(r.ID, 10) + "\x00" + strconv.FormatInt(r.At.UnixMilli(), 10)))
	return "sb_csat_" + hex.EncodeToString(sum[:16])
}

// SendSurvey records what becomes of a due resolve's survey in tx and, when
// it goes, queues it in the outbox like an auto-reply. openedAt is the
// opening the resolve closed. The Change names what to publish.
func SendSurvey(ctx context.Context, tx CSATTx, c CSATConfig, r CSATResolve, openedAt, now time.Time) (Change, error) {
	rec := CSATRecord{ResolveID: r.ID, ConversationID: r.ConversationID, OpenedAt: openedAt, AgentID: r.AgentID, SentAt: now}
	var ch Change
	switch c.Decide(r, now) {
	case CSATWait:
		return ch, nil
	case CSATCancel:
		rec.Skip = CSATSkipReopened
		return ch, tx.AddCSATRecord(ctx, rec)
	}
	conv, err := tx.ConversationByID(ctx, r.ConversationID)
	if err != nil {
		return ch, err
	}
	var t Template
	if c.TemplateID != "" {
		if t, err = tx.Template(ctx, c.TemplateID); err != nil && !errors.Is(err, ErrNotFound) {
			return ch, err
		}
	}
	reply, skip := c.Survey(conv, t, now)
	if skip == "" {
		reply.IdempotencyKey = csatKey(r)
		m, queued, err := queueReply(ctx, tx, conv, reply)
		switch {
		case errors.Is(err, ErrInvalid) || errors.Is(err, ErrWindowClosed) || errors.Is(err, ErrOptedOut):
			skip = CSATSkip(err.Error())
		case err != nil:
			return ch, err
		default:
			rec.MessageID, ch = m.ID, queued
			ch.Queued = true
		}
	}
	rec.Skip = skip
	return ch, tx.AddCSATRecord(ctx, rec)
}

// csatAnswer records m, a customer's new message in conv, as the answer
// to the conversation's survey when it is one (MatchCSATAnswer): m is then
// marked SourceCSATAnswer before it is stored. It returns the survey's
// resolve and the score; resolve 0 when m answers nothing. A typed score
// answers only while conv is resolved: once the customer has reopened it
// with a question, "2" answers the agent ("How many are missing?"). A
// button of the survey answers it whatever the conversation's status.
func csatAnswer(ctx context.Context, tx Tx, conv Conversation, m *Message) (resolveID int64, score int, err error) {
	ctx2, ok := tx.(CSATTx)
	if !ok || m.Direction != Inbound {
		return 0, 0, nil
	}
	if conv.Status != Resolved && (m.Content == nil || m.Content.InteractiveReply == nil) {
		return 0, 0, nil
	}
	// Most messages could answer no survey at all: only those that could
	// are worth a look for one.
	if _, could := MatchCSATAnswer(CSATSurvey{SentAt: m.CreatedAt}, *m); !could {
		return 0, 0, nil
	}
	s, found, err := ctx2.LatestCSATSurvey(ctx, m.ConversationID)
	if err != nil || !found {
		return 0, 0, err
	}
	score, ok = MatchCSATAnswer(CSATSurvey{SentAt: s.SentAt, Answered: s.Score != 0}, *m)
	if !ok {
		return 0, 0, nil
	}
	m.Source = SourceCSATAnswer
	return s.ResolveID, score, nil
}

// CSATRating is what the thread shows of an answer: "Rated 5: Good".
func CSATRating(m Message) string {
	if m.Source != SourceCSATAnswer {
		return ""
	}
	score, ok := MatchCSATAnswer(CSATSurvey{SentAt: m.CreatedAt}, m)
	if !ok {
		return "Rated"
	}
	return "Rated " + strconv.Itoa(score) + ": " + CSATLabel(score)
}

// CSATStore is what the survey needs from storage outside the rules.
type CSATStore interface {
	// CSATConfig is the survey's settings (off until saved).
	CSATConfig(ctx context.Context) (CSATConfig, error)
	// SaveCSATConfig stores them with the admin's audit entry; turning
	// the survey on sets Since to at.
	SaveCSATConfig(ctx context.Context, c CSATConfig, audit AuditEntry, at time.Time) (CSATConfig, error)
	// SendDueSurveys sends, skips or cancels the surveys due by now.
	SendDueSurveys(ctx context.Context, now time.Time) (Change, error)
	// NextSurveyDue is when the next survey falls due, if one waits.
	NextSurveyDue(ctx context.Context, now time.Time) (time.Time, bool, error)
}

// CSATTimer sends each resolve's survey when it falls due (see dueTimer),
// surveys that fell due while Switchboard was down as it starts (within
// CSATMaxDelay); Wake says a resolve or the settings changed.
type CSATTimer struct{ dueTimer }

// NewCSATTimer makes the timer; sent is told of each batch queued, after
// its commit, to publish it and wake the outbox. now may be nil for
// time.Now, log nil for none.
func NewCSATTimer(store CSATStore, sent func(Change), now func() time.Time, log *slog.Logger) *CSATTimer {
	t := &CSATTimer{newDueTimer("surveys queued", now, log)}
	t.do, t.next, t.tell = store.SendDueSurveys, store.NextSurveyDue, sent
	return t
}
