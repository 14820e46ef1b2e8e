package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// contactsPage is how many contacts the contacts page lists at once.
const contactsPage = 50

// contactPanel is what the thread's details show of a contact, the same
// for every agent; current is the conversation on screen.
func contactPanel(d inbox.ContactDetails, current int64, who people) *views.ContactPanelView {
	p := &views.ContactPanelView{
		ID: d.ID, Name: d.Name, Phone: d.Phone, NameByAgent: d.NameByAgent, Notes: d.Notes, NotesAt: d.NotesAt,
		NameVersion: inbox.TextVersion(d.Name), NotesVersion: inbox.TextVersion(d.Notes),
		OptedOut: d.OptedOut(), FirstAt: d.FirstContactAt, LastAt: d.LastContactAt,
	}
	if d.NotesBy != 0 {
		by := d.NotesBy
		p.NotesBy = who.name(&by)
	}
	for _, c := range d.Conversations {
		p.Convs = append(p.Convs, views.ContactConvView{
			ID: c.ID, Channel: c.Channel.Label(), SenderID: c.SenderID, Preview: c.LastMessagePreview,
			LastAt: c.LastMessageAt, Resolved: c.Status == inbox.Resolved, OptedOut: c.OptedOut, Current: c.ID == current,
		})
	}
	return p
}

// threadConv is a conversation as its thread header and details show it:
// with its contact's panel and the team's labels for the label picker.
func (s *Server) threadConv(ctx context.Context, c inbox.Conversation, who people, now time.Time, labels []inbox.Label) (views.ConvView, error) {
	d, err := s.store.ContactDetails(ctx, c.Contact.ID)
	if err != nil {
		return views.ConvView{}, err
	}
	return threadConvOf(c, d, who, now, labels), nil
}

// threadConvOf is threadConv with the contact read already.
func threadConvOf(c inbox.Conversation, d inbox.ContactDetails, who people, now time.Time, labels []inbox.Label) views.ConvView {
	v := convView(c, who, now)
	v.Contact = contactPanel(d, v.ID, who)
	v.AllLabels = labels
	return v
}

// publishContact brings a contact's change to every page that shows one of
// its conversations: rows, headers and details.
func (s *Server) publishContact(d inbox.ContactDetails) {
	ch := inbox.Change{}
	for _, c := range d.Conversations {
		ch.ConversationIDs = append(ch.ConversationIDs, c.ID)
	}
	s.publish(ch)
}

