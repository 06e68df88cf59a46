//! The front end (`ui/`): one bundle for Forge Custom UI and Connect iframes, embedded at build
//! time. Under Forge, `amj forge package` lays it out as the app's resource and Forge serves it.
//! Under Connect, Jira frames our page URLs: each answers the bundle's `index.html` with a short
//! boot head (the context token, the page, the issue) and the bundle loads from `/ui/`. The
//! bundle's URLs are relative (`./assets/…`) for Forge's CDN; here they are made absolute, since
//! the page's CSP allows no `<base>`.

use super::AppState;
use super::error::AppError;
use crate::auth::Authenticated;
use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;
use std::borrow::Cow;

/// Vite's `.vite/manifest.json` is the size budget's input, not part of the product.
#[derive(RustEmbed)]
#[folder = "$OUT_DIR/ui"]
#[exclude = ".vite/*"]
pub struct UiBundle;

/// Where the bundle is served from, for Connect pages and anyone else loading it from us.
pub const UI_PREFIX: &str = "/ui/";

/// Every file of the bundle, by its path inside the resource directory: what `amj forge
/// package` writes.
pub fn bundle_files() -> impl Iterator<Item = (String, Cow<'static, [u8]>)> {
    UiBundle::iter()
        .filter_map(|path| UiBundle::get(&path).map(|file| (path.into_owned(), file.data)))
}

/// Content-hashed names (Vite's `assets/`) never change content: cached for a year. Anything
/// else (`index.html`) is revalidated.
fn cache_control(path: &str) -> &'static str {
    if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

pub async fn bundle_file(Path(path): Path<String>) -> Response {
    let Some(file) = UiBundle::get(&path) else {
        return AppError::NotFound {
            code: "not_found",
            message: format!("no UI file {path:?}"),
        }
        .into_response();
    };
    let content_type = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control(&path)),
            ),
        ],
        file.data,
    )
        .into_response()
}

/// What the bundle's Connect host reads (`ui/src/host/connect.ts`, `readConnectBoot`).
#[derive(Template)]
#[template(path = "connect_boot.html")]
struct ConnectBoot<'a> {
    app_base_url: &'a str,
    ap_js_url: &'a str,
    context_token: &'a str,
    page: &'a str,
    site_url: &'a str,
    account_id: &'a str,
    issue: Option<(&'a str, &'a str)>,
    /// A dashboard gadget's dashboard and item ids, under which its settings are kept.
    gadget: Option<(&'a str, &'a str)>,
    /// Where the page starts when the host URL does not say (`ac.path`, `ac.aql`).
    path: &'a str,
}

/// The issue a Connect issue module was opened on, from its URL's `{issue.id}` and `{issue.key}`.
pub struct IssueContext<'a> {
    pub id: &'a str,
    pub key: &'a str,
}

/// Where a Connect gadget is placed: `{dashboard.id}` and `{dashboardItem.id}` from its URL.
pub struct GadgetContext<'a> {
    pub dashboard_id: &'a str,
    pub item_id: &'a str,
}

/// Which issue or gadget a Connect page was opened for, from its URL.
#[derive(Default)]
pub struct PageContext<'a> {
    pub issue: Option<IssueContext<'a>>,
    pub gadget: Option<GadgetContext<'a>>,
}

/// The bundle's `index.html` with the boot head for `page`, under the page's CSP.
pub fn connect_page(
    state: &AppState,
    auth: &Authenticated,
    context_token: &str,
    page: &str,
    place: PageContext<'_>,
    path: Option<&str>,
) -> Result<Response, AppError> {
    let index = UiBundle::get("index.html").ok_or_else(|| AppError::internal(MissingBundle))?;
    let index = std::str::from_utf8(&index.data).map_err(AppError::internal)?;
    let boot = ConnectBoot {
        app_base_url: state.config.base_url_str(),
        ap_js_url: &state.config.ap_js_url,
        context_token,
        page,
        site_url: auth.tenant.display_url(),
        account_id: auth.account_id.as_deref().unwrap_or(""),
        issue: place.issue.map(|i| (i.id, i.key)),
        gadget: place.gadget.map(|g| (g.dashboard_id, g.item_id)),
        path: path.unwrap_or(""),
    }
    .render()
    .map_err(AppError::internal)?;
    // After `<meta charset>` (it must come first), before the bundle's own scripts.
    let at = index
        .find("<title>")
        .ok_or_else(|| AppError::internal(MissingBundle))?;
    let assets = format!("\"{}{UI_PREFIX}assets/", state.config.base_url_str());
    let html = format!("{}{boot}{}", &index[..at], &index[at..]).replace("\"./assets/", &assets);
    let mut response = Html(html).into_response();
    let csp = HeaderValue::from_str(&super::pages::content_security_policy(state, auth))
        .map_err(AppError::internal)?;
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, csp);
    Ok(response)
}

#[derive(Debug, thiserror::Error)]
#[error("the embedded UI bundle has no usable index.html")]
struct MissingBundle;

#[cfg(test)]
mod tests {
    use super::*;

    /// The front end draws each icon name the server accepts, and offers no other: the two
    /// lists live in two languages, so this test holds them together.
    #[test]
    fn the_front_end_draws_every_type_icon_the_server_accepts() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/icons.tsx");
        let source = std::fs::read_to_string(path).expect("ui/src/icons.tsx");
        let drawn: Vec<&str> = source
            .lines()
            .filter_map(|l| l.trim().strip_prefix("[\""))
            .filter_map(|l| l.split('"').next())
            .collect();
        assert_eq!(drawn, amj_domain::ICONS, "ui/src/icons.tsx TYPE_ICONS");
    }

    #[test]
    fn the_bundle_is_embedded_with_hashed_assets() {
        let files: Vec<String> = bundle_files().map(|(path, _)| path).collect();
        assert!(files.iter().any(|p| p == "index.html"), "{files:?}");
        let scripts: Vec<&String> = files
            .iter()
            .filter(|p| p.starts_with("assets/") && p.ends_with(".js"))
            .collect();
        assert!(!scripts.is_empty(), "{files:?}");
        assert_eq!(
            cache_control("assets/index-abc123.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("index.html"), "no-cache");
    }
}
