package web

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// Why a page's live connection was closed, as the page is told.
const (
	signedOutReason   = "Your session has ended. Sign in again."
	deactivatedReason = "Your account was deactivated."
	passwordReason    = "Your password was reset. Sign in again."
)

// What an admin who changed their own account is told on the page they
// land on.
const (
	selfDemotedNotice     = "You made yourself an agent, so the admin pages are closed to you. Another admin can make you an admin again."
	selfDeactivatedNotice = "You deactivated your own account, so you were signed out. Another admin can reactivate it."
)

// passwordResetNotice is what the page says after a password reset.
const passwordResetNotice = "Password reset. Every session signed in with the old password has ended."

// MaxAgentName is the longest name an account may have.
const MaxAgentName = 100

// agentNotices are what the pages say after a change, by their ?done=
// value.
var agentNotices = map[string]string{
	"added":       "Added. They can sign in now with the password you chose.",
	"role":        "Role changed. It applies from their next click.",
	"deactivated": "Deactivated. They were signed out everywhere at once and can no longer sign in.",
	"reactivated": "Reactivated. They can sign in again with their password.",
	"password":    passwordResetNotice,
}

func (s *Server) loginURL() string {
	if s.cfg.BaseURL == nil {
		return "/login"
	}
	return s.cfg.BaseURL.JoinPath("login").String()
}

// agentRow is u as the admin pages show it to me, in the time zone loc.
func agentRow(u inbox.User, me int64, loc *time.Location) views.AgentRow {
	return views.AgentRow{
		ID: u.ID, Name: u.Name, Email: u.Email, Admin: u.Role == inbox.RoleAdmin, Active: u.Active,
		You: u.ID == me, Added: u.CreatedAt.In(loc).Format("2 Jan 2006"),
	}
}

// agentsView is the list page with form as its add form.
func (s *Server) agentsView(c echo.Context, form views.AgentForm) (views.AgentsView, error) {
	us, err := s.store.Users(c.Request().Context())
	if err != nil {
		return views.AgentsView{}, err
	}
	form.MinPassword = MinPasswordLength
	v := views.AgentsView{Page: s.page(c, "Agents · Switchboard"), Form: form, LoginURL: s.loginURL()}
	me, loc := currentUser(c).ID, location(c)
	for _, u := range us {
		v.Agents = append(v.Agents, agentRow(u, me, loc))
	}
	return v, nil
}

func (s *Server) handleAgents(c echo.Context) error {
	v, err := s.agentsView(c, views.AgentForm{})
	if err != nil {
		return err
	}
	v.Notice = agentNotices[c.QueryParam("done")]
	return s.render(c, http.StatusOK, views.AgentsPage(v))
}

// newPassword is the password the admin typed in the form, hashed, or a
// generated one when they left it empty (then shown is it, to pass on).
// A password that is too short or too long is a sentence in msg.
func newPassword(c echo.Context) (hash, shown, msg string, err error) {
	pw := c.FormValue("password")
	if pw == "" {
		pw = generatePassword()
		shown = pw
	}
	hash, err = HashPassword(pw)
	if err != nil && shown == "" {
		return "", "", strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + ".", nil
	}
	return hash, shown, "", err
}

// generatePassword makes a password of 16 letters and digits in groups of
// four (about 80 bits), without look-alikes such as 0 and O or 1 and l, so
// that it can be read out or typed from a note.
func generatePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var b strings.Builder
	for i := range 16 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[randIndex(len(alphabet))])
	}
	return b.String()
}

