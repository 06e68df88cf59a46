// The settings page's editors: schemas, the type tree, attributes, statuses and API tokens, all
// through /api/v1. The server validates; its per-field errors are shown next to each field.
(function () {
  "use strict";
  var schema = "", types = [];
  function $(id) { return document.getElementById(id); }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }
  function api(path, method, body) {
    var options = { method: method || "GET" };
    if (body !== undefined) { options.headers = { "Content-Type": "application/json" }; options.body = JSON.stringify(body); }
    return window.amj.call(path, options).then(function (response) {
      if (response.status === 204) { return {}; }
      return response.json().then(function (json) {
        if (!response.ok) { var error = new Error(json.error ? json.error.message : "HTTP " + response.status); error.body = json; throw error; }
        return json;
      });
    });
  }
  function say(message) { $("amj-admin-status").textContent = message; }
  function base() { return "/api/v1/schemas/" + encodeURIComponent(schema); }

  // Shows a 400's per-field errors next to `prefix-<field>` inputs, the rest under the form.
  function showErrors(prefix, error) {
    var details = (error.body && error.body.error && error.body.error.details) || [];
    var loose = [];
    if (!details.length) { loose.push(error.message); }
    details.forEach(function (detail) {
      var input = $(prefix + "-" + detail.field);
      var message = $(prefix + "-" + detail.field + "-error");
      if (!input || !message) { loose.push(detail.message); return; }
      input.setAttribute("aria-invalid", "true");
      message.textContent = detail.message;
      message.hidden = false;
    });
    var formError = $(prefix + "-form-error");
    formError.textContent = loose.join(" ");
    formError.hidden = !loose.length;
    var first = document.querySelector("#" + prefix + "-form [aria-invalid=true]");
    (first || formError).focus && (first || formError).focus();
  }
  function clearErrors(prefix) {
    Array.prototype.forEach.call(document.querySelectorAll("#" + prefix + "-form [aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); });
    Array.prototype.forEach.call(document.querySelectorAll("#" + prefix + "-form .amj-field-message"), function (n) { n.hidden = true; n.textContent = ""; });
  }
  function submit(prefix, send) {
    $(prefix + "-form").addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(prefix);
      send().catch(function (error) { showErrors(prefix, error); });
    });
  }

  // Rename and Delete for one item: rename swaps the name for an input in place; delete asks
  // first. The server refuses what is in use (a 409), and that message is shown.
  function itemActions(label, rename, remove) {
    var box = el("span", null, "amj-actions");
    var renameButton = el("button", "Rename", "amj-button amj-subtle-button");
    renameButton.type = "button";
    renameButton.setAttribute("aria-label", "Rename " + label);
    renameButton.onclick = function () {
      var input = el("input");
      input.value = label;
      input.setAttribute("aria-label", "New name for " + label);
      var save = el("button", "Save", "amj-button");
      save.type = "button";
      var finish = function () {
        rename(input.value.trim()).catch(function (error) {
          window.amj.showError("Could not rename " + label + ": " + error.message + ".", function () { input.focus(); });
        });
      };
      save.onclick = finish;
      input.onkeydown = function (event) {
        if (event.key === "Enter") { event.preventDefault(); finish(); }
        if (event.key === "Escape") { event.preventDefault(); loadSchema(); }
      };
      box.textContent = "";
      box.appendChild(input);
      box.appendChild(save);
      input.focus();
    };
    var removeButton = el("button", "Delete", "amj-button amj-subtle-button");
    removeButton.type = "button";
    removeButton.setAttribute("aria-label", "Delete " + label);
    removeButton.onclick = function () {
      if (!window.confirm("Delete " + label + "? This cannot be undone.")) { return; }
      remove().catch(function (error) {
        window.amj.showError("Could not delete " + label + ": " + error.message + ".", loadSchema);
      });
    };
    box.appendChild(renameButton);
    box.appendChild(removeButton);
    return box;
  }

  function fillSelect(select, items, blank) {
    var keep = select.value;
    select.textContent = "";
    if (blank) { var none = el("option", blank); none.value = ""; select.appendChild(none); }
    items.forEach(function (item) { var o = el("option", item[1]); o.value = item[0]; select.appendChild(o); });
    if (keep && Array.prototype.some.call(select.options, function (o) { return o.value === keep; })) { select.value = keep; }
  }

  function depthOf(type) { var d = 0, t = type; while (t && t.parentId && d < 32) { t = types.filter(function (x) { return x.id === t.parentId; })[0]; d += 1; } return d; }
  function ordered() {
    var out = [];
    (function walk(parent) {
      types.filter(function (t) { return (t.parentId || null) === parent; }).forEach(function (t) { out.push(t); walk(t.id); });
    })(null);
    return out;
  }

  function renderTypes() {
    var tree = $("amj-type-tree");
    tree.textContent = "";
    if (!types.length) { tree.appendChild(el("li", "No types yet: create the first one below.", "amj-subtle")); }
    (function walk(parent, into) {
      types.filter(function (t) { return (t.parentId || null) === parent; }).forEach(function (t) {
        var li = el("li", t.name + (t.isAbstract ? " (abstract)" : "") + " ");
        li.setAttribute("data-type", t.name);
        li.appendChild(itemActions(t.name, function (name) {
          return api(base() + "/types/" + t.id, "PUT", { name: name, parentId: t.parentId || null, icon: t.icon, description: t.description, isAbstract: t.isAbstract, labelAttributeId: t.labelAttributeId || null })
            .then(function () { say("Renamed " + t.name + " to " + name + "."); return loadSchema(); });
        }, function () {
          return api(base() + "/types/" + t.id, "DELETE").then(function () { say("Deleted the type " + t.name + "."); return loadSchema(); });
        }));
        var children = el("ul");
        walk(t.id, children);
        if (children.children.length) { li.appendChild(children); }
        into.appendChild(li);
      });
    })(null, tree);
    var options = ordered().map(function (t) { return [String(t.id), "\u00a0\u00a0".repeat(depthOf(t)) + t.name]; });
    fillSelect($("amj-type-parent"), options, "(none: a top-level type)");
    fillSelect($("amj-attr-type"), options);
    fillSelect($("amj-attr-target"), options);
    renderAttributes();
  }

  function renderAttributes() {
    var id = Number($("amj-attr-type").value);
    var type = types.filter(function (t) { return t.id === id; })[0];
    $("amj-attr-type-name").textContent = type ? type.name : "a type";
    var rows = $("amj-attr-rows");
    rows.textContent = "";
    ((type && type.attributes) || []).forEach(function (a) {
      var tr = el("tr");
      tr.appendChild(el("th", a.name)).scope = "row";
      tr.appendChild(el("td", a.kind));
      tr.appendChild(el("td", a.required ? "Yes" : "No"));
      tr.appendChild(el("td", a.unique ? "Yes" : "No"));
      var from = types.filter(function (t) { return t.id === a.typeId; })[0];
      tr.appendChild(el("td", from && from.id !== id ? from.name : ""));
      var actions = el("td");
      if (!from || from.id === id) {
        actions.appendChild(itemActions(a.name, function (name) {
          var draft = {};
          Object.keys(a).forEach(function (k) { if (["id", "typeId", "position", "inherited", "targetTypeName"].indexOf(k) < 0) { draft[k] = a[k]; } });
          draft.name = name;
          return api(base() + "/attributes/" + a.id, "PUT", draft)
            .then(function () { say("Renamed " + a.name + " to " + name + "."); return loadSchema().then(function () { $("amj-attr-type").value = String(id); renderAttributes(); }); });
        }, function () {
          return api(base() + "/attributes/" + a.id, "DELETE")
            .then(function () { say("Deleted the attribute " + a.name + "."); return loadSchema().then(function () { $("amj-attr-type").value = String(id); renderAttributes(); }); });
        }));
      }
      tr.appendChild(actions);
      rows.appendChild(tr);
    });
  }

  function loadSchema() {
    if (!schema) { $("amj-admin").setAttribute("data-state", "ready"); return Promise.resolve(); }
    return Promise.all([api(base() + "/types"), api(base() + "/statuses")]).then(function (parts) {
      types = parts[0].types;
      renderTypes();
      var list = $("amj-status-list");
      list.textContent = "";
      parts[1].statuses.forEach(function (s) {
        var li = el("li");
        li.appendChild(el("span", s.name, "amj-lozenge amj-status-" + s.category));
        li.appendChild(el("span", " " + s.category.replace("_", " ") + " ", "amj-subtle"));
        li.appendChild(itemActions(s.name, function (name) {
          return api(base() + "/statuses/" + s.id, "PUT", { name: name, category: s.category })
            .then(function () { say("Renamed " + s.name + " to " + name + "."); return loadSchema(); });
        }, function () {
          return api(base() + "/statuses/" + s.id, "DELETE").then(function () { say("Deleted the status " + s.name + "."); return loadSchema(); });
        }));
        list.appendChild(li);
      });
      $("amj-admin").setAttribute("data-state", "ready");
    });
  }

  function loadSchemas(select) {
    return api("/api/v1/schemas").then(function (json) {
      var schemas = json.schemas || json.items || [];
      fillSelect($("amj-admin-schema"), schemas.map(function (s) { return [s.key, s.name + " (" + s.key + ")"]; }));
      if (select) { $("amj-admin-schema").value = select; }
      schema = $("amj-admin-schema").value;
      return loadSchema();
    });
  }

  function loadTokens() {
    return api("/api/v1/tokens").then(function (json) {
      var list = $("amj-token-list");
      list.textContent = "";
      json.items.filter(function (t) { return !t.revokedAt; }).forEach(function (t) {
        var li = el("li", t.name + " (" + t.prefix + "…" + (t.readOnly ? ", read-only" : "") + ") ");
        var revoke = el("button", "Revoke", "amj-button amj-subtle-button");
        revoke.type = "button";
        revoke.setAttribute("aria-label", "Revoke " + t.name);
        revoke.onclick = function () {
          api("/api/v1/tokens/" + t.id, "DELETE").then(function () { say("Revoked " + t.name + "."); return loadTokens(); })
            .catch(function (e) { window.amj.showError("The token could not be revoked: " + e.message + ".", loadTokens); });
        };
        li.appendChild(revoke);
        list.appendChild(li);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!$("amj-admin")) { return; }
    $("amj-admin-schema").addEventListener("change", function (e) { schema = e.target.value; loadSchema(); });
    $("amj-attr-type").addEventListener("change", renderAttributes);
    $("amj-attr-kind").addEventListener("change", function (e) {
      $("amj-attr-options-row").hidden = e.target.value !== "select";
      $("amj-attr-target-row").hidden = e.target.value !== "reference";
    });
    submit("amj-schema", function () {
      var key = $("amj-schema-key").value.trim();
      return api("/api/v1/schemas", "POST", { key: key, name: $("amj-schema-name").value.trim() }).then(function () {
        say("Created the schema " + key + ".");
        $("amj-schema-form").reset();
        return loadSchemas(key);
      });
    });
    submit("amj-type", function () {
      var name = $("amj-type-name").value.trim();
      var parent = $("amj-type-parent").value;
      return api(base() + "/types", "POST", { name: name, parentId: parent ? Number(parent) : null, isAbstract: $("amj-type-abstract").checked }).then(function (created) {
        say("Created the type " + name + ".");
        $("amj-type-form").reset();
        return loadSchema().then(function () { if (created.id) { $("amj-attr-type").value = String(created.id); renderAttributes(); } });
      });
    });
    submit("amj-attr", function () {
      var kind = $("amj-attr-kind").value;
      var draft = { name: $("amj-attr-name").value.trim(), kind: kind, required: $("amj-attr-required").checked, unique: $("amj-attr-unique").checked };
      if (kind === "select") { draft.options = $("amj-attr-options").value.split(",").map(function (o) { return o.trim(); }).filter(Boolean); }
      if (kind === "reference") { draft.targetType = Number($("amj-attr-target").value); draft.referenceType = $("amj-attr-reftype").value.trim(); }
      var type = $("amj-attr-type").value;
      return api(base() + "/types/" + type + "/attributes", "POST", draft).then(function () {
        say("Added the attribute " + draft.name + ".");
        $("amj-attr-form").reset();
        $("amj-attr-options-row").hidden = true;
        $("amj-attr-target-row").hidden = true;
        return loadSchema().then(function () { $("amj-attr-type").value = type; renderAttributes(); });
      });
    });
    submit("amj-status", function () {
      var name = $("amj-status-name").value.trim();
      return api(base() + "/statuses", "POST", { name: name, category: $("amj-status-category").value }).then(function () {
        say("Added the status " + name + ".");
        $("amj-status-name").value = "";
        return loadSchema();
      });
    });
    submit("amj-token", function () {
      var name = $("amj-token-name").value.trim();
      return api("/api/v1/tokens", "POST", { name: name, readOnly: $("amj-token-readonly").checked }).then(function (created) {
        var box = $("amj-token-secret");
        box.textContent = "Copy this token now; it will not be shown again: " + (created.secret || created.token);
        box.hidden = false;
        $("amj-token-name").value = "";
        return loadTokens();
      });
    });
    loadSchemas().then(loadTokens).catch(function (error) {
      $("amj-admin").setAttribute("data-state", "failed");
      window.amj.showError("The settings could not be loaded: " + error.message + ".", function () { window.location.reload(); });
    });
  });
})();
