package inbox

import (
	"slices"
	"testing"
)

func TestParseMentions(t *testing.T) {
	team := []User{
		{ID: 1, Name: "Ana María", Active: true},
		{ID: 2, Name: "Ben", Active: true},
		{ID: 3, Name: "Ben Okafor", Active: true},
		{ID: 4, Name: "Maya  Lin", Active: true}, // two spaces, as typed by an admin
		{ID: 5, Name: "Old Timer", Active: false},
		{ID: 6, Name: "Chloé", Active: true},
	}
	for _, tc := range []struct {
		text string
		want []int64
	}{
		{"@Ana María can you check?", []int64{1}},
		{"@ana maría, can you check?", []int64{1}},              // case, and a comma after
		{"Thanks @ANA MARÍA.", []int64{1}},                      // at the end, with a full stop
		{"@Ben Okafor please", []int64{3}},                      // the longest name wins
		{"@Ben please", []int64{2}},                             // Ben himself
		{"@Ben Okafor and @Ben!", []int64{3, 2}},                // both, in order
		{"@Maya Lin (urgent)", []int64{4}},                      // spaces in a name as stored
		{"@Maya: see above", []int64{4}},                        // a unique first name alone
		{"@Mayan ruins", nil},                                   // not a word boundary
		{"@Nobody here", nil},                                   // unknown names
		{"mail ana@example.com or @Old Timer", nil},             // an address, an inactive user
		{"@Chloé @chloé @Chloé?", []int64{6}},                   // each once, accents
		{"@", nil},                                              // nothing after @
		{"(@Ben Okafor)", []int64{3}},                           // after a bracket
		{"@Ana María\n@Ben", []int64{1, 2}},                     // across lines
		{"no mention at all", nil},                              //
		{"@ben_okafor", nil},                                    // not a name
		{"@Ben-Okafor", nil},                                    // a hyphen joins words
		{"@Ana Maríax", []int64{1}},                             // the unique first name, then another word
		{"@Ana", []int64{1}},                                    // a unique first name
		{"Hi @Ben Okafor's customer", []int64{3}},               // an apostrophe ends it
		{"@Ben\tOkafor", []int64{2}},                            // a tab is not the name's space
		{"@ben okafor @ben okafor", []int64{3}},                 // once
		{"@Maya Lin and @Ana María and @Ben", []int64{4, 1, 2}}, // order of first mention
	} {
		got := ParseMentions(tc.text, team)
		if !slices.Equal(got, tc.want) {
			t.Errorf("ParseMentions(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// A first name two people share mentions neither.
func TestParseMentionsSharedFirstName(t *testing.T) {
	team := []User{{ID: 1, Name: "Sam Reed", Active: true}, {ID: 2, Name: "Sam Ortiz", Active: true}}
	if got := ParseMentions("@Sam can you?", team); len(got) != 0 {
		t.Errorf("@Sam mentioned %v", got)
	}
	if got := ParseMentions("@Sam Ortiz can you?", team); !slices.Equal(got, []int64{2}) {
		t.Errorf("@Sam Ortiz mentioned %v", got)
	}
}

func TestDraftChanges(t *testing.T) {
	me, other := int64(1), int64(2)
	note := func(author int64) Message {
		return Message{ID: 10, Direction: Internal, Type: TypeNote, AuthorID: &author}
	}
	assigned := func(to *int64) Message {
		kind := ActivityAssigned
		if to == nil {
			kind = ActivityUnassigned
		}
		return Message{ID: 11, Direction: Internal, Type: TypeActivity, AuthorID: &other,
			Content: &Content{Activity: &ActivityContent{Kind: kind, TargetID: to}}}
	}
	for _, tc := range []struct {
		name string
		m    Message
		stop bool
	}{
		{"the customer wrote", Message{Direction: Inbound, Type: TypeText}, true},
		{"a teammate replied", Message{Direction: Outbound, Type: TypeText, Source: SourceAgent, AuthorID: &other}, true},
		{"the API replied", Message{Direction: Outbound, Type: TypeText, Source: SourceAPI}, true},
		{"sent from the phone", Message{Direction: Outbound, Type: TypeText, Source: SourcePhoneApp}, true},
		{"my own reply", Message{Direction: Outbound, Type: TypeText, Source: SourceAgent, AuthorID: &me}, false},
		{"an auto-reply", Message{Direction: Outbound, Type: TypeText, Source: SourceAutoReply}, false},
		{"a status placeholder", Message{Direction: Outbound, Type: TypeUnknown, Source: SourceAPI}, false},
		{"a teammate's note", note(other), true},
		{"my own note", note(me), false},
		{"assigned to someone else", assigned(&other), true},
		{"unassigned", assigned(nil), true},
		{"assigned to me", assigned(&me), false},
		{"resolved", Message{Direction: Internal, Type: TypeActivity, Content: &Content{Activity: &ActivityContent{Kind: ActivityResolved}}}, false},
	} {
		got := DraftChanges(me, []Message{tc.m})
		if (len(got) == 1) != tc.stop {
			t.Errorf("%s: stops %v, want %v", tc.name, len(got) == 1, tc.stop)
		}
	}
}
