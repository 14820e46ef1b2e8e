package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// changeConversations applies u to the conversations, then tells the live
// pages and, when a status changed, the snooze timer. It returns each
// conversation's state before, for an undo.
func (s *Server) changeConversations(c echo.Context, ids []int64, u inbox.ConversationUpdate) ([]inbox.StateChange, error) {
	before, ch, err := s.store.UpdateConversations(c.Request().Context(), ids, u, s.now())
	if err != nil {
		return nil, err
	}
	s.log.Info("conversations changed", "conversation_ids", ids, "by", u.By)
	s.publish(ch)
	if u.Assign && u.By != 0 {
		// Each one handed to a teammate tells them, as the thread's
		// picker does (notifyReassigned).
		for _, c := range before {
			if to := c.After.AssigneeID; to != nil && *to != u.By && !inbox.SameAssignee(c.Before.AssigneeID, to) {
				s.notifier.tell(notice{kind: inbox.NotifyAssigned, userID: *to, convID: c.After.ID, byID: u.By})
				s.relay(relayAssigned, *to, c.After.ID, u.By)
			}
		}
	}
	if u.Status != nil {
		s.wakeSnoozes()
	}
	return before, nil
}

func (s *Server) wakeSnoozes() {
	if s.snoozes != nil {
		s.snoozes.Wake()
	}
}

// Publish tells the live pages (and the Publisher) of a change committed
// outside the server, such as a snooze that ended.
func (s *Server) Publish(ch inbox.Change) { s.publish(ch) }

// PATCH /api/v1/conversations/{id} with any of {status, snoozedUntil,
// assigneeId, labels}.
func (s *Server) handleAPIPatchConversation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body) // at most 64 KiB: limitAPIBody
	if err != nil {
		return newError(http.StatusBadRequest, "invalid_body", "The body must be a JSON object of at most 64 KiB.")
	}
	u, err := parsePatch(body)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.changeConversations(c, []int64{id}, u); err != nil {
		return err
	}
	conv, err := s.store.Conversation(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toConversationJSON(conv))
}

// parsePatch reads a PATCH body: each field present is a change; null
// assigneeId unassigns.
func parsePatch(body []byte) (inbox.ConversationUpdate, error) {
	var u inbox.ConversationUpdate
	fields, err := jsonObject(body, `The body must be a JSON object with any of status, snoozedUntil, assigneeId and labels.`,
		"status", "snoozedUntil", "assigneeId", "labels")
	if err != nil {
		return u, err
	}
	if raw, ok := fields["status"]; ok {
		var st string
		if json.Unmarshal(raw, &st) != nil {
			return u, newError(http.StatusBadRequest, "invalid_status", "status must be open, resolved or snoozed.")
		}
		status := inbox.ConversationStatus(st)
		u.Status = &status
	}
	if raw, ok := fields["snoozedUntil"]; ok && string(raw) != "null" {
		var v string
		t, err := time.Time{}, json.Unmarshal(raw, &v)
		if err == nil {
			t, err = time.Parse(time.RFC3339, v)
		}
		if err != nil {
			return u, newError(http.StatusBadRequest, "invalid_snooze", "snoozedUntil must be an RFC 3339 time, such as 2026-03-02T09:00:00Z.")
		}
		u.SnoozedUntil = t
	}
	if raw, ok := fields["assigneeId"]; ok {
		u.Assign = true
		if string(raw) != "null" {
			var a int64
			if json.Unmarshal(raw, &a) != nil || a <= 0 {
				return u, newError(http.StatusBadRequest, "invalid_assignee", "assigneeId must be a user's id, or null to unassign.")
			}
			u.AssigneeID = &a
		}
	}
	if raw, ok := fields["labels"]; ok {
		var ls []string
		if json.Unmarshal(raw, &ls) != nil || ls == nil {
			return u, newError(http.StatusBadRequest, "invalid_labels", `labels must be a list of label names, such as ["refund"].`)
		}
		u.Labels = &ls
	}
	if u.Empty() {
		return u, newError(http.StatusBadRequest, "invalid_body", "Send at least one of status, snoozedUntil, assigneeId and labels.")
	}
	return u, nil
}

