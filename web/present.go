package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// render writes a templ component as an HTML response.
func (s *Server) render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// page is the frame every page shares.
func (s *Server) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, CSRF: s.csrfToken(c), Sandbox: s.cfg.Sandbox, TZ: zoneName(c)}
	if u := currentUser(c); u.ID != 0 {
		p.User = &views.UserView{ID: u.ID, Name: u.Name, Initials: views.Initials(u.Name), Admin: u.Role == inbox.RoleAdmin}
	}
	return p
}

// location is the agent's time zone, which the page reports in the tz
// cookie; UTC when it is missing or unknown.
func location(c echo.Context) *time.Location {
	if loc := cookieZone(c); loc != nil {
		return loc
	}
	return time.UTC
}

// zoneName is the zone the tz cookie names, or "" (the page then shows
// times in the browser's own zone).
func zoneName(c echo.Context) string {
	if loc := cookieZone(c); loc != nil {
		return loc.String()
	}
	return ""
}

func cookieZone(c echo.Context) *time.Location {
	ck, err := c.Cookie("tz")
	if err != nil || ck.Value == "" || len(ck.Value) > 64 {
		return nil
	}
	name, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}

// relativeTime is the short age of a list row: "now", "5m", "3h", "Mon",
// "12 Mar", "12 Mar 2024".
func relativeTime(t, now time.Time, loc *time.Location) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 6*24*time.Hour:
		return t.In(loc).Format("Mon")
	case t.In(loc).Year() == now.In(loc).Year():
		return t.In(loc).Format("2 Jan")
	}
	return t.In(loc).Format("2 Jan 2006")
}

// windowView says where the WhatsApp 24-hour window stands.
// windowSoon is how long before a WhatsApp window closes the list warns.
const windowSoon = 2 * time.Hour

func windowView(c inbox.Conversation, now time.Time) views.WindowView {
	if c.Channel != inbox.WhatsApp {
		return views.WindowView{}
	}
	closes := c.WindowClosesAt()
	switch {
	case closes.IsZero():
		return views.WindowView{Applies: true, Label: "Opens when the customer writes"}
	case now.Before(closes):
		left := closes.Sub(now)
		return views.WindowView{Applies: true, Open: true, Soon: left <= windowSoon,
			Label: "Closes in " + spanWords(left)}
	}
	return views.WindowView{Applies: true, Label: "Closed " + spanWords(now.Sub(closes)) + " ago; only templates can be sent"}
}

// spanWords is hoursMinutes, or "less than a minute" for a span under
// one, which "0 m" or "1 m" would not say truly.
func spanWords(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	return hoursMinutes(d)
}

// hoursMinutes is "3 h 12 m", "45 m", or "2 d 4 h" for long spans. It
// rounds down: a window that closes in 1 m 30 s says "1 m", never
// promising more time than is left.
func hoursMinutes(d time.Duration) string {
	d = d.Truncate(time.Minute)
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d d %d h", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if h == 0 {
		return fmt.Sprintf("%d m", m)
	}
	return fmt.Sprintf("%d h %d m", h, m)
}

// people resolves user ids to names for one render.
type people map[int64]inbox.User

func (p people) name(id *int64) string {
	if id == nil {
		return ""
	}
	if u, ok := p[*id]; ok {
		return u.Name
	}
	return "A former teammate"
}

func rowView(c inbox.Conversation, selected int64, showSender bool, who people, now time.Time, loc *time.Location) views.RowView {
	r := views.RowView{
		ID: c.ID, Name: c.Contact.DisplayName(), Phone: c.Contact.Phone, Channel: c.Channel,
		SenderID: c.SenderID, ShowSender: showSender, Preview: c.LastMessagePreview,
		At: c.LastMessageAt, AtLabel: relativeTime(c.LastMessageAt, now, loc), Unread: c.UnreadCount,
		Inbound: c.InboundCount, Read: max(0, c.InboundCount-c.UnreadCount),
		Resolved: c.Status == inbox.Resolved, Selected: c.ID == selected,
		Labels: c.Labels, Snoozed: c.Status == inbox.Snoozed, SnoozedUntil: c.SnoozedUntil,
	}
	if r.Preview == "" {
		r.Preview = "No messages yet"
	}
	r.From, r.FromID = previewFrom(c, who)
	if c.AssigneeID != nil {
		r.AssigneeID = *c.AssigneeID
		r.AssigneeName = who.name(c.AssigneeID)
		r.Assignee = views.Initials(r.AssigneeName)
	}
	if w := windowView(c, now); w.Soon {
		r.WindowSoon, r.WindowLabel = true, "WhatsApp window: "+strings.ToLower(w.Label[:1])+w.Label[1:]
	}
	return r
}

