// Tables scroll inside their own box on narrow screens (style.css). A box that scrolls must be
// reachable with the keyboard (WCAG 2.1.1): give each table that overflows a tab stop and a
// name, and take them away again when it fits. Without JavaScript the tables still scroll.
(function () {
  "use strict";
  function name(table) {
    var caption = table.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    var section = table.closest("section, article, main");
    var heading = section && section.querySelector("h1, h2, h3");
    return (heading ? heading.textContent.trim() + " — " : "") + "table (scrolls sideways)";
  }
  function mark() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        if (!table.hasAttribute("tabindex")) {
          table.setAttribute("tabindex", "0");
          table.setAttribute("data-scroll-tabstop", "");
          if (!table.hasAttribute("aria-label")) { table.setAttribute("aria-label", name(table)); }
        }
      } else if (table.hasAttribute("data-scroll-tabstop")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scroll-tabstop");
      }
    });
  }
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(mark, 150);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
}());
