// Switchboard's service worker: it shows the Web Push notifications the
// server sends while no Switchboard tab is open, and opens the
// conversation when one is clicked. It caches nothing.
"use strict";

self.addEventListener("push", function (e) {
  var d = {};
  try { d = e.data ? e.data.json() : {}; } catch (err) { d = {}; }
  e.waitUntil(self.registration.showNotification(d.title || "Switchboard", {
    body: d.body || "",
    tag: d.conversation ? "c" + d.conversation : "switchboard",
    data: { url: d.url || "/inbox" }
  }));
});

self.addEventListener("notificationclick", function (e) {
  e.notification.close();
  var url = (e.notification.data && e.notification.data.url) || "/inbox";
  e.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    var open = function () { return self.clients.openWindow(url); };
    for (var i = 0; i < list.length; i++) {
      if ("focus" in list[i] && "navigate" in list[i]) {
        // A page the worker does not control cannot be navigated: a new
        // window opens instead.
        return list[i].navigate(url).then(function (c) { return c ? c.focus() : open(); }, open);
      }
    }
    return open();
  }));
});
