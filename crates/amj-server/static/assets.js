// The asset list: AQL search with inline errors and suggestions, a type filter, a column chooser,
// sorting and cursor paging. The first page arrives in the HTML (data-json), so rows show without
// a round trip; later pages come from POST /api/v1/assets/query through amj.call (app.js), which
// renews the context token when a rotation made it stale.
(function () {
  "use strict";
  var root, state, validateTimer, completions = [], active = -1;
  var BUILT_IN = ["Key", "Label", "Type", "Status"];
  var SORTABLE = { Key: "Key", Label: "label", Created: "created", Updated: "updated" };

  function $(id) { return document.getElementById(id); }

  function quote(name) { return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : '"' + name.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"'; }

  // The user's query without a trailing ORDER BY, and that ORDER BY (headers replace it).
  function splitOrder(text) {
    var match = /\border\s+by\b/i.exec(text);
    if (!match) { return { where: text.trim(), order: "" }; }
    return { where: text.slice(0, match.index).trim(), order: text.slice(match.index).trim() };
  }

  function composedQuery() {
    var parts = splitOrder($("amj-aql").value);
    var conditions = [];
    if (state.type) { conditions.push("objectType = " + quote(state.type)); }
    if (parts.where) { conditions.push(state.type ? "(" + parts.where + ")" : parts.where); }
    var order = state.sort ? "ORDER BY " + quote(state.sort.key) + " " + state.sort.dir : parts.order;
    return (conditions.join(" AND ") + " " + order).trim();
  }

  function columnsKey() { return "amj.columns." + state.schema; }

  function loadColumns() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(columnsKey()) || "null");
      if (Array.isArray(saved) && saved.length) { return saved; }
    } catch (e) { /* storage may be blocked in a third-party frame */ }
    return BUILT_IN.concat(state.attributes.filter(function (a) { return a !== "Name"; }).slice(0, 3));
  }

  function saveColumns() {
    try { window.localStorage.setItem(columnsKey(), JSON.stringify(state.columns)); } catch (e) { /* ignore */ }
  }

  function text(value) {
    if (value === null || value === undefined) { return ""; }
    if (Array.isArray(value)) { return value.map(text).join(", "); }
    if (typeof value === "object") { return value.key || value.label || value.name || value.displayName || value.accountId || JSON.stringify(value); }
    return String(value);
  }

  function cell(asset, column) {
    switch (column) {
      case "Key": return asset.key;
      case "Label": return asset.label;
      case "Type": return asset.type && asset.type.name;
      case "Status": return asset.status && asset.status.name;
      default: return text(asset.attributes && asset.attributes[column]);
    }
  }

  function renderHead() {
    var head = $("amj-head");
    head.textContent = "";
    var selectAll = document.createElement("th");
    selectAll.scope = "col";
    var all = document.createElement("input");
    all.type = "checkbox";
    all.id = "amj-select-all";
    all.setAttribute("aria-label", "Select every asset on this page");
    all.onchange = function () {
      (state.lastPage.items || []).forEach(function (asset) {
        if (all.checked) { state.selected[asset.key] = asset.version; } else { delete state.selected[asset.key]; }
      });
      renderRows(state.lastPage);
    };
    selectAll.appendChild(all);
    head.appendChild(selectAll);
    state.columns.forEach(function (column) {
      var th = document.createElement("th");
      th.scope = "col";
      var key = SORTABLE[column] || (BUILT_IN.indexOf(column) < 0 ? column : null);
      if (key) {
        var sorted = state.sort && state.sort.key === key;
        th.setAttribute("aria-sort", sorted ? (state.sort.dir === "ASC" ? "ascending" : "descending") : "none");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "amj-sort";
        button.textContent = column + (sorted ? (state.sort.dir === "ASC" ? " ▲" : " ▼") : "");
        button.setAttribute("aria-label", "Sort by " + column);
        button.onclick = function () {
          state.sort = { key: key, dir: sorted && state.sort.dir === "ASC" ? "DESC" : "ASC" };
          search();
        };
        th.appendChild(button);
      } else {
        th.textContent = column;
      }
      head.appendChild(th);
    });
  }

  function renderRows(page) {
    var body = $("amj-rows");
    body.textContent = "";
    page.items.forEach(function (asset) {
      var tr = document.createElement("tr");
      var pick = document.createElement("td");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = Object.prototype.hasOwnProperty.call(state.selected, asset.key);
      box.setAttribute("aria-label", "Select " + asset.key);
      box.onchange = function () {
        if (box.checked) { state.selected[asset.key] = asset.version; } else { delete state.selected[asset.key]; }
        updateBulk();
      };
      pick.appendChild(box);
      tr.appendChild(pick);
      state.columns.forEach(function (column, i) {
        var td = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) { td.scope = "row"; }
        var value = cell(asset, column) || "";
        if (column === "Key") {
          var open = document.createElement("a");
          open.href = "#" + asset.key;
          open.textContent = value;
          open.onclick = function (event) { event.preventDefault(); showDetail(asset.key); };
          td.appendChild(open);
        } else if (column === "Status" && value) {
          var lozenge = document.createElement("span");
          lozenge.className = "amj-lozenge amj-status-" + (asset.status.category || "unknown");
          lozenge.textContent = value;
          td.appendChild(lozenge);
        } else {
          td.textContent = value;
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    $("amj-empty-result").hidden = page.items.length > 0;
    updateBulk();
    if (page.total !== undefined && page.total !== null) { state.total = page.total; state.totalExact = page.totalExact; }
    var first = state.pageIndex * state.limit;
    var shown = page.items.length ? (first + 1) + "–" + (first + page.items.length) : "0";
    var total = state.total === undefined ? "" : " of " + state.total + (state.totalExact === false ? "+" : "");
    $("amj-count").textContent = "Showing " + shown + total + " assets";
    var hadFocus = document.activeElement;
    $("amj-prev").disabled = state.pageIndex === 0;
    $("amj-next").disabled = !page.nextCursor;
    // A button that disables itself drops keyboard focus to the page; hand it to its partner.
    if (hadFocus && hadFocus.disabled) {
      var partner = hadFocus.id === "amj-next" ? $("amj-prev") : $("amj-next");
      (partner.disabled ? $("amj-aql") : partner).focus();
    }
    state.next = page.nextCursor;
    if (window.AP && window.AP.resize) { window.AP.resize(); }
  }

  function render(page) { renderHead(); renderRows(page); root.setAttribute("data-state", "ready"); }

  function showAqlError(error) {
    var box = $("amj-aql-error");
    var input = $("amj-aql");
    if (error) {
      box.textContent = error.excerpt || error.message;
      box.hidden = false;
      input.setAttribute("aria-invalid", "true");
    } else {
      box.hidden = true;
      box.textContent = "";
      input.removeAttribute("aria-invalid");
    }
  }

  function rememberInUrl() {
    var query = $("amj-aql").value;
    try {
      if (window.AP && window.AP.history && window.AP.history.replaceState) {
        window.AP.history.replaceState("aql=" + encodeURIComponent(query) + "&schema=" + encodeURIComponent(state.schema));
      } else {
        var url = new URL(window.location.href);
        url.searchParams.set("aql", query);
        url.searchParams.set("schema", state.schema);
        window.history.replaceState(null, "", url.toString());
      }
    } catch (e) { /* the URL is a convenience; the search itself worked */ }
  }

  // The query saved in the host's URL (AP.history), if the page was opened from one: Jira's
  // getState answers at once, the simulator's through a callback.
  function restoreFromHistory() {
    var h = window.AP && window.AP.history;
    if (!h || !h.getState) { return; }
    var apply = function (stateText) {
      if (typeof stateText !== "string" || !stateText) { return; }
      var params = new URLSearchParams(stateText);
      var aql = params.get("aql");
      var schema = params.get("schema");
      if (schema && schema !== state.schema && Array.prototype.some.call($("amj-schema").options, function (o) { return o.value === schema; })) {
        $("amj-schema").value = schema;
        if (aql !== null) { $("amj-aql").value = aql; }
        switchSchema(schema);
      } else if (aql !== null && aql !== $("amj-aql").value) {
        $("amj-aql").value = aql;
        search();
      }
    };
    var answer = h.getState(apply);
    if (typeof answer === "string") { apply(answer); }
  }

  function load(cursor) {
    root.setAttribute("data-state", "loading");
    var body = { aql: composedQuery(), schema: state.schema, limit: state.limit };
    if (cursor) { body.cursor = cursor; }
    return window.amj.call("/api/v1/assets/query", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) {
        if (response.status === 400 && json.error && json.error.aql) {
          showAqlError(json.error.aql);
          root.setAttribute("data-state", "invalid");
          return null;
        }
        if (!response.ok) { throw new Error(json.error ? json.error.message : "HTTP " + response.status); }
        showAqlError(null);
        render(json);
        return json;
      });
    }).catch(function (error) {
      root.setAttribute("data-state", "failed");
      window.amj.showError("The assets could not be loaded: " + error.message + ".", function () { load(cursor); });
    });
  }

  function search() {
    state.pageIndex = 0;
    state.cursors = [null];
    state.total = undefined;
    rememberInUrl();
    return load(null);
  }

  // Suggestions and errors while typing, from GET /api/v1/aql/validate.
  function byteOffset(value, chars) { return new TextEncoder().encode(value.slice(0, chars)).length; }
  function charOffset(value, bytes) { return new TextDecoder().decode(new TextEncoder().encode(value).slice(0, bytes)).length; }

  function closeCompletions() {
    completions = [];
    active = -1;
    var list = $("amj-completions");
    list.hidden = true;
    list.textContent = "";
    $("amj-aql").setAttribute("aria-expanded", "false");
    $("amj-aql").removeAttribute("aria-activedescendant");
  }

  function showCompletions(result) {
    var list = $("amj-completions");
    list.textContent = "";
    completions = (result && result.items) || [];
    active = -1;
    if (!completions.length) { closeCompletions(); return; }
    completions.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "amj-completion-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = item.label;
      var kind = document.createElement("span");
      kind.className = "amj-subtle";
      kind.textContent = " " + item.kind;
      li.appendChild(kind);
      li.onmousedown = function (event) { event.preventDefault(); accept(i); };
      list.appendChild(li);
    });
    state.replace = result;
    list.hidden = false;
    $("amj-aql").setAttribute("aria-expanded", "true");
  }

  function highlight(i) {
    active = i;
    Array.prototype.forEach.call($("amj-completions").children, function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
    $("amj-aql").setAttribute("aria-activedescendant", "amj-completion-" + i);
  }

  function accept(i) {
    var item = completions[i];
    var input = $("amj-aql");
    var value = input.value;
    var start = charOffset(value, state.replace.replaceStart);
    var end = charOffset(value, state.replace.replaceEnd);
    input.value = value.slice(0, start) + item.insert + " " + value.slice(end);
    var caret = start + item.insert.length + 1;
    input.setSelectionRange(caret, caret);
    closeCompletions();
    validateSoon();
  }

  function validate() {
    var input = $("amj-aql");
    var value = input.value;
    var position = byteOffset(value, input.selectionStart === null ? value.length : input.selectionStart);
    var path = "/api/v1/aql/validate?schema=" + encodeURIComponent(state.schema) + "&aql=" + encodeURIComponent(value) + "&position=" + position;
    window.amj.call(path).then(function (response) {
      if (!response.ok) { return; }
      return response.json().then(function (json) {
        if (input.value !== value) { return; }
        showAqlError(value.trim() && !json.valid ? json.error : null);
        if (document.activeElement === input) { showCompletions(json.completions); }
      });
    }).catch(function () { /* suggestions are optional; searching reports real errors */ });
  }

  function validateSoon() { window.clearTimeout(validateTimer); validateTimer = window.setTimeout(validate, 200); }

  function renderColumnChooser() {
    var list = $("amj-column-list");
    list.textContent = "";
    BUILT_IN.concat(state.attributes).forEach(function (name, i) {
      var id = "amj-column-" + i;
      var box = document.createElement("input");
      box.type = "checkbox";
      box.id = id;
      box.checked = state.columns.indexOf(name) >= 0;
      box.onchange = function () {
        if (box.checked) { state.columns.push(name); } else { state.columns = state.columns.filter(function (c) { return c !== name; }); }
        if (!state.columns.length) { state.columns = ["Key"]; }
        saveColumns();
        render(state.lastPage);
      };
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = name;
      var row = document.createElement("div");
      row.appendChild(box);
      row.appendChild(label);
      list.appendChild(row);
    });
  }

  // ----- bulk actions -----

  function selectedKeys() { return Object.keys(state.selected); }

  function updateBulk() {
    var keys = selectedKeys();
    $("amj-bulk").hidden = keys.length === 0;
    $("amj-selected-count").textContent = keys.length + (keys.length === 1 ? " asset selected" : " assets selected");
    var all = $("amj-select-all");
    if (all) {
      var onPage = (state.lastPage.items || []).filter(function (a) { return Object.prototype.hasOwnProperty.call(state.selected, a.key); }).length;
      all.checked = onPage > 0 && onPage === (state.lastPage.items || []).length;
    }
  }

  function fillStatuses(names) {
    var select = $("amj-bulk-status");
    select.textContent = "";
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    });
  }

  function reloadPage() { return load(state.cursors[state.cursors.length - 1]); }

  function bulkDone(message) {
    state.selected = {};
    $("amj-bulk-result").textContent = message;
    return reloadPage();
  }

  function bulkStatus() {
    var keys = selectedKeys();
    var status = $("amj-bulk-status").value;
    var items = keys.map(function (key) { return { key: key, version: state.selected[key], status: status }; });
    return window.amj.call("/api/v1/schemas/" + encodeURIComponent(state.schema) + "/assets/bulk", {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items: items })
    }).then(function (response) {
      return response.json().then(function (json) {
        if (response.status === 409) {
          window.amj.showError("Some of these assets changed since the list was loaded, so nothing was changed. Reload the list and try again.", reloadPage);
          return;
        }
        if (!response.ok) { throw new Error(json.error ? json.error.message : "HTTP " + response.status); }
        return bulkDone("Changed the status of " + items.length + (items.length === 1 ? " asset" : " assets") + " to " + status + ".");
      });
    }).catch(function (error) { window.amj.showError("The status could not be changed: " + error.message + ".", bulkStatus); });
  }

  function bulkArchive() {
    var keys = selectedKeys();
    return Promise.all(keys.map(function (key) {
      return window.amj.call("/api/v1/assets/" + encodeURIComponent(key) + "/archive", { method: "POST" }).then(function (response) {
        if (!response.ok) { throw new Error(key + ": HTTP " + response.status); }
      });
    })).then(function () {
      return bulkDone("Archived " + keys.length + (keys.length === 1 ? " asset." : " assets."));
    }).catch(function (error) { window.amj.showError("Not every asset could be archived: " + error.message + ".", reloadPage); });
  }

  // ----- the detail view -----

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function getJson(path) {
    return window.amj.call(path).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) { throw new Error(json.error ? json.error.message : "HTTP " + response.status); }
        return json;
      });
    });
  }

  function assetLink(key, label) {
    var a = el("a", label ? key + " " + label : key);
    a.href = "#" + key;
    a.onclick = function (event) { event.preventDefault(); showDetail(key); };
    return a;
  }

  function openIssue(key) {
    if (window.AP && window.AP.navigator && window.AP.navigator.go) {
      window.AP.navigator.go("issue", { issueKey: key });
    } else {
      window.open($("amj-detail").getAttribute("data-site-url") + "/browse/" + encodeURIComponent(key), "_top");
    }
  }

  function describe(event) {
    switch (event.kind) {
      case "created": return "created the asset";
      case "attribute_changed": return "changed " + event.attribute + " from " + (text(event.old) || "(empty)") + " to " + (text(event["new"]) || "(empty)");
      case "status_changed": return "changed the status from " + event.old + " to " + event["new"];
      case "type_changed": return "changed the type from " + event.old + " to " + event["new"];
      case "linked": return "linked " + event.issueKey;
      case "unlinked": return "unlinked " + event.issueKey + (event.reason ? " (" + event.reason + ")" : "");
      case "archived": return "archived the asset";
      case "restored": return "restored the asset";
      default: return event.kind;
    }
  }

  function showDetail(key) {
    root.setAttribute("data-state", "loading");
    var base = "/api/v1/assets/" + encodeURIComponent(key);
    return Promise.all([getJson(base), getJson(base + "/references"), getJson(base + "/issues"), getJson(base + "/history?limit=50")])
      .then(function (parts) { renderDetail(parts[0], parts[1], parts[2], parts[3]); })
      .catch(function (error) {
        root.setAttribute("data-state", "ready");
        window.amj.showError("The asset " + key + " could not be loaded: " + error.message + ".", function () { showDetail(key); });
      });
  }

  function renderDetail(asset, references, issues, history) {
    var detail = $("amj-detail");
    $("amj-detail-title").textContent = asset.key + " " + asset.label;
    $("amj-detail-summary").textContent = asset.type.name + " · " + asset.status.name + (asset.archived ? " · archived" : "") +
      " · updated " + (asset.updated.at || "") + " by " + asset.updated.by;
    var attributes = $("amj-detail-attributes");
    attributes.textContent = "";
    Object.keys(asset.attributes).forEach(function (name) {
      attributes.appendChild(el("dt", name));
      attributes.appendChild(el("dd", text(asset.attributes[name])));
    });
    var refs = $("amj-detail-references");
    refs.textContent = "";
    [["Refers to", references.outbound], ["Referred to by", references.inbound]].forEach(function (pair) {
      refs.appendChild(el("h4", pair[0]));
      if (!pair[1].length) { refs.appendChild(el("p", "None.", "amj-subtle")); return; }
      var list = el("ul");
      pair[1].forEach(function (r) {
        var li = el("li");
        li.appendChild(assetLink(r.key, r.label));
        li.appendChild(el("span", " (" + r.attribute + (r.referenceType ? ", " + r.referenceType : "") + ")", "amj-subtle"));
        list.appendChild(li);
      });
      refs.appendChild(list);
    });
    var issueList = $("amj-detail-issues");
    issueList.textContent = "";
    if (!issues.items.length) { issueList.appendChild(el("li", "No linked issues.", "amj-subtle")); }
    issues.items.forEach(function (link) {
      var li = el("li");
      var a = el("a", link.issueKey);
      a.href = $("amj-detail").getAttribute("data-site-url") + "/browse/" + encodeURIComponent(link.issueKey);
      a.onclick = function (event) { event.preventDefault(); openIssue(link.issueKey); };
      li.appendChild(a);
      li.appendChild(el("span", " " + link.issueSummary));
      issueList.appendChild(li);
    });
    var timeline = $("amj-detail-history");
    timeline.textContent = "";
    history.items.forEach(function (entry) {
      var li = el("li");
      li.appendChild(el("strong", entry.actor));
      li.appendChild(el("span", " " + describe(entry) + " "));
      li.appendChild(el("span", entry.at, "amj-subtle"));
      timeline.appendChild(li);
    });
    $("amj-assets").hidden = true;
    $("amj-form-view").hidden = true;
    detail.hidden = false;
    detail.setAttribute("data-key", asset.key);
    root.setAttribute("data-state", "detail");
    $("amj-detail-title").focus();
    if (window.AP && window.AP.resize) { window.AP.resize(); }
  }

  function closeDetail() {
    var key = $("amj-detail").getAttribute("data-key");
    $("amj-detail").hidden = true;
    $("amj-assets").hidden = false;
    root.setAttribute("data-state", "ready");
    var link = document.querySelector('#amj-rows a[href="#' + key + '"]');
    (link || $("amj-aql")).focus();
    if (window.AP && window.AP.resize) { window.AP.resize(); }
  }

  // ----- create and edit -----
  // Forms are built from the type's attributes (GET …/types/{id}), one widget per kind. The
  // server validates; its errors come back per field and are shown next to each one.

  var form = { mode: null, asset: null, attributes: [], statuses: [] };

  function fieldId(i) { return "amj-field-" + i; }

  function widget(attribute, value, i) {
    var kind = attribute.kind;
    var input;
    if (kind === "textarea") {
      input = el("textarea");
      input.rows = 3;
      input.value = text(value);
    } else if (kind === "boolean") {
      input = el("input");
      input.type = "checkbox";
      input.checked = value === true;
    } else if (kind === "select" || kind === "status") {
      input = el("select");
      input.multiple = kind === "select" && !!attribute.multiple;
      var options = kind === "status" ? form.statuses : attribute.options;
      if (!input.multiple) { input.appendChild(el("option", "(none)")).value = ""; }
      var chosen = Array.isArray(value) ? value.map(text) : [text(value)];
      options.forEach(function (name) {
        var option = el("option", name);
        option.value = name;
        option.selected = chosen.indexOf(name) >= 0;
        input.appendChild(option);
      });
    } else {
      input = el("input");
      input.type = { integer: "number", decimal: "number", date: "date", datetime: "datetime-local", url: "url", email: "email" }[kind] || "text";
      if (kind === "decimal") { input.step = "any"; }
      if (kind === "datetime" && value) { input.value = String(value).replace(/Z$/, "").slice(0, 16); }
      else { input.value = text(value); }
      if (kind === "reference" || kind === "jira_user") {
        input.placeholder = kind === "reference" ? "Asset keys, e.g. IT-12" + (attribute.max === 1 ? "" : ", IT-14") : "Type a name to find the person";
        if (kind === "reference") { referencePicker(input, attribute); }
        if (kind === "jira_user") { userPicker(input); }
      }
    }
    input.id = fieldId(i);
    input.name = attribute.name;
    return input;
  }

  // Suggests assets of the reference's target type whose label starts with what was typed: an
  // AQL query, so it scales with the index, never with the schema's size.
  function referencePicker(input, attribute) {
    var list = el("datalist");
    list.id = "amj-ref-" + attribute.id;
    input.setAttribute("list", list.id);
    input.addEventListener("input", function () {
      var typed = input.value.split(",").pop().trim();
      if (typed.length < 2) { return; }
      var target = form.typeNames[attribute.targetType];
      var aql = (target ? "objectType = " + quote(target) + " AND " : "") + "label LIKE " + JSON.stringify(typed);
      window.amj.call("/api/v1/assets/query", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ aql: aql, schema: state.schema, limit: 10 }) })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (json) {
          list.textContent = "";
          json.items.forEach(function (a) { var o = el("option", a.label); o.value = a.key; list.appendChild(o); });
        }).catch(function () { /* suggestions are optional */ });
    });
    input.amjList = list;
  }

  // Suggests Jira users by name as people type; the value stays the accountId Jira returns.
  function userPicker(input) {
    var list = el("datalist");
    list.id = "amj-users-" + Math.random().toString(36).slice(2);
    input.setAttribute("list", list.id);
    input.addEventListener("input", function () {
      var typed = input.value.split(",").pop().trim();
      if (typed.length < 2) { return; }
      window.amj.call("/api/v1/jira/users?query=" + encodeURIComponent(typed))
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (json) {
          list.textContent = "";
          json.items.forEach(function (u) { var o = el("option", u.displayName); o.value = u.accountId; list.appendChild(o); });
        }).catch(function () { /* suggestions are optional */ });
    });
    input.amjList = list;
  }

  function readValue(attribute, input) {
    var kind = attribute.kind;
    if (kind === "boolean") { return input.checked; }
    if (input.multiple) { return Array.prototype.filter.call(input.options, function (o) { return o.selected; }).map(function (o) { return o.value; }); }
    var raw = input.value.trim();
    if (raw === "") { return null; }
    if (kind === "integer" || kind === "decimal") { return Number(raw); }
    if (kind === "datetime") { return raw.length === 16 ? raw + ":00Z" : raw; }
    if ((kind === "reference" && attribute.max !== 1) || (kind === "jira_user" && attribute.multiple)) {
      return raw.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
    }
    return raw;
  }

  function renderFields(attributes, values) {
    form.attributes = attributes;
    var box = $("amj-form-fields");
    box.textContent = "";
    attributes.forEach(function (attribute, i) {
      var row = el("div", null, "amj-field");
      var label = el("label", attribute.name);
      label.htmlFor = fieldId(i);
      if (attribute.required) {
        var star = el("span", " *", "amj-required");
        star.setAttribute("aria-hidden", "true");
        label.appendChild(star);
      }
      row.appendChild(label);
      var input = widget(attribute, values[attribute.name], i);
      if (attribute.required) { input.setAttribute("aria-required", "true"); }
      row.appendChild(input);
      var message = el("p", null, "amj-field-message");
      message.id = fieldId(i) + "-error";
      message.hidden = true;
      row.appendChild(message);
      input.setAttribute("aria-describedby", message.id);
      box.appendChild(row);
      if (input.amjList) { row.appendChild(input.amjList); }
    });
  }

  function clearErrors() {
    Array.prototype.forEach.call($("amj-form-fields").querySelectorAll("[aria-invalid]"), function (n) { n.removeAttribute("aria-invalid"); });
    Array.prototype.forEach.call($("amj-form-fields").querySelectorAll(".amj-field-message"), function (n) { n.hidden = true; n.textContent = ""; });
    $("amj-form-error").hidden = true;
    $("amj-conflict").hidden = true;
  }

  function showFieldErrors(error) {
    var first = null;
    var loose = [];
    (error.details || [{ field: "", message: error.message }]).forEach(function (detail) {
      var index = -1;
      form.attributes.forEach(function (a, i) { if (a.name === detail.field || "attributes." + a.name === detail.field) { index = i; } });
      if (index < 0) { loose.push(detail.message); return; }
      var input = $(fieldId(index));
      input.setAttribute("aria-invalid", "true");
      var message = $(fieldId(index) + "-error");
      message.textContent = (message.textContent ? message.textContent + " " : "") + detail.message;
      message.hidden = false;
      first = first || input;
    });
    if (loose.length) { $("amj-form-error").textContent = loose.join(" "); $("amj-form-error").hidden = false; }
    (first || $("amj-form-error")).focus();
  }

  function fillFormStatuses(current) {
    var select = $("amj-form-status");
    select.textContent = "";
    form.statuses.forEach(function (name) {
      var option = el("option", name);
      option.value = name;
      option.selected = name === current;
      select.appendChild(option);
    });
  }

  function showForm() {
    $("amj-assets").hidden = true;
    $("amj-detail").hidden = true;
    $("amj-form-view").hidden = false;
    root.setAttribute("data-state", "form");
    $("amj-form-title").focus();
    if (window.AP && window.AP.resize) { window.AP.resize(); }
  }

  function loadTypes() {
    return getJson("/api/v1/schemas/" + encodeURIComponent(state.schema) + "/types").then(function (json) {
      form.types = json.types;
      form.typeNames = {};
      json.types.forEach(function (t) { form.typeNames[t.id] = t.name; });
      form.statuses = state.statusNames;
      return json.types;
    });
  }

  function openEdit(asset) {
    return loadTypes().then(function (types) {
      var type = types.filter(function (t) { return t.id === asset.type.id; })[0];
      form.mode = "edit";
      form.asset = asset;
      $("amj-form-title").textContent = "Edit " + asset.key + " " + asset.label;
      $("amj-form-type-row").hidden = true;
      fillFormStatuses(asset.status.name);
      renderFields(type ? type.attributes : [], asset.attributes);
      clearErrors();
      showForm();
    }).catch(function (error) { window.amj.showError("The form could not be opened: " + error.message + ".", function () { openEdit(asset); }); });
  }

  function openCreate() {
    return loadTypes().then(function (types) {
      form.mode = "create";
      form.asset = null;
      $("amj-form-title").textContent = "Create an asset";
      var select = $("amj-form-type");
      select.textContent = "";
      types.filter(function (t) { return !t.isAbstract; }).forEach(function (t) {
        var option = el("option", t.name);
        option.value = String(t.id);
        select.appendChild(option);
      });
      $("amj-form-type-row").hidden = false;
      fillFormStatuses(form.statuses[0]);
      var chosen = function () {
        var type = types.filter(function (t) { return String(t.id) === select.value; })[0];
        renderFields(type ? type.attributes : [], {});
        clearErrors();
      };
      select.onchange = chosen;
      chosen();
      showForm();
    }).catch(function (error) { window.amj.showError("The form could not be opened: " + error.message + ".", openCreate); });
  }

  function formBody(version) {
    var attributes = {};
    form.attributes.forEach(function (attribute, i) {
      var value = readValue(attribute, $(fieldId(i)));
      if (value !== null && !(Array.isArray(value) && !value.length)) { attributes[attribute.name] = value; }
    });
    var body = { status: $("amj-form-status").value, attributes: attributes };
    if (form.mode === "create") { body.type = Number($("amj-form-type").value); } else { body.version = version; }
    return body;
  }

  function save(version) {
    clearErrors();
    var creating = form.mode === "create";
    var path = creating ? "/api/v1/schemas/" + encodeURIComponent(state.schema) + "/assets" : "/api/v1/assets/" + encodeURIComponent(form.asset.key);
    return window.amj.call(path, {
      method: creating ? "POST" : "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(formBody(version))
    }).then(function (response) {
      return response.json().then(function (json) {
        if (response.status === 409 && !creating) { return conflict(); }
        if (response.status === 400) { showFieldErrors(json.error || {}); return; }
        if (!response.ok) { throw new Error(json.error ? json.error.message : "HTTP " + response.status); }
        $("amj-form-view").hidden = true;
        state.lastChanged = json.key;
        return showDetail(json.key);
      });
    }).catch(function (error) { window.amj.showError("The asset could not be saved: " + error.message + ".", function () { save(version); }); });
  }

  // Someone saved the asset after this form was opened: say who and when, and let the user
  // choose. Nothing is saved until they do.
  function conflict() {
    return getJson("/api/v1/assets/" + encodeURIComponent(form.asset.key)).then(function (latest) {
      form.latest = latest;
      $("amj-conflict-text").textContent = latest.key + " was changed by " + latest.updated.by + " at " + latest.updated.at +
        " after you opened it. Reload their version (your changes here are discarded), or overwrite it with yours.";
      $("amj-conflict").hidden = false;
      $("amj-conflict-reload").focus();
    });
  }

  // Types and attributes belong to the schema: fetch the new schema's, then search it.
  function switchSchema(key) {
    state.schema = key;
    state.type = "";
    state.sort = null;
    return window.amj.call("/api/v1/schemas/" + encodeURIComponent(key) + "/types").then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (json) {
      var select = $("amj-type");
      select.textContent = "";
      var all = document.createElement("option");
      all.value = "";
      all.textContent = "All types";
      select.appendChild(all);
      var names = [];
      (function add(parent, depth) {
        json.types.filter(function (t) { return (t.parentId || null) === parent; }).forEach(function (t) {
          var option = document.createElement("option");
          option.value = t.name;
          option.textContent = "\u00a0\u00a0".repeat(depth) + t.name;
          select.appendChild(option);
          t.attributes.forEach(function (a) { if (names.indexOf(a.name) < 0) { names.push(a.name); } });
          if (depth < 32) { add(t.id, depth + 1); }
        });
      })(null, 0);
      state.attributes = names;
      state.columns = loadColumns();
      state.selected = {};
      renderColumnChooser();
      return getJson("/api/v1/schemas/" + encodeURIComponent(key) + "/statuses");
    }).then(function (statuses) {
      state.statusNames = (statuses.statuses || []).map(function (s) { return s.name; });
      fillStatuses(state.statusNames);
      return search();
    }).catch(function (error) {
      window.amj.showError("The schema could not be loaded: " + error.message + ".", function () { switchSchema(key); });
    });
  }

  function start() {
    root = $("amj-assets");
    if (!root) { return; }
    var initial = JSON.parse(root.getAttribute("data-json"));
    state = {
      schema: $("amj-schema").value,
      type: "",
      sort: null,
      limit: 50,
      pageIndex: 0,
      cursors: [null],
      attributes: JSON.parse(root.getAttribute("data-attributes")),
      selected: {},
      lastPage: initial
    };
    state.columns = loadColumns();
    renderColumnChooser();
    state.statusNames = JSON.parse(root.getAttribute("data-statuses"));
    fillStatuses(state.statusNames);
    render(initial);
    // Time to the first rows, for docs/PERFORMANCE.md (read by the first_rows bench).
    if (window.performance && window.performance.mark) { window.performance.mark("amj-rows"); }
    // all.js loads async: by the window's load event it has defined AP.
    if (document.readyState === "complete") { restoreFromHistory(); } else { window.addEventListener("load", restoreFromHistory); }
    $("amj-bulk-apply").addEventListener("click", bulkStatus);
    $("amj-bulk-archive").addEventListener("click", bulkArchive);
    var originalLoad = load;
    load = function (cursor) {
      return originalLoad(cursor).then(function (page) { if (page) { state.lastPage = page; } return page; });
    };
    var input = $("amj-aql");
    $("amj-search").addEventListener("submit", function (event) { event.preventDefault(); closeCompletions(); search(); });
    input.addEventListener("input", validateSoon);
    input.addEventListener("blur", function () { window.setTimeout(closeCompletions, 100); });
    input.addEventListener("keydown", function (event) {
      if (!completions.length) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % completions.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + completions.length) % completions.length); }
      else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) { event.preventDefault(); accept(active); }
      else if (event.key === "Escape") { event.preventDefault(); closeCompletions(); }
    });
    $("amj-type").addEventListener("change", function (event) { state.type = event.target.value; search(); });
    $("amj-schema").addEventListener("change", function (event) { switchSchema(event.target.value); });
    $("amj-back").addEventListener("click", closeDetail);
    $("amj-create").addEventListener("click", openCreate);
    $("amj-edit").addEventListener("click", function () {
      getJson("/api/v1/assets/" + encodeURIComponent($("amj-detail").getAttribute("data-key"))).then(openEdit);
    });
    $("amj-form").addEventListener("submit", function (event) { event.preventDefault(); save(form.asset ? form.asset.version : undefined); });
    $("amj-form-cancel").addEventListener("click", function () {
      $("amj-form-view").hidden = true;
      if (form.asset) { showDetail(form.asset.key); } else { $("amj-assets").hidden = false; root.setAttribute("data-state", "ready"); $("amj-create").focus(); }
    });
    $("amj-conflict-reload").addEventListener("click", function () { openEdit(form.latest); });
    $("amj-conflict-overwrite").addEventListener("click", function () { save(form.latest.version); });
    $("amj-next").addEventListener("click", function () {
      if (!state.next) { return; }
      state.cursors.push(state.next);
      state.pageIndex += 1;
      load(state.next);
    });
    $("amj-prev").addEventListener("click", function () {
      if (state.pageIndex === 0) { return; }
      state.cursors.pop();
      state.pageIndex -= 1;
      load(state.cursors[state.cursors.length - 1]);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
