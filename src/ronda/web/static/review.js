// Keyboard shortcuts and small conveniences for the review console.
// Everything works without this script; it only saves keystrokes.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" && target.type !== "radio" || target.tagName === "SELECT")) {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var el = document.querySelector('[data-key="' + event.key + '"]');
    if (!el) { return; }
    event.preventDefault();
    if (el.type === "radio") { el.checked = true; el.focus(); } else { el.click(); }
  });
  document.querySelectorAll("[data-reveal]").forEach(function (fig) {
    function reveal() { fig.classList.remove("blurred"); }
    fig.addEventListener("click", reveal);
    fig.addEventListener("keydown", function (e) { if (e.key === "Enter") { reveal(); } });
  });
})();
