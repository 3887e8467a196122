// The Developers pages' progressive enhancements: every page works without this file.
// - a page showing a new secret (the answer to a POST) takes its list's URL, so reloading it shows
//   the list (a GET) instead of sending the form again or showing the secret twice;
// - a sharing enablement's page polls its progress (JSON, same origin) and updates the <progress>
//   bar, the counts and the aria-live text in place until the enablement has finished (without
//   script the page refreshes itself instead).
(function () {
  "use strict";

  var secret = document.querySelector("[data-replace-url]");
  if (secret && window.history && typeof window.history.replaceState === "function") {
    window.history.replaceState(null, "", secret.getAttribute("data-replace-url"));
  }

  var panel = document.querySelector("[data-progress-url]");
  if (!panel || panel.getAttribute("data-finished") === "yes" || typeof window.fetch !== "function") { return; }
  var url = panel.getAttribute("data-progress-url");
  var bar = panel.querySelector("progress");
  var status = panel.querySelector("[data-field=status_text]");
  var text = panel.querySelector("[data-field=text]");
  var failure = document.getElementById("failure");
  var retry = document.getElementById("retry-form");
  var every = 1000;
  var failures = 0;

  function show(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    status.textContent = state.status_text;
    status.className = "status " + state.status;
    if (text.textContent !== state.text) { text.textContent = state.text; }  // aria-live: only real changes are read out
    Object.keys(state.progress).forEach(function (name) {
      var cell = panel.querySelector("[data-count=" + name + "]");
      if (cell) { cell.textContent = String(state.progress[name]); }
    });
    var failed = state.status === "failed";
    if (failure) {
      failure.hidden = !failed;
      var reason = failure.querySelector("[data-field=failure]");
      if (reason) { reason.textContent = (state.failure && state.failure.message) || ""; }
    }
    if (retry) { retry.hidden = !failed; }
    panel.setAttribute("data-finished", state.finished ? "yes" : "no");
  }

  function poll() {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (answer) {
        if (!answer.ok || (answer.headers.get("Content-Type") || "").indexOf("application/json") !== 0) { throw new Error("no progress"); }
        return answer.json();
      })
      .then(function (state) {
        failures = 0;
        show(state);
        if (!state.finished) { window.setTimeout(poll, every); }
      })
      .catch(function () {
        // The session ended or the network dropped: back off, then let a reload say why.
        failures += 1;
        if (failures < 5) { window.setTimeout(poll, every * failures * 2); } else { window.location.reload(); }
      });
  }

  window.setTimeout(poll, every);
})();
