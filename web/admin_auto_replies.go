package web

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"switchboard/inbox"
	"switchboard/views"
)

// autoReplyNotices are what the page says after a change, by its ?done=
// value.
var autoReplyNotices = map[string]string{
	"saved":   "Auto-reply settings saved. They apply to the next message.",
	"added":   "Keyword rule added.",
	"updated": "Keyword rule saved.",
	"deleted": "Keyword rule deleted.",
	"moved":   "Keyword rules reordered.",
	"gone":    "That keyword rule was deleted already.",
}

// commonTimeZones are offered in the time zone field; any IANA name works.
var commonTimeZones = []string{
	"UTC", "Europe/London", "Europe/Berlin", "Europe/Madrid", "Europe/Paris", "Europe/Rome",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Mexico_City", "America/Bogota", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
	"Africa/Lagos", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
	"Asia/Tokyo", "Australia/Sydney",
}

// weekdayOrder lists the days Monday first, as a business reads its week.
var weekdayOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func formatSpans(spans []inbox.Span) string {
	parts := make([]string, 0, len(spans))
	for _, s := range spans {
		parts = append(parts, inbox.FormatClock(s.Open)+"-"+inbox.FormatClock(s.Close))
	}
	return strings.Join(parts, ", ")
}

// parseSpans reads "09:00-12:00, 13:00-17:00"; empty is closed.
func parseSpans(day time.Weekday, s string) ([]inbox.Span, string) {
	var out []inbox.Span
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(strings.ReplaceAll(part, "–", "-"))
		if part == "" {
			continue
		}
		open, close, ok := strings.Cut(part, "-")
		o, err1 := inbox.ParseClock(open)
		c, err2 := inbox.ParseClock(close)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Sprintf("On %s, write the hours as 09:00-17:00 (several openings separated by commas), or leave it empty when closed.", day)
		}
		out = append(out, inbox.Span{Open: o, Close: c})
	}
	return out, ""
}

// lines splits a textarea into its non-empty lines (commas separate too
// when commas is set).
func lines(s string, commas bool) []string {
	f := func(r rune) bool { return r == '\n' || r == '\r' || (commas && r == ',') }
	var out []string
	for _, x := range strings.FieldsFunc(s, f) {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func messageFields(m inbox.AutoReplyMessage) views.AutoReplyFields {
	return views.AutoReplyFields{Enabled: m.Enabled, Text: m.Text, TemplateID: m.TemplateID, TemplateValues: strings.Join(m.TemplateValues, "\n")}
}

func messageFromForm(c echo.Context, prefix string) inbox.AutoReplyMessage {
	return inbox.AutoReplyMessage{
		Enabled: c.FormValue(prefix+"_enabled") == "on", Text: c.FormValue(prefix + "_text"),
		TemplateID: c.FormValue(prefix + "_template"), TemplateValues: strings.Split(c.FormValue(prefix+"_values"), "\n"),
	}
}

// settingsForm is the settings form for cfg.
func settingsForm(cfg inbox.AutoReplyConfig) views.AutoReplySettingsForm {
	f := views.AutoReplySettingsForm{
		TimeZone: cfg.Hours.TimeZone, Holidays: strings.Join(cfg.Hours.Holidays, "\n"),
		OutOfOffice: messageFields(cfg.OutOfOffice), Greeting: messageFields(cfg.Greeting),
		Help: messageFields(cfg.Help), Stop: messageFields(cfg.Stop), Limit: strconv.Itoa(cfg.Limit()),
	}
	f.Seen = settingsVersion(cfg)
	if f.TimeZone == "" {
		f.TimeZone = "UTC"
	}
	for _, d := range weekdayOrder {
		f.Days = append(f.Days, views.DayField{Key: fmt.Sprintf("day%d", d), Name: d.String(), Value: formatSpans(cfg.Hours.Days[d])})
	}
	return f
}

// settingsVersion tells the settings in cfg (all but the keyword rules,
// which have their own forms) from any other settings.
func settingsVersion(cfg inbox.AutoReplyConfig) string {
	cfg.Keywords = nil
	return fingerprint(cfg)
}

// What an admin's form says when another admin got there first: saved
// over what the form showed, or deleted it. What was typed is kept.
const saveAgainToReplace = "What you typed is below: save again to replace theirs with it."

// deletedMeanwhile says that what (such as "This rule") was deleted while
// its form was open, and that what was typed waits in the add form.
func deletedMeanwhile(what string) string {
	return what + " was deleted while you were editing it, perhaps by another admin. What you typed is below: add it to keep it."
}

// fingerprint is a short digest of v's JSON.
func fingerprint(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:12])
}

