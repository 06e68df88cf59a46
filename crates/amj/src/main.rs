use amj::cli::{
    Cli, Command, SecretKeyCommand, run_bench, run_demo, run_incident, run_jira_sim, run_probe,
    run_query, run_serve, run_tenant,
};
use amj_store::crypto::MasterKey;
use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Servers log their routine at INFO; a one-shot command's output is its answer, so it logs
    // only warnings unless RUST_LOG asks for more.
    let default_filter = match cli.command {
        Command::Serve(_) | Command::Demo(_) | Command::JiraSim(_) | Command::Probe(_) => {
            "info,sqlx=warn"
        }
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Serve(args) => run_serve(*args).await,
        Command::Demo(args) => run_demo(args).await,
        Command::JiraSim(args) => run_jira_sim(args).await,
        Command::Bench(command) => run_bench(command).await,
        Command::Query(args) => run_query(args).await,
        Command::Incident(args) => run_incident(args).await,
        Command::Probe(args) => run_probe(args).await,
        Command::Tenant(command) => run_tenant(command).await,
        Command::Forge(command) => amj::forge_cli::run_forge(command),
        Command::SecretKey(SecretKeyCommand::Generate) => MasterKey::generate_base64()
            .map(|k| println!("{k}"))
            .map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Some messages (an AQL error's caret excerpt) already begin with "error:".
            let text = format!("{e:#}");
            eprintln!("error: {}", text.strip_prefix("error: ").unwrap_or(&text));
            ExitCode::FAILURE
        }
    }
}
