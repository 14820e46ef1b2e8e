package views

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"switchboard/static"
)

// Every icon a page asks for is a symbol of the sprite: a missing one
// would draw nothing, silently.
func TestIconsAreInTheSprite(t *testing.T) {
	sprite, ok := static.Raw("icons.svg")
	if !ok {
		t.Fatal("no static/icons.svg")
	}
	have := map[string]bool{}
	for _, m := range regexp.MustCompile(`<symbol id="([^"]+)"`).FindAllStringSubmatch(string(sprite), -1) {
		have[m[1]] = true
	}
	want := map[string]string{channelIcon("whatsapp"): "channelIcon", channelIcon("sms"): "channelIcon"}
	for _, v := range Views {
		want[v.Icon] = "Views"
	}
	files, _ := filepath.Glob("*.templ")
	use := regexp.MustCompile(`Icon\("([^"]+)"`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			want[m[1]] = f
		}
	}
	if len(want) < 20 {
		t.Fatalf("found only %d icons in use", len(want))
	}
	for name, where := range want {
		if !have[name] {
			t.Errorf("%s uses icon %q, which static/icons.svg does not have", where, name)
		}
	}
}

func TestAvatars(t *testing.T) {
	for name, want := range map[string]string{
		"Maya Lopez": "ML", "maya": "M", "Ana María de la Cruz": "AC", "  Ben  ": "B",
		"+14155550101": "", "Zoë Ünal": "ZÜ", "": "",
	} {
		if got := Initials(name); got != want {
			t.Errorf("Initials(%q) = %q, want %q", name, got, want)
		}
	}
	var b strings.Builder
	if err := AgentAvatar(11, "Maya Lopez", "avatar-sm").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	a := doc.Find(".avatar")
	if got := strings.TrimSpace(a.Text()); got != "ML" {
		t.Errorf("agent avatar says %q", got)
	}
	if !a.HasClass("tone-3") || !a.HasClass("avatar-sm") || a.AttrOr("aria-hidden", "") != "true" {
		t.Errorf("agent avatar: %s", b.String())
	}
	// The same teammate has the same colour everywhere; teammates next to
	// each other by id differ.
	if AgentTone(11) != AgentTone(11) || AgentTone(11) == AgentTone(12) {
		t.Error("agent tones")
	}
	// A contact known only by number shows a person, on the number's colour.
	b.Reset()
	if err := ContactAvatar("+14155550101", "+14155550101", "").Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if strings.TrimSpace(doc.Find(".avatar").Text()) != "" || doc.Find(".avatar use").Length() != 1 ||
		!doc.Find(".avatar").HasClass("tone-"+strconv.Itoa(ContactTone("+14155550101"))) {
		t.Errorf("number-only contact avatar: %s", b.String())
	}
	seen := map[int]bool{}
	for i := range 40 {
		seen[ContactTone("+1415555"+strconv.Itoa(1000+i))] = true
	}
	if len(seen) < AvatarTones-1 {
		t.Errorf("40 numbers use only %d of %d colours", len(seen), AvatarTones)
	}
}
