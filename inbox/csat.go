package inbox

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CSAT: when a conversation is resolved, Switchboard may ask the customer
// one question, "How would you rate our help, from 1 to 5?": buttons on
// WhatsApp, a text on SMS. The customer's answer is a score against the
// conversation and the agent who resolved it. An answer is a button of
// the survey, or a text that reads as a score ("5", "5 - great", "5 stars",
// "I'd say 4", "3/5") written within CSATAnswerWindow of the survey while
// it is unanswered. Anything else, such as a text that merely holds a
// number, is an ordinary message.

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
// survey, if it answers it. A text before the survey, after an answer, or
// later than CSATAnswerWindow answers nothing. A button of the survey
// answers it whenever it comes: a second tap once answered (storage keeps
// the first answer), or one stamped a little before the survey by Zavu's
// clock, is no message to reopen or auto-reply to.
func MatchCSATAnswer(s CSATSurvey, m Message) (score int, ok bool) {
	if m.Direction != Inbound {
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
	if s.Answered || m.CreatedAt.Before(s.SentAt) || m.Type != TypeText || m.CreatedAt.Sub(s.SentAt) > CSATAnswerWindow {
		return 0, false
	}
	return csatTypedScore(m.Text)
}

func csatScore(s string) (int, bool) {
	if len(s) != 1 || s[0] < '1' || s[0] > '5' {
		return 0, false
	}
	return int(s[0] - '0'), true
}

// csatTypedScore reads a typed answer: exactly one number in the text, a
// single digit 1-5 standing alone ("5", "5!", "5 - great", "5 stars",
// "I'd say 4", "4/5", "4 out of 5"). The words beside the digit must read
// as a rating, so a text that merely holds a small number ("I have 2
// questions", "call me at 5", "order #3") answers nothing, nor does one
// with any other number in it (times, order and phone numbers).
func csatTypedScore(text string) (int, bool) {
	text = strings.ToLower(text)
	at := -1
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) {
			continue
		}
		if at >= 0 {
			return 0, false // a second number
		}
		at = i
		if i+1 < len(text) && isDigit(text[i+1]) {
			return 0, false // more than one digit
		}
		if rest, ok := csatOutOfFive(text[i+1:]); ok {
			text = text[:i+1] + rest
		}
	}
	if at < 0 {
		return 0, false
	}
	before, after := text[:at], text[at+1:]
	prev, prevWord := csatNeighbour(before, true)
	next, nextWord := csatNeighbour(after, false)
	if !csatBeside(prev, prevWord, csatBefore) || !csatBeside(next, nextWord, csatAfter) {
		return 0, false
	}
	return csatScore(text[at : at+1])
}

// csatOutOfFive strips "/5", "/ 5", " out of 5" or " out of five" that
// follows the rating digit.
func csatOutOfFive(s string) (string, bool) {
	for _, p := range []string{"/5", "/ 5", " / 5", " out of 5", " out of five", " of 5"} {
		if rest, ok := strings.CutPrefix(s, p); ok && (rest == "" || !isDigit(rest[0])) {
			return rest, true
		}
	}
	return s, false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isLetter(r rune) bool { return unicode.IsLetter(r) || r == '\'' || r == '’' }

func notLetter(r rune) bool { return !isLetter(r) }

// csatNeighbour is what stands beside the digit: "" at the edge of the
// text, the word across any spaces (word true), or the mark right beside it.
func csatNeighbour(s string, before bool) (string, bool) {
	trimmed := strings.TrimLeftFunc(s, unicode.IsSpace)
	if before {
		trimmed = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	if trimmed == "" {
		return "", false
	}
	spaced := len(trimmed) != len(s)
	var r rune
	if before {
		r, _ = utf8.DecodeLastRuneInString(trimmed)
	} else {
		r, _ = utf8.DecodeRuneInString(trimmed)
	}
	if !isLetter(r) {
		return string(r), false
	}
	if !spaced {
		return "x", false // the digit is part of a word: "5th", "x2"
	}
	w := trimmed
	if before {
		if i := strings.LastIndexFunc(trimmed, notLetter); i >= 0 {
			_, n := utf8.DecodeRuneInString(trimmed[i:])
			w = trimmed[i+n:]
		}
	} else if i := strings.IndexFunc(trimmed, notLetter); i >= 0 {
		w = trimmed[:i]
	}
	return strings.ReplaceAll(w, "’", "'"), true
}

// csatBeside reports whether what stands beside the digit lets it read as
// a rating: the edge of the text, a mark other than those of amounts and
// references, or a word of a rating.
func csatBeside(s string, word bool, words map[string]bool) bool {
	switch {
	case s == "":
		return true
	case word:
		return words[s]
	default:
		return s != "x" && !strings.ContainsAny(s, "#$€£¥%+@&=_/<>^")
	}
}

// csatBefore are the words that may come right before a typed rating.
var csatBefore = wordSet("say give gave giving it it's its a rate rated rating score solid definitely " +
	"probably maybe honestly easy strong hmm um well ok okay thanks thank you great good excellent " +
	"perfect i'd i guess then overall")

// csatAfter are the words that may come right after a typed rating.
var csatAfter = wordSet("star stars point points great good excellent perfect amazing awesome thanks " +
	"thank thx ok okay fine bad poor terrible awful very so really definitely but and overall service " +
	"from for you")

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
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
