// The issue glance: the linked assets arrive with the page; linking (found by words or AQL) and
// unlinking happen in place through the API, then the list is refreshed from the server.
(function () {
  "use strict";
  var root, issueKey, issueId;
  function $(id) { return document.getElementById(id); }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }
  function json(response) {
    return response.json().then(function (body) {
      if (!response.ok) { var error = new Error(body.error ? body.error.message : "HTTP " + response.status); error.body = body; throw error; }
      return body;
    });
  }
  function say(message) { $("amj-glance-status").textContent = message; }

  function renderLinked(items) {
    var list = $("amj-linked");
    list.textContent = "";
    items.forEach(function (asset) {
      var li = el("li");
      li.setAttribute("data-key", asset.key);
      li.appendChild(el("span", asset.status.name, "amj-lozenge amj-status-" + asset.status.category));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("strong", asset.key));
      li.appendChild(document.createTextNode(" " + asset.label + " "));
      li.appendChild(unlinkButton(asset.key));
      list.appendChild(li);
    });
    $("amj-linked-empty").hidden = items.length > 0;
    if (window.AP && window.AP.resize) { window.AP.resize(); }
  }

  function refresh() {
    return window.amj.call("/api/v1/issues/" + encodeURIComponent(issueId) + "/assets").then(json).then(function (body) {
      renderLinked(body.items);
      root.setAttribute("data-state", "ready");
      return body.items;
    });
  }

  function unlinkButton(key) {
    var button = el("button", "Unlink", "amj-button amj-subtle-button amj-unlink");
    button.type = "button";
    button.setAttribute("data-key", key);
    button.setAttribute("aria-label", "Unlink " + key);
    button.onclick = function () { unlink(key); };
    return button;
  }

  function unlink(key) {
    root.setAttribute("data-state", "busy");
    return window.amj.call("/api/v1/assets/" + encodeURIComponent(key) + "/issues/" + encodeURIComponent(issueId), { method: "DELETE" })
      .then(function (response) { if (!response.ok && response.status !== 404) { return json(response); } })
      .then(refresh)
      .then(function () { say("Unlinked " + key + "."); $("amj-link-search").focus(); })
      .catch(function (error) { window.amj.showError("Could not unlink " + key + ": " + error.message + ".", function () { unlink(key); }); });
  }

  function link(key) {
    root.setAttribute("data-state", "busy");
    return window.amj.call("/api/v1/assets/" + encodeURIComponent(key) + "/issues", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ issue: issueKey })
    }).then(json).then(refresh).then(function () {
      say("Linked " + key + ".");
      $("amj-link-results").textContent = "";
      $("amj-link-search").focus();
    }).catch(function (error) { window.amj.showError("Could not link " + key + ": " + error.message + ".", function () { link(key); }); });
  }

  // Words search the full text; anything with an operator is taken as AQL.
  function asAql(text) {
    if (/[=~<>]|\b(having|like|in|is)\b/i.test(text)) { return text; }
    return "text ~ " + JSON.stringify(text);
  }

  function find(event) {
    event.preventDefault();
    var input = $("amj-link-search");
    var error = $("amj-link-error");
    var text = input.value.trim();
    if (!text) { return; }
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    window.amj.call("/api/v1/assets/query", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ aql: asAql(text), limit: 10 })
    }).then(json).then(function (body) {
      var list = $("amj-link-results");
      list.textContent = "";
      if (!body.items.length) { list.appendChild(el("li", "Nothing matches.", "amj-subtle")); }
      body.items.forEach(function (asset) {
        var li = el("li");
        li.appendChild(el("strong", asset.key));
        li.appendChild(document.createTextNode(" " + asset.label + " "));
        var button = el("button", "Link", "amj-button");
        button.type = "button";
        button.setAttribute("aria-label", "Link " + asset.key);
        button.onclick = function () { link(asset.key); };
        li.appendChild(button);
        list.appendChild(li);
      });
      if (window.AP && window.AP.resize) { window.AP.resize(); }
    }).catch(function (failure) {
      var aql = failure.body && failure.body.error && failure.body.error.aql;
      error.textContent = aql ? aql.excerpt : failure.message;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = $("amj-glance");
    if (!root) { return; }
    issueKey = root.getAttribute("data-issue-key");
    issueId = root.getAttribute("data-issue-id");
    Array.prototype.forEach.call(document.querySelectorAll(".amj-unlink"), function (button) {
      var key = button.getAttribute("data-key");
      button.onclick = function () { unlink(key); };
    });
    $("amj-link-form").addEventListener("submit", find);
  });
})();
