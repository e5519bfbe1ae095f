// The sign-in page: the counter's token goes to POST /desk/sign-in as JSON (never in a URL);
// the answer sets the session cookie and the page reloads as the desk.
"use strict";

(() => {
  const form = document.getElementById("sign-in-form");
  const token = document.getElementById("token");
  const error = document.getElementById("sign-in-error");
  const langSwitch = document.getElementById("lang-switch");

  function showError(id) {
    NetidL10n.set(error, id);
    error.hidden = false;
    token.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    let response;
    try {
      response = await fetch("/desk/sign-in", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: token.value.trim() }),
      });
    } catch (e) {
      showError("desk-error-network");
      return;
    }
    token.value = "";
    if (response.status === 204) {
      window.location.replace("/desk");
    } else if (response.status === 401) {
      showError("desk-sign-in-refused");
    } else {
      showError("desk-error-service");
    }
  });

  langSwitch.addEventListener("click", () => {
    NetidL10n.load(NetidL10n.other()).then(updateSwitch);
  });

  function updateSwitch() {
    langSwitch.lang = NetidL10n.other();
  }

  NetidL10n.load(NetidL10n.initial())
    .then(updateSwitch)
    .catch(() => {})
    .finally(() => token.focus());
})();
