package inbox

import (
	"testing"
	"time"
)

func TestCSATDecide(t *testing.T) {
	on := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cfg := CSATConfig{Enabled: true, Since: on}
	at := on.Add(time.Hour)
	resolved := CSATResolve{ID: 1, ConversationID: 7, At: at, Latest: true, Status: Resolved}
	with := func(edit func(*CSATResolve)) CSATResolve { r := resolved; edit(&r); return r }
	cases := []struct {
		name string
		cfg  CSATConfig
		r    CSATResolve
		now  time.Time
		want CSATDecision
	}{
		{"still resolved after the undo window", cfg, resolved, at.Add(CSATDelay), CSATSend},
		{"inside the undo window", cfg, resolved, at.Add(CSATDelay - time.Second), CSATWait},
		{"just resolved", cfg, resolved, at, CSATWait},
		{"reopened inside the window (Undo) waits for the window", cfg, with(func(r *CSATResolve) { r.Status = Open }), at.Add(30 * time.Second), CSATWait},
		{"undone: open when due", cfg, with(func(r *CSATResolve) { r.Status = Open }), at.Add(CSATDelay), CSATCancel},
		{"resolved again since: the later resolve asks", cfg, with(func(r *CSATResolve) { r.Latest = false }), at.Add(CSATDelay), CSATCancel},
		{"snoozed when due", cfg, with(func(r *CSATResolve) { r.Status = Snoozed }), at.Add(CSATDelay), CSATCancel},
		{"survey off", CSATConfig{Since: on}, resolved, at.Add(CSATDelay), CSATCancel},
		{"resolved before the survey was turned on", cfg, with(func(r *CSATResolve) { r.At = on.Add(-time.Minute) }), at.Add(CSATDelay), CSATCancel},
		{"too late (Switchboard was down)", cfg, resolved, at.Add(CSATMaxDelay + time.Minute), CSATCancel},
	}
	for _, c := range cases {
		if got := c.cfg.Decide(c.r, c.now); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestCSATSurveyMessage(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cfg := CSATConfig{Enabled: true}
	cfg.Normalize()
	if cfg.Question != DefaultCSATQuestion {
		t.Fatalf("default question %q", cfg.Question)
	}
	wa := Conversation{ID: 1, Channel: WhatsApp, LastInboundAt: now.Add(-time.Hour), Contact: Contact{Name: "Ana"}}
	tmpl := Template{ID: "tpl_csat", Status: "approved", Body: "Hi {{1}}, how did we do? Reply 1 to 5."}

	r, skip := cfg.Survey(wa, Template{}, now)
	if skip != "" || r.Type != TypeButtons || r.Text != cfg.Question || r.Source != SourceAutoReply || r.AutoReplyRule != CSATRule {
		t.Fatalf("inside the window: %+v skip %q, want a buttons auto-reply", r, skip)
	}
	if len(r.Content.Buttons) != 3 {
		t.Fatalf("buttons %+v, want 3", r.Content.Buttons)
	}
	for _, b := range r.Content.Buttons {
		m := Message{Direction: Inbound, Type: TypeText, CreatedAt: now.Add(time.Minute),
			Content: &Content{InteractiveReply: &InteractiveReply{Type: "button_reply", ID: b.ID, Title: b.Title}}}
		score, ok := MatchCSATAnswer(CSATSurvey{SentAt: now}, m)
		if !ok || CSATLabel(score) != b.Title {
			t.Errorf("button %+v answers %d (%v), labelled %q", b, score, ok, CSATLabel(score))
		}
	}
	if err := checkReply(wa, Reply{Type: r.Type, Text: r.Text, Content: r.Content, At: now}); err != nil {
		t.Errorf("the buttons survey is refused: %v", err)
	}

	closed := wa
	closed.LastInboundAt = now.Add(-25 * time.Hour)
	if _, skip := cfg.Survey(closed, Template{}, now); skip != CSATSkipNoTemplate {
		t.Errorf("window closed, no template: skip %q", skip)
	}
	withTmpl := cfg
	withTmpl.TemplateID = tmpl.ID
	r, skip = withTmpl.Survey(closed, tmpl, now)
	if skip != "" || r.Type != TypeTemplate || r.Content.TemplateID != tmpl.ID || r.Text != "Hi Ana, how did we do? Reply 1 to 5." {
		t.Errorf("window closed with a template: %+v skip %q", r, skip)
	}
	if _, skip := withTmpl.Survey(closed, Template{ID: tmpl.ID, Status: "rejected"}, now); skip != CSATSkipNoTemplate {
		t.Errorf("a rejected template: skip %q", skip)
	}

	sms := Conversation{ID: 2, Channel: SMS}
	r, skip = cfg.Survey(sms, Template{}, now)
	if skip != "" || r.Type != TypeText || r.Text != cfg.Question+" "+CSATSMSHint {
		t.Errorf("SMS: %+v skip %q, want a text asking for 1 to 5", r, skip)
	}
	sms.OptedOut = true
	if _, skip := cfg.Survey(sms, Template{}, now); skip != CSATSkipOptedOut {
		t.Errorf("opted out: skip %q", skip)
	}
}

func TestCSATRating(t *testing.T) {
	m := Message{Direction: Inbound, Type: TypeText, Text: "4", Source: SourceCSATAnswer, CreatedAt: time.Now()}
	if got := CSATRating(m); got != "Rated 4: Good" {
		t.Errorf("%q", got)
	}
	m.Source = SourceCustomer
	if got := CSATRating(m); got != "" {
		t.Errorf("a customer's message rated %q", got)
	}
}

func TestCSATConfigValidate(t *testing.T) {
	c := CSATConfig{Question: string(make([]rune, MaxCSATQuestion+1))}
	if err := c.Validate(); err == nil {
		t.Error("an oversized question passes")
	}
}
