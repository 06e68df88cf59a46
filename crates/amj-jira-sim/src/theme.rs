//! Jira's theme, as the simulated hosts hand it to an app's frame that asks for it (Forge's
//! `view.theme.enable()`, Connect's `AP.theming.initializeTheming()`): the `--ds-*` design-token
//! variables the app's stylesheet reads, light or dark after the browser's colour scheme, as
//! Jira follows the person's setting. The app never carries these values; the host does. The
//! values are the simulator's own, close to Atlassian's palette.

/// The token variables, per colour mode, served as `/_sim/theme.css`: a stylesheet from the
/// host's origin, which an app's CSP can allow, where an inline `<style>` it could not.
pub const THEME_CSS: &str = r#"
html[data-color-mode="light"] {
  --ds-text: #172b4d; --ds-text-subtle: #44546f; --ds-text-inverse: #fff;
  --ds-text-selected: #0c66e4; --ds-text-danger: #ae2e24; --ds-text-success: #216e4e;
  --ds-text-information: #0055cc; --ds-text-warning: #a54800; --ds-link: #0c66e4;
  --ds-surface: #fff; --ds-surface-overlay: #fff; --ds-border: #091e4224;
  --ds-border-input: #8590a2; --ds-border-focused: #388bff; --ds-border-danger: #e2483d;
  --ds-background-input: #fff; --ds-background-brand-bold: #0c66e4;
  --ds-background-neutral: #091e420f; --ds-background-neutral-subtle-hovered: #091e420f;
  --ds-background-selected: #e9f2ff; --ds-background-danger: #ffeceb;
  --ds-background-success: #dcfff1; --ds-background-information: #e9f2ff;
  --ds-background-warning: #fff7d6;
  --ds-chart-categorical-1: #2898bd; --ds-chart-categorical-2: #5e4db2;
  --ds-chart-categorical-3: #e56910; --ds-chart-categorical-4: #943d73;
  --ds-chart-categorical-5: #09326c; --ds-chart-categorical-6: #8f7ee7;
  --ds-chart-success: #22a06b; --ds-chart-information: #1d7afc;
  --ds-chart-warning: #b38600; --ds-chart-neutral: #8590a2;
  color-scheme: light;
}
html[data-color-mode="dark"] {
  --ds-text: #b6c2cf; --ds-text-subtle: #9fadbc; --ds-text-inverse: #1d2125;
  --ds-text-selected: #579dff; --ds-text-danger: #fd9891; --ds-text-success: #7ee2b8;
  --ds-text-information: #85b8ff; --ds-text-warning: #fec195; --ds-link: #579dff;
  --ds-surface: #1d2125; --ds-surface-overlay: #282e33; --ds-border: #a6c5e229;
  --ds-border-input: #738496; --ds-border-focused: #85b8ff; --ds-border-danger: #f87168;
  --ds-background-input: #22272b; --ds-background-brand-bold: #579dff;
  --ds-background-neutral: #a1bdd914; --ds-background-neutral-subtle-hovered: #a1bdd914;
  --ds-background-selected: #1c2b41; --ds-background-danger: #42221f;
  --ds-background-success: #1c3329; --ds-background-information: #1c2b41;
  --ds-background-warning: #332e1b;
  --ds-chart-categorical-1: #2898bd; --ds-chart-categorical-2: #9f8fef;
  --ds-chart-categorical-3: #f38a3f; --ds-chart-categorical-4: #e774bb;
  --ds-chart-categorical-5: #579dff; --ds-chart-categorical-6: #b8acf6;
  --ds-chart-success: #2abb7f; --ds-chart-information: #579dff;
  --ds-chart-warning: #cf9f02; --ds-chart-neutral: #8c9bab;
  color-scheme: dark;
}
"#;

/// `GET /_sim/theme.css`.
pub async fn theme_css() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        THEME_CSS,
    )
        .into_response()
}

/// Script that the bridge scripts start with: `simApplyTheme()` links the token stylesheet
/// from the host (the script's own origin) into the frame and sets `data-color-mode`,
/// following the browser's scheme as it changes.
pub const THEME_JS: &str = r#"var SIM_ORIGIN = (document.currentScript && document.currentScript.src) ? new URL(document.currentScript.src).origin : location.origin;
function simApplyTheme() {
  if (!document.getElementById("sim-ds-theme")) {
    var link = document.createElement("link"); link.id = "sim-ds-theme"; link.rel = "stylesheet"; link.href = SIM_ORIGIN + "/_sim/theme.css";
    document.head.appendChild(link);
  }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)");
  var set = function () { document.documentElement.setAttribute("data-color-mode", dark && dark.matches ? "dark" : "light"); };
  set();
  if (dark && dark.addEventListener) { dark.addEventListener("change", set); }
}
"#;