// randIndex is a uniform random number in [0, n), n < 256.
func randIndex(n int) int {
	limit := 256 - 256%n // refuse the bytes that would favour small values
	var buf [1]byte
	for {
		_, _ = rand.Read(buf[:])
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// userLabel names an account in the audit log.
func userLabel(u inbox.User) string { return u.Name + " <" + u.Email + ">" }

func (s *Server) handleAddAgent(c echo.Context) error {
	ctx := c.Request().Context()
	f := views.AgentForm{
		Name:  strings.TrimSpace(c.FormValue("name")),
		Email: strings.TrimSpace(c.FormValue("email")),
		Role:  c.FormValue("role"),
	}
	switch {
	case f.Name == "":
		f.NameError = "Give their name, as the team and the audit log will see it."
	case utf8.RuneCountInString(f.Name) > MaxAgentName:
		f.NameError = fmt.Sprintf("A name can be at most %d characters.", MaxAgentName)
	}
	if a, err := mail.ParseAddress(f.Email); f.Email == "" {
		f.EmailError = "Give the e-mail address they will sign in with."
	} else if err != nil || a.Address != f.Email {
		f.EmailError = "That is not an e-mail address, like ben@example.com."
	} else if other, err := s.store.UserByEmail(ctx, f.Email); err == nil {
		f.EmailError = "That e-mail address is already " + other.Name + "'s."
		if !other.Active {
			f.EmailError += " Their account is deactivated: reactivate it instead."
		}
	} else if !errors.Is(err, inbox.ErrNotFound) {
		return err
	}
	role := inbox.Role(f.Role)
	if role != inbox.RoleAgent && role != inbox.RoleAdmin {
		f.RoleError = "Choose Agent or Admin."
	}
	var hash, shown string
	if f.NameError == "" && f.EmailError == "" && f.RoleError == "" {
		var err error
		if hash, shown, f.PasswordError, err = newPassword(c); err != nil {
			return err
		}
	}
	refuse := func() error {
		v, err := s.agentsView(c, f)
		if err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, views.AgentsPage(v))
	}
	if f.NameError != "" || f.EmailError != "" || f.RoleError != "" || f.PasswordError != "" {
		return refuse()
	}
	u := inbox.User{Email: f.Email, Name: f.Name, Role: role, PasswordHash: hash, Active: true, CreatedAt: s.now().UTC()}
	if err := s.store.CreateUser(ctx, &u); errors.Is(err, inbox.ErrConflict) {
		// Taken between the check and the insert.
		f.EmailError = "That e-mail address is already someone's."
		return refuse()
	} else if err != nil {
		return err
	}
	s.audit(c, "user.create", fmt.Sprintf("%s as %s", userLabel(u), u.Role))
	s.hub.TeamChanged()
	if shown == "" {
		return c.Redirect(http.StatusSeeOther, "/admin/agents?done=added")
	}
	v, err := s.agentsView(c, views.AgentForm{})
	if err != nil {
		return err
	}
	v.Notice = "Added. Pass the password below on; they can sign in now."
	v.Shown = &views.ShownPassword{Name: u.Name, Email: u.Email, Password: shown}
	return s.render(c, http.StatusOK, views.AgentsPage(v))
}

// agentPage is the page of account id, with the number of active admins
// telling whether it is the last one.
func (s *Server) agentPage(c echo.Context, u inbox.User) (views.AgentPageView, error) {
	us, err := s.store.Users(c.Request().Context())
	if err != nil {
		return views.AgentPageView{}, err
	}
	admins := 0
	for _, x := range us {
		if x.Role == inbox.RoleAdmin && x.Active {
			admins++
		}
	}
	v := views.AgentPageView{
		Page:        s.page(c, u.Name+" · Agents · Switchboard"),
		Agent:       agentRow(u, currentUser(c).ID, location(c)),
		OnlyAdmin:   u.Role == inbox.RoleAdmin && u.Active && admins <= 1,
		MinPassword: MinPasswordLength,
		LoginURL:    s.loginURL(),
	}
	ts, err := s.store.APITokens(c.Request().Context())
	if err != nil {
		return views.AgentPageView{}, err
	}
	for _, t := range ts {
		if t.CreatedBy != nil && *t.CreatedBy == u.ID && !t.Revoked() {
			v.Tokens = append(v.Tokens, t.Name)
		}
	}
	if u.Active {
		// What a deactivation would hand back to the team.
		for _, st := range []inbox.ConversationStatus{inbox.Open, inbox.Snoozed} {
			n, err := s.store.CountConversations(c.Request().Context(), inbox.ConversationFilter{Status: st, AssigneeID: &u.ID})
			if err != nil {
				return views.AgentPageView{}, err
			}
			v.Holding += n
		}
	}
	return v, nil
}

// pathUser is the account the path names.
func (s *Server) pathUser(c echo.Context) (inbox.User, error) {
	id, err := pathID(c)
	if err != nil {
		return inbox.User{}, err
	}
	return s.store.User(c.Request().Context(), id)
}

func (s *Server) handleAgent(c echo.Context) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	v, err := s.agentPage(c, u)
	if err != nil {
		return err
	}
	v.Notice = agentNotices[c.QueryParam("done")]
	if n, err := strconv.Atoi(c.QueryParam("back")); err == nil && n >= 0 && c.QueryParam("done") == "deactivated" {
		v.Notice += " " + conversationsBack(n)
	}
	return s.render(c, http.StatusOK, views.AgentPage(v))
}

// refuseAgentChange shows u's page again with why the change was refused.
func (s *Server) refuseAgentChange(c echo.Context, u inbox.User, status int, msg string) error {
	v, err := s.agentPage(c, u)
	if err != nil {
		return err
	}
	v.Error = msg
	return s.render(c, status, views.AgentPage(v))
}

// lastAdminMessage says why a change to u was refused.
func lastAdminMessage(u inbox.User) string {
	return u.Name + " is the only active admin, and Switchboard always keeps one. Make someone else an admin first."
}

func agentDone(u inbox.User, done string) string {
	return "/admin/agents/" + strconv.FormatInt(u.ID, 10) + "?done=" + done
}

