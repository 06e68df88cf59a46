//! Host pages that look and behave like Jira Cloud: a site home with the app's general page in the
//! top navigation, an issue view with the app's glance, and the app's admin page under "Apps".
//! Modules are framed from the descriptor's URL templates, with the standard context parameters
//! and a fresh `jwt`, exactly as `Sim::iframe_url` signs them.
//!
//! The styling uses Atlassian-like design tokens written as our own CSS; no Atlassian asset is
//! copied. Every interpolated value is HTML-escaped.

use crate::sim::Sim;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

const STYLE: &str = r#"
:root { --ds-text:#172b4d; --ds-subtle:#626f86; --ds-surface:#fff; --ds-sunken:#f7f8f9; --ds-border:#dcdfe4; --ds-brand:#0c66e4; --ds-nav:#fff; }
@media (prefers-color-scheme: dark) { :root { --ds-text:#b6c2cf; --ds-subtle:#8c9bab; --ds-surface:#1d2125; --ds-sunken:#161a1d; --ds-border:#384148; --ds-brand:#579dff; --ds-nav:#22272b; } }
body { margin:0; font:14px/20px -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif; color:var(--ds-text); background:var(--ds-surface); }
header { display:flex; gap:16px; align-items:center; padding:8px 16px; background:var(--ds-nav); border-bottom:1px solid var(--ds-border); }
header strong { color:var(--ds-brand); } header a { color:var(--ds-text); text-decoration:none; padding:4px 8px; border-radius:3px; }
header a:hover, header a:focus-visible { background:var(--ds-sunken); }
main { padding:16px 24px; } .layout { display:grid; grid-template-columns: 1fr 360px; gap:24px; }
.panel { border:1px solid var(--ds-border); border-radius:3px; background:var(--ds-surface); }
.panel h2 { font-size:12px; text-transform:uppercase; color:var(--ds-subtle); margin:0; padding:8px 12px; border-bottom:1px solid var(--ds-border); }
iframe { width:100%; border:0; display:block; min-height:120px; }
#flags { position:fixed; bottom:16px; left:16px; display:flex; flex-direction:column; gap:8px; }
.flag { background:var(--ds-surface); border:1px solid var(--ds-border); box-shadow:0 4px 8px rgba(9,30,66,.25); padding:12px 16px; border-radius:3px; max-width:360px; }
ul.issues { padding-left:18px; } .sim-note { color:var(--ds-subtle); font-size:12px; }
"#;

fn page(sim: &Sim, site: &str, title: &str, body: &str) -> Html<String> {
    let app_links = sim
        .general_pages()
        .iter()
        .map(|(key, name)| {
            format!(
                r#"<a href="/sites/{site}/apps/{key}">{name}</a>"#,
                site = esc(site),
                key = esc(key),
                name = esc(name)
            )
        })
        .collect::<String>();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} - {site} (simulated Jira)</title><style>{STYLE}</style></head>
<body><header><strong>Jira</strong><a href="/sites/{site}">Issues</a>{app_links}<a href="/sites/{site}/admin/apps">Apps</a><span class="sim-note">simulated site {site}</span></header>
<main>{body}</main><div id="flags" aria-live="polite"></div><script src="/host.js"></script></body></html>"#,
        title = esc(title),
        site = esc(site),
    ))
}

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(format!("<p>{}</p>", esc(message))),
    )
        .into_response()
}

/// The iframe for a module URL template, or an explanation when the app is not installed.
fn module_frame(
    sim: &Sim,
    site: &str,
    template: &str,
    issue: Option<(&str, &str)>,
    title: &str,
) -> String {
    let Ok(site) = sim.site(site) else {
        return "<p>No such site.</p>".into();
    };
    let Some(app) = sim.app() else {
        return "<p>No app is registered with this simulator.</p>".into();
    };
    if !site.installed {
        return "<p>The app is not installed on this site. Install it from the simulator's control page.</p>".into();
    }
    let mut url = template.to_owned();
    if let Some((id, key)) = issue {
        let project = key.split('-').next().unwrap_or_default();
        url = url
            .replace("{issue.key}", &enc(key))
            .replace("{issue.id}", &enc(id))
            .replace("{project.key}", &enc(project));
    }
    match sim.iframe_url(&site, &app, &url) {
        Ok(src) => format!(
            r#"<iframe title="{}" src="{}" data-site="{}"></iframe>"#,
            esc(title),
            esc(&src),
            esc(&site.name)
        ),
        Err(e) => format!(
            "<p>Could not sign the module URL: {}</p>",
            esc(&e.to_string())
        ),
    }
}

