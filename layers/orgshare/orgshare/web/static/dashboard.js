// The dashboard's progressive enhancements: every page works without this file.
// - a form with data-confirm asks in a <dialog> instead of the server's confirmation page;
// - a form sent once cannot be sent again by a second click (a refund is not made twice);
// - Escape closes the account switcher.
(function () {
  "use strict";

  function confirmDialog(form) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
    var text = document.createElement("p");
    text.id = "confirm-dialog-text";
    text.textContent = form.getAttribute("data-confirm");
    var buttons = document.createElement("div");
    buttons.className = "dialog-buttons";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "button " + (form.hasAttribute("data-danger") ? "danger" : "");
    yes.textContent = form.getAttribute("data-confirm-button") || "Confirm";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "button secondary";
    no.textContent = "Cancel";
    buttons.appendChild(yes);
    buttons.appendChild(no);
    dialog.appendChild(text);
    dialog.appendChild(buttons);
    document.body.appendChild(dialog);
    no.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); });
    yes.addEventListener("click", function () {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirmed";
      field.value = "yes";
      form.appendChild(field);
      dialog.close();
      form.submit();
    });
    dialog.showModal();
    no.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    if (form.hasAttribute("data-confirm") && typeof HTMLDialogElement === "function" && !form.querySelector("input[name=confirmed]")) {
      event.preventDefault();
      confirmDialog(form);
      return;
    }
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector("details[data-switcher][open]");
    if (open) {
      open.removeAttribute("open");
      open.querySelector("summary").focus();
    }
  });
})();