func (s *Server) handleAgentRole(c echo.Context) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	role := inbox.Role(c.FormValue("role"))
	if role != inbox.RoleAdmin && role != inbox.RoleAgent {
		return s.refuseAgentChange(c, u, http.StatusBadRequest, "Choose Agent or Admin.")
	}
	if role == u.Role {
		return c.Redirect(http.StatusSeeOther, agentDone(u, "role"))
	}
	err = s.store.SetRole(c.Request().Context(), u.ID, role)
	if errors.Is(err, inbox.ErrLastAdmin) {
		return s.refuseAgentChange(c, u, http.StatusConflict, lastAdminMessage(u))
	}
	if err != nil {
		return err
	}
	s.audit(c, "user.role", fmt.Sprintf("%s: %s → %s", userLabel(u), u.Role, role))
	if u.ID == currentUser(c).ID {
		// No longer an admin: the inbox says why the admin pages went.
		s.sessions.Put(c.Request().Context(), sessNotice, selfDemotedNotice)
		return c.Redirect(http.StatusSeeOther, "/inbox")
	}
	return c.Redirect(http.StatusSeeOther, agentDone(u, "role"))
}

func (s *Server) handleDeactivateAgent(c echo.Context) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if !u.Active {
		return c.Redirect(http.StatusSeeOther, agentDone(u, "deactivated"))
	}
	me := currentUser(c).ID
	ch, err := s.store.DeactivateUser(ctx, u.ID, me, s.now())
	if errors.Is(err, inbox.ErrLastAdmin) {
		return s.refuseAgentChange(c, u, http.StatusConflict, lastAdminMessage(u))
	}
	if err != nil {
		return err
	}
	back := len(ch.ConversationIDs)
	detail := userLabel(u)
	if back > 0 {
		detail += "; " + views.Plural(int64(back), "open or snoozed conversation", "open or snoozed conversations") + " back to Unassigned"
		s.log.Info("conversations unassigned: assignee deactivated", "conversation_ids", ch.ConversationIDs, "user_id", u.ID, "by", me)
	}
	s.audit(c, "user.deactivate", detail)
	// Teammates' lists, headers, threads and counts follow at once.
	s.publish(ch)
	s.hub.TeamChanged()
	if err := s.endSessions(ctx, u.ID, "", deactivatedReason); err != nil {
		return err
	}
	if u.ID == me {
		if err := s.sessions.Destroy(ctx); err != nil {
			return err
		}
		// The sign-in page says why the admin is there.
		s.sessions.Put(ctx, sessNotice, selfDeactivatedNotice)
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return c.Redirect(http.StatusSeeOther, agentDone(u, "deactivated")+"&back="+strconv.Itoa(back))
}

// conversationsBack says how many of a deactivated agent's conversations
// went back to Unassigned.
func conversationsBack(n int) string {
	if n == 0 {
		return "They had no open or snoozed conversations to hand back."
	}
	return views.Plural(int64(n), "conversation", "conversations") + " of theirs, open or snoozed, went back to Unassigned for the team to pick up."
}

func (s *Server) handleReactivateAgent(c echo.Context) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if u.Active {
		return c.Redirect(http.StatusSeeOther, agentDone(u, "reactivated"))
	}
	// Sessions from before the deactivation stay ended: they sign in anew.
	if err := s.endSessions(ctx, u.ID, "", deactivatedReason); err != nil {
		return err
	}
	if err := s.store.ReactivateUser(ctx, u.ID); err != nil {
		return err
	}
	s.audit(c, "user.reactivate", userLabel(u))
	s.hub.TeamChanged()
	return c.Redirect(http.StatusSeeOther, agentDone(u, "reactivated"))
}

func (s *Server) handleResetPassword(c echo.Context) error {
	u, err := s.pathUser(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	hash, shown, msg, err := newPassword(c)
	if err != nil {
		return err
	}
	if msg != "" {
		v, err := s.agentPage(c, u)
		if err != nil {
			return err
		}
		v.PasswordError = msg
		return s.render(c, http.StatusUnprocessableEntity, views.AgentPage(v))
	}
	if err := s.store.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	keep := ""
	if u.ID == currentUser(c).ID {
		// The admin's own session goes on with the new password.
		keep = s.sessions.Token(ctx)
		s.sessions.Put(ctx, sessPassword, passwordStamp(hash))
	}
	how := "a password the admin typed"
	if shown != "" {
		how = "a generated password"
	}
	s.audit(c, "user.password_reset", userLabel(u)+": "+how)
	if err := s.endSessions(ctx, u.ID, keep, passwordReason); err != nil {
		return err
	}
	if shown == "" {
		return c.Redirect(http.StatusSeeOther, agentDone(u, "password"))
	}
	u.PasswordHash = hash
	v, err := s.agentPage(c, u)
	if err != nil {
		return err
	}
	v.Notice = passwordResetNotice
	v.Shown = &views.ShownPassword{Name: u.Name, Email: u.Email, Password: shown}
	return s.render(c, http.StatusOK, views.AgentPage(v))
}
