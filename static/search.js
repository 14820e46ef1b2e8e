// The search box: "/" focuses it, arrows choose a result, Enter opens it;
// a thread opened at a message (#m-ID) loads earlier pages until that
// message is there, scrolls to it and marks it.
(function () {
  "use strict";

  function input() { return document.getElementById("search-q"); }
  function hits() { return Array.prototype.slice.call(document.querySelectorAll("#search-results .search-hit")); }
  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function setActive(i) {
    var list = hits();
    list.forEach(function (h, j) {
      h.classList.toggle("active", j === i);
      h.setAttribute("aria-selected", j === i ? "true" : "false");
    });
    if (list[i]) { list[i].scrollIntoView({ block: "nearest" }); }
  }

  function active() {
    return hits().findIndex(function (h) { return h.classList.contains("active"); });
  }

  document.addEventListener("keydown", function (e) {
    var q = input();
    if (!q) { return; }
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      q.focus();
      q.select();
      e.preventDefault();
      return;
    }
    if (e.target !== q) { return; }
    var list = hits();
    switch (e.key) {
      case "ArrowDown":
      case "ArrowUp":
        if (list.length) {
          var i = active() + (e.key === "ArrowDown" ? 1 : -1);
          setActive(Math.max(0, Math.min(list.length - 1, i)));
        }
        e.preventDefault();
        break;
      case "Enter":
        var pick = list[Math.max(0, active())];
        if (pick) { window.location.assign(pick.href); }
        e.preventDefault();
        break;
      case "Escape":
        q.value = "";
        document.getElementById("search-results").innerHTML = "";
        q.blur();
        e.preventDefault();
        break;
    }
  });

  // Enter opens a result (below); the form itself never submits.
  document.addEventListener("submit", function (e) {
    if (e.target.classList && e.target.classList.contains("search-form")) { e.preventDefault(); }
  });

  // A result opens in the same conversation by its anchor alone: the
  // browser only changes the hash.
  window.addEventListener("hashchange", reveal);

  // reveal finds the message the address names, loading earlier pages of
  // the thread (at most 400) until it comes.
  var pages = 0;
  function reveal() {
    var m = /^#(m-\d+)$/.exec(window.location.hash);
    if (!m) { return; }
    var el = document.getElementById(m[1]);
    if (el) {
      document.querySelectorAll(".search-target").forEach(function (t) { t.classList.remove("search-target"); });
      el.classList.add("search-target");
      el.scrollIntoView({ block: "center" });
      return;
    }
    var older = document.querySelector("#thread [data-testid=older]");
    if (older && window.htmx && pages < 400 && !older.dataset.searchLoading) {
      pages++;
      older.dataset.searchLoading = "1";
      htmx.ajax("GET", older.getAttribute("hx-get"), { source: older, target: older, swap: "outerHTML" });
    }
  }

  // The results hang below the box: they end above the foot of the
  // screen, however tall the filters above them are (a phone).
  function fitResults() {
    var r = document.getElementById("search-results");
    if (!r) { return; }
    r.style.maxHeight = "";
    var room = window.innerHeight - r.getBoundingClientRect().top - 12;
    if (room > 0 && r.getBoundingClientRect().height > room) { r.style.maxHeight = room + "px"; }
  }
  window.addEventListener("resize", fitResults);
  // At the swap itself, not only after settling: the page never shows
  // results that run past the screen, even for a moment.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "search-results") { fitResults(); }
  });

  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("#search-results")) {
      fitResults();
      if (hits().length) { setActive(Math.max(0, active())); }
      return;
    }
    reveal();
  });
  document.addEventListener("DOMContentLoaded", function () {
    // After htmx has its handlers on the page.
    setTimeout(reveal, 0);
  });
})();
