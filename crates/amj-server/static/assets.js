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
      fillStatuses((statuses.statuses || statuses.items || []).map(function (s) { return s.name; }));
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
    fillStatuses(JSON.parse(root.getAttribute("data-statuses")));
    render(initial);
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
