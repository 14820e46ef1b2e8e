// Bulk actions on the conversation list (select rows with x or their
// checkbox, shift-click for a range; resolve, assign, label or snooze them;
// undo for 10 seconds) and the snooze menus.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function csrfToken() {
    var m = $('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  // The selected conversations' ids (strings), each with the assignee its
  // row showed when the agent selected it ("0": nobody). An assignment
  // sends them, and the server leaves alone any a teammate took since.
  var selected = new Map();
  var anchor = null; // the row last toggled, for shift-click ranges

  function rows() { return $$("#conv-list .row"); }
  function idOf(row) { return row.getAttribute("data-conversation"); }
  function pick(row) {
    if (!selected.has(idOf(row))) { selected.set(idOf(row), row.getAttribute("data-assignee") || "0"); }
  }

  // mark shows the selection on the rows and the bar; rows the websocket
  // swaps in get their mark again. A bar that hides with the focus in it
  // (its action done, Clear) gives the focus back to the list: to the row
  // back (the one last ticked) while it is there, else the open one, else
  // the first.
  function mark(back) {
    var shown = new Set(rows().map(idOf));
    selected.forEach(function (_, id) { if (!shown.has(id)) { selected.delete(id); } });
    rows().forEach(function (r) {
      var on = selected.has(idOf(r));
      r.classList.toggle("checked", on);
      var box = $("[data-select]", r);
      if (box) { box.setAttribute("aria-checked", on ? "true" : "false"); }
    });
    var bar = $("#bulk-bar");
    if (!bar) { return; }
    var had = bar.contains(document.activeElement);
    bar.hidden = selected.size === 0;
    var n = $("[data-bulk-count]", bar);
    if (n) { n.textContent = selected.size + " selected"; }
    if (had && bar.hidden) {
      var to = (back && back.isConnected && back) || $("#conv-list .row.selected") || rows()[0];
      if (to) { to.focus({ preventScroll: true }); }
    }
  }

  function toggle(row, range) {
    var id = idOf(row);
    var on = !selected.has(id);
    if (range && anchor) {
      var all = rows(), a = all.indexOf(anchor), b = all.indexOf(row);
      if (a >= 0 && b >= 0) {
        on = selected.has(idOf(anchor));
        all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (r) {
          if (on) { pick(r); } else { selected.delete(idOf(r)); }
        });
        mark();
        return;
      }
    }
    if (on) { pick(row); } else { selected.delete(id); }
    anchor = row;
    mark();
  }

  // The checkbox sits inside the row's link: its click selects and never
  // opens the conversation (capture, before htmx sees the click).
  document.addEventListener("click", function (e) {
    var box = e.target.closest && e.target.closest("[data-select]");
    if (box) {
      var row = box.closest(".row");
      e.preventDefault();
      e.stopPropagation();
      if (row) { toggle(row, e.shiftKey); }
      return;
    }
    var row2 = e.shiftKey && e.target.closest && e.target.closest("#conv-list .row");
    if (row2) { // shift-click on a row selects a range
      e.preventDefault();
      e.stopPropagation();
      toggle(row2, true);
    }
  }, true);

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    if (e.key === "x" || e.key === "X") {
      var row = document.activeElement && document.activeElement.closest && document.activeElement.closest("#conv-list .row");
      if (!row) { row = $("#conv-list .row.selected"); }
      if (row) { toggle(row, e.shiftKey); e.preventDefault(); }
    } else if (e.key === "Escape" && selected.size > 0) {
      selected.clear();
      mark();
    }
  });

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      credentials: "same-origin",
      body: body
    });
  }

  // undo asks the server to take back the bulk action its token names.
  function undo(token) {
    var body = new URLSearchParams();
    body.set("undo", token);
    post("/conversations/bulk/undo", body).then(function (r) {
      if (r.ok) {
        window.Switchboard.toast({ kind: "done", text: "Undone." });
      } else {
        window.Switchboard.toast({ kind: "error", text: "It is too late to undo that." });
      }
    }, function () {
      window.Switchboard.toast({ kind: "error", text: "Switchboard could not be reached. Check the connection and try again.", retry: function () { undo(token); } });
    });
  }

  // The resolve of one conversation (e, the header's Resolve) is undone
  // the same way.
  window.Switchboard.undo = undo;

  function bulk(action, value) {
    if (selected.size === 0) { return; }
    var body = new URLSearchParams();
    selected.forEach(function (from, id) { body.append("id", id); body.append("from", from); });
    body.set("action", action);
    if (value) { body.set("value", value); }
    post("/conversations/bulk", body).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (res) {
      if (!res.ok) {
        window.Switchboard.toast({ kind: "error", text: (res.j && res.j.error && res.j.error.message) || "That did not work; try again." });
        return;
      }
      var back = anchor;
      selected.clear();
      anchor = null;
      mark(back);
      var token = res.j.undo;
      // Conversations a teammate took meanwhile were left: the message
      // saying so stays until the agent dismisses it.
      window.Switchboard.toast({ kind: "done", text: res.j.message, undo: token ? function () { undo(token); } : null, stay: res.j.left > 0 });
    }).catch(function () {
      window.Switchboard.toast({ kind: "error", text: "That did not work; try again.", retry: function () { bulk(action, value); } });
    });
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("#bulk-bar button[data-bulk]");
    if (b) {
      var what = b.getAttribute("data-bulk");
      if (what === "clear") { selected.clear(); mark(anchor); } else { bulk(what, ""); }
      return;
    }
  });

  document.addEventListener("change", function (e) {
    var s = e.target.closest && e.target.closest("#bulk-bar select[data-bulk]");
    if (!s || !s.value) { return; }
    var v = s.value;
    s.value = "";
    bulk(s.getAttribute("data-bulk"), v);
  });

  // "This evening" is offered only while 18:00 is more than an hour away
  // in the agent's own time.
  function fixSnoozeMenus() {
    var late = new Date().getHours() >= 17;
    $$('[data-snooze="evening"], #bulk-snooze option[value="evening"]').forEach(function (el) { el.hidden = late; el.disabled = late; });
  }

  // A snooze picked from a menu closes it, and the menu that took its
  // place if the live update of the header came first (the answer then
  // comes to the document from app.js, for a form no longer in the page).
  // The focus, on the choice just picked, goes back to the menu's button,
  // where the keyboard goes on from.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail && e.detail.elt;
    if (!form || !form.matches || !e.detail.successful || !form.matches("form[hx-post$='/snooze']")) { return; }
    var menu = form.closest("details.menu");
    if (!menu) { return; }
    closeMenu(menu);
    var now = !menu.isConnected && menu.getAttribute("data-testid") &&
      $('#thread details.menu[open][data-testid="' + CSS.escape(menu.getAttribute("data-testid")) + '"]');
    if (now) { closeMenu(now); }
  });
  // The focus moves once htmx has sent the choice the agent made while
  // this one was on its way (it reads the pressed button when it sends
  // it, and forgets it as the button loses the focus).
  function closeMenu(menu) {
    var had = menu.contains(document.activeElement), id = menu.getAttribute("data-testid");
    menu.open = false;
    if (!had) { return; }
    setTimeout(function () {
      var a = document.activeElement;
      if (a && a !== document.body && !(menu.contains(a) && !menu.open)) { return; } // the agent went on
      var now = menu.isConnected ? menu : id && $('#thread details.menu[data-testid="' + CSS.escape(id) + '"]');
      var summary = now && !now.open && $("summary", now);
      if (summary) { summary.focus({ preventScroll: true }); }
    }, 0);
  }
  // A menu opens within the screen: one that would run past its right edge
  // (Snooze, last in a phone's or a tablet's thread header) moves left
  // until it fits, and one wider than the screen takes its width.
  function fitMenu(menu) {
    var body = $(".menu-body", menu);
    if (!body) { return; }
    body.style.left = "";
    body.style.top = "";
    body.style.maxWidth = "";
    var margin = 8, room = document.documentElement.clientWidth - 2 * margin;
    var r = body.getBoundingClientRect();
    if (r.width > room) {
      body.style.maxWidth = room + "px";
      r = body.getBoundingClientRect();
    }
    var left = Math.max(margin, Math.min(r.left, margin + room - r.width));
    if (left !== r.left) { body.style.left = (body.offsetLeft + left - r.left) + "px"; }
    // Past the foot of the screen (a menu at the end of the views on a
    // short screen), it moves up until it ends within it.
    var bottom = document.documentElement.clientHeight - margin;
    if (r.bottom > bottom) {
      var top = Math.max(margin, bottom - r.height);
      body.style.top = (body.offsetTop + top - r.top) + "px";
    }
  }

  document.addEventListener("toggle", function (e) {
    if (e.target.matches && e.target.matches("details.menu") && e.target.open) {
      fixSnoozeMenus();
      fitMenu(e.target);
    }
  }, true);

  // A tap or click anywhere else closes an open menu, as menus do: opening
  // one menu shuts another rather than stacking them. (Capture: the rows'
  // checkboxes stop their clicks on the way down.)
  document.addEventListener("click", function (e) {
    $$("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) { d.open = false; }
    });
  }, true);

  function watch() {
    var list = $("#conv-list");
    if (!list) { return; }
    new MutationObserver(function () { if (selected.size > 0) { mark(); } }).observe(list, { childList: true, subtree: true });
    fixSnoozeMenus();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", watch); } else { watch(); }
})();