pub async fn index(State(sim): State<Sim>) -> Html<String> {
    let sites = sim
        .site_names()
        .iter()
        .map(|name| format!(r#"<li><a href="/sites/{0}">{0}</a></li>"#, esc(name)))
        .collect::<String>();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Simulated Jira</title><style>{STYLE}</style></head>
<body><main><h1>Simulated Jira Cloud</h1><p>Sites on this simulator:</p><ul>{sites}</ul></main></body></html>"#
    ))
}

pub async fn site_home(State(sim): State<Sim>, Path(site): Path<String>) -> Response {
    let Some(issues) = sim.with_data(&site, |d| d.issues.clone()) else {
        return not_found("No such site.");
    };
    let rows = issues
        .iter()
        .map(|i| {
            format!(
                r#"<li><a href="/sites/{}/browse/{}">{}</a> {} <span class="sim-note">{}</span></li>"#,
                esc(&site),
                esc(&i.key),
                esc(&i.key),
                esc(&i.summary),
                esc(&i.status)
            )
        })
        .collect::<String>();
    page(
        &sim,
        &site,
        "Issues",
        &format!("<h1>Issues</h1><ul class=\"issues\">{rows}</ul>"),
    )
    .into_response()
}

pub async fn issue_view(
    State(sim): State<Sim>,
    Path((site, key)): Path<(String, String)>,
) -> Response {
    let Some(Some(issue)) = sim.with_data(&site, |d| d.issue(&key).cloned()) else {
        return not_found("No such issue.");
    };
    let (id, key, summary) = (
        issue.id.as_str(),
        issue.key.as_str(),
        issue.summary.as_str(),
    );
    let glances = sim
        .glances()
        .iter()
        .map(|(name, url)| {
            format!(
                r#"<section class="panel"><h2>{}</h2>{}</section>"#,
                esc(name),
                module_frame(&sim, &site, url, Some((id, key)), name)
            )
        })
        .collect::<String>();
    let body = format!(
        r#"<p class="sim-note"><a href="/sites/{site}">Issues</a> / {key}</p><div class="layout"><div><h1>{summary}</h1><p>{key} - reported in the simulated site.</p></div><aside>{glances}</aside></div>"#,
        site = esc(&site),
        key = esc(key),
        summary = esc(summary),
    );
    page(&sim, &site, key, &body).into_response()
}

pub async fn general_page(
    State(sim): State<Sim>,
    Path((site, module)): Path<(String, String)>,
) -> Response {
    let Some(url) = sim.module_url(&module) else {
        return not_found("No such app page.");
    };
    let frame = module_frame(&sim, &site, &url, None, &module);
    page(
        &sim,
        &site,
        &module,
        &format!(r#"<div class="panel">{frame}</div>"#),
    )
    .into_response()
}

pub async fn admin_apps(State(sim): State<Sim>, Path(site): Path<String>) -> Response {
    let frames = sim
        .admin_pages()
        .iter()
        .map(|(key, name, url)| {
            format!(
                r#"<h1>{}</h1><div class="panel">{}</div>"#,
                esc(name),
                module_frame(&sim, &site, url, None, key)
            )
        })
        .collect::<String>();
    page(&sim, &site, "Apps", &frames).into_response()
}

/// A fresh context token for the bridge's `AP.context.getToken()`.
pub async fn context_token(State(sim): State<Sim>, Path(site): Path<String>) -> Response {
    match sim.site(&site).and_then(|s| sim.context_token(&s, None)) {
        Ok(token) => ([(header::CACHE_CONTROL, "no-store")], token).into_response(),
        Err(e) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}

/// The host side of the bridge: answers the app iframe's postMessage requests.
pub async fn host_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        HOST_JS,
    )
        .into_response()
}

