//! `amj incident`: operators post incidents and postmortems to the status page. Every instance
//! reads them from the shared database, so one command updates every instance's `/status`.

use amj_ops::status::{Component, Impact, Incident, IncidentStatus};
use amj_server::timefmt::utc;
use amj_store::Store;
use amj_store::incidents::NewIncident;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct IncidentArgs {
    /// sqlite://<file> or postgres://…
    #[arg(
        long,
        env = "AMJ_DATABASE_URL",
        default_value = "sqlite://./data/amj.db",
        global = true
    )]
    pub database_url: String,
    /// The master key file, as for `serve` (required with PostgreSQL).
    #[arg(long, env = "AMJ_SECRET_KEY_FILE", global = true)]
    pub secret_key_file: Option<PathBuf>,
    /// Print the incident as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: IncidentCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident.
    Open {
        #[arg(long)]
        title: String,
        /// none, minor, major or critical.
        #[arg(long, value_parser = Impact::parse)]
        impact: Impact,
        /// auth, app, database or jobs.
        #[arg(long, value_parser = Component::parse)]
        component: Component,
        /// The first update people read.
        #[arg(long)]
        message: String,
        /// investigating (default), identified or monitoring.
        #[arg(long, value_parser = IncidentStatus::parse, default_value = "investigating")]
        status: IncidentStatus,
    },
    /// Post an update to an open incident.
    Update {
        id: i64,
        /// investigating, identified or monitoring (use `resolve` to resolve).
        #[arg(long, value_parser = IncidentStatus::parse)]
        status: IncidentStatus,
        #[arg(long)]
        message: String,
    },
    /// Resolve an incident with a final update.
    Resolve {
        id: i64,
        #[arg(long)]
        message: String,
    },
    /// Attach a postmortem (Markdown or plain text) to an incident.
    Postmortem {
        id: i64,
        /// The file holding the postmortem.
        #[arg(long)]
        file: PathBuf,
    },
    /// List open incidents and those resolved in the last 14 days.
    List,
}

pub async fn run_incident(args: IncidentArgs, store: &Store) -> anyhow::Result<()> {
    let now = amj_store::now_millis();
    let shown: Vec<Incident> = match &args.command {
        IncidentCommand::Open {
            title,
            impact,
            component,
            message,
            status,
        } => {
            if title.trim().is_empty() || message.trim().is_empty() {
                bail!("--title and --message must not be empty");
            }
            if *status == IncidentStatus::Resolved {
                bail!("--status resolved: a new incident cannot start resolved");
            }
            let incident = store
                .open_incident(
                    &NewIncident {
                        title: title.trim(),
                        impact: *impact,
                        component: *component,
                        status: *status,
                        message: message.trim(),
                        alert_rule: None,
                    },
                    now,
                )
                .await?
                .context("the incident was not created")?;
            vec![incident]
        }
        IncidentCommand::Update {
            id,
            status,
            message,
        } => {
            if *status == IncidentStatus::Resolved {
                bail!("use `amj incident resolve {id} --message …` to resolve");
            }
            vec![
                store
                    .update_incident(*id, *status, message.trim(), now)
                    .await?,
            ]
        }
        IncidentCommand::Resolve { id, message } => vec![
            store
                .update_incident(*id, IncidentStatus::Resolved, message.trim(), now)
                .await?,
        ],
        IncidentCommand::Postmortem { id, file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read --file {}", file.display()))?;
            if text.trim().is_empty() {
                bail!("{} is empty", file.display());
            }
            if text.len() > 200_000 {
                bail!(
                    "{} is over 200 KB; link to a longer document instead",
                    file.display()
                );
            }
            vec![store.set_postmortem(*id, &text).await?]
        }
        IncidentCommand::List => store.incidents_since(now - 14 * 86_400_000).await?,
    };
    for incident in &shown {
        if args.json {
            println!("{}", serde_json::to_string(incident)?);
        } else {
            print_incident(incident);
        }
    }
    if shown.is_empty() && !args.json {
        println!("no incidents in the last 14 days");
    }
    Ok(())
}

fn print_incident(incident: &Incident) {
    println!(
        "#{} {} [{}; impact {}; {}]",
        incident.id,
        incident.title,
        incident.status,
        incident.impact,
        incident.component.title()
    );
    for update in &incident.updates {
        println!(
            "  {}  {}: {}",
            utc(update.at),
            update.status,
            update.message
        );
    }
    if incident.postmortem.is_some() {
        println!("  (postmortem attached)");
    }
}
