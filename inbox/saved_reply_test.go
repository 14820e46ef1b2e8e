package inbox

import (
	"errors"
	"strings"
	"testing"
)

func TestFillPlaceholders(t *testing.T) {
	zoe := PlaceholderValues{ContactName: "Zoe Quinn", ContactPhone: "+14155550101", AgentName: "Ana"}
	noName := PlaceholderValues{ContactPhone: "+14155550101", AgentName: "Ana"}
	for _, tc := range []struct {
		name, body string
		v          PlaceholderValues
		want       string
	}{
		{"every placeholder", "Thanks {{contact.name}}, {{agent.name}} here. We will text {{contact.phone}}.", zoe,
			"Thanks Zoe Quinn, Ana here. We will text +14155550101."},
		{"spaces inside the braces", "Hi {{ contact.name }}!", zoe, "Hi Zoe Quinn!"},
		{"twice", "{{contact.name}}? Yes, {{contact.name}}.", zoe, "Zoe Quinn? Yes, Zoe Quinn."},
		{"no placeholder", "Our hours are 9 to 5.", zoe, "Our hours are 9 to 5."},
		{"unknown placeholders stay as typed", "Order {{order.id}} for {{contact.name}}, {{1}} {{contact.email}}", zoe,
			"Order {{order.id}} for Zoe Quinn, {{1}} {{contact.email}}"},
		{"unclosed braces stay", "Hi {{contact.name", zoe, "Hi {{contact.name"},
		{"a value is not read as a placeholder", "Hi {{contact.name}}", PlaceholderValues{ContactName: "{{agent.name}}"}, "Hi {{agent.name}}"},

		// No name: the placeholder leaves no gap and no dangling comma.
		{"no name at the end", "Hi {{contact.name}}", noName, "Hi"},
		{"no name before punctuation", "Hi {{contact.name}}!", noName, "Hi!"},
		{"no name mid-sentence", "Thanks {{contact.name}}, {{agent.name}} here", noName, "Thanks, Ana here"},
		{"no name starting the text", "{{contact.name}}, your order is ready.", noName, "your order is ready."},
		{"no name starting a line", "Hello!\n{{contact.name}}, your order is ready.", noName, "Hello!\nyour order is ready."},
		{"no name alone", "{{contact.name}}", noName, ""},
		{"a name of spaces counts as none", "Hi {{contact.name}}!", PlaceholderValues{ContactName: "  "}, "Hi!"},
		{"no agent name", "Best, {{agent.name}}", PlaceholderValues{}, "Best,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FillPlaceholders(tc.body, tc.v); got != tc.want {
				t.Errorf("FillPlaceholders(%q) = %q, want %q", tc.body, got, tc.want)
			}
		})
	}
}