// settingsFromForm reads the settings form over cfg (keyword rules stay),
// with the problems found in reading it.
func settingsFromForm(c echo.Context, cfg *inbox.AutoReplyConfig) (views.AutoReplySettingsForm, inbox.InvalidAutoReplies) {
	errs := inbox.InvalidAutoReplies{}
	cfg.Hours.TimeZone = c.FormValue("timezone")
	for _, d := range weekdayOrder {
		spans, msg := parseSpans(d, c.FormValue(fmt.Sprintf("day%d", d)))
		if msg != "" {
			errs[fmt.Sprintf("day%d", d)] = msg
		}
		cfg.Hours.Days[d] = spans
	}
	cfg.Hours.Holidays = lines(c.FormValue("holidays"), true)
	cfg.OutOfOffice, cfg.Greeting = messageFromForm(c, "ooo"), messageFromForm(c, "greeting")
	cfg.Help, cfg.Stop = messageFromForm(c, "help"), messageFromForm(c, "stop")
	cfg.Help.TemplateID, cfg.Stop.TemplateID = "", "" // SMS has no templates
	if n, err := strconv.Atoi(strings.TrimSpace(c.FormValue("limit"))); err != nil || n < 1 {
		errs["limit"] = fmt.Sprintf("The hourly limit must be a number between 1 and %d.", inbox.MaxAutoRepliesPerHour)
	} else {
		cfg.MaxPerHour = n
	}
	// What was typed, to show again if something is wrong.
	f := views.AutoReplySettingsForm{
		TimeZone: c.FormValue("timezone"), Holidays: c.FormValue("holidays"), Limit: c.FormValue("limit"),
		OutOfOffice: messageFields(cfg.OutOfOffice), Greeting: messageFields(cfg.Greeting),
		Help: messageFields(cfg.Help), Stop: messageFields(cfg.Stop),
	}
	f.OutOfOffice.TemplateValues, f.Greeting.TemplateValues = c.FormValue("ooo_values"), c.FormValue("greeting_values")
	for _, d := range weekdayOrder {
		key := fmt.Sprintf("day%d", d)
		f.Days = append(f.Days, views.DayField{Key: key, Name: d.String(), Value: c.FormValue(key)})
	}
	return f, errs
}

// checkTemplates adds to errs what is wrong with the templates of ms,
// keyed like ms.
func checkTemplates(ts []inbox.Template, ms map[string]inbox.AutoReplyMessage, errs inbox.InvalidAutoReplies) {
	for key, m := range ms {
		var t inbox.Template
		known := false
		for _, x := range ts {
			if x.ID == m.TemplateID {
				t, known = x, true
			}
		}
		if msg := inbox.CheckTemplate(m, t, known); msg != "" && errs[key] == "" {
			errs[key] = msg
		}
	}
}