// handleLabels changes a conversation's labels from the header's picker:
// toggle names the one label a tick adds (label lists it) or takes off;
// without toggle, label is the whole set.
func (s *Server) handleLabels(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	names := form["label"]
	u := inbox.ConversationUpdate{By: currentUser(c).ID}
	switch toggle := form.Get("toggle"); {
	case toggle != "" && slices.Contains(names, toggle):
		u.AddLabels = []string{toggle}
	case toggle != "":
		u.RemoveLabels = []string{toggle}
	default:
		if names == nil {
			names = []string{}
		}
		u.Labels = &names
	}
	_, err = s.changeConversations(c, []int64{id}, u)
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// snoozeUpdate is the update a snooze choice stands for, in the agent's
// time zone: a preset's key, "custom" with at (a local date and time),
// "customer" (until the customer writes), or "wake" (end the snooze now).
func (s *Server) snoozeUpdate(c echo.Context, choice, at string) (inbox.ConversationUpdate, error) {
	st := inbox.Snoozed
	u := inbox.ConversationUpdate{Status: &st, By: currentUser(c).ID}
	switch choice {
	case "customer":
		return u, nil
	case "wake":
		open := inbox.Open
		u.Status = &open
		return u, nil
	}
	until, err := inbox.SnoozeUntil(choice, at, s.now(), location(c))
	if err != nil {
		return u, err
	}
	u.SnoozedUntil = until
	return u, nil
}

// handleSnooze snoozes a conversation from the header's menu.
func (s *Server) handleSnooze(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	u, err := s.snoozeUpdate(c, c.FormValue("until"), c.FormValue("at"))
	if err != nil {
		return err
	}
	if c.FormValue("until") == "wake" {
		// From a screen that showed it snoozed: if a teammate resolved or
		// woke it meanwhile, that stands.
		conv, err := s.store.Conversation(c.Request().Context(), id)
		if err != nil {
			return err
		}
		if conv.Status != inbox.Snoozed {
			return c.NoContent(http.StatusNoContent)
		}
	}
	if _, err := s.changeConversations(c, []int64{id}, u); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// maxBulk is how many conversations one bulk action may change.
const maxBulk = 200

// undoFor is how long a bulk action may be undone: the page offers it for
// 10 seconds; the rest is slack for a slow network. It is the window in
// which the reports take an undone resolve back.
const undoFor = inbox.ResolveUndoWindow

// undoBook keeps, for a short while, the states conversations were in
// before a bulk action, keyed by a random token given to the agent who
// did it.
type undoBook struct {
	mu sync.Mutex
	m  map[string]undoEntry
}

type undoEntry struct {
	user    int64
	states  []inbox.StateChange
	expires time.Time
}

func (b *undoBook) put(user int64, states []inbox.StateChange, now time.Time) string {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	token := hex.EncodeToString(raw[:])
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]undoEntry{}
	}
	for k, e := range b.m {
		if now.After(e.expires) {
			delete(b.m, k)
		}
	}
	b.m[token] = undoEntry{user: user, states: states, expires: now.Add(undoFor)}
	return token
}

// take returns and forgets the states of token, if user made it and it
// has not expired.
func (b *undoBook) take(token string, user int64, now time.Time) ([]inbox.StateChange, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.m[token]
	if !ok || e.user != user || now.After(e.expires) {
		return nil, false
	}
	delete(b.m, token)
	return e.states, true
}

// bulkResult is what the page hears after a bulk action.
type bulkResult struct {
	Count int `json:"count"` // the conversations changed
	// Left counts those an assignment left as they were, a teammate
	// having changed their assignee since the agent's screen showed it.
	Left    int    `json:"left"`
	Message string `json:"message"`
	Undo    string `json:"undo"` // empty when nothing changed
}