// contactsList is the search and page of the contacts list a request
// names (q, cursor), as a query string: a contact opened from the list,
// and the page after saving it, go back there. Empty for the whole list.
func contactsList(c echo.Context) string {
	v := url.Values{}
	for _, k := range []string{"q", "cursor"} {
		if s := c.QueryParam(k); s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// GET /contacts?q=&cursor=: the contacts, or those a search finds.
func (s *Server) handleContacts(c echo.Context) error {
	q := c.QueryParam("q")
	v := views.ContactsView{Page: s.page(c, "Contacts · Switchboard"), Query: q, List: contactsList(c)}
	items, next, err := s.store.Contacts(c.Request().Context(),
		inbox.ContactFilter{Query: q, Limit: contactsPage, Cursor: c.QueryParam("cursor")})
	if errors.Is(err, inbox.ErrInvalid) {
		v.Error = "That page of results has changed; search again."
		return s.render(c, http.StatusOK, views.ContactsPage(v))
	}
	if err != nil {
		return err
	}
	for _, it := range items {
		v.Rows = append(v.Rows, views.ContactRowView{ID: it.ID, Name: it.Name, Phone: it.Phone,
			Conversations: it.Conversations, LastAt: it.LastContactAt, Snippet: it.Snippet})
	}
	if next != "" {
		v.More = "/contacts?" + url.Values{"q": {q}, "cursor": {next}}.Encode()
	}
	return s.render(c, http.StatusOK, views.ContactsPage(v))
}

// GET /contacts/:id: one contact.
func (s *Server) handleContact(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.contactPage(c, id, contactPageState{saved: c.QueryParam("saved") == "1"})
}

// contactPageState is what the contact page says beside the contact: that
// it was saved, or why a save was refused (with the status, the agent's
// draft kept in the form, and a teammate's notes it would have replaced).
type contactPageState struct {
	saved  bool
	status int
	msg    string
	draft  *views.ContactDraft
	theirs *views.TheirNotesView
}

// formVersion reads a contact form's NameWas or NotesWas; nil when the
// form did not send it.
func formVersion(c echo.Context, field string) *string {
	if v, ok := c.Request().PostForm[field]; ok && len(v) > 0 {
		return &v[0]
	}
	return nil
}

// notesChangedMeanwhile answers a save refused because a teammate saved
// other notes since the agent's form showed them: 409, their notes shown,
// the agent's text kept, and the form now counting from their notes, so
// that Save again replaces them.
func (s *Server) notesChangedMeanwhile(c echo.Context, id int64, theirs *inbox.NotesChangedMeanwhile, draft *views.ContactDraft) error {
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	by := "A script using the API"
	if theirs.By != 0 {
		b := theirs.By
		by = who.name(&b)
	}
	s.log.Info("contact notes changed meanwhile", "contact_id", id, "by", currentUser(c).ID)
	if isHTMX(c) {
		return c.JSON(http.StatusConflict, notesChangedJSON{
			Error: newError(http.StatusConflict, "notes_changed", by+" changed these notes while you were editing them: "+
				"theirs are shown above the form. Your text is still in the form: save again to replace theirs."),
			NotesWas: inbox.TextVersion(theirs.Notes)})
	}
	tv := &views.TheirNotesView{Notes: theirs.Notes, At: theirs.At}
	if theirs.By != 0 {
		tv.By = by
	}
	return s.contactPage(c, id, contactPageState{status: http.StatusConflict, draft: draft, theirs: tv,
		msg: by + " changed these notes while you were editing them. Theirs are shown below; your text is still in the form: save again to replace theirs."})
}

// notesChangedJSON is the 409 of a refused save from the details' form:
// the version of the notes saved meanwhile, which a second Save sends.
type notesChangedJSON struct {
	Error    *apiError `json:"error"`
	NotesWas string    `json:"notesWas"`
}

func (s *Server) contactPage(c echo.Context, id int64, st contactPageState) error {
	d, err := s.store.ContactDetails(c.Request().Context(), id)
	if err != nil {
		return err
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	senders, err := s.store.Senders(c.Request().Context())
	if err != nil {
		return err
	}
	title := d.DisplayName() + " · Contacts · Switchboard"
	return s.render(c, cmp.Or(st.status, http.StatusOK), views.ContactPage(views.ContactView{Page: s.page(c, title),
		List: contactsList(c), C: *contactPanel(d, 0, who), Senders: senderNames(senders), Saved: st.saved,
		Error: st.msg, Draft: st.draft, Theirs: st.theirs}))
}

// POST /contacts/:id (name, notes): an agent changes a contact's name and
// notes, from the contact page or the thread's details (htmx). Every page
// showing one of its conversations gets the change live.
func (s *Server) handleEditContact(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	name, notes := c.FormValue("name"), c.FormValue("notes")
	e := inbox.ContactEdit{Name: &name, Notes: &notes, NameWas: formVersion(c, "name_was"),
		NotesWas: formVersion(c, "notes_was"), By: currentUser(c).ID, At: s.now()}
	// A refused save keeps what the agent typed in the form; a name left
	// as the form showed it shows as the contact has it then.
	draft := &views.ContactDraft{Name: &name, Notes: &notes}
	if e.Normalize() == nil && e.Name == nil {
		draft.Name = nil
	}
	d, err := s.store.EditContact(c.Request().Context(), id, e)
	if errors.Is(err, inbox.ErrInvalid) {
		msg := "A name has at most 200 characters, and notes at most 10,000."
		if isHTMX(c) {
			return newError(http.StatusBadRequest, "invalid_parameter", msg)
		}
		return s.contactPage(c, id, contactPageState{status: http.StatusBadRequest, msg: msg, draft: draft})
	}
	var theirs *inbox.NotesChangedMeanwhile
	if errors.As(err, &theirs) {
		return s.notesChangedMeanwhile(c, id, theirs, draft)
	}
	if err != nil {
		return err
	}
	s.log.Info("contact edited", "contact_id", id, "by", currentUser(c).ID)
	s.publishContact(d)
	if isHTMX(c) {
		return c.NoContent(http.StatusNoContent)
	}
	saved := "/contacts/" + strconv.FormatInt(id, 10) + "?saved=1"
	if list := contactsList(c); list != "" {
		saved += "&" + list
	}
	return c.Redirect(http.StatusSeeOther, saved)
}

// The JSON API's contacts.

type contactSummaryJSON struct {
	ID                int64     `json:"id"`
	Phone             string    `json:"phone"`
	Name              *string   `json:"name"`
	ConversationCount int       `json:"conversationCount"`
	LastContactAt     *jsonTime `json:"lastContactAt"`
}

type contactDetailsJSON struct {
	ID             int64              `json:"id"`
	Phone          string             `json:"phone"`
	Name           *string            `json:"name"`
	Notes          string             `json:"notes"`
	NotesUpdatedAt *jsonTime          `json:"notesUpdatedAt"`
	NotesUpdatedBy *int64             `json:"notesUpdatedBy"`
	OptedOut       bool               `json:"optedOut"`
	FirstContactAt *jsonTime          `json:"firstContactAt"`
	LastContactAt  *jsonTime          `json:"lastContactAt"`
	Conversations  []conversationJSON `json:"conversations"`
}

func toContactSummaryJSON(c inbox.ContactSummary) contactSummaryJSON {
	return contactSummaryJSON{ID: c.ID, Phone: c.Phone, Name: optString(c.Name), ConversationCount: c.Conversations,
		LastContactAt: optTime(c.LastContactAt)}
}

func toContactDetailsJSON(d inbox.ContactDetails) contactDetailsJSON {
	out := contactDetailsJSON{ID: d.ID, Phone: d.Phone, Name: optString(d.Name), Notes: d.Notes,
		NotesUpdatedAt: optTime(d.NotesAt), OptedOut: d.OptedOut(), FirstContactAt: optTime(d.FirstContactAt),
		LastContactAt: optTime(d.LastContactAt), Conversations: []conversationJSON{}}
	if d.NotesBy != 0 {
		by := d.NotesBy
		out.NotesUpdatedBy = &by
	}
	for _, c := range d.Conversations {
		out.Conversations = append(out.Conversations, toConversationJSON(c))
	}
	return out
}

// GET /api/v1/contacts?q=&limit=&cursor=
func (s *Server) handleAPIContacts(c echo.Context) error {
	limit, err := queryLimit(c)
	if err != nil {
		return err
	}
	items, next, err := s.store.Contacts(c.Request().Context(),
		inbox.ContactFilter{Query: c.QueryParam("q"), Limit: limit, Cursor: c.QueryParam("cursor")})
	if err != nil {
		return invalidCursor(err)
	}
	return c.JSON(http.StatusOK, newPage(items, next, toContactSummaryJSON))
}

// GET /api/v1/contacts/{id}
func (s *Server) handleAPIContact(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := s.store.ContactDetails(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toContactDetailsJSON(d))
}

// PATCH /api/v1/contacts/{id} {name, notes}: either or both; an empty
// name gives the contact back its profile name from its next message.
func (s *Server) handleAPIEditContact(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	const shape = `The body must be JSON: {"name": "...", "notes": "..."}.`
	body, err := io.ReadAll(c.Request().Body) // at most 64 KiB: limitAPIBody
	if err != nil {
		return newError(http.StatusBadRequest, "invalid_body", shape)
	}
	fields, err := jsonObject(body, shape, "name", "notes")
	if err != nil {
		return err
	}
	var in struct {
		Name  *string `json:"name"`
		Notes *string `json:"notes"`
	}
	for k, into := range map[string]**string{"name": &in.Name, "notes": &in.Notes} {
		if raw, ok := fields[k]; ok && json.Unmarshal(raw, into) != nil {
			return newError(http.StatusBadRequest, "invalid_body", shape)
		}
	}
	if in.Name == nil && in.Notes == nil {
		return newError(http.StatusBadRequest, "invalid_body", "Send a name, notes, or both.")
	}
	d, err := s.store.EditContact(c.Request().Context(), id, inbox.ContactEdit{Name: in.Name, Notes: in.Notes, At: s.now()})
	if errors.Is(err, inbox.ErrInvalid) {
		return newError(http.StatusBadRequest, "invalid_parameter", "A name has at most 200 characters, and notes at most 10,000.")
	}
	if err != nil {
		return err
	}
	s.log.Info("contact edited", "contact_id", id, "by", "api")
	s.publishContact(d)
	return c.JSON(http.StatusOK, toContactDetailsJSON(d))
}
