//! The huntbrief command line: wiring between input, the pure analysis and the renderers.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod config;
mod input;
mod kb;
mod pipeline;
mod publish;
mod webhook;

/// Hunt-ready briefings from security articles, advisories and feeds.
#[derive(Debug, Parser)]
#[command(name = "huntbrief", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse one article (plain text or HTML) and print its briefing.
    Analyze(cmd::analyze::Args),
    /// Poll the sources once, brief new and changed stories, publish the folder.
    Run(cmd::run::RunArgs),
    /// Run a pass every so often until SIGINT/SIGTERM.
    Watch(cmd::run::WatchArgs),
    /// Poll sources from a shared PostgreSQL database alongside other workers, until
    /// SIGINT/SIGTERM (or, with --until-idle, until nothing is due).
    Worker(cmd::worker::Args),
    /// Write the briefing folder and configured exports from the store, without polling.
    Publish(cmd::run::RunArgs),
    /// The database: `db migrate`, `db status`, `db copy --from sqlite:F --to postgres://...`.
    Db(cmd::db::Args),
    /// Write the stored briefings as STIX 2.1, a MISP feed, Sigma, CSV, JSONL, Atom or the
    /// archive form.
    Export(cmd::export::Args),
    /// Serve the dashboard, the JSON API and TAXII 2.1 (with --watch, poll as well).
    Serve(cmd::serve::Args),
    /// Manage the sources: list, add, remove, test, import, export.
    Feeds(cmd::feeds::Args),
    /// Store the CISA Known Exploited Vulnerabilities catalogue (a severity factor).
    Kev(cmd::kev::Args),
    /// Print the `_TEMPLATES.md` file of IOC-substitution hunts.
    Templates,
    /// The use-case library: list, show a use case, render its query for a backend.
    Hunts(cmd::hunts::Args),
    /// Print the indicators of compromise of a text (high-fidelity only unless --all).
    Iocs(cmd::iocs::Args),
    /// ATT&CK knowledge base: `attack import FILE` regenerates the technique table.
    Attack(cmd::attack::Args),
    /// Evaluate analysis stages on labelled data: `eval attack FILE.jsonl`.
    Eval(cmd::eval::Args),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HUNTBRIEF_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Watch(args) => cmd::run::watch(args),
        Command::Worker(args) => cmd::worker::run(args),
        Command::Publish(args) => cmd::publish::run(args),
        Command::Db(args) => cmd::db::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Feeds(args) => cmd::feeds::run(args),
        Command::Kev(args) => cmd::kev::run(args),
        Command::Templates => cmd::templates::run(),
        Command::Hunts(args) => cmd::hunts::run(args),
        Command::Iocs(args) => cmd::iocs::run(args),
        Command::Attack(args) => cmd::attack::run(args),
        Command::Eval(args) => cmd::eval::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("huntbrief: {e:#}");
            ExitCode::from(1)
        }
    }
}
