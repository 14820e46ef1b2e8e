// Pieces the agents' pages share, loaded before the scripts that use
// them: the one toast (what an action did, with Undo, or why it failed,
// with Try again) and avatars drawn in the page (presence, the @mention
// picker) that look like the ones the server renders.
(function () {
  "use strict";

  // Test ids: the toast is "toast" ("action-error" when it reports a
  // failure), its action button "undo" or "action-retry", its close
  // button "toast-close".
  var shownFor = 10000; // what Undo can take back, the server keeps as long

  function box() {
    var b = document.getElementById("toasts");
    if (!b) {
      b = document.createElement("div");
      b.id = "toasts";
      b.className = "toasts";
      document.body.appendChild(b);
    }
    return b;
  }

  // A message that goes with the focus in it (its Undo, Try again or ×
  // pressed from the keyboard, or its time up) gives the focus back to
  // where the agent was before it went there: that element, or the one a
  // live update put in its place (the same id), so that the keyboard goes
  // on from there rather than from the top of the page.
  var before = null;
  document.addEventListener("focusin", function (e) {
    var b = document.getElementById("toasts");
    if (!b || !b.contains(e.target)) { before = e.target; }
  });
  function dismiss(t) {
    var had = t.contains(document.activeElement);
    t.remove();
    if (!had || !before) { return; }
    var to = before.isConnected ? before : before.id && document.getElementById(before.id);
    if (to) { to.focus({ preventScroll: true }); }
  }

  // above keeps the toasts clear of an open thread's composer: the reply
  // being written and Send stay in sight under a message that stays.
  function above(shelf) {
    var c = document.querySelector("#thread .composer");
    var r = c && c.getBoundingClientRect();
    shelf.style.bottom = r && r.height > 0 ? Math.max(20, window.innerHeight - r.top + 8) + "px" : "";
  }

  // toast shows one message at the foot of the screen, replacing any
  // other. o.kind is "error" (announced at once, stays until dismissed) or
  // "done"; o.undo or o.retry is the function its button runs. A "done"
  // message with o.stay (one that says what was left undone) stays until
  // dismissed too, its Undo going when Undo no longer can.
  function toast(o) {
    var error = o.kind === "error";
    var t = document.createElement("div");
    t.className = "toast" + (error ? " toast-error" : "");
    t.setAttribute("role", error ? "alert" : "status");
    t.setAttribute("data-testid", error ? "action-error" : "toast");
    var p = document.createElement("span");
    p.className = "toast-text";
    p.textContent = o.text;
    t.appendChild(p);
    var run = o.undo || o.retry;
    if (run) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-quiet toast-action";
      b.textContent = o.undo ? "Undo" : "Try again";
      b.setAttribute("data-testid", o.undo ? "undo" : "action-retry");
      if (o.undo) {
        b.setAttribute("aria-keyshortcuts", "u");
        b.title = "Undo (u)";
      }
      b.addEventListener("click", function () { dismiss(t); run(); });
      t.appendChild(b);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn btn-quiet toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.setAttribute("data-testid", "toast-close");
    close.textContent = "×";
    close.addEventListener("click", function () { dismiss(t); });
    t.appendChild(close);
    var shelf = box();
    shelf.replaceChildren(t);
    above(shelf);
    if (!error && !o.stay) {
      setTimeout(function () { dismiss(t); }, shownFor);
    } else if (o.stay && o.undo) {
      setTimeout(function () {
        var u = t.querySelector(".toast-action");
        if (!u) { return; }
        var had = u === document.activeElement;
        u.remove();
        if (had) { close.focus({ preventScroll: true }); }
      }, shownFor);
    }
    return t;
  }

  // u presses the Undo of the message shown, from wherever the agent is
  // (Undo is the message's, last in the page's Tab order, and goes after
  // 10 seconds); not while they type in a field, nor under a dialog.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "u" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) { return; }
    var el = e.target, tag = el && el.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (el && el.isContentEditable)) { return; }
    if (document.querySelector("dialog[open]")) { return; }
    var undo = document.querySelector("#toasts [data-testid=undo]");
    if (!undo) { return; }
    e.preventDefault();
    undo.click();
  });

  // initials match views.Initials: the first letters of the first and
  // last words.
  function initials(name) {
    var w = (name || "").trim().split(/\s+/).map(function (x) {
      var c = x.charAt(0);
      return c.toLowerCase() !== c.toUpperCase() ? c.toUpperCase() : "";
    }).filter(Boolean);
    return w.length > 1 ? w[0] + w[w.length - 1] : w.join("");
  }

  // avatar is teammate id's avatar as the server draws it: initials and
  // tone from the page's team (views.TeamOptions), else from the name and
  // the same rule as views.AgentTone.
  function avatar(id, name, size) {
    var t = document.getElementById("team-options");
    var o = t && t.content.querySelector('option[value="' + String(id).replace(/\D/g, "") + '"]');
    var a = document.createElement("span");
    var tone = o ? o.getAttribute("data-tone") : String((parseInt(id, 10) || 0) % 8);
    a.className = "avatar tone-" + tone + (size ? " " + size : "");
    a.setAttribute("aria-hidden", "true");
    a.setAttribute("data-testid", "avatar");
    a.title = name;
    a.textContent = o ? o.getAttribute("data-initials") : initials(name);
    return a;
  }

  window.Switchboard = { toast: toast, avatar: avatar, initials: initials };
})();
