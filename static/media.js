// Switchboard: media in the thread and attachments in the composer. A
// photo, video or voice message that cannot be loaded becomes a card that
// says why (the server's words) with a Retry that tries again in place; a
// document's link asks first and shows the same card when it cannot; a
// file chosen in the composer shows as a thumbnail or a file chip with a
// Remove button before it is sent. No build step, no eval.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // --- media that cannot be loaded ------------------------------------------

  var cardSeq = 0;
  var retrySeq = 0;

  // frameOf is the element that shows a message's media (the link around a
  // photo, a video, an audio player), for an element that failed to load.
  function frameOf(el) {
    if (!el || !el.closest) { return null; }
    var frame = el.closest("[data-testid=media]");
    if (!frame || !frame.closest(".bubble")) { return null; }
    var media = frame.matches("img, video, audio") ? frame : $("img, video, audio", frame);
    return media === el ? frame : null;
  }

  // srcOf is where the media comes from, without a Retry's cache-buster.
  function srcOf(media) {
    var src = media.getAttribute("data-media-src") || media.getAttribute("src") || "";
    if (!media.hasAttribute("data-media-src")) { media.setAttribute("data-media-src", src); }
    return src;
  }

  // sameOrigin: only this site's links are asked why they failed.
  function sameOrigin(src) {
    try { return new URL(src, location.href).origin === location.origin; } catch (err) { return false; }
  }

  // why asks the server for the file and resolves to null when it can be
  // loaded now, else to the reason in words.
  function why(src) {
    return fetch(src, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (res) {
      if (res.ok) {
        if (res.body && res.body.cancel) { res.body.cancel(); } // the element loads it
        return null;
      }
      return res.json().then(function (body) {
        return (body && body.error && body.error.message) || "The file could not be loaded.";
      }, function () { return "The file could not be loaded (the server answered " + res.status + ")."; });
    }, function () {
      return "The file could not be loaded: Switchboard could not be reached. Check the connection.";
    });
  }

  // showCard puts the card with the reason before frame, and hides frame
  // unless keep (a document's name stays in sight).
  function showCard(frame, reason, keep) {
    var card = frame.previousElementSibling;
    if (!card || !card.matches(".media-failed")) {
      card = document.createElement("div");
      card.className = "media-failed";
      card.setAttribute("data-testid", "media-failed");
      var icon = document.createElement("span");
      icon.className = "media-failed-icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = "!";
      var p = document.createElement("p");
      p.className = "media-failed-reason";
      p.id = "media-failed-" + (++cardSeq);
      p.setAttribute("data-testid", "media-reason");
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "btn";
      btn.setAttribute("data-media-retry", "");
      btn.setAttribute("data-testid", "media-retry");
      btn.setAttribute("aria-describedby", p.id);
      card.appendChild(icon);
      card.appendChild(p);
      card.appendChild(btn);
      frame.before(card);
    }
    frame.hidden = !keep;
    $(".media-failed-reason", card).textContent = reason;
    var btn2 = $("[data-media-retry]", card);
    btn2.disabled = false;
    btn2.textContent = "Retry";
    card.removeAttribute("aria-busy");
    return card;
  }

  function hideCard(frame) {
    var card = frame.previousElementSibling;
    if (card && card.matches(".media-failed")) { card.remove(); }
    frame.hidden = false;
  }

  // failed handles a media element that could not load: it asks the server
  // why and shows the card, or, if the file can be had now, loads it again.
  function failed(media) {
    var frame = frameOf(media);
    if (!frame || media.getAttribute("data-media-state") === "asking") { return; }
    var src = srcOf(media);
    if (!src || !sameOrigin(src)) { return; }
    media.setAttribute("data-media-state", "asking");
    why(src).then(function (reason) {
      media.removeAttribute("data-media-state");
      if (reason === null && media.getAttribute("data-media-tries") !== "1") {
        media.setAttribute("data-media-tries", "1");
        reload(media, frame, src);
        return;
      }
      media.removeAttribute("data-media-tries");
      showCard(frame, reason || "The file could not be loaded.");
    });
  }

  // reload points the element at its file again, past any cached failure.
  function reload(media, frame, src) {
    var fresh = src + (src.indexOf("?") < 0 ? "?" : "&") + "retry=" + (++retrySeq);
    if (frame.matches("a")) { frame.setAttribute("href", src); }
    media.setAttribute("src", fresh);
    if (media.load) { media.load(); }
  }

  // Loading errors do not bubble: they are caught on their way down.
  document.addEventListener("error", function (e) {
    var el = e.target;
    if (el && el.matches && el.matches("img, video, audio")) { failed(el); }
  }, true);

  document.addEventListener("load", function (e) {
    var el = e.target;
    if (!el || !el.matches || !el.matches("img")) { return; }
    var frame = frameOf(el);
    if (frame) { el.removeAttribute("data-media-tries"); hideCard(frame); }
  }, true);

  document.addEventListener("loadeddata", function (e) {
    var frame = frameOf(e.target);
    if (frame) { hideCard(frame); }
  }, true);

  // --- documents ------------------------------------------------------------

  // A document's link asks the server first: a file Zavu cannot give shows
  // the card instead of a page of error; one that can be had downloads.
  function fileCard(el) {
    var frame = el && el.closest && el.closest(".bubble .file-card[data-testid=media]");
    return frame && $("a.file-open", frame) ? frame : null;
  }

  // docReasons holds, by link, why a document cannot be had, so that its
  // card stays when a live update draws the message again.
  var docReasons = {};

  function docFrames(src) {
    return $$(".bubble a.file-open").filter(function (a) { return a.getAttribute("href") === src; })
      .map(fileCard).filter(Boolean);
  }

  // docChecked shows the answer about src on every copy of its message on
  // the page, and downloads it when it can be had and download is set.
  function docChecked(src, reason, download) {
    if (reason === null) { delete docReasons[src]; } else { docReasons[src] = reason; }
    var frames = docFrames(src);
    frames.forEach(function (f) { if (reason === null) { hideCard(f); } else { showCard(f, reason, true); } });
    if (reason === null && download && frames[0]) {
      var link = $("a.file-open", frames[0]);
      link.setAttribute("data-media-ok", "");
      link.click();
    }
  }

  new MutationObserver(function () {
    Object.keys(docReasons).forEach(function (src) {
      docFrames(src).forEach(function (f) {
        var card = f.previousElementSibling;
        if (!card || !card.matches(".media-failed")) { showCard(f, docReasons[src], true); }
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.file-open");
    if (!fileCard(link)) { return; }
    if (link.hasAttribute("data-media-ok")) { link.removeAttribute("data-media-ok"); return; }
    var src = link.getAttribute("href");
    if (!src || !sameOrigin(src) || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) { return; }
    e.preventDefault();
    if (link.getAttribute("aria-busy") === "true") { return; }
    link.setAttribute("aria-busy", "true");
    why(src).then(function (reason) {
      link.removeAttribute("aria-busy");
      docChecked(src, reason, true);
    });
  });

  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-media-retry]");
    if (!btn) { return; }
    var card = btn.closest(".media-failed");
    var doc = card && fileCard(card.nextElementSibling);
    if (doc) {
      var src = $("a.file-open", doc).getAttribute("href");
      btn.disabled = true;
      btn.textContent = "Trying…";
      card.setAttribute("aria-busy", "true");
      why(src).then(function (reason) { docChecked(src, reason, true); });
      return;
    }
    var frame = card && card.nextElementSibling;
    var media = frame && (frame.matches("img, video, audio") ? frame : $("img, video, audio", frame));
    if (!media) { return; }
    btn.disabled = true;
    btn.textContent = "Trying…";
    card.setAttribute("aria-busy", "true");
    var src = srcOf(media);
    why(src).then(function (reason) {
      if (reason !== null) { showCard(frame, reason); return; }
      media.setAttribute("data-media-tries", "1");
      reload(media, frame, src);
      if (!media.matches("img")) { hideCard(frame); } // a player loads when played
    });
  });

  // Photos that failed before this script ran.
  function sweep(root) {
    $$(".bubble [data-testid=media] img", root).forEach(function (img) {
      if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) { failed(img); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { sweep(document); });
  } else {
    sweep(document);
  }

  // --- attachments in the composer ------------------------------------------

  function sizeText(n) {
    if (n < 1024) { return n + " B"; }
    if (n < 1024 * 1024) { return Math.round(n / 1024) + " KB"; }
    return (n / (1024 * 1024)).toFixed(1) + " MB";
  }

  function clearPreview(form) {
    var box = $(".attach-preview", form);
    if (!box) { return; }
    var thumb = $("img", box);
    if (thumb && thumb.src.indexOf("blob:") === 0) { URL.revokeObjectURL(thumb.src); }
    box.remove();
  }

  function showPreview(input) {
    var form = input.form;
    clearPreview(form);
    var file = input.files && input.files[0];
    if (!file) { return; }
    var box = document.createElement("div");
    box.className = "attach-preview";
    box.setAttribute("data-testid", "attach-preview");
    if (/^image\//.test(file.type)) {
      var img = document.createElement("img");
      img.className = "attach-thumb";
      img.alt = "";
      img.setAttribute("data-testid", "attach-thumb");
      img.src = URL.createObjectURL(file);
      box.appendChild(img);
    } else {
      var icon = document.createElement("span");
      icon.className = "attach-icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = "▤";
      box.appendChild(icon);
      box.setAttribute("data-kind", "file");
    }
    var label = document.createElement("span");
    label.className = "attach-label";
    label.setAttribute("data-testid", "attach-chip");
    var name = document.createElement("span");
    name.className = "attach-file";
    name.textContent = file.name;
    var size = document.createElement("span");
    size.className = "muted";
    size.textContent = sizeText(file.size);
    label.appendChild(name);
    label.appendChild(size);
    box.appendChild(label);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-quiet attach-remove";
    remove.setAttribute("data-testid", "attach-remove");
    remove.setAttribute("aria-label", "Remove " + file.name);
    remove.textContent = "×";
    box.appendChild(remove);
    var bar = $(".composer-bar", form);
    if (bar) { bar.before(box); } else { form.appendChild(box); }
  }

  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input.matches && input.matches("[data-composer] input[type=file]")) { showPreview(input); }
  });

  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest(".attach-remove");
    if (!btn || !btn.form) { return; }
    var input = $("input[type=file]", btn.form);
    var ta = $("textarea", btn.form);
    if (input) {
      input.value = ""; // the file leaves the send, not only the screen
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    clearPreview(btn.form);
    if (ta) { ta.focus(); }
  });

  // The preview goes as the send leaves (the file is in the request by
  // then); a send that fails shows it again.
  document.addEventListener("htmx:beforeSend", function (e) {
    var form = e.detail.elt;
    if (form && form.matches && form.matches("[data-composer]")) { clearPreview(form); }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form || !form.matches || !form.matches("[data-composer]")) { return; }
    var input = $("input[type=file]", form);
    if (e.detail.successful) { clearPreview(form); } else if (input && input.files.length) { showPreview(input); }
  });
})();