func TestSavedReplyValidation(t *testing.T) {
	ok := SavedReply{Shortcut: "refund", Title: "Refund policy", Body: "Refunds take 5 days, {{contact.name}}."}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good reply: %v", err)
	}

	typed := SavedReply{Shortcut: "  /Thanks-2_A ", Title: "  Thanks ", Body: "\r\nThanks!\r\nAna\n  "}
	typed.Normalize()
	if typed.Shortcut != "thanks-2_a" || typed.Title != "Thanks" || typed.Body != "Thanks!\nAna" {
		t.Errorf("Normalize gave %+v", typed)
	}
	if err := typed.Validate(); err != nil {
		t.Errorf("a typed reply that normalizes well: %v", err)
	}

	for _, tc := range []struct {
		name  string
		r     SavedReply
		field func(*InvalidSavedReply) string
		says  string
	}{
		{"no shortcut", SavedReply{Body: "x"}, shortcutErr, "Give the saved reply a shortcut"},
		{"spaces in the shortcut", SavedReply{Shortcut: "re fund", Body: "x"}, shortcutErr, "only lowercase letters, digits, - and _"},
		{"capitals in the shortcut", SavedReply{Shortcut: "Refund", Body: "x"}, shortcutErr, "only lowercase letters"},
		{"accents in the shortcut", SavedReply{Shortcut: "réponse", Body: "x"}, shortcutErr, "only lowercase letters"},
		{"a long shortcut", SavedReply{Shortcut: strings.Repeat("a", MaxShortcutLength+1), Body: "x"}, shortcutErr, "at most 32 characters"},
		{"a long title", SavedReply{Shortcut: "a", Title: strings.Repeat("t", MaxSavedTitle+1), Body: "x"}, titleErr, "at most 80 characters"},
		{"no body", SavedReply{Shortcut: "a", Body: " \n "}, bodyErr, "Write the text"},
		{"a body too long", SavedReply{Shortcut: "a", Body: strings.Repeat("é", MaxReplyLength+1)}, bodyErr, "4097 characters long; a reply can be at most 4096"},
		{"a misspelt placeholder", SavedReply{Shortcut: "a", Body: "Hi {{contact.nmae}} and {{ agent.email }}"}, bodyErr,
			"does not know {{contact.nmae}}, {{ agent.email }}. The placeholders are {{contact.name}}, {{contact.phone}}, {{agent.name}}."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want an error matching ErrInvalid", err)
			}
			inv, ok := AsInvalidSavedReply(err)
			if !ok {
				t.Fatalf("Validate() = %T, want field errors", err)
			}
			if got := tc.field(inv); !strings.Contains(got, tc.says) {
				t.Errorf("the field's error is %q, want it to say %q", got, tc.says)
			}
		})
	}

	// Every faulty field is reported at once.
	inv, _ := AsInvalidSavedReply(SavedReply{Shortcut: "a b"}.Validate())
	if inv == nil || inv.Shortcut == "" || inv.Body == "" || inv.Title != "" {
		t.Errorf("a reply with a bad shortcut and no body: %+v", inv)
	}
	// Other {{...}} text is allowed: WhatsApp templates use {{1}}.
	if err := (SavedReply{Shortcut: "a", Body: "Template {{1}} or {{order.id}}"}).Validate(); err != nil {
		t.Errorf("braces outside contact. and agent.: %v", err)
	}
}

func TestShortcutTakenIsAConflictOnTheShortcut(t *testing.T) {
	err := ShortcutTaken("refund")
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid) {
		t.Errorf("%v: want it to match ErrConflict only", err)
	}
	if inv, ok := AsInvalidSavedReply(err); !ok || !strings.Contains(inv.Shortcut, "/refund is already the shortcut") {
		t.Errorf("field errors of %v: %+v", err, inv)
	}
}

func shortcutErr(e *InvalidSavedReply) string { return e.Shortcut }
func titleErr(e *InvalidSavedReply) string    { return e.Title }
func bodyErr(e *InvalidSavedReply) string     { return e.Body }

func TestMatchSavedReplies(t *testing.T) {
	rs := []SavedReply{
		{Shortcut: "address", Title: "Change of delivery address"},
		{Shortcut: "hours", Title: "Opening hours"},
		{Shortcut: "prefund", Title: "Pre-order deposit"},
		{Shortcut: "refund", Title: "Refund policy"},
		{Shortcut: "refund-late", Title: "Late refund"},
		{Shortcut: "thanks", Title: "Thank the customer"},
	}
	shortcuts := func(rs []SavedReply) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.Shortcut)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		q     string
		limit int
		want  string
	}{
		{"", 0, "address hours prefund refund refund-late thanks"},
		{"ref", 0, "refund refund-late prefund"},
		{"/REF", 0, "refund refund-late prefund"},
		{"delivery", 0, "address"},
		{"refund-", 0, "refund-late"},
		{"zzz", 0, ""},
		{"", 2, "address hours"},
		{"re", 0, "refund refund-late address prefund"}, // starting with it first
		{"re", 3, "refund refund-late address"},
	} {
		if got := shortcuts(MatchSavedReplies(rs, tc.q, tc.limit)); got != tc.want {
			t.Errorf("MatchSavedReplies(%q, %d) = %q, want %q", tc.q, tc.limit, got, tc.want)
		}
	}
}
