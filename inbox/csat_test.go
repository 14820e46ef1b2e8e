package inbox

import (
	"testing"
	"time"
)

func TestMatchCSATAnswer(t *testing.T) {
	sent := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	survey := CSATSurvey{SentAt: sent}
	text := func(s string, after time.Duration) Message {
		return Message{Direction: Inbound, Type: TypeText, Text: s, CreatedAt: sent.Add(after)}
	}
	button := func(typ, id string, after time.Duration) Message {
		return Message{Direction: Inbound, Type: TypeText, Text: "Great", CreatedAt: sent.Add(after),
			Content: &Content{InteractiveReply: &InteractiveReply{Type: typ, ID: id, Title: "Great"}}}
	}
	cases := []struct {
		name  string
		s     CSATSurvey
		m     Message
		score int // 0: not an answer
	}{
		{"a button", survey, button("button_reply", CSATButtonID(5), time.Minute), 5},
		{"a button days later", survey, button("button_reply", CSATButtonID(2), 5*24*time.Hour), 2},
		{"another button", survey, button("button_reply", "order_status", time.Minute), 0},
		{"a list choice", survey, button("list_reply", CSATButtonID(4), time.Minute), 0},
		{"a button out of range", survey, button("button_reply", "csat_9", time.Minute), 0},
		{"a button stamped by a clock behind ours", survey, button("button_reply", CSATButtonID(5), -5*time.Second), 5},
		{"a second tap once answered", CSATSurvey{SentAt: sent, Answered: true}, button("button_reply", CSATButtonID(1), time.Minute), 1},
		{"a digit", survey, text("4", time.Minute), 4},
		{"a digit with spaces and a full stop", survey, text("  3. ", time.Hour), 3},
		{"a digit and an exclamation mark", survey, text("5!", time.Hour), 5},
		{"out of five", survey, text("2/5", time.Hour), 2},
		{"zero", survey, text("0", time.Minute), 0},
		{"six", survey, text("6", time.Minute), 0},
		{"fifteen", survey, text("15", time.Minute), 0},
		{"a rating then a question", survey, text("5 but where is my order?", time.Minute), 5},
		{"a question with a count", survey, text("I have 2 questions", time.Minute), 0},
		{"a new question", survey, text("Hello again", time.Minute), 0},
		{"a digit after the window", survey, text("4", CSATAnswerWindow+time.Minute), 0},
		{"a digit before the survey", survey, text("4", -time.Minute), 0},
		{"a digit once answered", CSATSurvey{SentAt: sent, Answered: true}, text("4", time.Minute), 0},
		{"our own message", survey, Message{Direction: Outbound, Type: TypeText, Text: "5", CreatedAt: sent.Add(time.Minute)}, 0},
		{"a picture", survey, Message{Direction: Inbound, Type: TypeImage, Text: "5", CreatedAt: sent.Add(time.Minute)}, 0},
	}
	for _, c := range cases {
		score, ok := MatchCSATAnswer(c.s, c.m)
		if ok != (c.score != 0) || score != c.score {
			t.Errorf("%s: score %d, answer %v; want %d", c.name, score, ok, c.score)
		}
	}
}

// TestMatchCSATTypedAnswers: customers type their score among words; a
// text that merely holds a number is not a score.
func TestMatchCSATTypedAnswers(t *testing.T) {
	sent := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		text  string
		score int // 0: not an answer
	}{
		{"5 - great", 5},
		{"5!", 5},
		{"5 stars", 5},
		{"5 stars!!", 5},
		{"I'd say 4", 4},
		{"I’d say 4.", 4},
		{"4/5", 4},
		{"4 / 5", 4},
		{"3 out of 5", 3},
		{"I'd give it 5 stars", 5},
		{"Great service, 5", 5},
		{"rating: 2", 2},
		{"5 ⭐", 5},
		{"1 - terrible, nobody answered", 1},
		{"Thanks! 5", 5},

		{"I have 2 questions", 0},
		{"2 questions", 0},
		{"Call me at 5", 0},
		{"Can you call at 3pm?", 0},
		{"Order #3", 0},
		{"My order 45123 hasn't arrived", 0},
		{"Is it open at 10:30?", 0},
		{"Call me on +44 7700 900123", 0},
		{"It costs $5", 0},
		{"5th of May please", 0},
		{"I ordered 3 and got 2", 0},
		{"4/5 but 2 items missing", 0},
		{"2.5", 0},
		{"I need 4", 0},
		{"Give me 5 minutes", 0},
		{"See you in 5", 0},
		{"7 stars", 0},
		{"0/5", 0},
		{"5/10", 0},
	}
	for _, c := range cases {
		m := Message{Direction: Inbound, Type: TypeText, Text: c.text, CreatedAt: sent.Add(time.Minute)}
		score, ok := MatchCSATAnswer(CSATSurvey{SentAt: sent}, m)
		if ok != (c.score != 0) || score != c.score {
			t.Errorf("%q: score %d, answer %v; want %d", c.text, score, ok, c.score)
		}
	}
}

func TestScoreCSAT(t *testing.T) {
	if s := ScoreCSAT(nil); s != (CSATScore{}) {
		t.Errorf("no answers: %+v", s)
	}
	s := ScoreCSAT([]int{5, 4, 1, 2})
	if s.Count != 4 || s.Average != 3 || s.Satisfied != 0.5 {
		t.Errorf("5, 4, 1, 2: %+v, want 4 answers, average 3, half satisfied", s)
	}
}
