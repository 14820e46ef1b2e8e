package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// threadPage is how many messages a thread shows at first and loads each
// time the agent scrolls up.
const threadPage = 50

// listPage is how many conversations the list loads at a time.
const listPage = 50

// filterFrom reads the inbox filter from the query.
func filterFrom(c echo.Context) views.Filter {
	return cleanFilter(views.Filter{View: c.QueryParam("view"), SenderID: c.QueryParam("sender"),
		Channel: c.QueryParam("channel"), Label: c.QueryParam("label")})
}

// cleanFilter keeps what a filter may say: a known view and channel, a
// label name of a possible length.
func cleanFilter(f views.Filter) views.Filter {
	switch f.View {
	case "open", "mine", "unassigned", "snoozed", "resolved":
	default:
		f.View = "open"
	}
	switch inbox.Channel(f.Channel) {
	case inbox.WhatsApp, inbox.SMS:
	default:
		f.Channel = ""
	}
	if len(f.Label) > 4*inbox.MaxLabelName {
		f.Label = ""
	}
	return f
}

// storeFilter turns the agent's filter into the store's.
func storeFilter(f views.Filter, me int64) inbox.ConversationFilter {
	sf := inbox.ConversationFilter{Status: inbox.Open, SenderID: f.SenderID, Channel: inbox.Channel(f.Channel), ViewerID: me,
		Label: f.Label}
	switch f.View {
	case "mine":
		sf.AssigneeID = &me
	case "unassigned":
		none := int64(0)
		sf.AssigneeID = &none
	case "resolved":
		sf.Status = inbox.Resolved
	case "snoozed":
		sf.Status = inbox.Snoozed
	}
	return sf
}

// everyone returns all users by id, to name assignees and authors.
func (s *Server) everyone(c echo.Context) (people, []views.AgentOption, error) {
	us, err := s.store.Users(c.Request().Context())
	if err != nil {
		return nil, nil, err
	}
	who := make(people, len(us))
	var agents []views.AgentOption
	for _, u := range us {
		who[u.ID] = u
		if u.Active {
			agents = append(agents, views.AgentOption{ID: u.ID, Name: u.Name})
		}
	}
	return who, agents, nil
}

// listView loads one page of the list.
func (s *Server) listView(c echo.Context, f views.Filter, cursor string, limit int, selected int64, who people) (views.ListView, error) {
	ctx := c.Request().Context()
	me := currentUser(c).ID
	mark := s.hub.Mark() // before reading: later changes reach the page live
	sf := storeFilter(f, me)
	sf.Cursor, sf.Limit = cursor, limit
	convs, next, err := s.store.Conversations(ctx, sf)
	if err != nil {
		return views.ListView{}, err
	}
	senders, err := s.store.Senders(ctx)
	if err != nil {
		return views.ListView{}, err
	}
	now, loc := s.now(), location(c)
	lv := views.ListView{Filter: f, NextCursor: next, WebhookURL: s.webhookURL(), Live: mark,
		Filtered: f.View != "open" || f.SenderID != "" || f.Channel != "" || f.Label != ""}
	if !lv.Filtered && len(convs) == 0 && cursor == "" {
		// An empty open list may still hold resolved conversations.
		if rs, _, err := s.store.Conversations(ctx, inbox.ConversationFilter{Limit: 1}); err == nil && len(rs) > 0 {
			lv.Filtered = true
		}
	}
	for _, cv := range convs {
		lv.Rows = append(lv.Rows, rowView(cv, selected, len(senders) > 1, who, now, loc))
		lv.Unread += cv.UnreadCount
	}
	return lv, nil
}

func (s *Server) webhookURL() string {
	if s.cfg.BaseURL == nil {
		return "/webhooks/zavu"
	}
	return s.cfg.BaseURL.JoinPath("webhooks", "zavu").String()
}

// handleInbox is the agents' screen, with a conversation open when the
// query names one.
func (s *Server) handleInbox(c echo.Context) error {
	var open int64
	if id, err := strconv.ParseInt(c.QueryParam("c"), 10, 64); err == nil {
		open = id
	}
	return s.inboxPage(c, filterFrom(c), open)
}

func (s *Server) inboxPage(c echo.Context, f views.Filter, open int64) error {
	return s.inboxPageWith(c, f, open, nil)
}

