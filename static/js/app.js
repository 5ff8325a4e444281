/* Voice: small enhancements on top of pages that work without JavaScript.
   No inline code anywhere (strict CSP); everything here is optional. */
(function () {
  "use strict";

  function focusFirstAlert(root) {
    var target = (root || document).querySelector("[data-focus-on-load]");
    if (target) { target.focus(); }
  }

  function bindCounters(root) {
    (root || document).querySelectorAll("[data-counter-for]").forEach(function (counter) {
      var field = document.getElementById(counter.getAttribute("data-counter-for"));
      if (!field || counter.dataset.bound) { return; }
      counter.dataset.bound = "1";
      var max = parseInt(counter.getAttribute("data-max"), 10);
      var template = counter.getAttribute("data-template");
      var timer = null;
      function update() {
        var used = field.value.length;
        counter.textContent = template.replace("{used}", used.toLocaleString(document.documentElement.lang)).replace("{max}", max.toLocaleString(document.documentElement.lang));
        counter.classList.toggle("over", used > max);
      }
      // Update the live region calmly, not on every key press.
      field.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 400); });
      update();
    });
  }

  function bindCopy(root) {
    (root || document).querySelectorAll("[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
          var status = document.querySelector(".copy-status");
          if (status) { status.textContent = button.getAttribute("data-copied"); }
        });
      });
    });
  }

  // Drafts: a form marked data-draft="name" is kept in this tab's sessionStorage as it is
  // filled in, so a reload, a language switch or a lost connection loses nothing. It is
  // filled in again only on a fresh page (data-draft-fresh: not a page the server sent back
  // with the person's answers and its messages), and deleted once the story or sign-up is
  // sent (an element with data-draft-done="name" on the next page) or on "Clear".
  var NOT_KEPT = { csrf_token: true, website: true, pii_checked: true };

  function draftKey(name) { return "voice-draft:" + name; }

  function readDraft(name) {
    try { return JSON.parse(window.sessionStorage.getItem(draftKey(name)) || "null"); } catch (e) { return null; }
  }

  function saveDraft(form) {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || NOT_KEPT[el.name] || el.type === "submit" || el.type === "button") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      values.push([el.name, el.value]);
    });
    try { window.sessionStorage.setItem(draftKey(form.getAttribute("data-draft")), JSON.stringify(values)); } catch (e) { /* storage full or off */ }
  }

  function fillFromDraft(form, values) {
    var byName = {};
    values.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    var filled = false;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || NOT_KEPT[el.name] || !(el.name in byName)) { return; }
      var kept = byName[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = kept.indexOf(el.value) !== -1;
        filled = filled || el.checked;
      } else if (el.type !== "submit" && el.type !== "button") {
        if (el.type !== "hidden" && kept[0]) { filled = true; }
        el.value = kept[0];
        el.dispatchEvent(new Event("input"));
      }
    });
    return filled;
  }

  function bindDrafts(root) {
    (root || document).querySelectorAll("[data-draft-done]").forEach(function (done) {
      try { window.sessionStorage.removeItem(draftKey(done.getAttribute("data-draft-done"))); } catch (e) { /* off */ }
    });
    (root || document).querySelectorAll("form[data-draft]").forEach(function (form) {
      if (form.dataset.draftBound) { return; }
      form.dataset.draftBound = "1";
      var name = form.getAttribute("data-draft");
      var notice = document.querySelector("[data-draft-notice]");
      var kept = readDraft(name);
      if (form.hasAttribute("data-draft-fresh") && kept && fillFromDraft(form, kept) && notice) {
        notice.hidden = false;
      }
      form.addEventListener("input", function () { saveDraft(form); });
      form.addEventListener("change", function () { saveDraft(form); });
      if (!form.hasAttribute("data-draft-fresh")) { saveDraft(form); }  // the server's copy is the newest
      var clear = notice && notice.querySelector("[data-draft-clear]");
      if (clear && !clear.dataset.bound) {
        clear.dataset.bound = "1";
        clear.addEventListener("click", function () {
          try { window.sessionStorage.removeItem(draftKey(name)); } catch (e) { /* off */ }
          form.reset();
          Array.prototype.forEach.call(form.querySelectorAll("textarea, input[type=text], input[type=email], input[type=tel]"), function (el) {
            el.value = ""; el.dispatchEvent(new Event("input"));
          });
          notice.hidden = true;
          var first = form.querySelector("input:not([type=hidden]), textarea, select");
          if (first) { first.focus(); }
        });
      }
    });
  }

  // A lost connection: htmx could not send the form. The answers stay on the page (and in the draft).
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-offline]") : null;
    var notice = document.querySelector("[data-offline-notice]");
    if (form && notice) {
      notice.textContent = form.getAttribute("data-offline");
      notice.hidden = false;
      notice.setAttribute("tabindex", "-1");
      notice.focus();
    }
  });

  // A link that should put the cursor into a field (the text box after a personal-details warning).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-focus-target]") : null;
    var field = link && document.getElementById(link.getAttribute("data-focus-target"));
    if (field) { event.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
  });

  function enhance(root) { bindCounters(root); bindCopy(root); bindDrafts(root); focusFirstAlert(root); }

  // htmx (17 KB) is fetched on the first sign that the visitor will use the page (a touch, a key,
  // a field in focus), not on every visit: a family that only reads never downloads it. A form
  // sent, a link followed or a filter changed before it has arrived waits for it (a moment), then
  // goes through htmx as on any other visit; if it does not arrive, the form or link works as a
  // plain one, as without JavaScript.
  var HTMX_EVENTS = ["pointerdown", "touchstart", "keydown", "focusin"];
  var HTMX_WAIT_MS = 3000;
  var htmxMeta = document.querySelector('meta[name="voice-htmx"]');
  var htmxReady = false;
  var waiting = [];

  function loadHtmx() {
    HTMX_EVENTS.forEach(function (type) { document.removeEventListener(type, loadHtmx, true); });
    if (!htmxMeta || document.querySelector("script[data-htmx]")) { return; }
    var script = document.createElement("script");
    script.src = htmxMeta.getAttribute("content");
    script.setAttribute("data-htmx", "");
    script.addEventListener("error", function () { waiting.splice(0).forEach(function (w) { w.fallback(); }); });
    // htmx starts itself only on a page that has finished loading.
    if (document.readyState === "complete") { document.head.appendChild(script); }
    else { window.addEventListener("load", function () { document.head.appendChild(script); }); }
  }

  function whenHtmx(then, fallback) {
    var entry = { then: then, fallback: fallback };
    waiting.push(entry);
    loadHtmx();
    setTimeout(function () {
      var at = waiting.indexOf(entry);
      if (at >= 0) { waiting.splice(at, 1); fallback(); }
    }, HTMX_WAIT_MS);
  }

  if (htmxMeta) {
    HTMX_EVENTS.forEach(function (type) { document.addEventListener(type, loadHtmx, { capture: true, passive: true }); });
    document.addEventListener("htmx:load", function () {
      if (htmxReady) { return; }
      htmxReady = true;
      document.documentElement.setAttribute("data-htmx-ready", "");
      waiting.splice(0).forEach(function (w) { w.then(); });
    });
    var plain = null; // an element to let through as a plain form or link (htmx did not come)
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (htmxReady || form === plain || !form.matches("[data-hx-post], [data-hx-get]")) { return; }
      event.preventDefault();
      event.stopImmediatePropagation();
      var submitter = event.submitter || null;
      var send = function () { if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); } };
      whenHtmx(send, function () { plain = form; send(); });
    }, true);
    document.addEventListener("change", function (event) {
      var form = event.target.form;
      if (htmxReady || !form || form.getAttribute("data-hx-trigger") !== "change") { return; }
      whenHtmx(function () { window.htmx.trigger(form, "change"); }, function () {});
    }, true);
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-hx-get]") : null;
      if (htmxReady || !link || link === plain || event.button !== 0 || event.ctrlKey || event.metaKey) { return; }
      event.preventDefault();
      whenHtmx(function () { link.click(); }, function () { plain = link; window.location.href = link.href; });
    }, true);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    enhance(document);
    var main = document.getElementById("main");
    if (main && !document.querySelector("[data-focus-on-load]")) { main.focus(); }
  });
})();