// shownAssignees reads what the bulk bar sends beside the selected ids:
// the assignee each row showed when the agent selected it ("0" or empty:
// nobody), in the same order. Nil when the form has none (a script).
func shownAssignees(ids []int64, shown []string) (map[int64]*int64, error) {
	if shown == nil {
		return nil, nil
	}
	if len(shown) != len(ids) {
		return nil, newError(http.StatusBadRequest, "invalid_parameter", "Select conversations from the list.")
	}
	from := make(map[int64]*int64, len(ids))
	for i, v := range shown {
		if v == "" || v == "0" {
			from[ids[i]] = nil
			continue
		}
		a, err := strconv.ParseInt(v, 10, 64)
		if err != nil || a <= 0 {
			return nil, newError(http.StatusBadRequest, "invalid_parameter", "Select conversations from the list.")
		}
		from[ids[i]] = &a
	}
	return from, nil
}

// leftMeanwhile says which conversations of a bulk assignment were left
// as they were and with whom, one sentence per assignee, in the order the
// agent selected them: "1 conversation was taken by Ben meanwhile and
// left with Ben."
func leftMeanwhile(left []inbox.StateChange, me int64, who people) string {
	var order []int64 // assignees, 0 for nobody
	n := map[int64]int{}
	for _, c := range left {
		var holder int64
		if c.After.AssigneeID != nil {
			holder = *c.After.AssigneeID
		}
		if n[holder] == 0 {
			order = append(order, holder)
		}
		n[holder]++
	}
	var out []string
	for _, holder := range order {
		s := views.Plural(int64(n[holder]), "conversation was", "conversations were") + " "
		switch holder {
		case 0:
			s += "unassigned meanwhile and left unassigned."
		case me:
			s += "assigned to you meanwhile and left with you."
		default:
			name := who.name(&holder)
			s += "taken by " + name + " meanwhile and left with " + name + "."
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// handleBulk applies one action to the selected conversations: resolve,
// open, assign (value: a user id, "me" or 0), label (value: a name) or
// snooze (value: a snooze choice, at for a custom time).
func (s *Server) handleBulk(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	var ids []int64
	for _, v := range form["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return newError(http.StatusBadRequest, "invalid_parameter", "Select conversations from the list.")
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 || len(ids) > maxBulk {
		return newError(http.StatusBadRequest, "invalid_parameter", "Select between 1 and 200 conversations.")
	}
	me := currentUser(c).ID
	u := inbox.ConversationUpdate{By: me}
	value := form.Get("value")
	var done string
	switch form.Get("action") {
	case "resolve", "open":
		st := inbox.ConversationStatus(strings.Replace(form.Get("action"), "resolve", "resolved", 1))
		u.Status = &st
		done = map[inbox.ConversationStatus]string{inbox.Resolved: "resolved", inbox.Open: "reopened"}[st]
	case "assign":
		u.Assign, done = true, "unassigned"
		// Only where the assignee is still what the agent's screen
		// showed: a teammate's take meanwhile stands.
		if u.AssignFrom, err = shownAssignees(ids, form["from"]); err != nil {
			return err
		}
		switch value {
		case "me":
			u.AssigneeID, done = &me, "assigned to you"
		case "0", "":
		default:
			a, err := strconv.ParseInt(value, 10, 64)
			if err != nil || a <= 0 {
				return newError(http.StatusBadRequest, "invalid_assignee", "Choose a teammate to assign to.")
			}
			who, _, err := s.everyone(c)
			if err != nil {
				return err
			}
			name := "a teammate"
			if p, ok := who[a]; ok && p.Name != "" {
				name = p.Name
			}
			u.AssigneeID, done = &a, "assigned to "+name
		}
	case "label":
		u.AddLabels, done = []string{value}, "labelled "+value
	case "unlabel":
		u.RemoveLabels, done = []string{value}, "no longer labelled "+value
	case "snooze":
		if u, err = s.snoozeUpdate(c, value, form.Get("at")); err != nil {
			return err
		}
		done = "snoozed"
	default:
		return newError(http.StatusBadRequest, "invalid_parameter", "Choose what to do with the selected conversations.")
	}
	states, err := s.changeConversations(c, ids, u)
	if err != nil {
		return err
	}
	var changed, left []inbox.StateChange
	for _, st := range states {
		if st.AssignedMeanwhile {
			left = append(left, st)
		} else {
			changed = append(changed, st)
		}
	}
	res := bulkResult{Count: len(changed), Left: len(left)}
	if len(changed) > 0 { // when every one was left, it is said below
		res.Message = views.Plural(int64(len(changed)), "conversation", "conversations") + " " + done + "."
		res.Undo = s.undos.put(me, changed, s.now())
	}
	if len(left) > 0 {
		who, _, err := s.everyone(c)
		if err != nil {
			return err
		}
		var leftIDs []int64
		for _, st := range left {
			leftIDs = append(leftIDs, st.After.ID)
		}
		s.log.Info("bulk assignment left conversations assigned meanwhile", "conversation_ids", leftIDs, "by", me)
		if len(changed) == 0 {
			res.Message = "Nothing changed:"
		}
		res.Message += " " + leftMeanwhile(left, me, who)
	}
	return c.JSON(http.StatusOK, res)
}

// handleBulkUndo puts the conversations of a bulk action back as they
// were.
func (s *Server) handleBulkUndo(c echo.Context) error {
	me := currentUser(c).ID
	states, ok := s.undos.take(c.FormValue("undo"), me, s.now())
	if !ok {
		return newError(http.StatusGone, "undo_expired", "It is too late to undo that.")
	}
	ch, err := s.store.RestoreConversations(c.Request().Context(), states, me, s.now())
	if err != nil {
		return err
	}
	s.log.Info("bulk action undone", "conversation_ids", ch.ConversationIDs, "by", me)
	s.publish(ch)
	s.wakeSnoozes()
	return c.NoContent(http.StatusNoContent)
}

// labelsView is the admin page of labels.
func (s *Server) labelsView(c echo.Context) (views.LabelsView, error) {
	ls, err := s.store.Labels(c.Request().Context())
	if err != nil {
		return views.LabelsView{}, err
	}
	return views.LabelsView{Page: s.page(c, "Labels · Switchboard"), Labels: ls, Colours: inbox.LabelColours}, nil
}

var labelNotices = map[string]string{"added": "Label added.", "saved": "Label saved; open pages show it on their next update.", "deleted": "Label deleted and taken off every conversation.", "gone": "That label was deleted already."}

func (s *Server) handleLabelsPage(c echo.Context) error {
	v, err := s.labelsView(c)
	if err != nil {
		return err
	}
	v.Notice = labelNotices[c.QueryParam("done")]
	return s.render(c, http.StatusOK, views.LabelsPage(v))
}

func (s *Server) handleCreateLabel(c echo.Context) error {
	l := inbox.Label{Name: c.FormValue("name"), Colour: c.FormValue("colour"), CreatedAt: s.now()}
	err := s.store.CreateLabel(c.Request().Context(), &l)
	var ie *inbox.InvalidError
	if errors.As(err, &ie) {
		v, verr := s.labelsView(c)
		if verr != nil {
			return verr
		}
		v.Name, v.Colour, v.Error = c.FormValue("name"), c.FormValue("colour"), ie.Message
		return s.render(c, http.StatusUnprocessableEntity, views.LabelsPage(v))
	}
	if err != nil {
		return err
	}
	s.audit(c, "label.create", strconv.Quote(l.Name)+" ("+l.Colour+")")
	s.hub.TeamChanged() // the list's label pickers follow
	return c.Redirect(http.StatusSeeOther, "/admin/labels?done=added")
}

// handleUpdateLabel renames or recolours a label. Conversations carry
// the label itself, not a copy, so every list row and thread header shows
// the new name and colour when it next renders.
func (s *Server) handleUpdateLabel(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var old inbox.Label
	ls, err := s.store.Labels(ctx)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if l.ID == id {
			old = l
		}
	}
	l := inbox.Label{ID: id, Name: c.FormValue("name"), Colour: c.FormValue("colour")}
	if old.ID != 0 {
		err = s.store.UpdateLabel(ctx, &l)
	}
	if old.ID == 0 || errors.Is(err, inbox.ErrNotFound) {
		// Deleted meanwhile, perhaps by another admin: what was typed
		// goes into the add form, to add it again.
		v, verr := s.labelsView(c)
		if verr != nil {
			return verr
		}
		v.Name, v.Colour = l.Name, l.Colour
		v.Error = deletedMeanwhile("That label")
		return s.render(c, http.StatusConflict, views.LabelsPage(v))
	}
	var ie *inbox.InvalidError
	if errors.As(err, &ie) {
		v, verr := s.labelsView(c)
		if verr != nil {
			return verr
		}
		v.Edit = views.LabelEdit{ID: id, Name: c.FormValue("name"), Colour: c.FormValue("colour"), Error: ie.Message}
		return s.render(c, http.StatusUnprocessableEntity, views.LabelsPage(v))
	}
	if err != nil {
		return err
	}
	s.audit(c, "label.update", strconv.Quote(old.Name)+" ("+old.Colour+") -> "+strconv.Quote(l.Name)+" ("+l.Colour+")")
	s.hub.TeamChanged() // the list's label pickers follow
	return c.Redirect(http.StatusSeeOther, "/admin/labels?done=saved")
}

func (s *Server) handleDeleteLabel(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	l, err := s.store.DeleteLabel(c.Request().Context(), id)
	if errors.Is(err, inbox.ErrNotFound) {
		// A second click, or another admin was first.
		return c.Redirect(http.StatusSeeOther, "/admin/labels?done=gone")
	}
	if err != nil {
		return err
	}
	s.audit(c, "label.delete", strconv.Quote(l.Name))
	s.hub.TeamChanged() // the list's label pickers follow
	return c.Redirect(http.StatusSeeOther, "/admin/labels?done=deleted")
}

// savedViewLinks are the agent's and the team's saved views with their
// counts (open conversations, none for a resolved view); the one matching f is marked active.
func (s *Server) savedViewLinks(c echo.Context, f views.Filter, cache map[countBase]inbox.ViewCounts) ([]views.SavedViewLink, error) {
	ctx := c.Request().Context()
	me := currentUser(c)
	vs, err := s.store.SavedViews(ctx, me.ID)
	if err != nil {
		return nil, err
	}
	var out []views.SavedViewLink
	for _, v := range vs {
		vf := filterFromQuery(v.Filter)
		counts := map[string]int{}
		if err := s.addCounts(ctx, counts, countBase{sender: vf.SenderID, channel: vf.Channel, label: vf.Label}, me.ID, cache); err != nil {
			return nil, err
		}
		n, ok := counts[vf.Query()]
		if !ok {
			n = -1 // resolved: no count
		}
		out = append(out, views.SavedViewLink{ID: v.ID, Name: v.Name, Query: vf.Query(), Shared: v.Shared, Count: n,
			Mine: v.UserID == me.ID || me.Role == inbox.RoleAdmin, Active: vf == f})
	}
	return out, nil
}

// filterFromQuery reads a list filter from a query string, as the inbox
// reads its URL.
func filterFromQuery(q string) views.Filter {
	v, _ := url.ParseQuery(q)
	return cleanFilter(views.Filter{View: v.Get("view"), SenderID: v.Get("sender"), Channel: v.Get("channel"), Label: v.Get("label")})
}

// handleSaveView saves the list's current filter as a named view.
func (s *Server) handleSaveView(c echo.Context) error {
	f := filterFromQuery(c.FormValue("filter"))
	v := inbox.SavedView{UserID: currentUser(c).ID, Name: c.FormValue("name"), Shared: c.FormValue("shared") == "1",
		Filter: f.Query(), CreatedAt: s.now()}
	if err := s.store.CreateSavedView(c.Request().Context(), &v); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, f.With("/inbox"))
}

// handleDeleteView deletes one of the agent's saved views (an admin may
// delete shared ones).
func (s *Server) handleDeleteView(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	if err := s.store.DeleteSavedView(c.Request().Context(), id, u.ID, u.Role == inbox.RoleAdmin); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/inbox")
}

// labelNames are the labels' names, never nil (an empty JSON list).
func labelNames(ls []inbox.Label) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}
