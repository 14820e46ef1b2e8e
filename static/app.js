// Switchboard's behaviour in the agent's browser: CSRF header, live updates
// from the websocket, keyboard navigation, the tab title. No framework, no
// inline script: the Content-Security-Policy allows only files like this.
(function () {
  "use strict";

  var listRefreshTimer = null;
  var wasDisconnected = false;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function csrfToken() {
    var m = $('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  // The agent's time zone, so the server shows times as the agent lives them.
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* the server falls back to UTC */ }

  function openConversationID() {
    var t = $("#thread .thread");
    return t ? t.getAttribute("data-conversation") : "";
  }

  function appFilter() {
    var app = $(".app");
    return app ? app.getAttribute("data-filter") || "" : "";
  }

  // --- the list -----------------------------------------------------------

  function updateTitle() {
    var base = document.body.getAttribute("data-base-title") || document.title;
    var meta = $("#conv-list .list-meta");
    var n = meta ? parseInt(meta.getAttribute("data-unread"), 10) || 0 : 0;
    document.title = n > 0 ? "(" + n + ") " + base : base;
  }

  function markSelected() {
    var id = openConversationID();
    $$("#conv-list .row").forEach(function (r) {
      var on = r.getAttribute("data-conversation") === id;
      r.classList.toggle("selected", on);
      if (on) { r.setAttribute("aria-selected", "true"); } else { r.removeAttribute("aria-selected"); }
    });
    var app = $(".app");
    if (app) { app.classList.toggle("thread-open", id !== ""); }
  }

  // refreshList reloads the rows already shown (at least one page), so a
  // conversation moves to the top or leaves this view without the agent
  // losing the place.
  function refreshList() {
    var list = $("#conv-list");
    if (!list || !window.htmx) { return; }
    var shown = $$(".row", list).length;
    var limit = Math.min(Math.max(shown, 50), 200);
    var q = appFilter();
    var url = "/inbox/list?" + (q ? q + "&" : "") + "limit=" + limit;
    var focused = document.activeElement && document.activeElement.classList.contains("row")
      ? document.activeElement.getAttribute("data-conversation") : null;
    var scroll = list.scrollTop;
    htmx.ajax("GET", url, { target: "#conv-list", swap: "innerHTML" }).then(function () {
      list.scrollTop = scroll;
      markSelected();
      updateTitle();
      if (focused) {
        var r = $('#conv-list .row[data-conversation="' + focused + '"]');
        if (r) { r.focus({ preventScroll: true }); }
      }
    });
  }

  function scheduleListRefresh() {
    if (listRefreshTimer) { return; }
    listRefreshTimer = setTimeout(function () {
      listRefreshTimer = null;
      refreshList();
    }, 150);
  }

  function refreshThread() {
    var id = openConversationID();
    if (!id || !window.htmx) { return; }
    htmx.ajax("GET", "/conversations/" + id + "?" + appFilter(), { target: "#thread", swap: "innerHTML" });
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
  }

  function markRead(id) {
    if (!id || document.visibilityState !== "visible") { return; }
    fetch("/conversations/" + id + "/read", {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken() },
      credentials: "same-origin"
    }).then(scheduleListRefresh, function () {});
  }

  // placeMessage puts a bubble from the websocket where it belongs: in
  // place of its older self, or in time order, with a day separator when it
  // starts a new day.
  function placeMessage(container, bubble) {
    var old = document.getElementById(bubble.id);
    if (old) {
      old.replaceWith(bubble);
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

  function daySeparator(day) {
    var d = document.createElement("div");
    d.className = "day";
    d.setAttribute("role", "separator");
    d.setAttribute("data-day", day);
    d.setAttribute("data-testid", "day");
    var span = document.createElement("span");
    var parsed = new Date(day + "T12:00:00Z");
    span.textContent = isNaN(parsed) ? day : parsed.toLocaleDateString(undefined,
      { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
    d.appendChild(span);
    return d;
  }

  // A composer is swapped live only when what it offers changes (the
  // window opened or closed), never under an agent's typing.
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var target = e.detail.target;
    if (!target || !target.id || target.id.indexOf("composer-") !== 0) { return; }
    var next = e.detail.fragment.firstElementChild || e.detail.fragment;
    if (next && next.getAttribute && next.getAttribute("data-mode") === target.getAttribute("data-mode")) {
      e.detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target && e.detail.target.id && e.detail.target.id.indexOf("composer-") === 0) {
      restoreDrafts(document);
    }
  });

  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var target = e.detail.target;
    if (!target || !target.id || target.id.indexOf("msgs-") !== 0) { return; }
    e.detail.shouldSwap = false;
    var stick = nearBottom();
    var gotInbound = false;
    Array.prototype.slice.call(e.detail.fragment.children || e.detail.fragment.childNodes).forEach(function (n) {
      if (n.nodeType !== 1 || !n.classList.contains("msg")) { return; }
      var added = placeMessage(target, n);
      if (window.htmx) { htmx.process(n); }
      if (added && n.getAttribute("data-direction") === "inbound") { gotInbound = true; }
    });
    if (stick) { scrollToBottom(); }
    if (gotInbound) { markRead(openConversationID()); }
  });

  // --- the websocket ------------------------------------------------------

  document.addEventListener("htmx:wsAfterMessage", function () {
    var sig = $("#sb-signal");
    if (sig && sig.getAttribute("data-conversations")) {
      var resync = sig.getAttribute("data-resync");
      sig.removeAttribute("data-conversations");
      sig.removeAttribute("data-resync");
      scheduleListRefresh();
      if (resync) { refreshThread(); }
    }
  });

  document.addEventListener("htmx:wsOpen", function () {
    var b = $("#live-banner");
    if (b) { b.hidden = true; }
    if (wasDisconnected) {
      // Catch up on everything that happened while the line was down.
      wasDisconnected = false;
      refreshList();
      refreshThread();
    }
  });

  document.addEventListener("htmx:wsClose", function (e) {
    // 1008: the agent was signed out (deactivated, or the password was
    // reset by an admin). The sign-in page says what to do.
    if (e.detail && e.detail.event && e.detail.event.code === 1008) {
      window.location = "/login";
      return;
    }
    wasDisconnected = true;
    var b = $("#live-banner");
    if (b) {
      // 4008: too many tabs of this agent are live; this one stays
      // disconnected and says why.
      if (e.detail && e.detail.event && e.detail.event.code === 4008) {
        b.textContent = e.detail.event.reason;
      }
      b.hidden = false;
    }
  });

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
    var t = e.detail.target;
    if (!t) { return; }
    if (t.id === "thread") {
      $$("[data-new-conversation]", t).forEach(channelSwitch);
      restoreDrafts(t);
      markSelected();
      scrollToBottom();
      scheduleListRefresh();
      // Opening a thread does not mark it read on the server (a GET changes
      // nothing); the page says so once the agent can see it.
      markRead(openConversationID());
      var th = $("#thread .thread");
      if (th && window.matchMedia("(max-width: 760px)").matches) { th.scrollIntoView(); }
    } else if (t.id === "conv-list") {
      markSelected();
      updateTitle();
    }
  });

  document.addEventListener("htmx:afterSettle", function (e) {
    if (olderHeight && e.detail.elt && e.detail.elt.closest && e.detail.elt.closest(".messages")) {
      var s = scroller();
      if (s) { s.scrollTop = s.scrollHeight - olderHeight; }
      olderHeight = 0;
    }
  });

  // --- keyboard -----------------------------------------------------------

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function moveFocus(step) {
    var rows = $$("#conv-list .row");
    if (!rows.length) { return; }
    var i = rows.indexOf(document.activeElement);
    if (i < 0) { i = rows.findIndex(function (r) { return r.classList.contains("selected"); }); }
    var next = rows[Math.max(0, Math.min(rows.length - 1, i < 0 ? 0 : i + step))];
    next.focus();
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    switch (e.key) {
      case "j": moveFocus(1); e.preventDefault(); break;
      case "k": moveFocus(-1); e.preventDefault(); break;
      case "e":
        // Straight to htmx.ajax, not btn.click(): a thread swapped in a
        // moment ago may not have its htmx handlers yet.
        var btn = $('#thread [data-action="resolve"]');
        if (btn && window.htmx) {
          htmx.ajax("POST", btn.getAttribute("hx-post"), { source: btn, values: { status: "resolved" }, swap: "none" });
          e.preventDefault();
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

  function measureSMS(text) {
    var septets = 0, gsm = true;
    for (var ch of text) {
      if (GSM_BASIC.indexOf(ch) >= 0) { septets += 1; }
      else if (GSM_EXT.indexOf(ch) >= 0) { septets += 2; }
      else { gsm = false; break; }
    }
    var units = gsm ? septets : text.length; // JS length counts UTF-16 units
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var segments = units <= single ? 1 : Math.ceil(units / multi);
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: segments, per: units <= single ? single : multi };
  }

  function updateMeter(ta) {
    var form = ta.form;
    var meter = form && $(".sms-meter", form);
    if (!meter) { return; }
    var m = measureSMS(ta.value);
    meter.textContent = m.units + " / " + (m.per * m.segments) + " · " + m.segments +
      (m.segments === 1 ? " segment" : " segments") + " · " + m.encoding;
    meter.classList.toggle("over", m.segments > 1);
  }

  function restoreDrafts(root) {
    $$("textarea[data-draft-key]", root).forEach(function (ta) {
      var d = null;
      try { d = localStorage.getItem(ta.getAttribute("data-draft-key")); } catch (e) { /* private mode */ }
      if (d && !ta.value) { ta.value = d; }
      updateMeter(ta);
    });
  }

  document.addEventListener("input", function (e) {
    var ta = e.target;
    if (ta.matches && ta.matches("textarea[data-draft-key]")) {
      try {
        if (ta.value) { localStorage.setItem(ta.getAttribute("data-draft-key"), ta.value); }
        else { localStorage.removeItem(ta.getAttribute("data-draft-key")); }
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

  // After a reply is accepted the box empties, and its draft goes.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form || !form.matches || !e.detail.successful) { return; }
    if (form.matches("[data-composer]")) {
      var ta = $("textarea", form);
      try { localStorage.removeItem(ta.getAttribute("data-draft-key")); } catch (err) { /* private mode */ }
      ta.value = "";
      var file = $("input[type=file]", form);
      if (file) { file.value = ""; }
      var name = $(".attach-name", form);
      if (name) { name.textContent = ""; }
      updateMeter(ta);
      ta.focus();
    } else if (form.matches("[data-template-form]")) {
      form.reset();
      templatePreview(form);
    }
  });

  // A failed send says why, in the composer's words from the server.
  document.addEventListener("htmx:responseError", function (e) {
    var form = e.detail.elt;
    if (!form || !form.closest || !form.closest(".composer")) { return; }
    var msg = "The reply could not be sent.";
    try { msg = JSON.parse(e.detail.xhr.responseText).error.message || msg; } catch (err) { /* not JSON */ }
    var p = $(".composer-error", form.closest(".composer"));
    if (!p) {
      p = document.createElement("p");
      p.className = "form-error composer-error";
      p.setAttribute("role", "alert");
      p.setAttribute("data-testid", "composer-error");
      form.before(p);
    }
    p.textContent = msg;
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

  document.addEventListener("DOMContentLoaded", function () {
    restoreDrafts(document);
    markSelected();
    updateTitle();
    scrollToBottom();
    markRead(openConversationID());
  });
})();
