// paperwire: progressive enhancement only. Every page works without this file; it renders
// $...$ formulas with KaTeX (loaded only on pages that have some) after the page loads and
// after htmx adds content ("load more", search as you type).
(function () {
  "use strict";
  var DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];

  function renderMath(root) {
    if (typeof window.renderMathInElement !== "function") return;
    root.querySelectorAll(".tex:not(.tex-done)").forEach(function (el) {
      window.renderMathInElement(el, { delimiters: DELIMITERS, throwOnError: false });
      el.classList.add("tex-done");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
  });
  document.addEventListener("htmx:after:swap", function () {
    renderMath(document);
  });

  // "/" focuses the search box (as on GitHub or arXiv listings), unless typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable) {
      return;
    }
    var box = document.getElementById("q") || document.getElementById("site-q");
    if (!box || box.offsetParent === null) box = document.getElementById("q");
    if (!box) {
      window.location.href = "/search";
      return;
    }
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