// previewFrom is whose the conversation's last message is, as the list's
// preview says it: nothing for the customer's, or for one whose writer no
// one knows (sent outside Switchboard); a teammate's first name and id for
// an agent's, or what sent it otherwise.
func previewFrom(c inbox.Conversation, who people) (string, int64) {
	switch c.LastSource {
	case "", inbox.SourceCustomer:
		return "", 0
	case inbox.SourceAutoReply:
		return "Auto-reply", 0
	case inbox.SourcePhoneApp:
		return "Phone", 0
	case inbox.SourceAgent:
		if c.LastAuthorID == 0 {
			return "Team", 0
		}
		id := c.LastAuthorID
		name, _, _ := strings.Cut(strings.TrimSpace(who.name(&id)), " ")
		if name == "" {
			name = "Team"
		}
		return name, id
	}
	return "API", 0
}

func convView(c inbox.Conversation, who people, now time.Time) views.ConvView {
	v := views.ConvView{
		ID: c.ID, Name: c.Contact.DisplayName(), Phone: c.Contact.Phone, Channel: c.Channel,
		SenderID: c.SenderID, Resolved: c.Status == inbox.Resolved, Window: windowView(c, now),
		StartedAt: c.CreatedAt,
		Labels:    c.Labels, Snoozed: c.Status == inbox.Snoozed, SnoozedUntil: c.SnoozedUntil,
	}
	if c.AssigneeID != nil {
		v.AssigneeID, v.AssigneeName = *c.AssigneeID, who.name(c.AssigneeID)
	}
	return v
}

// threadItems turns messages (oldest first) into bubbles with a day
// separator before the first message of each day. prevDay is the day of
// the message just before this page, if any.
func threadItems(ms []inbox.Message, prevDay string, who people, loc *time.Location) []views.ThreadItem {
	items := make([]views.ThreadItem, 0, len(ms)+4)
	for i := range ms {
		mv := messageView(ms[i], who, loc)
		if mv.Day != prevDay {
			items = append(items, views.ThreadItem{Day: mv.Day})
			prevDay = mv.Day
		}
		items = append(items, views.ThreadItem{Message: &mv})
	}
	return items
}

