package static

import (
	"regexp"
	"strings"
	"testing"
)

// The tab title has one writer, notify.js: app.js hands it the list's
// unread count as an event, so the two never write different counts in
// turn.
func TestOneScriptWritesTheTitle(t *testing.T) {
	write := regexp.MustCompile(`document\.title\s*=[^=]`)
	for _, name := range []string{"app.js", "notes.js", "search.js", "team.js", "ui.js", "notify.js"} {
		body, ok := Raw(name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		n := len(write.FindAll(body, -1))
		if name == "notify.js" && n != 1 || name != "notify.js" && n != 0 {
			t.Errorf("%s writes document.title %d times", name, n)
		}
	}
	app, _ := Raw("app.js")
	if !strings.Contains(string(app), `"switchboard:unread"`) {
		t.Error("app.js no longer hands notify.js the unread count")
	}
}

// One toast for the whole page: the scripts that show one use ui.js's.
func TestOneToast(t *testing.T) {
	for _, name := range []string{"app.js", "team.js", "notes.js"} {
		body, _ := Raw(name)
		if strings.Contains(string(body), `className = "toast`) || strings.Contains(string(body), "undo-toast") {
			t.Errorf("%s builds a toast of its own", name)
		}
	}
}