// validated merges the form's reading problems with the settings' own,
// as one error, or nil.
func validated(cfg *inbox.AutoReplyConfig, errs inbox.InvalidAutoReplies) error {
	cfg.Normalize()
	if inv, ok := inbox.AsInvalidAutoReplies(cfg.Validate()); ok {
		for k, v := range inv {
			if errs[k] == "" {
				errs[k] = v
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// autoRepliesView is the page around the given forms.
func (s *Server) autoRepliesView(c echo.Context, cfg inbox.AutoReplyConfig, settings views.AutoReplySettingsForm, rule views.KeywordRuleForm) (views.AutoRepliesView, error) {
	ctx := c.Request().Context()
	v := views.AutoRepliesView{Page: s.page(c, "Auto-replies · Switchboard"), Settings: settings, RuleForm: rule, TimeZones: commonTimeZones}
	senders, err := s.store.Senders(ctx)
	if err != nil {
		return v, err
	}
	for _, x := range senders {
		label := x.ID
		if x.Phone != "" {
			label = x.Phone
		}
		if x.Name != "" {
			label = x.Name + " (" + label + ")"
		}
		v.Senders = append(v.Senders, views.AutoReplyOption{Value: x.ID, Label: label})
	}
	ts, err := s.store.Templates(ctx)
	if err != nil {
		return v, err
	}
	for _, t := range ts {
		label := t.Name
		if t.Language != "" {
			label += " (" + t.Language + ")"
		}
		if !t.Approved() {
			label += ": " + t.Status + ", not sent until approved"
		}
		v.Templates = append(v.Templates, views.AutoReplyOption{Value: t.ID, Label: label})
	}
	names := map[string]string{}
	for _, o := range v.Senders {
		names[o.Value] = o.Label
	}
	for _, k := range cfg.Keywords {
		row := views.KeywordRuleRow{ID: k.ID, Name: k.Name, Keywords: strings.Join(k.Keywords, ", "), Text: savedPreview(k.Text, 100),
			Enabled: k.Enabled, Where: "Any sender, any channel"}
		sender, channel := "Any sender", "any channel"
		if k.SenderID != "" {
			sender = cmp.Or(names[k.SenderID], k.SenderID)
		}
		if k.Channel != "" {
			channel = k.Channel.Label()
		}
		row.Where = sender + ", " + channel
		row.Shadowed = shadowedSentence(cfg.Shadowed(k.ID))
		v.Rules = append(v.Rules, row)
	}
	log, err := s.store.AutoReplyLog(ctx, 20)
	if err != nil {
		return v, err
	}
	loc := location(c)
	for _, e := range log {
		rule := e.Rule
		if rule == "" {
			rule = "Any rule"
		}
		v.Log = append(v.Log, views.AutoReplyLogRow{At: e.At.In(loc).Format("2 Jan 15:04"), Rule: rule, Reason: e.Reason,
			Who: e.ContactName, ConversationID: e.ConversationID})
	}
	v.Status = hoursStatus(cfg, s.now(), loc)
	return v, nil
}

// shadowedSentence says which keywords rules above answer first.
func shadowedSentence(sh []inbox.ShadowedKeyword) string {
	if len(sh) == 0 {
		return ""
	}
	parts := make([]string, 0, len(sh))
	for _, x := range sh {
		parts = append(parts, fmt.Sprintf("%q (%s, above, answers it first)", x.Keyword, x.By))
	}
	return "Never answers " + strings.Join(parts, ", ") + ". Move this rule up, or remove the keyword."
}

// hoursStatus says whether the team is open now, in a sentence.
func hoursStatus(cfg inbox.AutoReplyConfig, now time.Time, loc *time.Location) string {
	if !cfg.OutOfOffice.Enabled {
		return "The out-of-office reply is off."
	}
	if cfg.Hours.OpenAt(now) {
		return "Open now: no out-of-office reply goes."
	}
	next := cfg.Hours.NextOpening(now)
	if next.IsZero() {
		return "Closed now, with no opening in the coming year: every conversation gets the out-of-office reply once."
	}
	return "Closed now: the out-of-office reply goes until " + next.In(loc).Format("Mon 2 Jan 15:04") + " (your time)."
}

func (s *Server) renderAutoReplies(c echo.Context, status int, cfg inbox.AutoReplyConfig, settings views.AutoReplySettingsForm, rule views.KeywordRuleForm) error {
	v, err := s.autoRepliesView(c, cfg, settings, rule)
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		v.Notice = autoReplyNotices[c.QueryParam("done")]
	}
	return s.render(c, status, views.AutoRepliesPage(v))
}

func (s *Server) handleAutoReplies(c echo.Context) error {
	cfg, err := s.store.AutoReplyConfig(c.Request().Context())
	if err != nil {
		return err
	}
	return s.renderAutoReplies(c, http.StatusOK, cfg, settingsForm(cfg), views.KeywordRuleForm{Enabled: true})
}

func (s *Server) handleSaveAutoReplies(c echo.Context) error {
	ctx := c.Request().Context()
	ts, err := s.store.Templates(ctx)
	if err != nil {
		return err
	}
	var form views.AutoReplySettingsForm
	seen, conflict := c.FormValue("seen"), ""
	saved, err := s.store.UpdateAutoReplies(ctx, s.now(), func(cfg *inbox.AutoReplyConfig) error {
		if now := settingsVersion(*cfg); seen != "" && seen != now {
			// Saved by someone else since this form was opened: saving
			// now would silently undo their change.
			conflict = "Someone else saved these settings while you were editing them. They now read: " + settingsSummary(*cfg) + " " + saveAgainToReplace
			seen = now
		}
		var errs inbox.InvalidAutoReplies
		form, errs = settingsFromForm(c, cfg)
		checkTemplates(ts, map[string]inbox.AutoReplyMessage{"ooo": cfg.OutOfOffice, "greeting": cfg.Greeting}, errs)
		if conflict != "" {
			errs["conflict"] = conflict
		}
		return validated(cfg, errs)
	})
	if inv, ok := inbox.AsInvalidAutoReplies(err); ok {
		status := http.StatusUnprocessableEntity
		if conflict != "" {
			status = http.StatusConflict
			delete(inv, "conflict")
		}
		form.Errors, form.Conflict, form.Seen = inv, conflict, seen
		cfg, err := s.store.AutoReplyConfig(ctx)
		if err != nil {
			return err
		}
		return s.renderAutoReplies(c, status, cfg, form, views.KeywordRuleForm{Enabled: true})
	}
	if err != nil {
		return err
	}
	s.audit(c, "auto_replies.update", settingsSummary(saved))
	return c.Redirect(http.StatusSeeOther, "/admin/auto-replies?done=saved")
}

// settingsSummary describes saved settings for the audit log.
func settingsSummary(cfg inbox.AutoReplyConfig) string {
	onOff := func(m inbox.AutoReplyMessage) string {
		if m.Enabled {
			return fmt.Sprintf("on (%q)", savedPreview(m.Text, 60))
		}
		return "off"
	}
	var days []string
	for _, d := range weekdayOrder {
		if len(cfg.Hours.Days[d]) > 0 {
			days = append(days, d.String()[:3]+" "+formatSpans(cfg.Hours.Days[d]))
		}
	}
	open, holidays := strings.Join(days, ", "), "no holidays"
	if open == "" {
		open = "closed every day"
	}
	if len(cfg.Hours.Holidays) > 0 {
		holidays = "holidays: " + strings.Join(cfg.Hours.Holidays, ", ")
	}
	return fmt.Sprintf("Hours (%s): %s; %s. Out of office %s; greeting %s; SMS HELP %s; STOP confirmation %s; at most %d an hour.",
		cfg.Hours.TimeZone, open, holidays,
		onOff(cfg.OutOfOffice), onOff(cfg.Greeting), onOff(cfg.Help), onOff(cfg.Stop), cfg.Limit())
}

// ruleFromForm is the keyword rule as the admin typed it.
func ruleFromForm(c echo.Context, id int64) inbox.KeywordRule {
	k := inbox.KeywordRule{ID: id, Name: c.FormValue("name"), Keywords: lines(c.FormValue("keywords"), true),
		SenderID: c.FormValue("sender"), Channel: inbox.Channel(c.FormValue("channel")), AutoReplyMessage: messageFromForm(c, "rule")}
	return k
}

func ruleForm(k inbox.KeywordRule) views.KeywordRuleForm {
	return views.KeywordRuleForm{ID: k.ID, Name: k.Name, Keywords: strings.Join(k.Keywords, ", "), SenderID: k.SenderID,
		Channel: string(k.Channel), Enabled: k.Enabled, Text: k.Text, TemplateID: k.TemplateID, TemplateValues: strings.Join(k.TemplateValues, "\n"),
		Seen: fingerprint(k)}
}

// saveRule adds (id 0) or replaces a keyword rule from the form.
func (s *Server) saveRule(c echo.Context, id int64) error {
	ctx := c.Request().Context()
	ts, err := s.store.Templates(ctx)
	if err != nil {
		return err
	}
	k := ruleFromForm(c, id)
	var put inbox.KeywordRule
	seen, conflict := c.FormValue("seen"), false
	saved, err := s.store.UpdateAutoReplies(ctx, s.now(), func(cfg *inbox.AutoReplyConfig) error {
		if cur, ok := cfg.Rule(id); ok && id != 0 && seen != "" && fingerprint(cur) != seen {
			// Saved by someone else since this form was opened: saving
			// now would silently replace their change.
			conflict, seen = true, fingerprint(cur)
			return inbox.InvalidAutoReplies{"rule": fmt.Sprintf("Someone else saved this rule while you were editing it. It now reads: %s: keywords %s; reply %q. "+
				saveAgainToReplace, cur.Name, strings.Join(cur.Keywords, ", "), cur.Text)}
		}
		var err error
		if put, err = cfg.PutRule(k); err != nil {
			return err
		}
		errs := inbox.InvalidAutoReplies{}
		key := fmt.Sprintf("rule%d", put.ID)
		checkTemplates(ts, map[string]inbox.AutoReplyMessage{key: put.AutoReplyMessage}, errs)
		if err := validated(cfg, errs); err != nil {
			inv, _ := inbox.AsInvalidAutoReplies(err)
			if msg := inv[key]; msg != "" {
				return inbox.InvalidAutoReplies{"rule": msg}
			}
			if id == 0 && inv["rules"] != "" {
				return inbox.InvalidAutoReplies{"rule": fmt.Sprintf("There are already %d keyword rules, the most Switchboard keeps. Delete one you no longer need to add this one.", inbox.MaxKeywordRules)}
			}
			// The rule is fine; the stored settings are not (saved by an
			// older version): say so rather than lose the rule.
			return inbox.InvalidAutoReplies{"rule": "The other auto-reply settings need fixing first: " + inv.Sentences()}
		}
		return nil
	})
	inv, invalid := inbox.AsInvalidAutoReplies(err)
	gone := id != 0 && errors.Is(err, inbox.ErrNotFound)
	if invalid || gone {
		f := ruleForm(k)
		f.TemplateValues = c.FormValue("rule_values")
		f.Keywords = c.FormValue("keywords")
		f.Error = inv["rule"]
		f.Seen = seen
		status := http.StatusUnprocessableEntity
		if conflict {
			status = http.StatusConflict
		}
		if gone {
			// Deleted meanwhile, perhaps by another admin: what was
			// typed goes into the add form, to add it again.
			f.ID, id, status = 0, 0, http.StatusConflict
			f.Error = deletedMeanwhile("This rule")
		}
		cfg, err := s.store.AutoReplyConfig(ctx)
		if err != nil {
			return err
		}
		if id != 0 {
			return s.renderRuleEdit(c, status, f)
		}
		return s.renderAutoReplies(c, status, cfg, settingsForm(cfg), f)
	}
	if err != nil {
		return err
	}
	if k, ok := saved.Rule(put.ID); ok {
		put = k // as saved: trimmed, each keyword once
	}
	action, done := "auto_replies.rule_add", "added"
	if id != 0 {
		action, done = "auto_replies.rule_update", "updated"
	}
	s.audit(c, action, fmt.Sprintf("%s: keywords %s; reply %q", put.Name, strings.Join(put.Keywords, ", "), savedPreview(put.Text, 80)))
	return c.Redirect(http.StatusSeeOther, "/admin/auto-replies?done="+done)
}

func (s *Server) handleAddAutoReplyRule(c echo.Context) error { return s.saveRule(c, 0) }

func (s *Server) handleUpdateAutoReplyRule(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.saveRule(c, id)
}

func (s *Server) renderRuleEdit(c echo.Context, status int, f views.KeywordRuleForm) error {
	cfg, err := s.store.AutoReplyConfig(c.Request().Context())
	if err != nil {
		return err
	}
	v, err := s.autoRepliesView(c, cfg, settingsForm(cfg), f)
	if err != nil {
		return err
	}
	return s.render(c, status, views.KeywordRuleEditPage(v))
}

func (s *Server) handleEditAutoReplyRule(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cfg, err := s.store.AutoReplyConfig(c.Request().Context())
	if err != nil {
		return err
	}
	k, ok := cfg.Rule(id)
	if !ok {
		return newError(http.StatusNotFound, "not_found", "There is no keyword rule with that id; it may have been deleted.")
	}
	return s.renderRuleEdit(c, http.StatusOK, ruleForm(k))
}

func (s *Server) handleDeleteAutoReplyRule(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var gone inbox.KeywordRule
	_, err = s.store.UpdateAutoReplies(c.Request().Context(), s.now(), func(cfg *inbox.AutoReplyConfig) error {
		var derr error
		gone, derr = cfg.DeleteRule(id)
		return derr
	})
	if errors.Is(err, inbox.ErrNotFound) {
		// A second click, or another admin was first.
		return c.Redirect(http.StatusSeeOther, "/admin/auto-replies?done=gone")
	}
	if err != nil {
		return err
	}
	s.audit(c, "auto_replies.rule_delete", fmt.Sprintf("%s: keywords %s; reply %q", gone.Name, strings.Join(gone.Keywords, ", "), gone.Text))
	return c.Redirect(http.StatusSeeOther, "/admin/auto-replies?done=deleted")
}

func (s *Server) handleMoveAutoReplyRule(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	by := 1
	if c.FormValue("dir") == "up" {
		by = -1
	}
	var names []string
	_, err = s.store.UpdateAutoReplies(c.Request().Context(), s.now(), func(cfg *inbox.AutoReplyConfig) error {
		if err := cfg.MoveRule(id, by); err != nil {
			return err
		}
		for _, k := range cfg.Keywords {
			names = append(names, k.Name)
		}
		return nil
	})
	if errors.Is(err, inbox.ErrNotFound) {
		return c.Redirect(http.StatusSeeOther, "/admin/auto-replies?done=gone")
	}
	if err != nil {
		return err
	}
	s.audit(c, "auto_replies.rule_move", "Order: "+strings.Join(names, ", "))
	return c.Redirect(http.StatusSeeOther, "/admin/auto-replies?done=moved")
}

// handleTryAutoReply answers "if a customer wrote this now on this sender,
// what would happen?" with the rules ingestion uses.
func (s *Server) handleTryAutoReply(c echo.Context) error {
	ctx := c.Request().Context()
	cfg, err := s.store.AutoReplyConfig(ctx)
	if err != nil {
		return err
	}
	ts, err := s.store.Templates(ctx)
	if err != nil {
		return err
	}
	ch := inbox.Channel(c.FormValue("channel"))
	if ch != inbox.SMS {
		ch = inbox.WhatsApp
	}
	in := inbox.CustomerMessage{SenderID: c.FormValue("sender"), Channel: ch, Type: inbox.TypeText, Text: c.FormValue("text"),
		First: c.FormValue("first") == "on", WindowOpen: ch != inbox.WhatsApp || c.FormValue("window_closed") != "on"}
	if stop, _ := inbox.OptKeyword(in.Text); stop && ch == inbox.SMS {
		in.OptedOut = true
	}
	now := s.now()
	d := cfg.Decide(in, inbox.AutoReplyState{TemplateApproved: func(id string) bool {
		for _, t := range ts {
			if t.ID == id {
				return t.Approved()
			}
		}
		return false
	}}, now)
	r := views.TryResult{Rule: d.Rule, Sends: d.Send(), Reason: string(d.Skip), Hours: hoursStatus(cfg, now, location(c))}
	if d.Send() {
		r.Text = d.Text
		if d.Type == inbox.TypeTemplate {
			for _, t := range ts {
				if t.ID == d.TemplateID {
					r.Template, r.Text = t.Name, t.Fill(d.TemplateVariables(inbox.Contact{Name: "(customer's name)", Phone: "(customer's number)"}))
				}
			}
		}
		if d.OutOfOffice {
			r.Note = "It goes once in this closed period; later messages until opening time get nothing more."
		}
	}
	if c.Request().Header.Get("HX-Request") == "" {
		// Sent without script (or before it loaded): the whole page, with
		// the answer under the box and the box as typed.
		v, err := s.autoRepliesView(c, cfg, settingsForm(cfg), views.KeywordRuleForm{Enabled: true})
		if err != nil {
			return err
		}
		v.Try = views.TryForm{Sender: in.SenderID, Channel: string(ch), Text: in.Text, First: in.First, WindowClosed: c.FormValue("window_closed") == "on"}
		v.TryResult = &r
		return s.render(c, http.StatusOK, views.AutoRepliesPage(v))
	}
	return s.render(c, http.StatusOK, views.TryAutoReplyResult(r))
}