// inboxPageWith is the whole screen, with a conversation open, or the
// new-conversation form in its place.
func (s *Server) inboxPageWith(c echo.Context, f views.Filter, open int64, newConv *views.NewConversationView) error {
	ctx := c.Request().Context()
	mark := s.hub.Mark() // before reading: later changes reach the page live
	who, agents, err := s.everyone(c)
	if err != nil {
		return err
	}
	lv, err := s.listView(c, f, "", listPage, open, who)
	if err != nil {
		return err
	}
	senders, err := s.store.Senders(ctx)
	if err != nil {
		return err
	}
	v := views.InboxView{Page: s.page(c, viewTitle(f)+" · Switchboard"), Filter: f, List: lv, NewConv: newConv,
		Agents: agents, Live: mark}
	if v.Labels, err = s.store.Labels(ctx); err != nil {
		return err
	}
	counted := map[countBase]inbox.ViewCounts{}
	if v.Counts, err = s.navCounts(ctx, f, currentUser(c).ID, counted); err != nil {
		return err
	}
	if v.SavedViews, err = s.savedViewLinks(c, f, counted); err != nil {
		return err
	}
	v.Senders = senderNames(senders)
	status := http.StatusOK
	if open != 0 {
		// A conversation that no longer exists (a bookmark, an old link,
		// a reload) is the inbox saying so, not an error page.
		switch tv, err := s.threadView(c, open, who); {
		case errors.Is(err, inbox.ErrNotFound):
			v.ThreadGone, status = true, http.StatusNotFound
		case err != nil:
			return err
		default:
			v.Thread = &tv
		}
	}
	if v.Mentions, err = s.store.UnseenMentions(ctx, currentUser(c).ID); err != nil {
		return err
	}
	v.Notice = s.sessions.PopString(ctx, sessNotice)
	return s.render(c, status, views.InboxPage(v))
}

func viewTitle(f views.Filter) string {
	for _, v := range views.Views {
		if v.Key == f.View {
			return v.Label
		}
	}
	return "Inbox"
}

// handleList is the list fragment: a refresh of the first rows (limit up to
// 200, to keep what the agent has scrolled to), or the page after cursor.
func (s *Server) handleList(c echo.Context) error {
	f := filterFrom(c)
	limit := listPage
	if n, err := strconv.Atoi(c.QueryParam("limit")); err == nil && n > 0 {
		limit = min(n, 200)
	}
	var selected int64
	if id, err := strconv.ParseInt(c.QueryParam("c"), 10, 64); err == nil {
		selected = id
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	cursor := c.QueryParam("cursor")
	lv, err := s.listView(c, f, cursor, limit, selected, who)
	if err != nil {
		return err
	}
	if cursor != "" {
		return s.render(c, http.StatusOK, views.ConversationRows(lv))
	}
	return s.render(c, http.StatusOK, views.ConversationList(lv))
}

// threadView loads a conversation's latest page. It changes nothing: the
// page marks the conversation read (POST .../read) once the agent sees it.
func (s *Server) threadView(c echo.Context, id int64, who people) (views.ThreadView, error) {
	ctx := c.Request().Context()
	me := currentUser(c).ID
	mark := s.hub.Mark() // before reading: later changes reach the page live
	conv, err := s.store.ConversationFor(ctx, id, me)
	if err != nil {
		return views.ThreadView{}, err
	}
	ms, older, err := s.store.Messages(ctx, id, inbox.MessageFilter{Limit: threadPage})
	if err != nil {
		return views.ThreadView{}, err
	}
	composer, err := s.composerView(ctx, conv)
	if err != nil {
		return views.ThreadView{}, err
	}
	s.seeMentions(ctx, me, id)
	loc := location(c)
	labels, err := s.store.Labels(ctx)
	if err != nil {
		return views.ThreadView{}, err
	}
	cv, err := s.threadConv(ctx, conv, who, s.now(), labels)
	if err != nil {
		return views.ThreadView{}, err
	}
	return views.ThreadView{
		Conv:        cv,
		Items:       threadItems(ms, "", who, loc),
		OlderCursor: older,
		Composer:    composer,
		Live:        mark,
	}, nil
}

// handleConversation opens a conversation: the thread fragment for htmx,
// the whole screen otherwise.
func (s *Server) handleConversation(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return s.inboxPage(c, filterFrom(c), id)
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	tv, err := s.threadView(c, id, who)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.Thread(tv, filterFrom(c)))
}