func messageView(m inbox.Message, who people, loc *time.Location) views.MessageView {
	t := m.CreatedAt.In(loc)
	v := views.MessageView{M: m, Time: t.Format("15:04"), Day: t.Format("2006-01-02"), TextParts: linkify(m.Text)}
	switch m.Source {
	case inbox.SourcePhoneApp:
		v.Author = "Sent from phone"
	case inbox.SourceAutoReply:
		v.Author = "Auto-reply"
		if m.AutoReplyRule != "" {
			v.Author += ": " + m.AutoReplyRule
		}
	case inbox.SourceAgent:
		v.Author = who.name(m.AuthorID)
	case inbox.SourceAPI:
		// A message of another system's is known only from its reports
		// (TypeUnknown, a placeholder of its own); one with content was
		// queued through Switchboard's API, as the list's preview says.
		if m.Direction == inbox.Outbound && m.Type != inbox.TypeUnknown {
			v.Author = "Sent through the API"
		}
	}
	if m.Status == inbox.StatusFailed {
		v.Failure = inbox.ExplainFailure(m.ErrorCode, m.ErrorMessage)
		v.FailureCode = inbox.FailureDetail(m.ErrorCode, m.ErrorMessage)
		v.CanRetry = m.Direction == inbox.Outbound && m.Type != inbox.TypeUnknown &&
			(m.Source == inbox.SourceAgent || m.Source == inbox.SourceAutoReply || m.Source == inbox.SourceAPI)
		v.NeedsWindow = v.CanRetry && m.Channel == inbox.WhatsApp && m.Type != inbox.TypeTemplate
	}
	if w := m.Waiting; w != nil {
		v.WaitUntil = w.NextAttemptAt.In(loc).Format("15:04")
	}
	if m.Direction == inbox.Internal {
		return internalView(v, m, who)
	}
	v.Rating = inbox.CSATRating(m)
	v.StatusTitle, v.Times = statusTitle(m, loc)
	for _, r := range m.Reactions {
		// Who reacted, not which message: a customer reacts to their own
		// messages as well as to the team's.
		who := "the customer"
		if r.From == inbox.BusinessReactor {
			who = "your team"
		}
		v.Reactions = append(v.Reactions, views.ReactionView{Emoji: r.Emoji, Who: who})
	}
	if c := m.Content; c != nil {
		if c.Latitude != nil && c.Longitude != nil {
			v.MapURL = "https://www.openstreetmap.org/?mlat=" + strconv.FormatFloat(*c.Latitude, 'f', -1, 64) +
				"&mlon=" + strconv.FormatFloat(*c.Longitude, 'f', -1, 64) + "#map=16/" +
				strconv.FormatFloat(*c.Latitude, 'f', -1, 64) + "/" + strconv.FormatFloat(*c.Longitude, 'f', -1, 64)
		}
		for _, card := range c.Contacts {
			cv := views.ContactCardView{Name: card.Name}
			for _, p := range card.Phones {
				cv.Phones = append(cv.Phones, views.ContactLine{Value: p.Phone, Kind: contactKind(p.Type)})
			}
			for _, e := range card.Emails {
				cv.Emails = append(cv.Emails, views.ContactLine{Value: e.Email, Kind: contactKind(e.Type)})
			}
			v.ContactsText = append(v.ContactsText, cv)
		}
	}
	v.MediaLabel = mediaLabel(m)
	v.CanReact = m.Direction == inbox.Inbound && m.ZavuID != "" && m.Channel == inbox.WhatsApp
	switch {
	case zavuMedia(m):
		v.MediaSrc = "/media/" + strconv.FormatInt(m.ID, 10)
	case m.Type.IsMedia() && m.Direction == inbox.Outbound && m.Content != nil:
		v.MediaSrc = outboundMediaSrc(m)
	}
	return v
}

// contactKind is a contact card's label for a number or an address as
// agents read it: WhatsApp sends "MOBILE", "WORK", "HOME".
func contactKind(t string) string {
	return strings.ToLower(strings.TrimSpace(t))
}

var (
	linkExpiry    = regexp.MustCompile(`^[0-9]{1,19}$`)
	linkSignature = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// outboundMediaSrc is where a page loads an outbound message's media from.
// A mediaUrl is data (an API client's, or the phone app's): only two
// shapes pass. One of our own signed attachment links becomes the
// message's /media path, which serves the file to signed-in agents only
// (the link itself, for Zavu, serves it to whoever holds it, and expires);
// an https URL elsewhere is linked from a document (pictures, sound and
// video load from this site only). Anything else (javascript:, data:,
// //host, http:) shows no link.
func outboundMediaSrc(m inbox.Message) string {
	if _, _, _, ok := ownFileLink(m.Content.MediaURL); ok {
		return "/media/" + strconv.FormatInt(m.ID, 10)
	}
	u, err := url.Parse(m.Content.MediaURL)
	if err != nil || u.Opaque != "" || u.User != nil {
		return ""
	}
	if m.Type == inbox.TypeDocument && u.Scheme == "https" && u.Host != "" {
		return u.String()
	}
	return ""
}

// ownFileLink reads raw as one of our own attachment links (fileStore.link),
// on this site or under any base URL, into the file's name and the link's
// expiry and signature, which it does not check.
func ownFileLink(raw string) (name, exp, sig string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", "", "", false
	}
	name, ok = strings.CutPrefix(u.Path, "/files/")
	if !ok || !fileName.MatchString(name) ||
		!(u.Scheme == "" && u.Host == "" || (u.Scheme == "http" || u.Scheme == "https") && u.Host != "") {
		return "", "", "", false
	}
	q := u.Query()
	exp, sig = q.Get("exp"), q.Get("sig")
	if !linkExpiry.MatchString(exp) || !linkSignature.MatchString(sig) {
		return "", "", "", false
	}
	return name, exp, sig, true
}

