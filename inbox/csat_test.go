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
		{"a digit", survey, text("4", time.Minute), 4},
		{"a digit with spaces and a full stop", survey, text("  3. ", time.Hour), 3},
		{"a digit and an exclamation mark", survey, text("5!", time.Hour), 5},
		{"out of five", survey, text("2/5", time.Hour), 2},
		{"zero", survey, text("0", time.Minute), 0},
		{"six", survey, text("6", time.Minute), 0},
		{"fifteen", survey, text("15", time.Minute), 0},
		{"a sentence with a digit", survey, text("5 but where is my order?", time.Minute), 0},
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

func TestScoreCSAT(t *testing.T) {
	if s := ScoreCSAT(nil); s != (CSATScore{}) {
		t.Errorf("no answers: %+v", s)
	}
	s := ScoreCSAT([]int{5, 4, 1, 2})
	if s.Count != 4 || s.Average != 3 || s.Satisfied != 0.5 {
		t.Errorf("5, 4, 1, 2: %+v, want 4 answers, average 3, half satisfied", s)
	}
}