/// The app side of the bridge, standing in for Atlassian's `all.js`.
pub async fn all_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        ALL_JS,
    )
        .into_response()
}

const HOST_JS: &str = r#"(function () {
  "use strict";
  function frameOf(source) {
    var frames = document.querySelectorAll("iframe");
    for (var i = 0; i < frames.length; i++) { if (frames[i].contentWindow === source) { return frames[i]; } }
    return null;
  }
  window.addEventListener("message", function (event) {
    var frame = frameOf(event.source); var msg = event.data || {};
    if (!frame || msg.amjBridge !== 1) { return; }
    var reply = function (data) { event.source.postMessage({ amjBridge: 1, id: msg.id, data: data }, "*"); };
    if (msg.call === "getToken") {
      fetch("/sites/" + encodeURIComponent(frame.getAttribute("data-site")) + "/_sim/context-token")
        .then(function (r) { return r.ok ? r.text() : null; }).then(reply, function () { reply(null); });
    } else if (msg.call === "resize") {
      frame.style.height = Math.max(60, Math.min(4000, Number(msg.height) || 0)) + "px";
    } else if (msg.call === "navigate") {
      var site = "/sites/" + encodeURIComponent(frame.getAttribute("data-site"));
      var ctx = msg.context || {};
      if (msg.target === "issue" && typeof ctx.issueKey === "string") {
        window.location.href = site + "/browse/" + encodeURIComponent(ctx.issueKey);
      } else if (msg.target === "site" || msg.target === "dashboard") {
        window.location.href = site;
      }
    } else if (msg.call === "history") {
      // Like Jira: a general page's state lives in the host URL's fragment, so a reload or a
      // shared link brings the app back to it.
      history.replaceState(null, "", location.pathname + location.search + '#!' + String(msg.state || ""));
    } else if (msg.call === "getState") {
      reply(location.hash.replace(/^#!/, ""));
    } else if (msg.call === "flag") {
      var flag = document.createElement("div"); flag.className = "flag"; flag.setAttribute("role", "status");
      var title = document.createElement("strong"); title.textContent = String(msg.title || "");
      var body = document.createElement("p"); body.textContent = String(msg.body || "");
      flag.appendChild(title); flag.appendChild(body); document.getElementById("flags").appendChild(flag);
      setTimeout(function () { flag.remove(); }, 8000);
    }
  });
})();
"#;

const ALL_JS: &str = r#"(function () {
  "use strict";
  var pending = {}; var next = 1;
  function send(call, extra) { var m = Object.assign({ amjBridge: 1, call: call }, extra || {}); window.parent.postMessage(m, "*"); return m; }
  window.addEventListener("message", function (event) {
    var msg = event.data || {};
    if (msg.amjBridge === 1 && pending[msg.id]) { pending[msg.id](msg.data); delete pending[msg.id]; }
  });
  window.AP = {
    context: { getToken: function (callback) { var id = next++; pending[id] = callback; send("getToken", { id: id }); } },
    resize: function () { send("resize", { height: document.documentElement.scrollHeight }); },
    sizeToParent: function () { send("resize", { height: document.documentElement.scrollHeight }); },
    navigator: { go: function (target, context) { send("navigate", { target: target, context: context || {} }); } },
    history: {
      pushState: function (state) { send("history", { state: state }); },
      replaceState: function (state) { send("history", { state: state }); },
      getState: function (callback) { if (typeof callback === "function") { var id = next++; pending[id] = callback; send("getState", { id: id }); } }
    },
    flag: { create: function (options) { options = options || {}; send("flag", { title: options.title, body: options.body, type: options.type }); return { close: function () {} }; } },
  };
  if (window.ResizeObserver) { new ResizeObserver(function () { window.AP.resize(); }).observe(document.documentElement); }
})();
"#;
