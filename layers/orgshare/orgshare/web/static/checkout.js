// orgshare checkout: enhancements only. Without this script the page works the same: the form
// posts to orgshare, which answers with the next page.
(function () {
  "use strict";
  var form = document.querySelector("form.pay");
  // The error, read out at once; unless the customer is already typing somewhere (a slow page).
  var error = document.getElementById("error");
  var active = document.activeElement;
  if (error && (!active || active === document.body)) { error.focus(); }

  // Embedded: tell the merchant's page (embed.js) how tall the checkout is, so its iframe fits the
  // page without a scroll bar of its own. Only a height is sent; embed.js checks where it came from.
  if (window.parent !== window.self && window.ResizeObserver) {
    var lastHeight = 0;
    var report = function () {
      var height = Math.ceil(document.body.getBoundingClientRect().height);
      if (height !== lastHeight) {
        lastHeight = height;
        window.parent.postMessage({ type: "orgshare:checkout-height", height: height }, "*");
      }
    };
    new window.ResizeObserver(report).observe(document.body);
    report();
  }
  if (!form) { return; }

  // The new card's fields matter only when "A new card" is chosen.
  var newCard = document.getElementById("new-card");
  var choices = form.querySelectorAll('input[name="payment_method"][type="radio"]');
  function showChosen() {
    var chosen = form.querySelector('input[name="payment_method"]:checked');
    if (newCard && choices.length) { newCard.hidden = !(chosen && chosen.value === "new"); }
  }
  for (var i = 0; i < choices.length; i++) { choices[i].addEventListener("change", showChosen); }
  showChosen();

  // Card number in groups of four, expiry as MM/YY, as the customer types.
  var number = document.getElementById("number");
  if (number) {
    number.addEventListener("input", function () {
      var digits = number.value.replace(/\D/g, "").slice(0, 19);
      number.value = digits.replace(/(.{4})(?=.)/g, "$1 ");
    });
  }
  var exp = document.getElementById("exp");
  if (exp) {
    exp.addEventListener("input", function () {
      var digits = exp.value.replace(/\D/g, "").slice(0, 4);
      exp.value = digits.length > 2 ? digits.slice(0, 2) + "/" + digits.slice(2) : digits;
    });
  }

  // One submission at a time: a double click must not pay twice (the server refuses it anyway).
  var button = form.querySelector("button[type=submit]");
  var label = button ? button.textContent : "";
  form.addEventListener("submit", function () {
    window.setTimeout(function () { if (button) { button.disabled = true; button.textContent = "Processing…"; } }, 0);
  });
  // Back to this page from the browser's history: the button works again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && button) { button.disabled = false; button.textContent = label; }
  });
})();
