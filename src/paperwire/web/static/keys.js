// paperwire: keyboard navigation on lists of papers (progressive enhancement; no inline script,
// so the CSP stays "script-src 'self'"). j / k: next / previous paper; v: upvote it (or sign
// in); o or Enter: open it. Keys typed into a form field, or with Ctrl/Alt/Meta, are left alone.
(function () {
  "use strict";
  var CURRENT = "kb-current";

  function typing(target) {
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("ol.papers > li:not(.more)"));
  }

  function current(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains(CURRENT)) return i;
    }
    return -1;
  }

  function select(list, index) {
    var old = current(list);
    if (old >= 0) list[old].classList.remove(CURRENT);
    var item = list[index];
    item.classList.add(CURRENT);
    item.setAttribute("tabindex", "-1");
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function act(item, key) {
    if (key === "v") {
      var vote = item.querySelector("form.vote button, a.vote");
      if (vote) vote.click();
      return;
    }
    var link = item.querySelector(".title a");
    if (link) window.location.href = link.href;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    if (key !== "j" && key !== "k" && key !== "v" && key !== "o" && key !== "Enter") return;
    var list = items();
    if (!list.length) return;
    var at = current(list);
    if (key === "j" || key === "k") {
      var next = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + (key === "j" ? 1 : -1)));
      event.preventDefault();
      select(list, next);
      return;
    }
    // v, o and Enter act on the selected paper; Enter on a link or button keeps its own meaning.
    if (at < 0 || (key === "Enter" && event.target !== list[at])) return;
    event.preventDefault();
    act(list[at], key);
  });
})();
