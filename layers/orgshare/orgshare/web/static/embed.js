// orgshare embedded checkout: mounts a session's checkout page in an iframe on the merchant's page.
//   <div id="checkout"></div>
//   <script src="https://ORGSHARE/static/embed.js" data-client-secret="cs_test_..._secret_..." data-mount="#checkout"></script>
// The iframe grows and shrinks with the checkout (the page reports its height); when the customer has
// paid, the checkout shows a "Continue" link that takes the whole page to the session's return_url.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var secret = script.getAttribute("data-client-secret") || "";
  var parts = secret.split("_secret_");
  var mount = document.querySelector(script.getAttribute("data-mount") || "#checkout");
  if (parts.length !== 2 || !mount) { return; }
  var root = script.src.replace(/\/static\/embed\.js(\?.*)?$/, "");
  var origin = new URL(root).origin;
  var frame = document.createElement("iframe");
  frame.src = root + "/checkout/" + encodeURIComponent(parts[0]) + "?key=" + encodeURIComponent(parts[1]);
  frame.title = "Checkout";
  frame.setAttribute("allow", "payment");
  frame.style.display = "block";
  frame.style.width = "100%";
  frame.style.height = "640px";
  frame.style.border = "0";
  mount.appendChild(frame);
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || event.source !== frame.contentWindow || !data || data.type !== "orgshare:checkout-height") { return; }
    var height = Number(data.height);
    if (height > 0 && height < 10000) { frame.style.height = Math.ceil(height) + "px"; }
  });
})();
