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

  function enhance(root) { bindCounters(root); bindCopy(root); focusFirstAlert(root); }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    enhance(document);
    var main = document.getElementById("main");
    if (main && !document.querySelector("[data-focus-on-load]")) { main.focus(); }
  });
})();
