// Switchboard: the composer's Note tab, the @mention picker, the Mentions
// badge, and the send guard's "what changed" box. No build step, no eval.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // --- the Note tab -------------------------------------------------------

  function setTab(composer, tab) {
    if (!composer) { return; }
    composer.setAttribute("data-tab", tab);
    $$("[data-composer-tab]", composer).forEach(function (b) {
      b.setAttribute("aria-selected", b.getAttribute("data-composer-tab") === tab ? "true" : "false");
    });
    var ta = $(tab === "note" ? "form[data-note] textarea" : "form[data-reply] textarea", composer);
    if (ta) { ta.focus(); }
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-composer-tab]");
    if (b) { setTab(b.closest(".composer"), b.getAttribute("data-composer-tab")); }
  });

  // Ctrl/Cmd+Shift+N switches the open thread's composer between reply and
  // note.
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || !e.shiftKey || (e.key !== "N" && e.key !== "n")) { return; }
    var composer = $("#thread .composer");
    if (!composer) { return; }
    e.preventDefault();
    setTab(composer, composer.getAttribute("data-tab") === "note" ? "reply" : "note");
  });

  // --- the send guard -----------------------------------------------------

  // latestMessage is the id of the newest message the thread shows: ids
  // grow as messages arrive.
  function latestMessage(form) {
    var composer = form.closest(".composer");
    var box = composer && document.getElementById("msgs-" + composer.getAttribute("data-conversation"));
    var max = 0;
    if (box) {
      $$(".msg[id^='m-']", box).forEach(function (m) {
        var n = parseInt(m.id.slice(2), 10);
        if (n > max) { max = n; }
      });
    }
    return max;
  }

  // A draft starts when its box stops being empty (words, or a file
  // attached): the reply says which message the agent had seen then, and
  // the server stops it if the customer, a teammate or an assignment
  // changed the thread since.
  function trackDraft(form) {
    var since = $("input[data-draft-since]", form);
    if (!since) { return; }
    var ta = $("textarea", form), sel = $("select[name=templateId]", form);
    var file = $$("input[type=file]", form).some(function (f) { return f.files.length; });
    var empty = ta ? ta.value.trim() === "" && !file : !(sel && sel.value);
    if (empty) { since.value = ""; } else if (since.value === "") { since.value = String(latestMessage(form)); }
  }

  // A draft emptied makes what the guard held it for moot: its box and
  // its warning go.
  function dropHeld(form) {
    var composer = form.closest(".composer");
    var box = composer && $(".draft-changed", composer);
    if (!box) { return; }
    box.remove();
    var err = $(".composer-error", composer);
    if (err) { err.remove(); }
  }

  // draftEmpty: nothing written, attached or chosen (trackDraft has run).
  function draftEmpty(form) {
    var since = $("input[data-draft-since]", form);
    return !!since && since.value === "";
  }

  // draftEdited follows an edit of the draft in the form around target
  // that matches forms, if any.
  function draftEdited(target, forms) {
    var form = target.closest && target.closest(forms);
    if (!form) { return; }
    trackDraft(form);
    if (draftEmpty(form)) { dropHeld(form); }
  }

  document.addEventListener("input", function (e) { draftEdited(e.target, "form[data-reply], form[data-template-form]"); });
  document.addEventListener("change", function (e) { draftEdited(e.target, "form[data-template-form]"); });

  // Discard, in the guard's box: the held reply is not sent after all.
  // The box empties as if the agent had deleted the text (its saved draft
  // goes with it), and the warning goes.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-draft-discard]");
    var composer = b && b.closest(".composer");
    var form = composer && $("form[data-reply], form[data-template-form]", composer);
    if (!form) { return; }
    var ta = $("textarea", form), sel = $("select[name=templateId]", form);
    $$("input[type=file]", form).forEach(function (f) { f.value = ""; });
    $$(".attach-name", form).forEach(function (n) { n.textContent = ""; });
    if (ta) {
      ta.value = "";
      ta.dispatchEvent(new Event("input", { bubbles: true }));
    } else if (sel) {
      sel.value = "";
      sel.dispatchEvent(new Event("change", { bubbles: true }));
    }
    dropHeld(form);
    var f = ta || sel;
    if (f) { f.focus(); }
  });
  // A draft kept from before counts from the thread as it is when shown.
  function trackRestored(root) { $$("form[data-reply]", root).forEach(trackDraft); }
  document.addEventListener("DOMContentLoaded", function () { trackRestored(document); });
  document.addEventListener("htmx:afterSwap", function (e) { if (e.detail.target) { trackRestored(e.detail.target); } });
  // A composer a live update brought (static/app.js), its draft put back.
  document.addEventListener("switchboard:composer", function (e) { trackRestored(e.target); });

  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form || !form.matches || !e.detail.successful) { return; }
    if (form.matches("form[data-reply], form[data-template-form]")) {
      var since = $("input[data-draft-since]", form);
      if (since) { since.value = ""; }
      var box = $(".draft-changed", form.closest(".composer"));
      if (box) { box.remove(); }
    }
    // What went wrong last time is over once something went through.
    var err = form.closest(".composer") && $(".composer-error", form.closest(".composer"));
    if (err && form.matches("[data-composer], [data-template-form]")) { err.remove(); }
  });

  // 409 draft_changed: show what changed above the composer; the draft now
  // counts from the newest message, so a second Send goes through.
  document.addEventListener("htmx:responseError", function (e) {
    var form = e.detail.elt, xhr = e.detail.xhr;
    if (!form || !form.matches || !form.matches("form[data-reply], form[data-template-form]") || !xhr || xhr.status !== 409) { return; }
    var body;
    try { body = JSON.parse(xhr.responseText); } catch (err) { return; }
    if (!body || !body.error || body.error.code !== "draft_changed") { return; }
    var since = $("input[data-draft-since]", form);
    if (since) { since.value = String(body.latest); }
    var composer = form.closest(".composer");
    var box = $(".draft-changed", composer);
    if (!box) {
      box = document.createElement("section");
      box.className = "draft-changed";
      box.setAttribute("aria-label", "What changed while you were writing");
      box.setAttribute("data-testid", "draft-changed");
      form.before(box);
    }
    var t = document.createElement("template");
    t.innerHTML = body.html || ""; // the server's templates escape everything
    // Copies of thread lines: no ids, nothing the live updates would take
    // for the real ones.
    $$("[id]", t.content).forEach(function (el) { el.removeAttribute("id"); });
    $$("[data-live]", t.content).forEach(function (el) { el.removeAttribute("data-live"); });
    box.replaceChildren(t.content);
    var bar = document.createElement("p");
    bar.className = "draft-actions";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "btn btn-quiet";
    discard.setAttribute("data-draft-discard", "");
    discard.setAttribute("data-testid", "draft-discard");
    discard.textContent = "Discard my reply";
    bar.appendChild(discard);
    box.appendChild(bar);
    window.Switchboard.localize(box); // in the agent's zone and format, as in the thread
    var ta = $("textarea", form);
    if (ta) { ta.focus(); }
  });

  // --- a note's actions ---------------------------------------------------
  // A note saved or deleted from its actions takes its bubble, and with it
  // the focus, away (redrawn, or gone). The keyboard goes on from the
  // note's "Edit or delete" again, once the redrawn bubble is ready (its
  // actions shown to its author, the live update of the edit placed), or,
  // the note gone, from the composer; unless the agent went elsewhere
  // meanwhile. Watched from the request itself: the form's own events
  // leave with it.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt, xhr = e.detail.xhr;
    var actions = form && xhr && form.closest && form.closest("[data-note-actions]");
    var bubble = actions && actions.closest("[id]");
    if (!bubble || !actions.contains(document.activeElement)) { return; }
    var until = 0, given = null;
    function refocus() {
      var a = document.activeElement;
      if (Date.now() > until || (a && a !== document.body && a !== given)) { return; }
      if (!a || a === document.body) {
        var now = document.getElementById(bubble.id);
        var to = now ? $("[data-note-actions] summary", now) :
          $$("#thread .composer textarea").filter(function (t) { return t.getClientRects().length > 0; })[0];
        if (to) { to.focus({ preventScroll: true }); }
        given = document.activeElement === to ? to : null;
      }
      requestAnimationFrame(refocus);
    }
    xhr.addEventListener("loadend", function () {
      if (xhr.status >= 400) { return; }
      until = Date.now() + 2000;
      refocus();
    });
  });

  // --- the Mentions badge -------------------------------------------------

  function setBadge(n) {
    $$("[data-mentions-badge]").forEach(function (b) {
      b.textContent = String(n);
      b.hidden = !(n > 0);
    });
  }
  // app.js turns the hub's "mention" and "mentions" direct messages into
  // these events.
  document.addEventListener("switchboard:mention", function (e) { setBadge(e.detail.count); });
  document.addEventListener("switchboard:mentions", function (e) { setBadge(e.detail.count); });

  // --- the @mention picker ------------------------------------------------

  var picking = false;

  function team() {
    var t = $("#team-options");
    if (!t) { return []; }
    return $$("option", t.content).map(function (o) { return { id: o.value, name: o.textContent.trim() }; });
  }

  // mentionToken is the "@na" before the caret, if the caret is in one.
  function mentionToken(ta) {
    var before = ta.value.slice(0, ta.selectionStart);
    var m = /(^|[\s(])@([^@\n]{0,40})$/.exec(before);
    if (!m) { return null; }
    return { start: before.length - m[2].length - 1, query: m[2].toLowerCase() };
  }

  function listOf(ta) { return document.getElementById(ta.getAttribute("aria-controls")); }

  function closePicker(ta) {
    var list = listOf(ta);
    if (list) { list.hidden = true; list.replaceChildren(); }
    ta.removeAttribute("aria-activedescendant");
  }

  function updatePicker(ta) {
    var list = listOf(ta), tok = mentionToken(ta);
    if (!list || !tok) { if (list) { closePicker(ta); } return; }
    var q = tok.query;
    var found = team().filter(function (p) {
      var n = p.name.toLowerCase();
      return n.indexOf(q) === 0 || n.split(/\s+/).some(function (w) { return w.indexOf(q) === 0; });
    }).slice(0, 8);
    if (!found.length) { closePicker(ta); return; }
    list.replaceChildren();
    found.forEach(function (p, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = list.id + "-" + p.id;
      li.setAttribute("data-name", p.name);
      li.setAttribute("data-testid", "mention-option");
      li.setAttribute("aria-selected", i === 0 ? "true" : "false");
      li.appendChild(window.Switchboard.avatar(p.id, p.name, "avatar-sm"));
      li.appendChild(document.createTextNode(p.name));
      list.appendChild(li);
    });
    list.hidden = false;
    ta.setAttribute("aria-activedescendant", list.firstChild.id);
  }

  function options(list) { return $$("[role=option]", list); }
  function active(list) {
    return options(list).findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }
  function setActive(ta, i) {
    var list = listOf(ta), opts = options(list);
    if (!opts.length) { return; }
    i = (i + opts.length) % opts.length;
    opts.forEach(function (o, k) { o.setAttribute("aria-selected", k === i ? "true" : "false"); });
    ta.setAttribute("aria-activedescendant", opts[i].id);
  }

  function pick(ta, opt) {
    var tok = mentionToken(ta);
    closePicker(ta);
    if (!tok || !opt) { return; }
    ta.setRangeText("@" + opt.getAttribute("data-name") + " ", tok.start, ta.selectionStart, "end");
    picking = true;
    try { ta.dispatchEvent(new Event("input", { bubbles: true })); } finally { picking = false; }
    ta.focus();
  }

  document.addEventListener("input", function (e) {
    var ta = e.target;
    if (!picking && ta.matches && ta.matches("textarea[data-mentions]")) { updatePicker(ta); }
  });

  // In the capture phase, before the composer's Enter-sends handler.
  document.addEventListener("keydown", function (e) {
    var ta = e.target;
    if (e.isComposing || !ta.matches || !ta.matches("textarea[data-mentions]")) { return; }
    var list = listOf(ta);
    if (!list || list.hidden) { return; }
    switch (e.key) {
      case "ArrowDown":
      case "ArrowUp":
        e.preventDefault();
        setActive(ta, active(list) + (e.key === "ArrowDown" ? 1 : -1));
        break;
      case "Enter":
      case "Tab":
        if (e.shiftKey || e.ctrlKey || e.metaKey || e.altKey) { closePicker(ta); return; }
        e.preventDefault();
        pick(ta, options(list)[Math.max(0, active(list))]);
        break;
      case "Escape":
        e.preventDefault();
        e.stopPropagation();
        closePicker(ta);
        break;
    }
  }, true);

  document.addEventListener("focusout", function (e) {
    var ta = e.target;
    if (ta.matches && ta.matches("textarea[data-mentions]")) { closePicker(ta); }
  });
  document.addEventListener("mousedown", function (e) {
    if (e.target.closest && e.target.closest(".mention-suggest")) { e.preventDefault(); }
  });
  document.addEventListener("click", function (e) {
    var opt = e.target.closest && e.target.closest(".mention-suggest [role=option]");
    if (!opt) { return; }
    var ta = $('textarea[aria-controls="' + opt.parentElement.id + '"]');
    if (ta) { pick(ta, opt); }
  });
})();
