// The member portal: a form shown again after the service refused it keeps the page's own
// address (not the POST's), so a reload asks for the page instead of sending the form again.
(function () {
  "use strict";
  var shown = document.querySelector("[data-address]");
  if (shown && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", shown.getAttribute("data-address"));
  }
})();
