// Switchboard's behaviour in the agent's browser: CSRF header, live updates
// from the websocket, keyboard navigation, the tab title. No framework, no
// inline script: the Content-Security-Policy allows only files like this.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  // within is $$ that also counts root itself.
  function within(root, sel) {
    var out = root.matches && root.matches(sel) ? [root] : [];
    return out.concat($$(sel, root));
  }

  function csrfToken() {
    var m = $('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  // The agent's time zone, so the server knows it for the pages it renders.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* the server falls back to UTC */ }

  function me() { return document.body.getAttribute("data-user-id") || ""; }

  // htmx tells a request's outcome to the element that made it, and the
  // handlers here listen for it on the document. A live update may replace
  // that element (the thread's header, the contact form) while its request
  // is on the way; the outcome is then told to an element out of the page,
  // whose events reach no one. It is told to the document instead, with
  // the same detail (detail.elt is still the element that asked).
  var outcomes = ["htmx:afterRequest", "htmx:responseError", "htmx:sendError"];
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt, xhr = e.detail && e.detail.xhr;
    if (!elt || !elt.addEventListener || !xhr) { return; }
    function relay(a) {
      if (a.target === elt && a.detail && a.detail.xhr === xhr && !document.contains(elt)) {
        document.dispatchEvent(new CustomEvent(a.type, { detail: a.detail }));
      }
    }
    outcomes.forEach(function (name) { elt.addEventListener(name, relay); });
    xhr.addEventListener("loadend", function () {
      setTimeout(function () { outcomes.forEach(function (name) { elt.removeEventListener(name, relay); }); }, 0);
    });
  });

  function openConversationID() {
    var t = $("#thread .thread");
    return t ? t.getAttribute("data-conversation") : "";
  }

  function appFilter() {
    var app = $(".app");
    return app ? app.getAttribute("data-filter") || "" : "";
  }

  // --- times ----------------------------------------------------------------
  // Live fragments are the same for every agent, with times in UTC
  // (<time datetime>); the page shows them in the agent's zone (data-tz on
  // <body>, the zone the browser reported).

  function formatter(opts) {
    var zone = document.body.getAttribute("data-tz") || undefined;
    try {
      return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: zone }, opts));
    } catch (e) {
      return new Intl.DateTimeFormat(undefined, opts);
    }
  }
  var fmt = null;
  function formats() {
    if (!fmt) {
      fmt = {
        time: formatter({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
        datetime: formatter({ day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
        status: formatter({ day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }),
        day: formatter({ year: "numeric", month: "2-digit", day: "2-digit" }),
        weekday: formatter({ weekday: "short" }),
        date: formatter({ day: "numeric", month: "short" }),
        longDate: formatter({ day: "numeric", month: "short", year: "numeric" })
      };
    }
    return fmt;
  }

  // dayOf is the agent's calendar day of a time, as "2026-11-23".
  function dayOf(d) {
    var p = {};
    formats().day.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    return p.year + "-" + p.month + "-" + p.day;
  }

  // relative is the short age of a list row: "now", "5m", "3h", "Mon",
  // "12 Mar", "12 Mar 2024".
  function relative(d, now) {
    var s = (now - d) / 1000;
    if (s < 60) { return "now"; }
    if (s < 3600) { return Math.floor(s / 60) + "m"; }
    if (s < 86400) { return Math.floor(s / 3600) + "h"; }
    if (s < 6 * 86400) { return formats().weekday.format(d); }
    if (dayOf(d).slice(0, 4) === dayOf(now).slice(0, 4)) { return formats().date.format(d); }
    return formats().longDate.format(d);
  }

  function localize(root) {
    var now = new Date();
    within(root, "time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      var f = t.getAttribute("data-format");
      if (t.hasAttribute("data-relative")) {
        t.textContent = relative(d, now);
      } else if (f === "time" || f === "datetime") {
        t.textContent = formats()[f].format(d);
      }
      var times = t.getAttribute("data-times");
      if (times) {
        t.title = times.split("\n").map(function (line) {
          var i = line.lastIndexOf(" ");
          var at = new Date(line.slice(i + 1));
          return isNaN(at) ? line : line.slice(0, i) + " " + formats().status.format(at);
        }).join("\n");
        var tick = t.parentElement && $(".tick", t.parentElement);
        if (tick) { tick.title = t.title; }
      }
    });
  }

  // The other scripts show times as the thread does (static/notes.js).
  window.Switchboard.localize = localize;

  setInterval(function () {
    $$("time[data-relative]").forEach(function (t) { localize(t); });
  }, 60000);

  // --- personal bits --------------------------------------------------------
  // A live fragment is the same bytes for every agent; what differs per
  // agent is decided here, from the signed-in user's id (data-user-id).

  function personalise(root) {
    var id = me();
    within(root, ".thread-head[data-assignee]").forEach(function (h) {
      var btn = $("[data-assign-me]", h);
      if (btn) { btn.hidden = h.getAttribute("data-assignee") === id; }
    });
    within(root, "select[data-team-picker]").forEach(fillPicker);
    within(root, "select[data-team-list]").forEach(fillTeamList);
    within(root, "select[data-label-list]").forEach(fillLabelList);
    var admin = document.body.hasAttribute("data-user-admin");
    within(root, "[data-note-actions]").forEach(function (a) {
      var own = a.getAttribute("data-author") === id;
      a.hidden = !own && !admin;
      $$("[data-note-own]", a).forEach(function (el) { el.hidden = !own; });
      $$("[data-note-admin]", a).forEach(function (el) { el.hidden = own; });
    });
    within(root, "[data-back]").forEach(function (a) {
      var q = appFilter();
      a.setAttribute("href", "/inbox" + (q ? "?" + q : ""));
    });
    var names = $("#sender-names");
    within(root, "[data-sender-name]").forEach(function (el) {
      var o = names && $('option[value="' + CSS.escape(el.getAttribute("data-sender-name")) + '"]', names.content);
      if (o && el.textContent !== o.textContent) { el.textContent = o.textContent; }
    });
    within(root, ".msg[data-author]").forEach(function (m) {
      m.classList.toggle("msg-own", m.getAttribute("data-author") === id);
    });
    // A list preview of the agent's own reply says "You:", a teammate's
    // their name.
    within(root, ".row-from[data-from]").forEach(function (f) {
      f.classList.toggle("own", f.getAttribute("data-from") === id);
    });
  }

  // picks are the agent's choices in a thread header's assignee picker
  // that are on their way, by the picker's address: { want, from, out }
  // (see "the header's assignee picker" below).
  var picks = {};

  // fillPicker puts the team (rendered once in the page) into an assignee
  // picker, keeping its choice; the agent's own name says "(me)".
  function fillPicker(sel) {
    var tpl = $("#team-options");
    if (!tpl || sel === document.activeElement) { return; }
    var head = sel.closest("[data-assignee]");
    var current = head ? head.getAttribute("data-assignee") : sel.value;
    if (current === "0") { current = ""; }
    // A header that came while the agent's choices are on their way shows
    // the latest of them (see picks).
    var form = sel.closest("form.assign[data-assign]"), p = form && picks[form.getAttribute("data-assign")];
    if (form) {
      if (p) { form.setAttribute("aria-busy", "true"); } else { form.removeAttribute("aria-busy"); }
    }
    if (p) { current = p.want; }
    var opts = [new Option("Unassigned", "")];
    var seen = current === "";
    $$("option", tpl.content).forEach(function (o) {
      opts.push(new Option(o.textContent + (o.value === me() ? " (me)" : ""), o.value));
      if (o.value === current) { seen = true; }
    });
    if (!seen) {
      // Assigned to someone no longer in the team: keep the server's name.
      var old = $('option[value="' + CSS.escape(current) + '"]', sel);
      if (old) { opts.push(old.cloneNode(true)); }
    }
    sel.replaceChildren.apply(sel, opts);
    sel.value = current;
  }

  // fillTeamList puts the team into a list of teammates to choose from
  // (the bulk bar's "Assign to", the search's Assignee) after its own
  // first choices (Me, Nobody), keeping the choice while its teammate is
  // still in the team.
  function fillTeamList(sel) {
    var tpl = $("#team-options");
    if (!tpl) { return; }
    var current = sel.value;
    $$("option[data-agent]", sel).forEach(function (o) { o.remove(); });
    addOptions(sel, tpl, "data-agent");
    sel.value = current;
    if (sel.value !== current) { sel.value = ""; }
  }

  // addOptions adds to sel a copy of each option of the template tpl,
  // marked with the attribute mark.
  function addOptions(sel, tpl, mark) {
    $$("option", tpl.content).forEach(function (o) {
      var opt = new Option(o.textContent, o.value);
      opt.setAttribute(mark, "");
      sel.add(opt);
    });
  }

  // fillLabelList puts the team's labels (LabelOptions) into a label
  // picker after its first choice ("All labels", "Any"), keeping the
  // choice; a chosen label deleted since says so. The picker shows once
  // there is a label to pick.
  function fillLabelList(sel) {
    var tpl = $("#label-options");
    if (!tpl) { return; }
    var current = sel.value;
    $$("option", sel).forEach(function (o, i) { if (i > 0) { o.remove(); } });
    addOptions(sel, tpl, "data-label");
    sel.value = current;
    if (sel.value !== current) { sel.add(new Option(current + " (deleted)", current, true, true)); }
    var none = sel.options.length < 2;
    var label = sel.id ? $('label[for="' + CSS.escape(sel.id) + '"]') : sel.closest("label");
    sel.hidden = sel.disabled = none;
    if (label) { label.hidden = none; }
  }

  // --- the list -----------------------------------------------------------

  // readMarks remembers how far this agent has read each conversation, so a
  // row that leaves the list and comes back keeps the agent's count.
  var readMarks = {};

  function unreadOf(row) {
    return Math.max(0, (parseInt(row.getAttribute("data-inbound"), 10) || 0) - (parseInt(row.getAttribute("data-read"), 10) || 0));
  }

  // readyRows readies the rows a fetch put in the list (a resync, "Load
  // more"): the server renders them as it renders live rows, the same for
  // every agent, so the page shows their times, senders' names, own
  // previews and unread counts as it does for the rows it loaded with.
  function readyRows(list) {
    localize(list);
    personalise(list);
    $$(".row", list).forEach(showUnread);
    markSelected();
  }

  function showUnread(row) {
    var n = unreadOf(row);
    readMarks[row.getAttribute("data-conversation")] = parseInt(row.getAttribute("data-read"), 10) || 0;
    row.classList.toggle("unread", n > 0);
    var c = $(".count", row);
    if (c) {
      c.hidden = n === 0;
      c.textContent = n > 0 ? String(n) : "";
      c.setAttribute("aria-label", n + (n === 1 ? " unread message" : " unread messages"));
    }
  }

  function setRead(id, n) {
    if (isNaN(n)) { return; }
    readMarks[id] = Math.max(readMarks[id] || 0, n);
    var row = document.getElementById("c-" + id);
    if (row && (parseInt(row.getAttribute("data-read"), 10) || 0) < n) {
      row.setAttribute("data-read", String(n));
      showUnread(row);
    }
  }

  // readAll marks the row of a conversation the agent just read.
  function readAll(id) {
    var row = document.getElementById("c-" + id);
    if (row) { setRead(id, parseInt(row.getAttribute("data-inbound"), 10) || 0); }
    updateTitle();
  }

  // updateTitle hands the list's unread count to notify.js, which alone
  // writes the tab title (adding the conversations it told the agent of).
  function updateTitle() {
    var n = 0;
    $$("#conv-list .row").forEach(function (r) { n += unreadOf(r); });
    document.dispatchEvent(new CustomEvent("switchboard:unread", { detail: n }));
  }

  function markSelected() {
    var id = openConversationID();
    $$("#conv-list .row").forEach(function (r) {
      var on = r.getAttribute("data-conversation") === id;
      r.classList.toggle("selected", on);
      if (on) { r.setAttribute("aria-selected", "true"); } else { r.removeAttribute("aria-selected"); }
    });
    var app = $(".app");
    if (app) { app.classList.toggle("thread-open", id !== "" || !!$("#thread [data-thread-gone]")); }
    rove();
  }

  // sortsBefore orders rows as the server does: latest message first.
  function sortsBefore(a, b) {
    var x = a.getAttribute("data-at"), y = b.getAttribute("data-at");
    if (x !== y) { return x > y; }
    return (parseInt(a.getAttribute("data-conversation"), 10) || 0) > (parseInt(b.getAttribute("data-conversation"), 10) || 0);
  }

  // upsertRow puts a live row where it belongs: in place of its older
  // self (updated in place, so focus stays) or in order of its latest
  // message. A row older than every row shown, while more can be loaded,
  // waits for the next page.
  // expandRow completes a live row (views.LiveRow) with what every row has
  // alike, from the page's #row-parts, into the row the list renders
  // (views.Row).
  function expandRow(row) {
    var ch = row.getAttribute("data-channel");
    var parts = $("#row-parts");
    if (ch === null || !parts) { return; }
    row.removeAttribute("data-channel");
    [["role", "option"], ["hx-target", "#thread"], ["hx-swap", "innerHTML show:none"], ["hx-push-url", "true"],
      ["data-testid", "conv-row"]].forEach(function (a) { row.setAttribute(a[0], a[1]); });
    var av = $(".row-avatar .avatar", row);
    if (av) {
      av.setAttribute("aria-hidden", "true");
      av.setAttribute("data-testid", "avatar");
      if (!av.firstChild) { av.appendChild($(".icon-user", parts.content).cloneNode(true)); }
    }
    var name = $(".row-name", row);
    if (name) {
      name.setAttribute("data-testid", "row-name");
      var check = $(".row-check", parts.content).cloneNode(true);
      check.setAttribute("aria-label", "Select " + name.textContent);
      name.before(check);
    }
    var badge = $(".badge-" + CSS.escape(ch), parts.content), mid = $(".row-mid", row);
    if (badge && mid) { mid.prepend(badge.cloneNode(true)); }
    var pv = $(".row-preview", row);
    if (pv) { pv.setAttribute("data-testid", "row-preview"); }
    var count = $(".count", row);
    if (count) { count.setAttribute("data-testid", "row-unread"); }
  }

  function upsertRow(row) {
    var list = $("#conv-list");
    if (!list) { return; }
    expandRow(row);
    var id = row.getAttribute("data-conversation");
    var old = document.getElementById("c-" + id);
    var read = old ? old.getAttribute("data-read") : (id in readMarks ? String(readMarks[id]) : row.getAttribute("data-read"));
    row.setAttribute("data-read", read);
    var q = appFilter();
    var url = "/conversations/" + id + (q ? "?" + q : "");
    row.setAttribute("href", url);
    row.setAttribute("hx-get", url);
    var next = null;
    $$(".row", list).some(function (r) {
      if (r !== old && sortsBefore(row, r)) { next = r; return true; }
      return false;
    });
    var more = $(".load-more", list);
    if (!next && more) {
      if (old) { removeRow(id); }
      return;
    }
    var focused = old && document.activeElement === old;
    var kept = old && selectionIn(old); // text selected in the row, kept as in a bubble
    var el = row;
    if (old) {
      Array.prototype.slice.call(old.attributes).forEach(function (a) {
        if (!row.hasAttribute(a.name)) { old.removeAttribute(a.name); }
      });
      Array.prototype.slice.call(row.attributes).forEach(function (a) {
        if (a.name !== "class") { old.setAttribute(a.name, a.value); }
      });
      old.className = row.className;
      old.replaceChildren.apply(old, Array.prototype.slice.call(row.childNodes));
      el = old;
    }
    if (next) {
      if (el.nextElementSibling !== next) { list.insertBefore(el, next); }
    } else if (list.lastElementChild !== el) {
      list.appendChild(el);
    }
    showUnread(el);
    localize(el);
    personalise(el);
    if (!old && window.htmx) { htmx.process(el); }
    if (focused && document.activeElement !== el) { el.focus({ preventScroll: true }); }
    reselect(el, kept);
  }

  function removeRow(id) {
    var row = document.getElementById("c-" + id);
    if (!row) { return; }
    if (document.activeElement === row) {
      var other = row.nextElementSibling && row.nextElementSibling.classList.contains("row") ? row.nextElementSibling : row.previousElementSibling;
      if (other && other.classList.contains("row")) { other.focus({ preventScroll: true }); }
    }
    row.remove();
  }

  // listAnchor is the first row in view that this update leaves alone:
  // after the update the list scrolls so that it stays where it was.
  function listAnchor(touched) {
    var list = $("#conv-list");
    if (!list || list.scrollTop === 0) { return null; }
    var top = list.getBoundingClientRect().top;
    var rows = $$(".row", list);
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i].getBoundingClientRect();
      if (r.bottom > top && !touched[rows[i].getAttribute("data-conversation")]) {
        return { el: rows[i], off: r.top - top };
      }
    }
    return null;
  }

  function keepAnchor(a) {
    var list = $("#conv-list");
    if (!a || !list || !a.el.isConnected) { return; }
    list.scrollTop += (a.el.getBoundingClientRect().top - list.getBoundingClientRect().top) - a.off;
  }

  // --- the thread ---------------------------------------------------------

  function scroller() { return $("#thread .messages"); }

  function nearBottom() {
    var s = scroller();
    return !s || s.scrollHeight - s.scrollTop - s.clientHeight < 120;
  }

  function scrollToBottom() {
    var s = scroller();
    if (s) { s.scrollTop = s.scrollHeight; }
    following = true;
  }

  // following is whether the thread shows its end: the agent has not
  // scrolled up since. A picture that loads later keeps the end in view.
  var following = true;
  document.addEventListener("scroll", function (e) {
    if (e.target === scroller()) { following = nearBottom(); }
  }, true);
  document.addEventListener("load", function (e) {
    var t = e.target;
    if (following && t.closest && t.closest("#thread .messages")) {
      var s = scroller();
      s.scrollTop = s.scrollHeight;
    }
  }, true);
  // The end stays in view, too, when the thread gets shorter under it: the
  // composer grows (the send guard's box, a failed send's reason, a
  // template's fields) or a phone's keyboard opens. Without this the
  // newest message, or a failed reply's Retry, went behind the composer.
  var sized = null, sizedHeight = 0;
  var resized = window.ResizeObserver ? new ResizeObserver(function () {
    var s = scroller();
    if (!s || s !== sized) { return; }
    if (following && s.clientHeight < sizedHeight) { s.scrollTop = s.scrollHeight; }
    sizedHeight = s.clientHeight;
  }) : null;
  function watchThreadSize() {
    var s = scroller();
    if (!resized || s === sized) { return; }
    if (sized) { resized.unobserve(sized); }
    sized = s;
    sizedHeight = s ? s.clientHeight : 0;
    if (s) { resized.observe(s); }
  }
  document.addEventListener("htmx:afterSwap", watchThreadSize);
  document.addEventListener("DOMContentLoaded", watchThreadSize);

  function markRead(id) {
    if (!id || document.visibilityState !== "visible") { return; }
    fetch("/conversations/" + id + "/read", {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken() },
      credentials: "same-origin"
    }).then(function (r) { if (r.ok) { readAll(id); } }, function () {});
  }

  // placeMessage puts a bubble where it belongs: in place of its older
  // self, or in time order, with a day separator when it starts a new day.
  // A bubble older than the one shown (a lower data-rev: the answer to a
  // Send that the websocket overtook with "sent") is dropped.
  function placeMessage(container, bubble) {
    var old = document.getElementById(bubble.id);
    if (old) {
      if (Number(old.getAttribute("data-rev")) <= Number(bubble.getAttribute("data-rev"))) { replaceKeepingFocus(old, bubble); }
      return false;
    }
    var ts = bubble.getAttribute("data-ts");
    var msgs = $$(".msg", container);
    var after = null;
    for (var i = msgs.length - 1; i >= 0; i--) {
      if (msgs[i].getAttribute("data-ts") <= ts) { after = msgs[i]; break; }
    }
    var day = bubble.getAttribute("data-day");
    if (after) {
      after.after(bubble);
      if (after.getAttribute("data-day") !== day) { bubble.before(daySeparator(day)); }
    } else if (msgs.length) {
      var first = msgs[0];
      var sep = first.previousElementSibling;
      (sep && sep.classList.contains("day") ? sep : first).before(bubble);
      if (!sep || sep.getAttribute("data-day") !== day) { bubble.before(daySeparator(day)); }
    } else {
      container.appendChild(daySeparator(day));
      container.appendChild(bubble);
    }
    return true;
  }

  // replaceKeepingSelection puts el in old's place, and keeps the text the
  // agent has selected in old (a tracking number, the customer's number,
  // to copy) selected in el where el shows the same text there: a bubble's
  // new tick or reaction, or the details redrawn, do not drop it.
  function replaceKeepingSelection(old, el) {
    var kept = selectionIn(old);
    old.replaceWith(el);
    reselect(el, kept);
  }

  // replaceKeepingFocus is replaceKeepingSelection for a bubble the agent
  // may be working in from the keyboard: the focus goes to the twin of
  // the control that had it (a note's "Edit or delete"), or, for a choice
  // of a menu that closed with the redraw (the reaction just picked), to
  // the menu's button; a control the bubble no longer has (Retry, once
  // the reply is on its way again) gives it to the composer.
  function replaceKeepingFocus(old, el) {
    var a = document.activeElement, had = old.contains(a) && a !== old;
    var key = had ? focusKey(old, a) : "";
    var menu = had && a.parentElement && a.parentElement.closest("details");
    var menuKey = menu && old.contains(menu) && $("summary", menu) ? focusKey(old, $("summary", menu)) : "";
    replaceKeepingSelection(old, el);
    if (!had) { return; }
    var f = (key && el.querySelector(key)) || (menuKey && el.querySelector(menuKey));
    if (f) {
      focusTwin(f, el);
    } else if (!document.activeElement || document.activeElement === document.body) {
      var box = composerBox();
      if (box) { box.focus({ preventScroll: true }); }
    }
  }

  // selectionIn is the agent's selection where it has an end within root,
  // each end as its node and offset and where it is within root: within
  // the nearest element with a test id (a row's name or preview, a
  // bubble's text), found again by its id and rank, else within root, so
  // that what a live update adds beside it (an assignee, a label) does
  // not lose it. Null when nothing is selected there.
  function selectionIn(root) {
    var sel = window.getSelection();
    if (!sel || !sel.rangeCount || sel.isCollapsed) { return null; }
    var ends = [[sel.anchorNode, sel.anchorOffset], [sel.focusNode, sel.focusOffset]].map(function (end) {
      var at = { node: end[0], offset: end[1], path: null, key: null };
      if (!root.contains(end[0])) { return at; }
      var el = end[0].nodeType === 1 ? end[0] : end[0].parentElement;
      var anchor = el.closest("[data-testid]");
      if (anchor && anchor !== root && root.contains(anchor)) {
        var id = anchor.getAttribute("data-testid");
        at.key = { id: id, rank: $$('[data-testid="' + CSS.escape(id) + '"]', root).indexOf(anchor) };
      } else {
        anchor = root;
      }
      at.path = pathTo(anchor, end[0]);
      return at;
    });
    return ends[0].path || ends[1].path ? ends : null;
  }

  // reselect selects again what selectionIn kept, its ends within root now
  // (the old root's twin, or the old root with new content) where root has
  // the same text at the same place.
  function reselect(root, ends) {
    if (!ends) { return; }
    var twins = ends.map(function (end) {
      if (!end.path) { return end.node; }
      var anchor = end.key ? $$('[data-testid="' + CSS.escape(end.key.id) + '"]', root)[end.key.rank] : root;
      var n = anchor && nodeAt(anchor, end.path);
      if (!n || n.nodeName !== end.node.nodeName || (n.nodeType === 3 && n.data !== end.node.data)) { return null; }
      return n;
    });
    if (!twins[0] || !twins[1]) { return; }
    try {
      window.getSelection().setBaseAndExtent(twins[0], ends[0].offset, twins[1], ends[1].offset);
    } catch (e) {
      // an offset the twin does not have: the selection goes, as before
    }
  }

  // pathTo is where node is within root, as indexes among the children
  // that are not the spaces between elements (a part the server draws and
  // the same part drawn live may have them in different places); null for
  // such a space. nodeAt finds the node at such a path.
  function pathTo(root, node) {
    var path = [];
    for (var n = node; n !== root; n = n.parentNode) {
      var i = kids(n.parentNode).indexOf(n);
      if (i < 0) { return null; }
      path.unshift(i);
    }
    return path;
  }

  function nodeAt(root, path) {
    var n = root;
    for (var i = 0; n && i < path.length; i++) { n = kids(n)[path[i]]; }
    return n || null;
  }

  function kids(n) {
    return Array.prototype.filter.call(n.childNodes, function (c) { return c.nodeType !== 3 || c.data.trim() !== ""; });
  }

  function daySeparator(day) {
    var d = document.createElement("div");
    d.className = "day";
    d.setAttribute("role", "separator");
    d.setAttribute("data-day", day);
    d.setAttribute("data-testid", "day");
    var span = document.createElement("span");
    span.textContent = dayLabel(day);
    d.appendChild(span);
    return d;
  }

  // dayLabel says a day as the server's separators do: "Monday, 2 January 2006".
  function dayLabel(day) {
    var parsed = new Date(day + "T12:00:00Z");
    if (isNaN(parsed)) { return day; }
    var p = {};
    new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" })
      .formatToParts(parsed).forEach(function (x) { p[x.type] = x.value; });
    return p.weekday + ", " + p.day + " " + p.month + " " + p.year;
  }

  // placeBubble puts a bubble from the server in its thread, if the page
  // shows that thread. It reports whether the bubble is new.
  function placeBubble(bubble) {
    var box = document.getElementById("msgs-" + bubble.getAttribute("data-conversation"));
    if (!box) { return false; }
    var at = new Date(bubble.getAttribute("data-ts"));
    if (!isNaN(at)) { bubble.setAttribute("data-day", dayOf(at)); }
    localize(bubble);
    personalise(bubble);
    var added = placeMessage(box, bubble);
    if (window.htmx) { htmx.process(bubble); }
    return added;
  }

  // swapPart replaces a thread's header, details or composer with a live
  // one. A composer is swapped only when what it offers changes (the
  // window opened or closed), never under an agent's typing.
  function swapPart(el) {
    var old = el.id && document.getElementById(el.id);
    if (!old) { return; }
    if (old.classList.contains("composer") && old.getAttribute("data-mode") === el.getAttribute("data-mode")) { return; }
    var focused = focusKey(old, document.activeElement);
    localize(el);
    personalise(el);
    if (swapComposer(old, el, focused)) { return; }
    keepOpen(old, el);
    var caret = focused && caretOf(document.activeElement), scroll = old.scrollTop;
    replaceKeepingSelection(old, el);
    if (window.htmx) { htmx.process(el); }
    keepSending(old, el);
    if (el.classList.contains("composer")) { restoredComposer(el); }
    markDetails();
    // The details, scrolled down to the contact's notes, stay there.
    el.scrollTop = scroll;
    var f = focused && (old === document.activeElement ? el : el.querySelector(focused));
    if (f && focusTwin(f, el)) {
      if (caret && f.value === caret.value) { f.setSelectionRange(caret.start, caret.end, caret.dir); }
    }
  }

  // focusTwin gives the focus to f, the twin of the control that had it,
  // within the new part. A twin the agent cannot reach any more ("Assign
  // to me" once the conversation is theirs, a choice of a menu that
  // closed) passes it to the control before it in the part (the assignee
  // picker, showing the agent; the menu's button), so that the keyboard
  // goes on from there, not from the top of the page. It reports whether
  // f itself took it.
  function focusTwin(f, part) {
    f.focus({ preventScroll: true });
    if (document.activeElement === f) { return true; }
    var to = null;
    $$("a[href], button, select, input, textarea, summary, [tabindex]", part).forEach(function (c) {
      if (c.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING && !c.disabled && c.tabIndex >= 0 && c.getClientRects().length > 0) { to = c; }
    });
    if (to) { to.focus({ preventScroll: true }); }
    return false;
  }

  // caretOf is where the caret (or the selection) is in a text field, to
  // be put back in its twin: setting a field's value puts it at the end.
  function caretOf(el) {
    try {
      if (typeof el.selectionStart !== "number") { return null; }
      return { value: el.value, start: el.selectionStart, end: el.selectionEnd, dir: el.selectionDirection };
    } catch (e) {
      return null; // a field without a caret (a date, a checkbox)
    }
  }

  // focusKey names the element with the focus within a part about to be
  // replaced, so that its twin in the new part can take the focus: by its
  // id, or by what it is (a menu's time field, a label's checkbox, a
  // menu's button) within the menu it is in.
  function focusKey(root, el) {
    if (!el || el === root || !root.contains(el)) { return ""; }
    if (el.id) { return "#" + CSS.escape(el.id); }
    var key = el.tagName.toLowerCase();
    ["data-testid", "name", "value"].forEach(function (a) {
      var v = el.getAttribute(a);
      if (v !== null) { key += "[" + a + '="' + CSS.escape(v) + '"]'; }
    });
    var menu = el.parentElement && el.parentElement.closest("[data-testid]");
    if (menu && root.contains(menu)) { key = '[data-testid="' + CSS.escape(menu.getAttribute("data-testid")) + '"] ' + key; }
    return key;
  }

  // A menu the agent has open in a thread's header (Labels, Snooze), or
  // the contact's form in the details, stays open when a live update
  // replaces its part, with what the agent typed into it (the name and
  // notes, a snooze's time); a menu's ticks are the new part's, as the
  // team left them. A menu's twin is found by its name, the form by its
  // class (there is one). A field the agent did not change shows what the
  // update brings (a teammate's new notes); one the agent changed keeps
  // the version of the text it started from (data-version-of), so that
  // saving it over a teammate's newer notes is refused, not silent.
  function keepOpen(old, el) {
    $$("details.menu[open][data-testid], details.contact-edit[open]", old).forEach(function (d) {
      var id = d.getAttribute("data-testid");
      var nd = el.querySelector(id ? 'details.menu[data-testid="' + CSS.escape(id) + '"]' : "details.contact-edit");
      if (!nd) { return; }
      nd.open = true;
      $$("input[name]:not([type=checkbox]):not([type=radio]):not([type=hidden]), textarea[name]", d).forEach(function (a) {
        var b = nd.querySelector('[name="' + CSS.escape(a.name) + '"]');
        if (!b || a.value === a.defaultValue) { return; }
        b.value = a.value;
        var was = d.querySelector('input[data-version-of="' + CSS.escape(a.name) + '"]');
        var nwas = nd.querySelector('input[data-version-of="' + CSS.escape(a.name) + '"]');
        if (was && nwas) { nwas.value = was.value; }
      });
    });
  }

  // A control of a thread's header that sends what the agent chose in it
  // (Snooze's form, a label's tick) holds any request the agent makes with
  // it while one is on its way (another snooze, the label unticked) until
  // that one is answered; htmx keeps the next request on the control, and
  // drops it if the control has left the page by then. A live update that
  // replaces the header (the agent's own change, a teammate's, a new
  // message) therefore keeps such a control in place of its twin, as the
  // agent left it, so that their last choice goes, after the one before.
  // Once its requests are done the twin takes its place, showing what the
  // team has: at once after a refusal; after a success, only if the twin
  // came after the last request went (before, the live update of the
  // agent's change is still to come and brings it). A button that sends
  // the same each time (Resolve, Assign to me) loses nothing if a second
  // press is dropped, and is replaced as the rest of the header is.
  var sending = new Map(); // control -> { n: requests on their way, seq: the last one's, twin, twinSeq }
  var sendSeq = 0;

  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt, xhr = e.detail.xhr;
    if (!elt || !xhr || !elt.matches || !elt.matches(".thread-head form, .thread-head input")) { return; }
    var s = sending.get(elt) || { n: 0, twin: null, twinSeq: 0 };
    s.n++;
    s.seq = ++sendSeq;
    sending.set(elt, s);
    // htmx sends the request held behind this one as it hands this one's
    // answer out (before loadend), so n counts it by then.
    xhr.addEventListener("loadend", function () {
      if (--s.n > 0) { return; }
      sending.delete(elt);
      var ok = xhr.status >= 200 && xhr.status < 300;
      if (!s.twin || !elt.isConnected || (ok && s.twinSeq < s.seq)) { return; }
      var had = elt.contains(document.activeElement);
      var key = had && elt !== document.activeElement ? focusKey(elt, document.activeElement) : "";
      elt.replaceWith(s.twin);
      if (window.htmx) { htmx.process(s.twin); }
      var f = had && (key ? s.twin.parentElement && s.twin.parentElement.querySelector(key) : s.twin);
      if (f) { f.focus({ preventScroll: true }); }
    });
  });

  // keepSending puts the controls of the replaced part old that have
  // requests on their way in place of their twins in el, once htmx has
  // readied el (readying a control again would clear the requests htmx
  // keeps on it).
  function keepSending(old, el) {
    sending.forEach(function (s, elt) {
      if (!old.contains(elt) || elt === old) { return; }
      var key = elt.id ? "#" + CSS.escape(elt.id) : focusKey(old, elt);
      var twin = key && el.querySelector(key);
      if (!twin || twin === el) { return; }
      twin.replaceWith(elt);
      s.twin = twin;
      s.twinSeq = sendSeq;
    });
  }

  // restoredComposer puts the kept drafts back in a composer a live update
  // brought, and tells static/notes.js, whose send guard counts such a
  // draft from the thread as it is now, as it does after a reload.
  function restoredComposer(c) {
    restoreDrafts(c);
    c.dispatchEvent(new CustomEvent("switchboard:composer", { bubbles: true }));
  }

  // A composer that changes what it offers (the window opened or closed)
  // keeps the note being written as it was: only the reply part is
  // replaced, so the Note tab, the note's text, its caret, the focus and
  // the @mention picker stay where the agent left them; a reply being
  // written gives the focus to the reply part that took its place.
  function swapComposer(old, el, focused) {
    var note = $("form[data-note]", old);
    if (!old.classList.contains("composer") || !note || !$("form[data-note]", el)) { return false; }
    Array.prototype.slice.call(el.attributes).forEach(function (a) {
      if (a.name !== "data-tab") { old.setAttribute(a.name, a.value); }
    });
    Array.prototype.slice.call(old.children).forEach(function (c) {
      if (c !== note && !c.classList.contains("composer-tabs")) { c.remove(); }
    });
    Array.prototype.slice.call(el.children).forEach(function (c) {
      if (c.matches("form[data-note]") || c.classList.contains("composer-tabs")) { return; }
      note.before(c);
      if (window.htmx) { htmx.process(c); }
    });
    restoredComposer(old);
    if (focused && !old.contains(document.activeElement)) {
      var f = $("form[data-reply] textarea, form[data-template-form] select", old);
      if (f) { f.focus({ preventScroll: true }); }
    }
    return true;
  }

  // threadGone says, in place of the open thread, that its conversation
  // no longer exists (one that held only a delivery report goes once the
  // report joins its reply), with the way back to the list, and the page
  // stops following it. The address becomes the list's, which a reload
  // can show.
  function threadGone(id) {
    if (!id || openConversationID() !== id) { return; }
    var slot = $("#thread"), back = $("#thread [data-back]");
    var href = back ? back.getAttribute("href") : "/inbox";
    var had = slot.contains(document.activeElement) || document.activeElement === document.body || !document.activeElement;
    var box = document.createElement("div");
    box.className = "empty empty-thread";
    box.setAttribute("role", "status");
    box.setAttribute("data-thread-gone", "");
    box.setAttribute("data-testid", "thread-gone");
    var p = document.createElement("p"), b = document.createElement("strong");
    b.textContent = "This conversation no longer exists.";
    p.appendChild(b);
    var why = document.createElement("p");
    why.className = "muted";
    why.textContent = "It held only a delivery report, which is now with its reply in the customer's conversation. Nothing was lost.";
    var a = document.createElement("a");
    a.className = "btn";
    a.href = href;
    a.setAttribute("data-gone-back", "");
    a.setAttribute("data-testid", "thread-gone-back");
    a.textContent = "Back to the list";
    box.append(p, why, a);
    slot.replaceChildren(box);
    if (/^\/conversations\//.test(location.pathname)) { history.replaceState({ htmx: true }, "", href); }
    markSelected();
    subscribe();
    if (had) { a.focus({ preventScroll: true }); }
  }

  // goneOrSay tells of an action in the open thread refused with 404: if
  // its conversation no longer exists the thread says so (threadGone) and
  // the message at the foot of the screen too, else the server's words
  // (by say, when given, else in that message).
  function goneOrSay(msg, say) {
    say = say || failed;
    var id = openConversationID();
    if (!id) { say(msg); return; }
    fetch("/conversations/" + encodeURIComponent(id), { headers: { "HX-Request": "true" }, credentials: "same-origin" }).then(function (r) {
      if (r.status !== 404) { say(msg); return; }
      threadGone(id);
      failed("That was not done: this conversation no longer exists.");
    }, function () { say(msg); });
  }

  // On a phone the thread's back button (and a gone thread's "Back to the
  // list", on any screen) shows the list again in the page,
  // as it is now (hidden, it kept its live updates), rather than loading
  // it anew: the pane lets the thread go, the page stops following it, and
  // the address is the list's. Back in the browser then loads the thread's
  // address afresh, as any Back does (htmx keeps no copies of pages).
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("#thread .back, #thread [data-gone-back]");
    if (!a || !$("#conv-list") || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) { return; }
    e.preventDefault();
    var left = openConversationID(), empty = document.getElementById("no-thread");
    $("#thread").replaceChildren(empty ? empty.content.cloneNode(true) : "");
    history.pushState({ htmx: true }, "", a.getAttribute("href"));
    markSelected();
    subscribe();
    var row = left && document.getElementById("c-" + left);
    if (!row) { return; }
    // Rows that came in above while the list was hidden moved it: the row
    // left goes back to where it was on the screen when it was opened.
    var list = $("#conv-list");
    if (opened && opened.id === row.id) {
      list.scrollTop += row.getBoundingClientRect().top - list.getBoundingClientRect().top - opened.off;
    }
    row.focus();
  });

  // opened is the row last opened from the list, and how far below the
  // list's top it was then.
  var opened = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    var row = e.detail.elt;
    var list = row && row.matches && row.matches("#conv-list .row") && $("#conv-list");
    if (list) { opened = { id: row.id, off: row.getBoundingClientRect().top - list.getBoundingClientRect().top }; }
  });

  // Below 1180 px the details are hidden until their button opens them
  // over the thread (on a phone, in its place); their Close button, or
  // Escape within them, shuts them. Open stays open across live updates
  // of the header and the details, which replace both buttons.
  function detailsOpen() {
    var t = $("#thread .thread");
    return !!t && t.classList.contains("details-open");
  }

  function markDetails() {
    var open = String(detailsOpen());
    $$("#thread .details-toggle").forEach(function (b) { b.setAttribute("aria-expanded", open); });
  }

  function showDetails(open) {
    var t = $("#thread .thread");
    if (!t) { return; }
    t.classList.toggle("details-open", open);
    markDetails();
    var to = $(open ? "#thread .details-close" : "#thread .details-toggle");
    if (to) { to.focus(); }
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("#thread [data-details-toggle]");
    if (b) { showDetails(b.classList.contains("details-toggle") && !detailsOpen()); }
  });

  document.addEventListener("keydown", function (e) {
    var d = $("#thread .details");
    if (e.key === "Escape" && !e.defaultPrevented && detailsOpen() && d && d.contains(document.activeElement)) {
      showDetails(false);
    }
  });

  // Notes a teammate saved while the agent was editing: the answer says
  // so (a toast), the live update already shows theirs above the form, and
  // the agent's text stays in it, now counting from theirs: Save again
  // replaces them.
  // Watched from the request: a live update may replace the form while
  // the request is out.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt, xhr = e.detail.xhr;
    if (!form || !form.classList || !form.classList.contains("contact-form") || !xhr) { return; }
    xhr.addEventListener("loadend", function () {
      if (xhr.status !== 409) { return; }
      var body;
      try { body = JSON.parse(xhr.responseText); } catch (err) { return; }
      if (!body || !body.error || body.error.code !== "notes_changed") { return; }
      $$("details.contact-edit[open] input[name=notes_was]").forEach(function (i) { i.value = body.notesWas; });
    });
  });

  // Saved, the contact form closes (the details may have been replaced
  // by the live update already); the focus in it goes to its button.
  document.addEventListener("htmx:afterRequest", function (e) {
    if (!e.detail.successful || !e.detail.elt.classList || !e.detail.elt.classList.contains("contact-form")) { return; }
    $$("details.contact-edit[open]").forEach(function (d) {
      var had = d.contains(document.activeElement);
      d.open = false;
      var s = had && $("summary", d);
      if (s) { s.focus({ preventScroll: true }); }
    });
  });

  // The reply form's answer carries the new bubble, out of band.
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var target = e.detail.target;
    if (!target || !target.id || target.id.indexOf("msgs-") !== 0) { return; }
    e.detail.shouldSwap = false;
    var stick = nearBottom();
    Array.prototype.slice.call(e.detail.fragment.children || e.detail.fragment.childNodes).forEach(function (n) {
      if (n.nodeType === 1 && n.classList.contains("msg")) { placeBubble(n); }
    });
    if (stick) { scrollToBottom(); }
  });

  // A reaction picker gets the thread's one set of reactions
  // (views.ReactOptions) when it opens, aimed at its message.
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!d.matches || !d.matches("details.react-picker[data-react]") || !d.open || $(".react-options", d)) { return; }
    var tpl = $("#react-options");
    if (!tpl) { return; }
    var opts = tpl.content.firstElementChild.cloneNode(true);
    var url = "/messages/" + d.getAttribute("data-react") + "/react";
    $$("button[data-emoji]", opts).forEach(function (b) {
      b.setAttribute("hx-post", url);
      b.setAttribute("hx-vals", JSON.stringify({ emoji: b.getAttribute("data-emoji") }));
      b.setAttribute("hx-swap", "none");
    });
    d.appendChild(opts);
    if (window.htmx) { htmx.process(opts); }
  }, true);

  // --- the live connection --------------------------------------------------
  // The page tells the server what it shows (its list's filter and rows,
  // the open thread) and from where in the live stream it needs updates
  // (live.epoch, live.seq). The server sends only what the page shows:
  // rows to insert, move, update or remove, bubbles and thread parts for
  // the open thread. When it cannot replay what the page missed it says
  // "resync", and the page fetches its list and thread once.

  var live = { ws: null, epoch: "", seq: 0, retries: 0, limited: 0, full: 0, down: false, closed: false, resyncing: false, again: false, timer: 0 };

  function liveRoot() { return $('[data-live="/ws"]'); }

  // markFrom moves the live position back to a fragment's: the server
  // replays what came after it.
  function markFrom(el) {
    if (!el) { return; }
    var e = el.getAttribute("data-live-epoch"), s = parseInt(el.getAttribute("data-live-seq"), 10);
    if (!e || isNaN(s)) { return; }
    if (e !== live.epoch) {
      live.epoch = e;
      live.seq = s;
    } else {
      live.seq = Math.min(live.seq, s);
    }
  }

  function subscription() {
    var a = liveRoot();
    return {
      epoch: live.epoch,
      since: live.seq,
      list: $("#conv-list") ? {
        view: a.getAttribute("data-view") || "open",
        sender: a.getAttribute("data-sender") || "",
        channel: a.getAttribute("data-channel") || "",
        label: a.getAttribute("data-label") || ""
      } : null,
      rows: $$("#conv-list .row").slice(0, 1000).map(function (r) { return parseInt(r.getAttribute("data-conversation"), 10) || 0; }),
      open: parseInt(openConversationID(), 10) || 0,
      // The views' counts the navigation shows, kept live.
      counts: $$("[data-view-count]").map(function (el) { return el.getAttribute("data-view-count"); })
        .filter(function (k, i, all) { return all.indexOf(k) === i; })
    };
  }

  function subscribe() {
    if (live.ws && live.ws.readyState === WebSocket.OPEN && !live.resyncing) {
      live.ws.send(JSON.stringify(subscription()));
      sendPresence();
    }
  }

  function connect() {
    live.timer = 0;
    var a = liveRoot();
    if (!a || !window.WebSocket || live.closed) { return; }
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + a.getAttribute("data-live"));
    live.ws = ws;
    var opened = 0;
    ws.onopen = function () {
      opened = Date.now();
      live.retries = 0;
      live.full = 0;
      var b = $("#live-banner");
      if (b) {
        b.hidden = true;
        b.textContent = "Reconnecting...";
      }
      // Back after being cut off: the server replays the changes the page
      // missed, but not what its agent did meanwhile in other tabs (read
      // a conversation): the page fetches its list and thread once, then
      // subscribes from where it was, for the rest (the views' counts).
      if (live.down) {
        live.down = false;
        resyncNow(true);
        return;
      }
      subscribe();
    };
    ws.onmessage = function (e) {
      if (ws === live.ws && typeof e.data === "string") { applyLive(e.data); }
    };
    ws.onclose = function (e) {
      if (ws !== live.ws) { return; }
      live.ws = null;
      // 1008: the agent was signed out (signed out elsewhere, deactivated,
      // the password reset, or the session expired).
      if (e.code === 1008) {
        window.location = "/login";
        return;
      }
      if (live.closed) { return; }
      live.down = true;
      var b = $("#live-banner");
      if (b) { b.hidden = false; }
      // Cut off, the page no longer knows who views or types: it says
      // nobody rather than what it last heard; the server tells it again
      // once it is back.
      forgetPresence();
      // 4008: too many tabs of this agent are live. This one says why and
      // tries again now and then: once the agent closes another, it is in.
      // The first try comes soon, for a place another page of the agent
      // is about to leave (it is navigating), the next every 15 s or so.
      if (e.code === 4008) {
        if (b) { b.textContent = e.reason; }
        live.timer = setTimeout(connect, (live.full++ ? 15000 : 1500) * (0.5 + Math.random() / 2));
        return;
      }
      // 4029 (too many messages in a minute) and 1009 (a message too
      // big): the page went over the server's limits. It tries again after
      // a pause that doubles, from 5 s to a minute, with jitter, until a
      // connection lasts the server's minute, and says so meanwhile.
      if (opened && Date.now() - opened > 60000) { live.limited = 0; }
      if (e.code === 4029 || e.code === 1009) {
        var wait = Math.min(60000, 5000 * Math.pow(2, live.limited++)) * (0.5 + Math.random() / 2);
        if (b) {
          b.textContent = "Live updates are paused: this page sent the server more than it allows. " +
            "Trying again in " + Math.ceil(wait / 1000) + " s; reload the page if this goes on.";
        }
        live.timer = setTimeout(connect, wait);
        return;
      }
      // Backoff doubles from 250 ms to at most 5 s, with jitter, so a
      // page is back within seconds of the server, however long it was away.
      var delay = Math.min(5000, 250 * Math.pow(2, live.retries++)) * (0.5 + Math.random() / 2);
      live.timer = setTimeout(connect, delay);
      // Refused before it opened: the server may be back with the
      // agent's session ended (signed out elsewhere, deactivated), which
      // a websocket cannot tell the page. A plain request to the same
      // address can: 401, and the page goes to the sign-in page.
      if (!opened) {
        fetch(a.getAttribute("data-live"), { credentials: "same-origin" }).then(function (r) {
          if (r.status === 401) { window.location = "/login"; }
        }, function () { /* the server is away: the next attempt asks again */ });
      }
    };
  }

  // Back online: reconnect now rather than at the next attempt.
  window.addEventListener("online", function () {
    if (!live.ws && !live.closed && live.timer) {
      clearTimeout(live.timer);
      connect();
    }
  });

  window.addEventListener("pagehide", function () {
    live.closed = true;
    if (live.ws) { live.ws.close(1000); }
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) {
      live.closed = false;
      connect();
    }
  });

  function applyLive(data) {
    var t = document.createElement("template");
    t.innerHTML = data; // the server's templates escape everything
    var parts = Array.prototype.slice.call(t.content.children);
    var touched = {};
    parts.forEach(function (el) {
      var k = el.getAttribute("data-live");
      if (k === "row" || k === "gone") { touched[el.getAttribute("data-conversation")] = true; }
    });
    var anchor = listAnchor(touched);
    var stick = nearBottom();
    var open = openConversationID();
    var gotInbound = false, rows = false, resync = false;
    parts.forEach(function (el) {
      switch (el.getAttribute("data-live")) {
        case "seq":
          var n = parseInt(el.getAttribute("data-seq"), 10);
          if (n > live.seq) { live.seq = n; }
          break;
        case "resync":
          resync = true;
          break;
        case "msg":
          if (placeBubble(el) && el.getAttribute("data-direction") === "inbound") { gotInbound = true; }
          break;
        case "gone-msg":
          var m = document.getElementById("m-" + el.getAttribute("data-message"));
          if (m) { m.remove(); }
          break;
        case "thread":
          swapPart(el);
          break;
        case "row":
          upsertRow(el);
          rows = true;
          break;
        case "gone":
          removeRow(el.getAttribute("data-conversation"));
          rows = true;
          break;
        case "thread-gone":
          threadGone(el.getAttribute("data-conversation"));
          break;
        case "read":
          setRead(el.getAttribute("data-conversation"), parseInt(el.getAttribute("data-read"), 10));
          break;
        case "mention": // a note mentions this agent (static/notes.js)
        case "mentions": // the agent's unseen mentions changed
          document.dispatchEvent(new CustomEvent("switchboard:" + el.getAttribute("data-live"), { detail: {
            conversation: el.getAttribute("data-conversation"), message: el.getAttribute("data-message"),
            author: el.getAttribute("data-author"), count: parseInt(el.getAttribute("data-count"), 10) || 0 } }));
          break;
        case "mention-item": // an open Mentions page puts it at the top
          var li = el.content.firstElementChild, list = $("[data-testid=mention-list]");
          var empty = $("[data-testid=mentions-empty]");
          if (!li || (!list && !empty)) { break; }
          if (!list) {
            list = document.createElement("ul");
            list.className = "mention-list";
            list.setAttribute("data-testid", "mention-list");
            empty.replaceWith(list);
          }
          var was = document.getElementById(li.id);
          // An entry whose note was edited keeps its place.
          if (was && el.hasAttribute("data-in-place")) {
            was.replaceWith(li);
          } else {
            if (was) { was.remove(); }
            list.prepend(li);
          }
          localize(li);
          break;
        case "mention-gone": // the note that mentioned the agent is gone, or no longer does
          var gone = document.getElementById("mention-c-" + el.getAttribute("data-conversation"));
          if (gone) { gone.remove(); }
          break;
        case "notify":
          document.dispatchEvent(new CustomEvent("switchboard:notify", { detail: el })); // static/notify.js
          break;
        case "presence":
          showPresence(el);
          break;
        case "count":
          $$('[data-view-count="' + CSS.escape(el.getAttribute("data-view-count")) + '"]').forEach(function (c) {
            c.textContent = el.getAttribute("data-n");
          });
          break;
        case "team":
        case "labels":
          var old = $("#" + CSS.escape(el.id));
          if (old) {
            var same = old.innerHTML === el.innerHTML;
            old.replaceWith(el);
            personalise(document.body);
            if (el.id === "label-options" && !same) { labelsChanged(); }
          }
          break;
      }
    });
    if (rows) {
      keepAnchor(anchor);
      markSelected();
    }
    if (stick) { scrollToBottom(); }
    if (gotInbound) { markRead(open); }
    updateTitle();
    if (resync) { resyncNow(); }
  }

  function fetchFragment(url) {
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { window.location = "/login"; }
      return r.ok ? r.text() : Promise.reject(r.status);
    }).then(function (html) {
      var t = document.createElement("template");
      t.innerHTML = html;
      return t.content;
    });
  }

  // labelsChanged brings the open thread's header, whose Labels menu
  // offers the team's labels, as the server renders it now.
  function labelsChanged() {
    var id = openConversationID();
    if (!id) { return; }
    fetchFragment("/conversations/" + id + (appFilter() ? "?" + appFilter() : "")).then(function (frag) {
      var head = $("#head-" + CSS.escape(id), frag);
      if (head && openConversationID() === id) { swapPart(head); }
    }, function () { /* the next change of the conversation brings it */ });
  }

  // resyncNow fetches the list and the open thread once, keeping the
  // agent's scroll, focus and draft, then subscribes from where they are,
  // or with keep from where the page was, if that is earlier.
  function resyncNow(keep) {
    if (live.resyncing) {
      live.again = true;
      return;
    }
    live.resyncing = true;
    if (!keep) { live.epoch = ""; }
    var jobs = [];
    var list = $("#conv-list");
    if (list) {
      var limit = Math.min(Math.max($$(".row", list).length, 50), 200);
      var q = appFilter();
      jobs.push(fetchFragment("/inbox/list?" + (q ? q + "&" : "") + "limit=" + limit).then(function (frag) {
        markFrom($(".list-meta", frag));
        var focused = document.activeElement && document.activeElement.classList.contains("row")
          ? document.activeElement.getAttribute("data-conversation") : null;
        var scroll = list.scrollTop;
        list.replaceChildren(frag);
        readyRows(list);
        if (window.htmx) { htmx.process(list); }
        list.scrollTop = scroll;
        if (focused) {
          var r = document.getElementById("c-" + focused);
          if (r) { r.focus({ preventScroll: true }); }
        }
      }));
    }
    var id = openConversationID();
    if (id) {
      jobs.push(fetchFragment("/conversations/" + id + (appFilter() ? "?" + appFilter() : "")).catch(function (status) {
        // Gone meanwhile: the thread says so, and the rest goes on.
        if (status !== 404) { return Promise.reject(status); }
        threadGone(id);
        return null;
      }).then(function (frag) {
        var th = frag && $(".thread", frag);
        if (!th || openConversationID() !== id) { return; }
        markFrom(th);
        var stick = nearBottom();
        var msgs = $("#msgs-" + id, frag), box = document.getElementById("msgs-" + id);
        if (msgs && box) {
          box.replaceChildren.apply(box, Array.prototype.slice.call(msgs.childNodes));
          localize(box);
          personalise(box);
          if (window.htmx) { htmx.process(box); }
        }
        $$("[data-live=thread]", frag).forEach(swapPart);
        if (stick) { scrollToBottom(); }
      }));
    }
    Promise.all(jobs).then(function () {
      live.resyncing = false;
      updateTitle();
      if (live.again) {
        live.again = false;
        resyncNow();
        return;
      }
      subscribe();
    }, function () {
      // The server is busy or away: try again a little later.
      live.resyncing = false;
      setTimeout(resyncNow, 2000);
    });
  }

  // --- requests -----------------------------------------------------------

  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // A session that ended sends the agent to the sign-in page.
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && xhr.status === 401) { window.location = "/login"; }
  });

  // Keep the scroll position when an earlier page is put above the thread.
  var olderHeight = 0;
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.target && e.detail.target.classList && e.detail.target.classList.contains("older")) {
      var s = scroller();
      olderHeight = s ? s.scrollHeight - s.scrollTop : 0;
    }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    // "Load more" swaps itself for the next rows: each new element hears
    // of it (the button is gone).
    if (e.target.parentElement && e.target.parentElement.id === "conv-list") { listGrew(); }
    var t = e.detail.target;
    if (!t) { return; }
    if (t.id === "thread") {
      $$("[data-new-conversation]", t).forEach(channelSwitch);
      localize(t);
      personalise(t);
      restoreDrafts(t);
      markSelected();
      scrollToBottom();
      // Opening a thread does not mark it read on the server (a GET changes
      // nothing); the page says so once the agent can see it.
      markRead(openConversationID());
      var th = $("#thread .thread");
      if (th) { markFrom(th); }
      subscribe();
      if (th && window.matchMedia("(max-width: 760px)").matches) { th.scrollIntoView(); }
    } else if (t.id === "conv-list") {
      markSelected();
      updateTitle();
    }
  });

  // listGrew readies the rows "Load more" brought, once for all of them:
  // htmx tells each new element (the rows, and the next "Load more" if
  // there is one) in turn that it was swapped in, and this runs after the
  // last, before the page is painted. A "Load more" that had the focus
  // gives it to the first row it brought (after the row above it,
  // moreAfter).
  var growing = false, moreAfter = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    var b = e.detail.target;
    if (b && b.matches && b.matches("#conv-list .load-more") && document.activeElement === b) { moreAfter = b.previousElementSibling || b; }
  });
  function listGrew() {
    if (growing) { return; }
    growing = true;
    Promise.resolve().then(function () {
      growing = false;
      var list = $("#conv-list");
      if (!list) { return; }
      var after = moreAfter;
      moreAfter = null;
      var first = after && (after.isConnected ? after.nextElementSibling : null);
      if (first && first.classList.contains("row") && (document.activeElement === document.body || !document.activeElement)) {
        first.focus({ preventScroll: true });
      }
      readyRows(list);
      updateTitle();
      subscribe(); // the page shows more rows now
    });
  }

  // Messages from the thread's earlier pages.
  document.addEventListener("htmx:afterSettle", function (e) {
    var elt = e.detail.elt;
    if (olderHeight && elt && elt.closest && elt.closest(".messages")) {
      var s = scroller();
      if (s) { s.scrollTop = s.scrollHeight - olderHeight; }
      olderHeight = 0;
    }
    if (elt && elt.closest && elt.closest(".messages")) {
      localize(elt.closest(".messages"));
      personalise(elt.closest(".messages"));
    }
  });

  // --- feedback -------------------------------------------------------------
  // An action that fails says so where the agent looks, in the server's
  // plain words, with a way to try again; an action that can be taken back
  // offers Undo. One message at a time, at the foot of the screen.

  function failed(text, retry) {
    window.Switchboard.toast({ kind: "error", text: text, retry: retry });
  }

  function errorText(xhrOrText, fallback) {
    try { return JSON.parse(xhrOrText).error.message || fallback; } catch (err) { return fallback; }
  }

  // mayPassAgain says whether the same request, sent again, may get
  // through where it was refused with status: a busy or failing server or
  // Zavu, a timeout. A request refused for what it asks (a time in the
  // past, a teammate gone, 409 a teammate's change meanwhile) would be
  // refused again: its message has no Try again.
  function mayPassAgain(status) {
    return status >= 500 || status === 408 || status === 429;
  }

  // send posts a form to the server as the page's buttons do, and says so
  // when it fails, with Try again when the same may get through.
  function send(url, values) {
    var body = new URLSearchParams(values), refused = false, notFound = false;
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" },
      credentials: "same-origin",
      body: body
    }).then(function (r) {
      if (r.status === 401) { window.location = "/login"; }
      if (r.ok) { return r; }
      refused = !mayPassAgain(r.status);
      notFound = r.status === 404;
      return r.text().then(function (t) { return Promise.reject(errorText(t, "That did not work. Try again in a moment.")); });
    }, function () {
      return Promise.reject("Switchboard could not be reached. Check the connection and try again.");
    }).catch(function (msg) {
      if (notFound) { goneOrSay(msg); } else { failed(msg, refused ? null : function () { send(url, values); }); }
      return Promise.reject(msg);
    });
  }

  // Requests of the page's buttons (assign, resolve, react, retry...) that
  // fail; the composer says its own failures.
  // Watched from the request itself rather than htmx's responseError: a
  // live update may replace the button while its request is out (the
  // bubble of a reaction, a header), and htmx's events for a replaced
  // element reach nobody.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt, xhr = e.detail.xhr, cfg = e.detail.requestConfig || {};
    if (!elt || !xhr || (elt.closest && elt.closest(".composer"))) { return; }
    xhr.addEventListener("loadend", function () {
      if (xhr.status < 400 || xhr.status === 401) { return; } // 0: sendError below
      var msg = errorText(xhr.responseText, "That did not work. Try again in a moment.");
      if (xhr.status === 404) {
        goneOrSay(msg);
        return;
      }
      failed(msg, mayPassAgain(xhr.status) ? again(elt, cfg) : null);
    });
  });
  document.addEventListener("htmx:sendError", function (e) {
    if (!e.detail.elt || (e.detail.elt.closest && e.detail.elt.closest(".composer"))) { return; }
    failed("Switchboard could not be reached. Check the connection and try again.", again(e.detail.elt, e.detail.requestConfig || {}));
  });

  // --- the header's assignee picker ----------------------------------------
  // The agent may step the picker faster than the answers come (the arrow
  // keys change it, and so assign, at each step), and a live update may
  // replace the header meanwhile (the agent's own step, a teammate's
  // label, a new message). The agent's choices go one at a time for each
  // conversation, whichever picker made them, the latest waiting choice
  // replacing the one before it. Each starts from the assignee the
  // agent's previous step left (from), not from the one the header showed
  // before, which would have it refused as a teammate's change; a
  // teammate's change meanwhile is refused and told, never overridden.
  // While they are on their way the picker shows the agent's latest
  // choice, whatever live update replaced it (picks).
  function pickerForm(url) { return $('form.assign[data-assign="' + CSS.escape(url) + '"]'); }

  document.addEventListener("change", function (e) {
    var sel = e.target, form = sel.closest && sel.closest("form.assign[data-assign]");
    if (!form || sel.name !== "assignee") { return; }
    var url = form.getAttribute("data-assign");
    var p = picks[url];
    if (!p) {
      var from = $("input[name=from]", form);
      p = picks[url] = { want: "", from: from ? from.value : "", out: false };
      form.setAttribute("aria-busy", "true");
    }
    p.want = sel.value;
    pick(url);
  });

  function pick(url) {
    var p = picks[url];
    if (p.out) { return; }
    if (p.want === p.from) {
      picked(url, p.from);
      return;
    }
    var sent = p.want;
    p.out = true;
    send(url, { assignee: sent, from: p.from }).then(function () {
      p.out = false;
      p.from = sent;
      pick(url);
    }, function () {
      // Refused, or it could not be sent (the message says which): the
      // agent's later choices, which started from it, go no further. The
      // picker shows the header's assignee again, as a teammate's change
      // leaves it when its live update comes.
      picked(url, null);
    });
  }

  // picked ends the agent's run of choices: the picker now starts from
  // the assignee the last of them left, or, if none was made, shows the
  // header's.
  function picked(url, assignee) {
    delete picks[url];
    var form = pickerForm(url);
    if (!form) { return; }
    form.removeAttribute("aria-busy");
    var from = $("input[name=from]", form), sel = $("select[name=assignee]", form);
    if (assignee === null) {
      var head = form.closest("[data-assignee]");
      assignee = head ? head.getAttribute("data-assignee") : "";
      if (assignee === "0") { assignee = ""; }
      if (sel) { sel.value = assignee; }
    }
    if (from) { from.value = assignee; }
  }

  // again repeats what made a request: the same event on the same element,
  // or on the one a live update put in its place.
  function again(elt, cfg) {
    var type = cfg.triggeringEvent && cfg.triggeringEvent.type || "click";
    return function () {
      var el = elt.isConnected ? elt : twin(elt);
      if (!el) { return; }
      if (type === "click") { el.click(); } else if (window.htmx) { htmx.trigger(el, type); }
    };
  }

  // twin finds the element shown now that makes the same request as elt.
  function twin(elt) {
    var url = elt.getAttribute && elt.getAttribute("hx-post");
    if (!url) { return null; }
    var vals = elt.getAttribute("hx-vals") || "";
    return Array.prototype.find.call(document.querySelectorAll("[hx-post]"), function (o) {
      return o.getAttribute("hx-post") === url && (o.getAttribute("hx-vals") || "") === vals;
    }) || null;
  }

  // --- keyboard -----------------------------------------------------------
  // The list is one Tab stop (a roving tabindex): the row the agent last
  // moved to, else the open conversation's, else the first. j and k move
  // through it from there, whatever live updates did to the list meanwhile;
  // Tab goes on to the thread.

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  var rover = ""; // the conversation whose row is the list's Tab stop

  function roverRow(rows) {
    var r = rover && document.getElementById("c-" + rover);
    if (r && r.parentElement && r.parentElement.id === "conv-list") { return r; }
    return rows.find(function (x) { return x.classList.contains("selected"); }) || null;
  }

  function rove() {
    var rows = $$("#conv-list .row");
    var stop = roverRow(rows) || rows[0];
    rows.forEach(function (r) { r.tabIndex = r === stop ? 0 : -1; });
  }

  document.addEventListener("focusin", function (e) {
    var r = e.target;
    if (r.classList && r.classList.contains("row") && r.parentElement && r.parentElement.id === "conv-list") {
      rover = r.getAttribute("data-conversation");
      rove();
    }
  });

  function moveFocus(step) {
    var rows = $$("#conv-list .row");
    if (!rows.length) { return; }
    var i = rows.indexOf(document.activeElement);
    if (i < 0) { i = rows.indexOf(roverRow(rows)); }
    var next = rows[Math.max(0, Math.min(rows.length - 1, i < 0 ? 0 : i + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  // resolveAndNext resolves the open conversation and opens the next one in
  // the list, with Undo to take it back.
  function resolveAndNext() {
    var th = $("#thread .thread");
    var btn = $('#thread [data-action="resolve"]');
    if (!th || !btn) { return false; }
    var id = th.getAttribute("data-conversation");
    var url = btn.getAttribute("hx-post");
    var nameEl = $("[data-testid=thread-name]", th);
    var name = nameEl ? nameEl.textContent : "the conversation";
    var rows = $$("#conv-list .row");
    var i = rows.indexOf(document.getElementById("c-" + id));
    var next = i >= 0 ? rows[i + 1] || rows[i - 1] : null;
    send(url, { status: "resolved" }).then(function (r) { resolved(r.headers.get("Switchboard-Undo"), name); }, function () {});
    if (next) {
      next.focus();
      next.click();
    }
    return true;
  }

  // resolved says that the conversation name was resolved, with Undo,
  // which puts back what the resolve changed (open, snoozed until when it
  // was) through the bulk actions' undo and the token the resolve
  // answered with. The toast offers it for less than
  // inbox.ResolveUndoWindow, within which the reports count no resolve.
  function resolved(token, name) {
    window.Switchboard.toast({ kind: "done", text: "Resolved " + name + ".", undo: token ? function () { window.Switchboard.undo(token); } : null });
  }

  // The header's Resolve offers the same Undo as e, once the resolve is
  // answered (from the request itself: a live update may replace the
  // button while it is out).
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt, xhr = e.detail.xhr;
    if (!elt || !xhr || !elt.matches || !elt.matches('[data-action="resolve"]')) { return; }
    var th = elt.closest(".thread"), nameEl = th && $("[data-testid=thread-name]", th);
    var name = nameEl ? nameEl.textContent : "the conversation";
    xhr.addEventListener("loadend", function () {
      if (xhr.status >= 200 && xhr.status < 300) { resolved(xhr.getResponseHeader("Switchboard-Undo"), name); }
    });
  });

  function composerBox() { return $("#thread textarea[data-draft-key]"); }

  var shortcuts = [
    ["j / k", "Next / previous conversation"],
    ["Enter", "Open the conversation"],
    ["r", "Reply: focus the composer"],
    [";", "Insert a saved reply"],
    ["a", "Assign to me"],
    ["e", "Resolve and open the next"],
    ["z", "Snooze"],
    ["n", "Write a note for the team"],
    ["x", "Select for bulk actions"],
    ["u", "Undo, while the message offering it shows"],
    ["/", "Search"],
    ["?", "Show these shortcuts"]
  ];

  // showShortcuts opens the list of shortcuts in a dialog; Escape closes it.
  function showShortcuts() {
    var d = document.getElementById("shortcuts");
    if (!d) {
      d = document.createElement("dialog");
      d.id = "shortcuts";
      d.className = "shortcuts";
      d.setAttribute("aria-labelledby", "shortcuts-title");
      d.setAttribute("data-testid", "shortcuts");
      var h = document.createElement("h2");
      h.id = "shortcuts-title";
      h.textContent = "Keyboard shortcuts";
      var dl = document.createElement("dl");
      shortcuts.forEach(function (s) {
        var dt = document.createElement("dt");
        s[0].split(" / ").forEach(function (k, n) {
          if (n) { dt.appendChild(document.createTextNode(" / ")); }
          var kbd = document.createElement("kbd");
          kbd.textContent = k;
          dt.appendChild(kbd);
        });
        var dd = document.createElement("dd");
        dd.textContent = s[1];
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      var close = document.createElement("button");
      close.type = "button";
      close.className = "btn";
      close.textContent = "Close";
      close.addEventListener("click", function () { d.close(); });
      d.appendChild(h);
      d.appendChild(dl);
      d.appendChild(close);
      document.body.appendChild(d);
    }
    if (!d.open) { d.showModal(); }
  }

  // menuItems are the choices of a header menu the keyboard moves between.
  function menuItems(menu) {
    return $$(".menu-body button", menu).filter(function (b) { return !b.hidden && !b.disabled; });
  }

  // openSnooze opens the open thread's snooze menu with the focus on its
  // first preset.
  function openSnooze() {
    var menu = $('#thread [data-testid=snooze-menu]');
    if (!menu) { return false; }
    menu.open = true;
    var first = menuItems(menu)[0];
    if (first) { first.focus(); }
    return true;
  }

  // In a header menu, arrows move between the choices, Enter picks one and
  // Escape closes it, as it closes the other pop-ups (the reaction picker,
  // the search's filters and help), the focus back on its button.
  document.addEventListener("keydown", function (e) {
    var menu = e.target.closest && e.target.closest("details.menu[open], details.react-picker[open], details.search-help[open]");
    if (!menu || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) { return; }
    if (e.key === "Escape") {
      menu.open = false;
      $("summary", menu).focus();
      e.preventDefault();
      return;
    }
    if (!e.target.matches(".menu-body button")) { return; }
    var items = menuItems(menu), i = items.indexOf(e.target), n = -1;
    switch (e.key) {
      case "ArrowDown": n = (i + 1) % items.length; break;
      case "ArrowUp": n = (i - 1 + items.length) % items.length; break;
      case "Home": n = 0; break;
      case "End": n = items.length - 1; break;
    }
    if (n >= 0 && items[n]) { items[n].focus(); e.preventDefault(); }
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || typing(e.target)) { return; }
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) { return; }
    switch (e.key) {
      case "j": moveFocus(1); e.preventDefault(); break;
      case "k": moveFocus(-1); e.preventDefault(); break;
      case "?": showShortcuts(); e.preventDefault(); break;
      case "e":
        if (resolveAndNext()) { e.preventDefault(); }
        break;
      case "a":
        var me = $("#thread [data-assign-me]");
        if (me && !me.hidden) {
          send(me.getAttribute("hx-post"), JSON.parse(me.getAttribute("hx-vals"))).catch(function () {});
          e.preventDefault();
        }
        break;
      case "z":
        if (openSnooze()) { e.preventDefault(); }
        break;
      case "n":
        var tab = $('#thread [data-composer-tab="note"]');
        if (tab) { tab.click(); e.preventDefault(); }
        break;
      case "r":
        var ta = composerBox();
        if (ta) { ta.focus(); e.preventDefault(); }
        break;
      case ";":
        var box = composerBox();
        if (box) {
          e.preventDefault();
          box.focus();
          var v = box.value;
          box.setSelectionRange(v.length, v.length);
          box.setRangeText(v === "" || /\s$/.test(v) ? "/" : " /", v.length, v.length, "end");
          box.dispatchEvent(new Event("input", { bubbles: true }));
        }
        break;
    }
  });

  // --- composer -----------------------------------------------------------

  // GSM 03.38: these take one septet, the extension table's two; anything
  // else makes the whole SMS UCS-2. The server measures the same way
  // (inbox.MeasureSMS).
  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "^{}\\[~]|€\f";

  // A character is never cut between two segments of a long text: an
  // extension character's escape and the character go in one, and so do
  // the two UTF-16 halves of an emoji.
  function measureSMS(text) {
    var gsm = true, ch;
    for (ch of text) {
      if (GSM_BASIC.indexOf(ch) < 0 && GSM_EXT.indexOf(ch) < 0) { gsm = false; break; }
    }
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var units = 0, segments = 1, used = 0;
    for (ch of text) {
      // a septet or two in GSM-7; in UCS-2, the character's UTF-16 units
      var n = gsm ? (GSM_EXT.indexOf(ch) >= 0 ? 2 : 1) : ch.length;
      units += n;
      if (used + n > multi) { segments++; used = 0; }
      used += n;
    }
    if (units <= single) { segments = 1; }
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: segments, per: units <= single ? single : multi };
  }

  // lengthMeter counts a reply's characters as the limit comes near (the
  // last 500), and says by how many it is over: a paste longer than the
  // limit stays whole in the box, for the agent to shorten. With a file
  // attached the text is its caption, with a limit of its own.
  function lengthMeter(ta) {
    var meter = ta.form && $(".length-meter", ta.form);
    if (!meter) { return; }
    var file = $("input[type=file]", ta.form);
    var max = parseInt(meter.getAttribute(file && file.files.length ? "data-caption-max" : "data-max"), 10) || 4096;
    var n = Array.from(ta.value.replace(/\s+$/, "")).length; // as the server counts: code points, trailing space dropped
    var over = n > max;
    meter.textContent = n > max - 500 ? n + " / " + max + (over ? " characters: " + (n - max) + " too many" : " characters") : "";
    meter.classList.toggle("over", over);
  }

  function updateMeter(ta) {
    lengthMeter(ta);
    var form = ta.form;
    var meter = form && $(".sms-meter", form);
    if (!meter) { return; }
    var m = measureSMS(ta.value);
    meter.textContent = m.units + " / " + (m.per * m.segments) + " · " + m.segments +
      (m.segments === 1 ? " segment" : " segments") + " · " + m.encoding;
    meter.classList.toggle("over", m.segments > 1);
  }

  // A draft is its agent's own: it is kept in this browser under their
  // user id, so that a teammate who signs in here later neither sees it
  // nor sends it as theirs.
  function draftKey(ta) { return "draft:" + me() + ":" + ta.getAttribute("data-draft-key"); }

  // Drafts kept before they were the agent's own, under the conversation
  // alone, belong to nobody now: they go.
  function dropSharedDrafts() {
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var k = localStorage.key(i);
        if (/^(note-)?draft-\d+$/.test(k)) { localStorage.removeItem(k); }
      }
    } catch (e) { /* private mode */ }
  }

  function restoreDrafts(root) {
    $$("textarea[data-draft-key]", root).forEach(function (ta) {
      var d = null;
      try { d = localStorage.getItem(draftKey(ta)); } catch (e) { /* private mode */ }
      if (d && !ta.value) { ta.value = d; }
      updateMeter(ta);
    });
  }

  document.addEventListener("input", function (e) {
    var ta = e.target;
    if (ta.matches && ta.matches("textarea[data-draft-key]")) {
      try {
        if (ta.value) { localStorage.setItem(draftKey(ta), ta.value); }
        else { localStorage.removeItem(draftKey(ta)); }
      } catch (err) { /* private mode */ }
      updateMeter(ta);
    }
    var form = ta.closest && ta.closest("[data-template-form]");
    if (form) { templatePreview(form); }
  });

  document.addEventListener("keydown", function (e) {
    var ta = e.target;
    if (e.defaultPrevented) { return; } // the saved replies list took the key
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && ta.matches && ta.matches("textarea[data-draft-key]")) {
      e.preventDefault();
      var file = $("input[type=file]", ta.form);
      if (ta.value.trim() !== "" || (file && file.files.length)) { ta.form.requestSubmit(); }
    }
  });

  // An empty box with no file sends nothing.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("[data-composer]")) { return; }
    var ta = $("textarea", form), file = $("input[type=file]", form);
    if (ta.value.trim() === "" && !(file && file.files.length)) { e.preventDefault(); ta.focus(); }
  }, true);

  // What a reply or a note sent: the box may take more words while it is
  // on its way (a slow network), and those are not part of it.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt;
    if (!form || !form.matches || !form.matches("[data-composer]")) { return; }
    var ta = $("textarea", form);
    if (ta) { ta.setAttribute("data-sending", ta.value); }
  });

  // After a reply is accepted the box lets go of what it sent, and its
  // draft goes; what was typed since it went stays, as the draft.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form || !form.matches) { return; }
    if (!e.detail.successful) {
      var t = form.matches("[data-composer]") && $("textarea", form);
      if (t) { t.removeAttribute("data-sending"); }
      return;
    }
    if (form.matches("[data-composer]")) {
      var ta = $("textarea", form);
      var sent = ta.getAttribute("data-sending"), now = ta.value;
      ta.removeAttribute("data-sending");
      // Typed on after it: the rest. Changed otherwise: all of it, the
      // agent decides. Nothing since: empty.
      var rest = sent === null || now === sent ? "" : now.indexOf(sent) === 0 ? now.slice(sent.length).replace(/^\s+/, "") : now;
      try {
        if (rest) { localStorage.setItem(draftKey(ta), rest); } else { localStorage.removeItem(draftKey(ta)); }
      } catch (err) { /* private mode */ }
      ta.value = rest;
      // Emptied, it shows its placeholder from the top, not at the scroll
      // of the text it sent.
      if (!rest) { ta.scrollTop = 0; }
      if (rest) {
        // A draft of its own, for the send guard (static/notes.js) once
        // this answer's handlers have run.
        setTimeout(function () { ta.dispatchEvent(new Event("input", { bubbles: true })); }, 0);
      }
      var file = $("input[type=file]", form);
      if (file) { file.value = ""; }
      var name = $(".attach-name", form);
      if (name) { name.textContent = ""; }
      updateMeter(ta);
      ta.focus();
      scrollToBottom(); // the agent sees what they just sent
    } else if (form.matches("[data-template-form]")) {
      form.reset();
      templatePreview(form);
      scrollToBottom();
    }
  });

  // A failed send says why, in the composer's words from the server.
  function composerError(form, msg) {
    var p = $(".composer-error", form.closest(".composer"));
    if (!p) {
      p = document.createElement("p");
      p.className = "form-error composer-error";
      p.setAttribute("role", "alert");
      p.setAttribute("data-testid", "composer-error");
      form.before(p);
    }
    p.textContent = msg;
  }

  document.addEventListener("htmx:responseError", function (e) {
    var form = e.detail.elt;
    if (!form || !form.closest || !form.closest(".composer")) { return; }
    var msg = "The reply could not be sent.", code = "";
    try {
      var err = JSON.parse(e.detail.xhr.responseText).error;
      msg = err.message || msg;
      code = err.code || "";
    } catch (err) { /* not JSON */ }
    if (e.detail.xhr.status === 404) {
      goneOrSay(msg, function (m) { composerError(form, m); });
      return;
    }
    composerError(form, msg);
    // The server saw the window closed before this page did (its clock
    // is ahead): the picker it offers now takes the reply box's place.
    if (code === "whatsapp_window_closed") { followWindow(form.closest(".composer").getAttribute("data-conversation")); }
  });

  // A WhatsApp reply box is offered until the window closes
  // (data-window-closes). When nothing else happens in the conversation no
  // live update comes at that moment, so the page then asks for the
  // thread's composer and details again: the template picker takes the
  // reply box's place (its draft kept for when the customer writes), and
  // the details say the window closed. A page whose clock runs ahead of
  // the server's asks again at most every 30 s until the server agrees.
  var windowAsked = {};

  function followWindow(id) {
    if (!id) { return; }
    windowAsked[id] = Date.now();
    fetch("/conversations/" + encodeURIComponent(id), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        ["details-", "composer-"].forEach(function (prefix) {
          var el = tpl.content.getElementById(prefix + id);
          if (el) { swapPart(el); }
        });
      })
      .catch(function () { /* offline: the next round asks again */ });
  }

  setInterval(function () {
    var now = Date.now();
    $$("#thread .composer[data-window-closes]").forEach(function (c) {
      var id = c.getAttribute("data-conversation");
      var at = Date.parse(c.getAttribute("data-window-closes"));
      if (isNaN(at) || now < at || now - (windowAsked[id] || 0) < 30000) { return; }
      followWindow(id);
    });
  }, 2000);

  // One that never reached the server (the connection dropped, the server
  // restarting) says so too: the text stays, for Send once it is back.
  document.addEventListener("htmx:sendError", function (e) {
    var form = e.detail.elt;
    if (!form || !form.closest || !form.closest(".composer")) { return; }
    composerError(form, (form.matches("[data-note]") ? "The note was not added" : "The reply was not sent") +
      ": Switchboard could not be reached. Check the connection and send it again.");
  });

  function templatePreview(form) {
    var sel = $("select[name=templateId]", form);
    var box = $(".template-vars", form);
    var out = $(".template-preview", form);
    if (!sel || !box || !out) { return; }
    var opt = sel.selectedOptions[0];
    var n = opt ? parseInt(opt.getAttribute("data-vars") || "0", 10) : 0;
    if (box.getAttribute("data-for") !== sel.value) {
      box.setAttribute("data-for", sel.value);
      box.textContent = "";
      for (var i = 1; i <= n; i++) {
        var label = document.createElement("label");
        label.textContent = "Variable {{" + i + "}}";
        var input = document.createElement("input");
        input.type = "text";
        input.name = "var" + i;
        input.required = true;
        input.setAttribute("data-testid", "template-var");
        label.appendChild(input);
        box.appendChild(label);
      }
    }
    var body = opt ? opt.getAttribute("data-body") || "" : "";
    out.textContent = body.replace(/\{\{(\d+)\}\}/g, function (all, k) {
      var input = $('input[name="var' + k + '"]', box);
      return input && input.value ? input.value : all;
    });
  }

  function channelSwitch(form) {
    var ch = $("select[name=channel]", form);
    if (ch) { form.setAttribute("data-channel", ch.value); }
  }

  document.addEventListener("change", function (e) {
    var nc = e.target.closest && e.target.closest("[data-new-conversation]");
    if (nc) { channelSwitch(nc); }
    if (e.target.matches && e.target.matches("[data-composer] input[type=file]")) {
      var name = $(".attach-name", e.target.form);
      if (name) { name.textContent = e.target.files.length ? e.target.files[0].name : ""; }
      lengthMeter($("textarea", e.target.form));
    }
    var form = e.target.closest && e.target.closest("[data-template-form]");
    if (form) { templatePreview(form); }
  });

  // --- saved replies ------------------------------------------------------

  // Typing "/" at the start of the reply box, or after a space, opens the
  // team's saved replies matching what follows it. Up and Down choose, Enter
  // or Tab (or a click) puts the chosen one in place of the "/shortcut",
  // Escape closes the list. The server fills the placeholders for this
  // conversation's customer and the signed-in agent. While the list shows
  // options, Enter picks one rather than sending.

  var savedSeq = 0;        // the latest request; older answers are dropped
  var savedPending = false; // a request for the current "/shortcut" is on its way
  var savedPick = false;    // Enter came before the answer: insert the first option when it comes
  var savedInserting = false;

  // savedToken is the "/word" that ends at the caret, if it starts the box
  // or follows white space: where it starts and what follows the "/".
  function savedToken(ta) {
    if (ta.selectionStart !== ta.selectionEnd) { return null; }
    var before = ta.value.slice(0, ta.selectionStart);
    var m = /(^|\s)\/([A-Za-z0-9_-]*)$/.exec(before);
    if (!m) { return null; }
    return { start: before.length - m[2].length - 1, query: m[2] };
  }

  function savedList(ta) { return document.getElementById(ta.getAttribute("aria-controls") || ""); }
  function savedOptions(list) { return list ? $$("[role=option]", list) : []; }

  function savedStatus(ta, text) {
    var st = ta.form && $("[data-saved-status]", ta.form);
    if (st && st.textContent !== text) { st.textContent = text; }
  }

  function closeSaved(ta) {
    savedSeq++;
    savedPending = savedPick = false;
    var list = savedList(ta);
    if (list && !list.hidden) {
      list.hidden = true;
      list.textContent = "";
      list.removeAttribute("data-query");
    }
    ta.removeAttribute("aria-activedescendant");
    savedStatus(ta, "");
  }

  function activeSaved(list) {
    return savedOptions(list).findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }

  function setActiveSaved(ta, i) {
    var opts = savedOptions(savedList(ta));
    if (!opts.length) { ta.removeAttribute("aria-activedescendant"); return; }
    i = (i + opts.length) % opts.length;
    opts.forEach(function (o, k) { o.setAttribute("aria-selected", k === i ? "true" : "false"); });
    ta.setAttribute("aria-activedescendant", opts[i].id);
    opts[i].scrollIntoView({ block: "nearest" });
  }

  function updateSaved(ta) {
    var tok = savedToken(ta);
    var url = ta.getAttribute("data-saved-replies");
    if (!tok || !url) { closeSaved(ta); return; }
    var seq = ++savedSeq;
    savedPending = true;
    fetch(url + "?q=" + encodeURIComponent(tok.query), { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { window.location = "/login"; }
        return r.ok ? r.text() : Promise.reject(r.status);
      })
      .then(function (html) {
        var list = savedList(ta);
        var now = savedToken(ta);
        if (seq !== savedSeq || !list || document.activeElement !== ta || !now || now.query !== tok.query) { return; }
        savedPending = false;
        list.innerHTML = html; // escaped by the server's templates
        list.setAttribute("data-query", tok.query); // what it lists
        list.hidden = false;
        var n = savedOptions(list).length;
        if (savedPick) {
          savedPick = false;
          if (n) { insertSaved(ta, savedOptions(list)[0]); return; }
        }
        if (n) {
          setActiveSaved(ta, 0);
          savedStatus(ta, n + (n === 1 ? " saved reply" : " saved replies") +
            ". Up and down arrows to choose, Enter to insert, Escape to close.");
        } else {
          ta.removeAttribute("aria-activedescendant");
          savedStatus(ta, list.textContent.trim());
        }
      })
      .catch(function () { if (seq === savedSeq) { closeSaved(ta); } });
  }

  // insertSaved puts the option's text in place of the "/shortcut" and
  // leaves the caret after it; the draft and the SMS meter follow.
  function insertSaved(ta, opt) {
    var tok = savedToken(ta);
    closeSaved(ta);
    if (!tok || !opt) { return; }
    ta.setRangeText(opt.getAttribute("data-text") || "", tok.start, ta.selectionStart, "end");
    savedInserting = true;
    try { ta.dispatchEvent(new Event("input", { bubbles: true })); } finally { savedInserting = false; }
    ta.focus();
  }

  document.addEventListener("input", function (e) {
    var ta = e.target;
    if (!savedInserting && ta.matches && ta.matches("textarea[data-saved-replies]")) { updateSaved(ta); }
  });

  // In the capture phase, before the composer's own Enter-sends handler.
  document.addEventListener("keydown", function (e) {
    var ta = e.target;
    if (e.isComposing || !ta.matches || !ta.matches("textarea[data-saved-replies]")) { return; }
    var list = savedList(ta);
    if (savedPending && e.key === "Enter" && !e.shiftKey && savedToken(ta)) {
      // Typed faster than the list came: the saved reply, not "/shortcut",
      // is what the agent meant to send.
      e.preventDefault();
      savedPick = true;
      return;
    }
    if (!list || list.hidden) { return; }
    var opts = savedOptions(list);
    switch (e.key) {
      case "ArrowDown":
      case "ArrowUp":
        if (!opts.length) { return; }
        e.preventDefault();
        setActiveSaved(ta, activeSaved(list) + (e.key === "ArrowDown" ? 1 : -1));
        break;
      case "Enter":
      case "Tab":
        if (e.shiftKey || e.ctrlKey || e.metaKey || e.altKey || !opts.length || !savedToken(ta)) {
          closeSaved(ta);
          return;
        }
        e.preventDefault();
        insertSaved(ta, opts[Math.max(0, activeSaved(list))]);
        break;
      case "Escape":
        e.preventDefault();
        e.stopPropagation();
        closeSaved(ta);
        break;
    }
  }, true);

  // Moving the caret away from the "/shortcut" updates or closes the list.
  document.addEventListener("keyup", function (e) {
    var ta = e.target;
    if (["ArrowLeft", "ArrowRight", "Home", "End"].indexOf(e.key) >= 0 && ta.matches && ta.matches("textarea[data-saved-replies]")) {
      var list = savedList(ta);
      if (list && !list.hidden) { updateSaved(ta); }
    }
  });

  document.addEventListener("focusout", function (e) {
    var ta = e.target;
    if (ta.matches && ta.matches("textarea[data-saved-replies]")) { closeSaved(ta); }
  });

  // A click picks an option; pressing the mouse keeps the focus in the box.
  document.addEventListener("mousedown", function (e) {
    if (e.target.closest && e.target.closest(".saved-suggest")) { e.preventDefault(); }
  });

  document.addEventListener("mouseover", function (e) {
    var opt = e.target.closest && e.target.closest(".saved-suggest [role=option]");
    if (!opt || opt.getAttribute("aria-selected") === "true") { return; }
    var ta = $('textarea[aria-controls="' + opt.parentElement.id + '"]');
    if (ta) { setActiveSaved(ta, savedOptions(opt.parentElement).indexOf(opt)); }
  });

  document.addEventListener("click", function (e) {
    var opt = e.target.closest && e.target.closest(".saved-suggest [role=option]");
    if (!opt) { return; }
    var ta = $('textarea[aria-controls="' + opt.parentElement.id + '"]');
    if (ta) { insertSaved(ta, opt); }
  });

  // --- small things -------------------------------------------------------

  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("auto-submit")) {
      e.target.form.submit();
    }
  });

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-copy]");
    if (!b) { return; }
    var src = $(b.getAttribute("data-copy"));
    if (src && navigator.clipboard) {
      navigator.clipboard.writeText(src.textContent.trim()).then(function () {
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = "Copy"; }, 1500);
      });
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      var row = $('#conv-list .row.selected.unread');
      if (row) { markRead(row.getAttribute("data-conversation")); }
    }
  });

  // --- presence -------------------------------------------------------------
  // Who else has the open thread, and who of them is typing. While the page
  // is visible it says every 2 s, over the live websocket, which thread it
  // shows and whether its agent typed in the composer in the last seconds
  // (a reply, or a note: the note form says data-note); at
  // once when the agent starts or stops typing, or the page hides. The
  // server sends each thread's viewers to its pages; the page leaves its
  // own agent out and fills the line under the thread's header.

  var presence = { typedAt: 0, typedIn: "", kind: "reply", sent: null, sentAt: 0, people: {} };
  var presenceBeat = 2000, typingFor = 2500;

  // Typing is in the thread typed in: an agent who opens another with a
  // draft unsent is only viewing it.
  function presenceTyping() {
    return presence.typedIn === openConversationID() && Date.now() - presence.typedAt < typingFor ? presence.kind : "";
  }

  function sendPresence() {
    var ws = live.ws, open = parseInt(openConversationID(), 10) || 0;
    if (!ws || ws.readyState !== WebSocket.OPEN || !open) { return; }
    var hidden = document.visibilityState === "hidden";
    var msg = { open: hidden ? 0 : open, typing: hidden ? "" : presenceTyping() };
    ws.send(JSON.stringify({ presence: msg }));
    presence.sent = msg;
    presence.sentAt = Date.now();
  }

  setInterval(function () {
    if (document.visibilityState !== "hidden") { sendPresence(); }
  }, presenceBeat);
  document.addEventListener("visibilitychange", sendPresence);

  function typingBox(el) {
    return el && el.matches && el.matches("#thread .composer textarea, #thread [data-typing-kind] textarea") ? el : null;
  }

  // Keys in the composer: say "typing" when it starts, then with the beat.
  document.addEventListener("input", function (e) {
    var ta = typingBox(e.target);
    if (!ta) { return; }
    var k = ta.closest("[data-typing-kind]");
    presence.kind = k ? k.getAttribute("data-typing-kind") : ta.closest("[data-note]") ? "note" : "reply";
    presence.typedAt = ta.value.trim() ? Date.now() : 0;
    presence.typedIn = openConversationID();
    var now = presenceTyping(), was = presence.sent ? presence.sent.typing : "";
    if (now !== was) { sendPresence(); }
  });

  // A sent reply or note ends the typing.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (form && form.closest && form.closest("#thread .composer, #thread [data-typing-kind]") && presence.typedAt) {
      presence.typedAt = 0;
      sendPresence();
    }
  });

  function showPresence(el) {
    var id = el.getAttribute("data-conversation");
    presence.people[id] = $$("i[data-user]", el).filter(function (p) {
      return p.getAttribute("data-user") !== me();
    }).map(function (p) {
      return { id: p.getAttribute("data-user"), name: p.getAttribute("data-name"), typing: p.getAttribute("data-typing") };
    });
    drawPresence(id);
  }

  function forgetPresence() {
    presence.people = {};
    drawPresence(openConversationID());
  }

  function namesOf(people) {
    var n = people.map(function (p) { return p.name; });
    if (n.length <= 2) { return n.join(" and "); }
    return n.slice(0, 2).join(", ") + " and " + (n.length - 2) + (n.length === 3 ? " other" : " others");
  }

  // drawPresence fills the thread's presence line: initials for each
  // teammate there, who types, who only looks.
  function drawPresence(id) {
    var line = document.getElementById("presence-" + id);
    if (!line) { return; }
    var people = presence.people[id] || [];
    var typists = people.filter(function (p) { return p.typing; });
    var lookers = people.filter(function (p) { return !p.typing; });
    var text = [];
    if (typists.length) {
      var notes = typists.every(function (p) { return p.typing === "note"; });
      text.push(namesOf(typists) + (typists.length === 1 ? " is" : " are") + (notes ? " writing a note..." : " typing..."));
    }
    if (lookers.length) {
      text.push(namesOf(lookers) + (lookers.length === 1 ? " is" : " are") + " also viewing");
    }
    var faces = document.createElement("span");
    faces.className = "presence-faces";
    faces.setAttribute("aria-hidden", "true");
    people.forEach(function (p) {
      var f = window.Switchboard.avatar(p.id, p.name, "avatar-sm");
      f.classList.add("presence-face");
      if (p.typing) { f.classList.add("typing"); }
      faces.appendChild(f);
    });
    var words = document.createElement("span");
    words.className = "presence-text";
    words.setAttribute("data-testid", "presence-text");
    words.textContent = text.join(" · ");
    line.replaceChildren.apply(line, people.length ? [faces, words] : []);
  }

  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "thread") { drawPresence(openConversationID()); }
  });

  // On a phone the admin sections are one row that scrolls sideways: the
  // current one is brought into sight.
  function showAdminSection() {
    var current = $(".admin-nav [aria-current=page]");
    var strip = current && current.closest("ul");
    if (!strip || strip.scrollWidth <= strip.clientWidth) { return; }
    var a = current.getBoundingClientRect(), s = strip.getBoundingClientRect();
    strip.scrollLeft += a.left + a.width / 2 - (s.left + s.width / 2);
  }

  document.addEventListener("DOMContentLoaded", function () {
    showAdminSection();
    localize(document.body);
    personalise(document.body);
    $$("#conv-list .row").forEach(showUnread);
    dropSharedDrafts();
    restoreDrafts(document);
    markSelected();
    updateTitle();
    scrollToBottom();
    markRead(openConversationID());
    markFrom(liveRoot());
    connect();
  });
})();
