// Calls our API with the context token the page was rendered with. When that token is refused
// (it expired, or the site's secret was rotated since the page loaded), ask Jira for a fresh one
// through AP.context.getToken() and retry once. Failures are shown with a retry button: never an
// endless spinner.
(function () {
  "use strict";
  var meta = function (name) { var el = document.querySelector('meta[name="' + name + '"]'); return el ? el.content : ""; };
  var baseUrl = meta("amj-base-url");
  var token = meta("amj-context-token");

  function freshToken() {
    return new Promise(function (resolve, reject) {
      if (!window.AP || !window.AP.context || !window.AP.context.getToken) { reject(new Error("no AP bridge")); return; }
      window.AP.context.getToken(function (t) { if (t) { token = t; resolve(t); } else { reject(new Error("no token")); } });
    });
  }

  function call(path, options, retried) {
    options = options || {};
    var headers = Object.assign({ "Accept": "application/json" }, options.headers || {}, { "Authorization": "JWT " + token });
    return fetch(baseUrl + path, Object.assign({}, options, { headers: headers })).then(function (response) {
      if (response.status === 401 && !retried) {
        return freshToken().then(function () { return call(path, options, true); }, function () { return response; });
      }
      return response;
    });
  }

  function showError(message, retry) {
    var box = document.getElementById("amj-error");
    document.getElementById("amj-error-text").textContent = message;
    box.hidden = false;
    document.getElementById("amj-retry").onclick = function () { box.hidden = true; retry(); };
  }

  function checkConnection() {
    var target = document.querySelector('[data-check="whoami"]');
    if (!target) { return; }
    call("/api/v1/whoami").then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          var why = body && body.error ? body.error.message + " (" + body.error.code + ")" : "HTTP " + response.status;
          target.textContent = "Not connected.";
          showError("The app could not authenticate with Jira: " + why + ". Reload the page; if this persists, ask a Jira admin to reinstall or upgrade the app.", checkConnection);
          return;
        }
        target.textContent = "Connected to " + body.baseUrl + (body.accountId ? " as " + body.accountId : "") + ".";
        target.setAttribute("data-state", "connected");
      });
    }).catch(function (error) {
      target.textContent = "Not connected.";
      showError("The app could not be reached: " + error.message + ".", checkConnection);
    });
  }

  window.amj = { call: call, showError: showError };
  document.addEventListener("DOMContentLoaded", function () {
    // Follow Jira's light or dark theme: the bridge sets data-color-mode on <html>.
    if (window.AP && window.AP.theming && window.AP.theming.initializeTheming) {
      try { window.AP.theming.initializeTheming(); } catch (e) { /* the system's scheme applies */ }
    }
    checkConnection();
    if (window.AP && window.AP.resize) { window.AP.resize(); }
  });
})();
