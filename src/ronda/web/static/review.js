// Keyboard shortcuts, live deadline countdowns and hidden images for the console.
// Everything works without this script: the server writes each countdown's text,
// and each hidden image has a "show image" link. Listeners sit on the document,
// so parts of the page that htmx swaps in later work the same way.
(function () {
  "use strict";

  // --- keyboard shortcuts: an element with data-key="x" is clicked (or checked) by x
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" && target.type !== "radio" || target.tagName === "SELECT")) {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var el = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (!el) { return; }
    event.preventDefault();
    if (el.type === "radio") { el.checked = true; el.focus(); } else { el.click(); }
  });

  // --- images: blurred and grey until clicked; a click (or Enter) toggles
  function toggle(fig) {
    var hidden = fig.classList.toggle("blurred");
    fig.setAttribute("aria-pressed", hidden ? "false" : "true");
  }
  document.addEventListener("click", function (event) {
    var fig = event.target.closest && event.target.closest("[data-reveal]");
    if (!fig || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault(); // the "show image" link is for pages without this script
    toggle(fig);
  });
  document.addEventListener("keydown", function (event) {
    var fig = event.target.closest && event.target.closest("[data-reveal]");
    if (fig && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      event.stopPropagation();
      toggle(fig);
    }
  }, true);

  // --- countdowns: every [data-deadline] (ISO time) says how long is left, each second
  var NEAR_SECONDS = 3600; // ronda.web.render.NEAR_DEADLINE_SECONDS
  function phrase(name, h, m) {
    var text = document.body.getAttribute("data-t-" + name) || "";
    return text.replace("{h}", String(h)).replace("{m}", String(m));
  }
  function describe(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var h = Math.floor(minutes / 60);
    var m = minutes % 60;
    if (seconds >= 0) { return h ? phrase("left-h", h, m) : phrase("left-m", h, m); }
    return h ? phrase("over-h", h, m) : phrase("over-m", h, m);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(at)) { return; }
      var seconds = Math.trunc((at - now) / 1000);
      var text = describe(seconds);
      if (text && el.textContent !== text) { el.textContent = text; }
      el.classList.toggle("overdue", seconds < 0);
      el.classList.toggle("near", seconds >= 0 && seconds < NEAR_SECONDS);
      el.classList.toggle("ok", seconds >= NEAR_SECONDS);
      var row = el.closest("tr");
      if (row && row.closest("table.cases")) { row.classList.toggle("late", seconds < 0); }
    });
  }
  function start() { tick(); window.setInterval(tick, 1000); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
