//! `amj forge …`: what a Forge deployment of the app needs from us.

use amj_connect::forge::AppAri;
use amj_server::config::AppConfig;
use amj_server::descriptor::{Listing, app_descriptor, forge_manifest};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ForgeCommand {
    /// Write the Forge manifest (manifest.yml) for this server as the app's Forge Remote.
    Manifest(ManifestArgs),
}

#[derive(Debug, Args)]
pub struct ManifestArgs {
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
    /// Where to write it; `-` for standard output.
    #[arg(long, default_value = "manifest.yml")]
    pub out: PathBuf,
}

pub fn run_forge(command: ForgeCommand) -> anyhow::Result<()> {
    match command {
        ForgeCommand::Manifest(args) => write_manifest(&args),
    }
}

fn write_manifest(args: &ManifestArgs) -> anyhow::Result<()> {
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
    if args.out.as_os_str() == "-" {
        print!("{text}");
    } else {
        std::fs::write(&args.out, text)
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        eprintln!(
            "wrote {} ({} listing) for the remote {base_url}",
            args.out.display(),
            if args.connect_key.is_some() {
                "migration"
            } else {
                "Forge"
            }
        );
    }
    Ok(())
}