// handleOlderMessages is the page of a thread before a cursor.
func (s *Server) handleOlderMessages(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ms, older, err := s.store.Messages(ctx, id, inbox.MessageFilter{Limit: threadPage, Before: c.QueryParam("before")})
	if err != nil {
		return err
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	// The page after this one starts the day the first message here ends:
	// its separator is already on screen, so it goes above this page's
	// first message of a new day only.
	return s.render(c, http.StatusOK, views.MessagePage(id, threadItems(ms, "", who, location(c)), older))
}

// handleMarkRead records that the agent has seen the conversation: the
// page posts here when it shows a thread, and when a customer's message
// arrives in the thread on screen. When there was something unread, the
// customer may be told too (the "mark read on open" setting).
func (s *Server) handleMarkRead(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	me := currentUser(c).ID
	conv, err := s.store.ConversationFor(ctx, id, me)
	if err != nil {
		return err
	}
	if conv.UnreadCount == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	if err := s.store.MarkRead(ctx, id, me, s.now()); err != nil {
		return err
	}
	s.markReadForCustomer(ctx, conv)
	s.sendReadMark(me, id, conv.InboundCount)
	return c.NoContent(http.StatusNoContent)
}

// handleAssign assigns a conversation: to an agent by id, to the agent
// asking ("me"), or to nobody.
func (s *Server) handleAssign(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var assignee *int64
	if v := c.FormValue("assignee"); v == "me" {
		me := currentUser(c).ID
		assignee = &me
	} else if v != "" {
		a, err := strconv.ParseInt(v, 10, 64)
		if err != nil || a <= 0 {
			return newError(http.StatusBadRequest, "invalid_parameter", "Choose a teammate to assign to.")
		}
		assignee = &a
	}
	ctx := c.Request().Context()
	before, err := s.store.Conversation(ctx, id)
	if err != nil {
		return err
	}
	me := currentUser(c).ID
	var conv inbox.Conversation
	if form, _ := c.FormParams(); form.Has("from") {
		// The assignee the agent's screen showed: if a teammate changed it
		// meanwhile, the agent is told rather than overriding them.
		var from *int64
		if v := form.Get("from"); v != "" {
			f, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return newError(http.StatusBadRequest, "invalid_parameter", "Choose a teammate to assign to.")
			}
			from = &f
		}
		conv, err = s.store.AssignFrom(ctx, id, from, assignee, s.now())
	} else {
		conv, err = s.store.Assign(ctx, id, assignee, s.now())
	}
	var meanwhile *inbox.AssignedMeanwhile
	if errors.As(err, &meanwhile) {
		return s.assignedMeanwhile(c, meanwhile.AssigneeID, me)
	}
	if err != nil {
		return err
	}
	s.assigned(ctx, before, conv, me)
	return c.NoContent(http.StatusNoContent)
}

// assigned tells what follows from agent me's assignment of a
// conversation, before as it was and conv as it is now: the log line, the
// pages, the thread's activity and the teammates it concerns.
func (s *Server) assigned(ctx context.Context, before, conv inbox.Conversation, me int64) {
	s.log.Info("conversation assigned", "conversation_id", conv.ID, "assignee_id", conv.AssigneeID, "by", me)
	s.publish(inbox.Change{ConversationIDs: []int64{conv.ID}})
	if !inbox.SameAssignee(before.AssigneeID, conv.AssigneeID) {
		a := inbox.ThreadActivity{ConversationID: conv.ID, Kind: inbox.ActivityAssigned, ActorID: &me, TargetID: conv.AssigneeID}
		if conv.AssigneeID == nil {
			a.Kind = inbox.ActivityUnassigned
		}
		s.recordActivity(ctx, a)
	}
	s.notifyReassigned(before, conv, me)
}

// assignedMeanwhile tells an agent that the assignment they made from
// their screen did not go through, as the conversation's assignee had
// changed since: who has it now.
func (s *Server) assignedMeanwhile(c echo.Context, holder *int64, me int64) error {
	const conflict = http.StatusConflict
	if holder == nil {
		return newError(conflict, "assigned_meanwhile",
			"This conversation was unassigned a moment ago, so your change did not go through. Look again and choose.")
	}
	if *holder == me {
		return newError(conflict, "assigned_meanwhile",
			"You have this conversation now: it was assigned to you a moment ago, so your change did not go through.")
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	name := "A teammate"
	if u, ok := who[*holder]; ok && u.Name != "" {
		name = u.Name
	}
	return newError(conflict, "assigned_meanwhile",
		name+" has this conversation now: it was assigned a moment ago, so your change did not go through.")
}

// handleStatus resolves or reopens a conversation, as a bulk action of
// one: a resolve answers with the token of its undo (header
// Switchboard-Undo, for POST /conversations/bulk/undo), which puts back
// exactly what it changed (a snooze too).
func (s *Server) handleStatus(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	st := inbox.ConversationStatus(c.FormValue("status"))
	if st != inbox.Open && st != inbox.Resolved {
		return newError(http.StatusBadRequest, "invalid_parameter", "The status must be open or resolved.")
	}
	me := currentUser(c).ID
	states, err := s.changeConversations(c, []int64{id}, inbox.ConversationUpdate{Status: &st, By: me})
	if err != nil {
		return err
	}
	s.log.Info("conversation status changed", "conversation_id", id, "status", st, "by", me)
	if st == inbox.Resolved {
		c.Response().Header().Set(undoHeader, s.undos.put(me, states, s.now()))
	}
	return c.NoContent(http.StatusNoContent)
}

// undoHeader carries the token that undoes a resolve of one conversation.
const undoHeader = "Switchboard-Undo"

// handleRoot sends agents to their inbox.
func (s *Server) handleRoot(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/inbox")
}

// publish tells the live screens about a change, after its commit.
func (s *Server) publish(ch inbox.Change) {
	if ch.Empty() {
		return
	}
	s.hub.Publish(ch)
	s.notifier.changed(ch)
	if s.publisher != nil {
		s.publisher.Publish(ch)
	}
}
