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
    var q = input();
    if (q && list[i]) { q.setAttribute("aria-activedescendant", list[i].id); } else if (q) { q.removeAttribute("aria-activedescendant"); }
    remember();
  }

  // The box says whether results hang below it; without them it names
  // no result as chosen.
  function expanded() {
    var q = input(), r = document.getElementById("search-results");
    if (!q || !r) { return; }
    q.setAttribute("aria-expanded", r.children.length ? "true" : "false");
    if (!hits().length) { q.removeAttribute("aria-activedescendant"); }
  }

  // The search as the agent left it rides on the page's entry in the
  // browser's history: Back from a result (or from wherever the page was
  // left for) brings the query, the filters and the results again, with
  // the result chosen then chosen again. An emptied box leaves nothing.
  function remember() {
    var form = document.querySelector(".search-form"), q = input();
    if (!form || !q) { return; }
    var s = null;
    if (q.value.trim()) {
      var chosen = hits()[active()];
      s = { query: new URLSearchParams(new FormData(form)).toString(), chosen: chosen ? chosen.getAttribute("href") : "" };
    }
    var was = history.state && history.state.search;
    if (JSON.stringify(was || null) === JSON.stringify(s)) { return; }
    var state = Object.assign({}, history.state);
    state.search = s;
    // Safari refuses more than 100 changes of the history in 30 s (the
    // arrow key held down): the last search kept is then an older one.
    try { history.replaceState(state, ""); } catch (err) { /* kept as it was */ }
  }

  // htmx replaces the state of the entry it leaves when it opens a
  // conversation from the list: the search goes back on it first. Back
  // to such an entry, it replaces the state again before it loads the
  // page anew: kept (below, after htmx's own handler) goes back on it.
  document.addEventListener("htmx:beforeHistoryUpdate", remember);
  function kept(e) {
    if (e.state && e.state.search && !(history.state && history.state.search)) {
      var state = Object.assign({}, history.state);
      state.search = e.state.search;
      history.replaceState(state, "");
    }
  }

  // restoring is the result to choose when the results asked for by
  // restore come, null when none are awaited.
  var restoring = null;
  function restore() {
    var s = history.state && history.state.search, form = document.querySelector(".search-form"), q = input();
    if (!s || !form || !q || q.value || !window.htmx) { return; }
    new URLSearchParams(s.query).forEach(function (v, k) {
      var el = form.elements.namedItem(k);
      if (el && "value" in el) { el.value = v; }
    });
    restoring = s.chosen || "";
    htmx.trigger(q, "search");
  }

  // asked is the search last asked for (the form's fields), shown the one
  // the results on screen answer. Enter before the results for what is
  // in the box have come asks for them at once, and openFor is then what
  // to open the first result of, once they come.
  var asked = null, shown = null, openFor = null;
  function current() {
    var form = document.querySelector(".search-form");
    return form ? new URLSearchParams(new FormData(form)).toString() : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt && e.detail.elt.classList && e.detail.elt.classList.contains("search-form")) { asked = current(); }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "search-results") {
      shown = asked;
      expanded();
    }
  });

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
          // Results just shown get their first chosen as they settle
          // (htmx:afterSettle, below): an arrow pressed before that
          // moves from the first, as the agent sees it.
          var i = Math.max(0, active()) + (e.key === "ArrowDown" ? 1 : -1);
          setActive(Math.max(0, Math.min(list.length - 1, i)));
        }
        e.preventDefault();
        break;
      case "Enter":
        if (current() !== shown) {
          openFor = current();
          if (window.htmx) { htmx.trigger(q, "search"); }
          e.preventDefault();
          break;
        }
        var at = Math.max(0, active());
        if (list[at]) {
          setActive(at);
          window.location.assign(list[at].href);
        }
        e.preventDefault();
        break;
      case "Escape":
        openFor = shown = null;
        q.value = "";
        document.getElementById("search-results").innerHTML = "";
        expanded();
        remember();
        q.blur();
        e.preventDefault();
        break;
    }
  });

  // A result opened with a click or a tap is the one chosen.
  document.addEventListener("click", function (e) {
    var hit = e.target.closest && e.target.closest("#search-results .search-hit");
    if (hit) { setActive(hits().indexOf(hit)); }
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
      var at = Math.max(0, active());
      if (restoring !== null) {
        var list = hits(), chosen = restoring;
        restoring = null;
        at = Math.max(0, list.findIndex(function (h) { return h.getAttribute("href") === chosen; }));
        if (list.length) { input().focus({ preventScroll: true }); }
      }
      if (hits().length) { setActive(at); } else { remember(); }
      if (openFor !== null && openFor === shown) {
        openFor = null;
        if (hits()[0]) { window.location.assign(hits()[0].href); }
      }
      return;
    }
    reveal();
  });
  document.addEventListener("DOMContentLoaded", function () {
    // After htmx has its handlers on the page.
    setTimeout(function () {
      window.addEventListener("popstate", kept);
      restore();
      reveal();
    }, 0);
  });
})();
