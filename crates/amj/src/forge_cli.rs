//! `amj forge …`: what a Forge deployment of the app needs from us.

use amj_connect::forge::AppAri;
use amj_server::config::AppConfig;
use amj_server::descriptor::{FORGE_UI_RESOURCE_PATH, Listing, app_descriptor, forge_manifest};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ForgeCommand {
    /// Write the Forge manifest (manifest.yml) for this server as the app's Forge Remote.
    Manifest(ManifestArgs),
    /// Lay out the whole Forge app for `forge deploy`: manifest.yml and the Custom UI (the
    /// front end built into this binary) under static/ui.
    Package(PackageArgs),
}

#[derive(Debug, Args)]
pub struct ManifestArgs {
    #[command(flatten)]
    pub app: AppArgs,
    /// Where to write it; `-` for standard output.
    #[arg(long, default_value = "manifest.yml")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    #[command(flatten)]
    pub app: AppArgs,
    /// The app directory to write: manifest.yml and static/ui/ are replaced, anything else
    /// in it (a package.json, a README) is left alone.
    #[arg(long, default_value = "forge-app")]
    pub out: PathBuf,
}

/// What the manifest says about the app and its remote.
#[derive(Debug, Args)]
pub struct AppArgs {
    /// The server's public https URL, as Forge will call it (the remote's baseUrl).
    #[arg(long)]
    pub base_url: String,
    /// The Forge app's id, as `forge register` printed it: the UUID, or
    /// ari:cloud:ecosystem::app/<uuid>.
    #[arg(long)]
    pub app_id: String,
    /// For sites that run the Connect version: its descriptor key. The manifest then keeps the
    /// Connect key and lifecycle, so each site moves to Forge with its data.
    #[arg(long)]
    pub connect_key: Option<String>,
    /// With --connect-key: the page that tells site admins about the move.
    #[arg(
        long,
        requires = "connect_key",
        default_value = "https://github.com/amj/amj/blob/main/README.md#deploying-on-forge"
    )]
    pub migration_guide_url: String,
}

pub fn run_forge(command: ForgeCommand) -> anyhow::Result<()> {
    match command {
        ForgeCommand::Manifest(args) => write_manifest(&args),
        ForgeCommand::Package(args) => write_package(&args),
    }
}

/// The manifest's text, checked, and which listing it is for.
fn manifest_text(args: &AppArgs) -> anyhow::Result<(String, String)> {
    let base_url = url::Url::parse(args.base_url.trim())
        .with_context(|| format!("--base-url {:?} is not a URL", args.base_url))?;
    if base_url.scheme() != "https" || base_url.host_str().is_none() {
        bail!(
            "--base-url must be the server's public https URL (Forge calls remotes over https only), not {:?}",
            args.base_url
        );
    }
    let app = AppAri::parse(&args.app_id).map_err(|e| anyhow::anyhow!("--app-id: {e}"))?;
    let mut config = AppConfig::local(base_url.clone());
    let listing = match &args.connect_key {
        Some(key) => {
            config.app_key = key.trim().to_owned();
            Listing::Migration {
                connect_key: config.app_key.clone(),
                migration_guide_url: args.migration_guide_url.clone(),
            }
        }
        None => Listing::Forge,
    };
    let descriptor = app_descriptor(&config);
    if let Err(problems) = descriptor.validate() {
        bail!("--connect-key: {}", problems.join("; "));
    }
    let manifest = forge_manifest(&descriptor, base_url.as_str(), &app, &listing);
    let problems = manifest.problems();
    if !problems.is_empty() {
        bail!("the manifest would be refused: {}", problems.join("; "));
    }
    let text = manifest.to_yaml()?;
    let listing = if args.connect_key.is_some() {
        "migration"
    } else {
        "Forge"
    };
    Ok((
        text,
        format!("{listing} listing, for the remote {base_url}"),
    ))
}

fn write_manifest(args: &ManifestArgs) -> anyhow::Result<()> {
    let (text, what) = manifest_text(&args.app)?;
    if args.out.as_os_str() == "-" {
        print!("{text}");
    } else {
        std::fs::write(&args.out, text)
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        eprintln!("wrote {} ({what})", args.out.display());
    }
    Ok(())
}

fn write_package(args: &PackageArgs) -> anyhow::Result<()> {
    let (text, what) = manifest_text(&args.app)?;
    let dir = &args.out;
    if dir.exists() && !dir.is_dir() {
        bail!("--out {} is a file, not a directory", dir.display());
    }
    let ui = dir.join(FORGE_UI_RESOURCE_PATH);
    if ui.exists() {
        std::fs::remove_dir_all(&ui).with_context(|| format!("cannot replace {}", ui.display()))?;
    }
    let mut files = 0;
    for (path, data) in amj_server::web::ui::bundle_files() {
        let target = ui.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, data)
            .with_context(|| format!("cannot write {}", target.display()))?;
        files += 1;
    }
    let manifest = dir.join("manifest.yml");
    std::fs::write(&manifest, text)
        .with_context(|| format!("cannot write {}", manifest.display()))?;
    eprintln!(
        "wrote the Forge app in {} ({what}): manifest.yml and {files} Custom UI files under {FORGE_UI_RESOURCE_PATH}; \
         deploy it with `forge deploy` and `forge install` from that directory",
        dir.display()
    );
    Ok(())
}
