//! Builds the front end (`ui/` at the workspace root) into `OUT_DIR/ui`, which `web::ui` embeds:
//! a fresh clone needs only `cargo build`, and the binary carries the bundle it was tested with.
//! It runs again only when the UI's sources change.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::{env, fs};

/// What the build reads; a change to any of them rebuilds the bundle.
const INPUTS: [&str; 6] = [
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

fn main() -> ExitCode {
    match build() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // Cargo shows a build script's stderr when it fails: one line that says what to do.
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn build() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let ui = manifest_dir.join("../../ui");
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?).join("ui");
    for input in INPUTS {
        println!("cargo:rerun-if-changed={}", ui.join(input).display());
    }

    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let version = Command::new(npm).arg("--version").output();
    if !version.is_ok_and(|v| v.status.success()) {
        return Err(
            "building the UI in ui/ needs Node.js 20 or later with npm on PATH (Debian: apt install nodejs npm)"
                .to_owned(),
        );
    }
    install(npm, &ui)?;
    let status = Command::new(npm)
        .args(["run", "--silent", "build", "--", "--logLevel", "warn"])
        .current_dir(&ui)
        .env("AMJ_UI_OUT_DIR", &out)
        .status()
        .map_err(|e| format!("could not run `npm run build` in {}: {e}", ui.display()))?;
    if !status.success() {
        return Err(format!(
            "`npm run build` failed in {} (its output is above)",
            ui.display()
        ));
    }
    if !out.join("index.html").is_file() {
        return Err(format!(
            "the UI build wrote no {}",
            out.join("index.html").display()
        ));
    }
    Ok(())
}

/// `npm ci`, skipped while `node_modules` is newer than the lockfile: npm writes its hidden
/// lockfile (`node_modules/.package-lock.json`) on every install, so a lockfile changed since
/// (a pull, a new dependency) installs again.
fn install(npm: &str, ui: &Path) -> Result<(), String> {
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let lock = modified(&ui.join("package-lock.json"))
        .ok_or("cannot read ui/package-lock.json".to_owned())?;
    if modified(&ui.join("node_modules/.package-lock.json"))
        .is_some_and(|installed| installed >= lock)
    {
        return Ok(());
    }
    let status = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel", "error"])
        .current_dir(ui)
        .status()
        .map_err(|e| format!("could not run `npm ci` in {}: {e}", ui.display()))?;
    if !status.success() {
        return Err(format!(
            "`npm ci` failed in {}: the npm registry must be reachable for a first build",
            ui.display()
        ));
    }
    Ok(())
}
