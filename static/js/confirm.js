/* Confirm dialogs (templates/cotton/confirm.html, docs/UI.md).
   The buttons carry commandfor/command, which recent browsers act on without script; for the
   others this opens the <dialog> from its button (data-confirm-open) and closes it from its
   Cancel (data-confirm-close). Everywhere: a click on the backdrop closes the dialog, and a
   submitted dialog's button is disabled so a double click posts once. The server refuses a
   POST without confirm=yes, so without any script nothing happens unconfirmed. */
(function () {
  "use strict";
  var nativeCommands = "commandForElement" in HTMLButtonElement.prototype;

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.matches("dialog.confirm-dialog")) {
      // The click landed on the dialog itself, outside its content: the backdrop.
      target.close();
      return;
    }
    if (nativeCommands) return;
    var opener = target.closest("[data-confirm-open]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-confirm-open"));
      if (dialog && !dialog.open) dialog.showModal();
      return;
    }
    var closer = target.closest("[data-confirm-close]");
    if (closer) {
      var parent = closer.closest("dialog");
      if (parent) parent.close();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.closest("dialog.confirm-dialog")) return;
    var submit = form.querySelector("button[type=submit]");
    if (submit) {
      // After this event, so the browser still sends the form.
      window.setTimeout(function () { submit.disabled = true; }, 0);
    }
  });
})();
