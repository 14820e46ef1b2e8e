package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// e164 is a phone number in international format: +, a country code that
// does not start with 0, and at most 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func (s *Server) newConversationView(c echo.Context) (views.NewConversationView, error) {
	ctx := c.Request().Context()
	var v views.NewConversationView
	senders, err := s.store.Senders(ctx)
	if err != nil {
		return v, err
	}
	v.Senders = senderNames(senders)
	ts, err := s.store.Templates(ctx)
	if err != nil {
		return v, err
	}
	for _, t := range ts {
		if t.Approved() {
			v.Templates = append(v.Templates, views.TemplateOption{ID: t.ID, Name: t.Name, Language: t.Language, Body: t.Body, Vars: t.Variables()})
		}
	}
	return v, nil
}

// handleNewConversationForm shows the form that starts a conversation.
func (s *Server) handleNewConversationForm(c echo.Context) error {
	v, err := s.newConversationView(c)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return s.render(c, http.StatusOK, views.NewConversation(v))
	}
	return s.inboxPageWith(c, filterFrom(c), 0, &v)
}

// handleNewConversation starts a conversation with a phone number: a
// template on WhatsApp (the only way to write first there), text on SMS.
// It answers with the new thread; a mistake comes back in the form.
func (s *Server) handleNewConversation(c echo.Context) error {
	v, err := s.newConversationView(c)
	if err != nil {
		return err
	}
	v.Phone = strings.ReplaceAll(strings.TrimSpace(c.FormValue("phone")), " ", "")
	v.Channel, v.SenderID, v.Text = c.FormValue("channel"), c.FormValue("sender"), c.FormValue("text")
	fail := func(msg string) error {
		v.Error = msg
		return s.render(c, http.StatusOK, views.NewConversation(v))
	}
	ch := inbox.Channel(v.Channel)
	switch {
	case !e164.MatchString(v.Phone):
		return fail("The phone number must be in international format, like +14155550123.")
	case ch != inbox.WhatsApp && ch != inbox.SMS:
		return fail("Choose WhatsApp or SMS.")
	case !slices.ContainsFunc(v.Senders, func(o views.SenderOption) bool { return o.ID == v.SenderID }):
		return fail("Choose one of your senders.")
	}
	in := replyInput{Text: v.Text}
	if ch == inbox.WhatsApp {
		in = replyInput{TemplateID: c.FormValue("templateId"), TemplateVariables: map[string]string{}}
		if in.TemplateID == "" {
			return fail("On WhatsApp, a conversation starts with an approved template: choose one.")
		}
		for i := 1; i < 100; i++ {
			val, ok := c.Request().PostForm["var"+strconv.Itoa(i)]
			if !ok {
				break
			}
			in.TemplateVariables[strconv.Itoa(i)] = strings.TrimSpace(val[0])
		}
		t, err := s.approvedTemplate(c, in.TemplateID)
		if err != nil {
			return fail("That template is not approved for sending. Choose an approved one.")
		}
		for i := 1; i <= t.Variables(); i++ {
			if err := checkTemplateVariable(t, i, in.TemplateVariables[strconv.Itoa(i)]); err != nil {
				return fail(err.(*apiError).Message)
			}
		}
	} else if strings.TrimSpace(v.Text) == "" {
		return fail("Write the message to send.")
	} else if err := inbox.CheckReplyLength(in.reply(0, nil, inbox.SourceAgent).Text); err != nil {
		return fail(err.(*inbox.InvalidError).Message)
	}
	conv, err := s.store.StartConversation(c.Request().Context(), v.SenderID, ch, v.Phone, s.now())
	if err != nil {
		return err
	}
	me := currentUser(c).ID
	if _, err := s.queueReply(c, in.reply(conv.ID, &me, inbox.SourceAgent)); err != nil {
		var ae *apiError
		var ie *inbox.InvalidError
		switch {
		case errors.As(err, &ae):
			return fail(ae.Message)
		case errors.As(err, &ie):
			return fail(ie.Message)
		case errors.Is(err, inbox.ErrOptedOut):
			return fail(conv.OptedOutSentence())
		}
		return err
	}
	s.log.Info("conversation started", "conversation_id", conv.ID, "channel", ch, "by", me)
	if conv.AssigneeID == nil {
		// The agent who starts a conversation has it, unless a teammate
		// took it meanwhile; one a teammate has keeps its assignee.
		after, err := s.store.AssignFrom(c.Request().Context(), conv.ID, nil, &me, s.now())
		var meanwhile *inbox.AssignedMeanwhile
		switch {
		case err == nil:
			s.assigned(c.Request().Context(), conv, after, me)
		case !errors.As(err, &meanwhile):
			return err
		}
	}
	who, _, err := s.everyone(c)
	if err != nil {
		return err
	}
	tv, err := s.threadView(c, conv.ID, who)
	if err != nil {
		return err
	}
	c.Response().Header().Set("HX-Push-Url", fmt.Sprintf("/conversations/%d", conv.ID))
	return s.render(c, http.StatusOK, views.Thread(tv, filterFrom(c)))
}
