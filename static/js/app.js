/* The layout's small behaviours (templates/base.html): the menu shows the current page's item even
   when the menu is longer than the window. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var active = document.querySelector(".app-menu-item.active");
    if (active && active.scrollIntoView) active.scrollIntoView({ block: "nearest" });
  });
})();