// mediaLabel names a media message's kind in plain words.
func mediaLabel(m inbox.Message) string {
	mime := ""
	if m.Content != nil {
		mime = m.Content.MimeType
	}
	switch m.Type {
	case inbox.TypeImage:
		return "Photo"
	case inbox.TypeSticker:
		return "Sticker"
	case inbox.TypeVideo:
		return "Video"
	case inbox.TypeAudio:
		if strings.Contains(mime, "ogg") || strings.Contains(mime, "opus") {
			return "Voice message"
		}
		return "Audio"
	case inbox.TypeDocument:
		switch {
		case strings.Contains(mime, "pdf"):
			return "PDF document"
		case strings.Contains(mime, "spreadsheet") || strings.Contains(mime, "excel") || strings.Contains(mime, "csv"):
			return "Spreadsheet"
		case strings.Contains(mime, "word"):
			return "Word document"
		case mime != "":
			return mime
		}
		return "Document"
	}
	return ""
}

// statusTitle lists when each status came, for the hover on the time: in
// loc, and as UTC times that app.js shows in the agent's zone.
func statusTitle(m inbox.Message, loc *time.Location) (title, times string) {
	var local, utc []string
	add := func(name string, t time.Time) {
		local = append(local, name+" "+t.In(loc).Format("2 Jan 15:04:05"))
		utc = append(utc, name+" "+t.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if m.Direction == inbox.Inbound {
		add("Received", m.CreatedAt)
	} else {
		add("Written", m.CreatedAt)
	}
	st := m.StatusTimes
	for _, p := range []struct {
		name string
		at   time.Time
	}{{"Queued", st.Queued}, {"Sent", st.Sent}, {"Delivered", st.Delivered}, {"Read", st.Read}, {"Failed", st.Failed}} {
		if !p.at.IsZero() {
			add(p.name, p.at)
		}
	}
	return strings.Join(local, "\n"), strings.Join(utc, "\n")
}

var linkPattern = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"']+|\bwww\.[^\s<>"']+`)

// linkify splits text into plain runs and links. Only http and https
// links are made clickable; the view escapes everything.
func linkify(text string) []views.TextPart {
	if text == "" {
		return nil
	}
	var parts []views.TextPart
	last := 0
	for _, loc := range linkPattern.FindAllStringIndex(text, -1) {
		start, end := loc[0], loc[1]
		// Leave closing punctuation out of the link.
		for end > start && strings.ContainsRune(".,;:!?)]}", rune(text[end-1])) {
			end--
		}
		raw := text[start:end]
		href := raw
		if !strings.HasPrefix(strings.ToLower(raw), "http") {
			href = "https://" + raw
		}
		u, err := url.Parse(href)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		if start > last {
			parts = append(parts, views.TextPart{Text: text[last:start]})
		}
		parts = append(parts, views.TextPart{Text: raw, URL: u.String()})
		last = end
	}
	if last < len(text) {
		parts = append(parts, views.TextPart{Text: text[last:]})
	}
	return parts
}

// isHTMX reports whether htmx sent the request (it wants a fragment).
func isHTMX(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true" && c.Request().Header.Get("HX-History-Restore-Request") == ""
}

// wantsHTML reports whether the client is a browser asking for a page.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// senderNames are the senders' short names for a page's #sender-names.
func senderNames(senders []inbox.Sender) []views.SenderOption {
	out := make([]views.SenderOption, 0, len(senders))
	for _, sd := range senders {
		out = append(out, views.SenderOption{ID: sd.ID, Label: senderShortName(sd)})
	}
	return out
}

// senderShortName is how agents know a sender: its name from Admin > Senders,
// else its number, else its id.
func senderShortName(s inbox.Sender) string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Phone != "":
		return s.Phone
	}
	return s.ID
}
