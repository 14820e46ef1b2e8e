package inbox

import "testing"

// A template's text as the thread shows it is the text the customer got:
// each value goes in its own placeholder as typed, even one that reads
// like another placeholder ("{{2}}"), whatever order the values come in.
func TestTemplateFillPutsEachValueInItsPlaceOnce(t *testing.T) {
	tpl := Template{Body: "Hi {{1}}, your code is {{2}}. {{10}}"}
	values := map[string]string{"1": "{{2}}", "2": "A7 {{1}}", "10": "Bye"}
	for range 50 { // the values' order varies from one fill to the next
		if got, want := tpl.Fill(values), "Hi {{2}}, your code is A7 {{1}}. Bye"; got != want {
			t.Fatalf("Fill = %q, want %q", got, want)
		}
	}
}
