// Notifications in the agent's browser. The server decides who is told of
// what and sends it over the live websocket (app.js hands each "notify"
// part on as a "switchboard:notify" event); this file shows it as the
// agent's settings say: the tab title's count and a badge on the icon, a
// desktop notification, a soft sound. On the notification settings page
// it asks for the browser's permission (only when the agent clicks) and
// turns Web Push on or off for this browser.
(function () {
  "use strict";

  var body = document.body;
  var user = body.getAttribute("data-user-id");
  if (!user) { return; }

  function $(sel) { return document.querySelector(sel); }

  // --- what needs the agent's attention -----------------------------------

  // unread is app.js's count of unread messages in the list (its
  // "switchboard:unread" event); pending are
  // the conversations the agent was told of and has not opened since (by
  // id, with when), kept for the tab's session, at most a day.
  var key = "switchboard.notify." + user;
  var unread = 0;
  var pending = {};
  try { pending = JSON.parse(sessionStorage.getItem(key) || "{}") || {}; } catch (e) { pending = {}; }
  Object.keys(pending).forEach(function (id) {
    if (!(Date.now() - pending[id] < 864e5)) { delete pending[id]; }
  });

  function save() {
    try { sessionStorage.setItem(key, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }

  function openConversation() {
    var t = $("#thread .thread");
    return t ? t.getAttribute("data-conversation") || "" : "";
  }

  // seen drops the open conversation from pending while the agent can see
  // it.
  function seen() {
    var id = openConversation();
    if (id && !document.hidden && pending[id]) {
      delete pending[id];
      save();
    }
  }

  // total counts unread messages and, once each, conversations told of
  // whose row does not already count as unread.
  function total() {
    var n = unread;
    Object.keys(pending).forEach(function (id) {
      var row = document.getElementById("c-" + id);
      if (!row || !row.classList.contains("unread")) { n++; }
    });
    return n;
  }

  var icon = $('link[rel="icon"]');
  var iconHref = icon ? icon.getAttribute("href") : "";
  var iconImage = null;
  var shown = -1;

  // refresh writes the tab title, which no other script touches, and the
  // icon's badge.
  var base = body.getAttribute("data-base-title") || document.title;
  function refresh() {
    seen();
    var n = total();
    var title = n > 0 ? "(" + n + ") " + base : base;
    if (document.title !== title) { document.title = title; }
    if (n !== shown) {
      shown = n;
      badge(n);
    }
  }

  // badge draws the count on the site's icon.
  function badge(n) {
    if (!icon) { return; }
    if (n <= 0) {
      icon.setAttribute("href", iconHref);
      icon.removeAttribute("data-badge");
      return;
    }
    var draw = function () {
      if (shown !== n) { return; }
      var c = document.createElement("canvas");
      c.width = c.height = 64;
      var g = c.getContext("2d");
      if (!g) { return; }
      if (iconImage && iconImage.complete && iconImage.naturalWidth) {
        try { g.drawImage(iconImage, 0, 0, 64, 64); } catch (e) { /* drawn without it */ }
      }
      var label = n > 99 ? "99+" : String(n);
      g.fillStyle = "#d93025";
      g.beginPath();
      g.arc(42, 22, 22, 0, 2 * Math.PI);
      g.fill();
      g.fillStyle = "#fff";
      g.font = "bold " + (label.length > 2 ? 20 : 28) + "px sans-serif";
      g.textAlign = "center";
      g.textBaseline = "middle";
      g.fillText(label, 42, 23);
      icon.setAttribute("type", "image/png");
      icon.setAttribute("href", c.toDataURL("image/png"));
      icon.setAttribute("data-badge", label);
    };
    if (!iconImage && iconHref) {
      iconImage = new Image();
      iconImage.onload = draw;
      iconImage.onerror = draw;
      iconImage.src = iconHref;
    }
    draw();
  }

  // --- sound --------------------------------------------------------------

  var audio = null;
  function chime() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) { return; }
    try {
      audio = audio || new AC();
      var t = audio.currentTime;
      var o = audio.createOscillator(), g = audio.createGain();
      o.type = "sine";
      o.frequency.setValueAtTime(880, t);
      o.frequency.exponentialRampToValueAtTime(660, t + 0.25);
      g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(0.12, t + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + 0.4);
      o.connect(g);
      g.connect(audio.destination);
      o.start(t);
      o.stop(t + 0.45);
    } catch (e) { /* no sound, then */ }
  }

  // --- desktop notifications ----------------------------------------------

  function canNotify() { return "Notification" in window && Notification.permission === "granted"; }

  function desktop(d) {
    if (!canNotify()) { return; }
    var opts = { body: d.body || "", tag: "c" + d.conversation };
    try {
      var n = new Notification(d.title, opts);
      n.onclick = function () {
        window.focus();
        if (d.url) { window.location = d.url; }
        n.close();
      };
    } catch (e) {
      // Some browsers (Android) show notifications only through a
      // service worker.
      if (navigator.serviceWorker) {
        navigator.serviceWorker.getRegistration("/").then(function (r) {
          if (r) { r.showNotification(d.title, { body: opts.body, tag: opts.tag, data: { url: d.url } }); }
        });
      }
    }
  }

  document.addEventListener("switchboard:notify", function (e) {
    var el = e.detail;
    if (!el || !el.getAttribute) { return; }
    var d = {
      conversation: el.getAttribute("data-conversation") || "",
      title: el.getAttribute("data-title") || "Switchboard",
      body: el.getAttribute("data-body") || "",
      url: el.getAttribute("data-url") || ""
    };
    var looking = d.conversation === openConversation() && !document.hidden;
    if (!looking) {
      pending[d.conversation] = Date.now();
      save();
    }
    refresh();
    if (el.getAttribute("data-sound") === "1") { chime(); }
    if (el.getAttribute("data-desktop") === "1" && !looking) { desktop(d); }
  });

  document.addEventListener("switchboard:unread", function (e) {
    unread = parseInt(e.detail, 10) || 0;
    refresh();
  });
  document.addEventListener("visibilitychange", refresh);
  var slot = $("#thread");
  if (slot && window.MutationObserver) {
    new MutationObserver(refresh).observe(slot, { childList: true });
  }
  refresh();

  // --- the settings page's controls ---------------------------------------

  function csrf() {
    var t = $('meta[name="csrf-token"]');
    return t ? t.getAttribute("content") : "";
  }

  function say(which, text) {
    var el = $('[data-notify="' + which + '"]');
    if (el) { el.textContent = text; }
  }

  function describePermission() {
    if (!("Notification" in window)) {
      say("desktop-status", "This browser cannot show desktop notifications.");
      return;
    }
    say("desktop-status", {
      granted: "Desktop notifications are allowed in this browser.",
      denied: "Desktop notifications are blocked for this site; allow them in the browser's site settings.",
      "default": "Desktop notifications are not allowed yet."
    }[Notification.permission] || "");
  }

  var allow = $('[data-notify="desktop"]');
  if (allow) {
    describePermission();
    allow.addEventListener("click", function () {
      if (!("Notification" in window)) { return; }
      var p = Notification.requestPermission(describePermission);
      if (p && p.then) { p.then(describePermission); }
    });
  }

  var test = $('[data-notify="sound-test"]');
  if (test) { test.addEventListener("click", chime); }

  function keyBytes(b64) {
    var s = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(data)
    }).then(function (r) {
      if (!r.ok) { return Promise.reject(r.status); }
    });
  }

  // A browser that has Web Push on hears of whoever is signed in here now:
  // its subscription is given again to the server with this session (the
  // server forgets a subscription's session when it ends).
  if ("serviceWorker" in navigator && "PushManager" in window && window.Notification && Notification.permission === "granted") {
    navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    }).then(function (sub) {
      if (sub) { return post("/settings/notifications/push", sub.toJSON()); }
    }).then(null, function () { /* tried again at the next page */ });
  }

  var pushOn = $('[data-notify="push-on"]');
  var pushOff = $('[data-notify="push-off"]');
  var pushable = "serviceWorker" in navigator && "PushManager" in window;
  if (pushOn && !pushable) {
    pushOn.disabled = true;
    if (pushOff) { pushOff.disabled = true; }
    say("push-status", "This browser cannot take notifications while Switchboard is closed.");
  }
  if (pushOn && pushable) {
    navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    }).then(function (sub) {
      if (sub) { say("push-status", "Notifications for closed tabs are on in this browser."); }
    }, function () { /* the count from the server stays */ });
    pushOn.addEventListener("click", function () {
      var N = window.Notification;
      var p = !N ? "denied" : N.permission === "granted" ? "granted" : N.requestPermission();
      Promise.resolve(p).then(function (perm) {
        if (perm !== "granted") { return Promise.reject("denied"); }
        return navigator.serviceWorker.register("/sw.js", { scope: "/" });
      }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(pushOn.getAttribute("data-push-key")) });
      }).then(function (sub) {
        return post("/settings/notifications/push", sub.toJSON());
      }).then(function () {
        say("push-status", "Notifications for closed tabs are on in this browser.");
      }, function (err) {
        say("push-status", err === "denied"
          ? "The browser did not allow notifications, so they cannot be turned on."
          : "Notifications for closed tabs could not be turned on. Try again.");
      });
    });
  }
  if (pushOff && pushable) {
    pushOff.addEventListener("click", function () {
      navigator.serviceWorker.getRegistration("/").then(function (reg) {
        return reg ? reg.pushManager.getSubscription() : null;
      }).then(function (sub) {
        if (!sub) { return null; }
        var endpoint = sub.endpoint;
        return sub.unsubscribe().then(function () { return post("/settings/notifications/push/delete", { endpoint: endpoint }); });
      }).then(function () {
        say("push-status", "Notifications for closed tabs are off in this browser.");
      }, function () {
        say("push-status", "Notifications for closed tabs could not be turned off. Try again.");
      });
    });
  }
})();
