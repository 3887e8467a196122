// orgshare checkout: enhancements only. Without this script the page works the same: the form
// posts to orgshare, which answers with the next page.
(function () {
  "use strict";
  var form = document.querySelector("form.pay");
  var error = document.getElementById("error");
  if (error) { error.focus(); }

  // An embedded checkout that completed takes the merchant's whole page to its return_url.
  var redirect = document.querySelector("[data-redirect]");
  if (redirect && window.top !== window.self) {
    window.top.location.href = redirect.getAttribute("data-redirect");
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
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    window.setTimeout(function () { if (button) { button.disabled = true; button.textContent = "Processing…"; } }, 0);
  });
})();
