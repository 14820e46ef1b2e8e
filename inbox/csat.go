package inbox

import (
	"strconv"
	"strings"
	"time"
)

// CSAT: when a conversation is resolved, Switchboard may ask the customer
// one question, "How would you rate our help, from 1 to 5?": buttons on
// WhatsApp, a text on SMS. The customer's answer is a score against the
// conversation and the agent who resolved it. An answer is a button of
// the survey, or a text that is only a score ("5", "4.", "3/5") written
// within CSATAnswerWindow of the survey while it is unanswered. Anything
// else is an ordinary message.

// CSATAnswerWindow is how long after a survey a text can answer it.
const CSATAnswerWindow = 24 * time.Hour

// csatButtonPrefix starts the ids of the survey's buttons: csat_1 .. csat_5.
const csatButtonPrefix = "csat_"

// CSATButtonID is the id of the survey's button for score (1-5).
func CSATButtonID(score int) string { return csatButtonPrefix + strconv.Itoa(score) }

// CSATSurvey is a survey sent to a customer: when, and whether it has
// been answered.
type CSATSurvey struct {
	SentAt   time.Time
	Answered bool
}

// MatchCSATAnswer reports the score a customer's message gives the
// survey, if it answers it. A message before the survey, after an answer,
// or a text later than CSATAnswerWindow answers nothing; a button of the
// survey answers it whenever it comes.
func MatchCSATAnswer(s CSATSurvey, m Message) (score int, ok bool) {
	if m.Direction != Inbound || s.Answered || m.CreatedAt.Before(s.SentAt) {
		return 0, false
	}
	if m.Content != nil && m.Content.InteractiveReply != nil {
		r := m.Content.InteractiveReply
		id, found := strings.CutPrefix(r.ID, csatButtonPrefix)
		if r.Type != "button_reply" || !found {
			return 0, false
		}
		return csatScore(id)
	}
	if m.Type != TypeText || m.CreatedAt.Sub(s.SentAt) > CSATAnswerWindow {
		return 0, false
	}
	text := strings.TrimRight(strings.TrimSpace(m.Text), ".!")
	text = strings.TrimSuffix(strings.TrimSpace(text), "/5")
	return csatScore(strings.TrimSpace(text))
}

func csatScore(s string) (int, bool) {
	if len(s) != 1 || s[0] < '1' || s[0] > '5' {
		return 0, false
	}
	return int(s[0] - '0'), true
}

// CSATScore sums the answers of a period: how many, their average, and
// the share that gave 4 or 5 (0 to 1).
type CSATScore struct {
	Count     int
	Average   float64
	Satisfied float64
}

// ScoreCSAT summarises answers (each 1-5).
func ScoreCSAT(scores []int) CSATScore {
	var out CSATScore
	if len(scores) == 0 {
		return out
	}
	sum, good := 0, 0
	for _, s := range scores {
		sum += s
		if s >= 4 {
			good++
		}
	}
	out.Count = len(scores)
	out.Average = float64(sum) / float64(len(scores))
	out.Satisfied = float64(good) / float64(len(scores))
	return out
}
