//! `huntbrief db migrate|status|copy`: the database itself. Migrations are also applied
//! by every command at start; `migrate` does only that, for a deploy step.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use huntbrief_store::Location;

use crate::cmd::run::{Common, open_store};
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Apply pending migrations (safe while other processes start or run).
    Migrate(Common),
    /// Schema version, row counts, due sources and the leases held.
    Status(Common),
    /// Copy every row from one database to another, then check the copy is complete:
    /// `--from sqlite:/var/lib/huntbrief/huntbrief.db --to postgres://...`.
    Copy(CopyArgs),
}

#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The database to read: a SQLite file (`sqlite:PATH` or PATH) or `postgres://` URL.
    #[arg(long, value_name = "FILE|URL")]
    pub from: String,
    /// The database to write; it must hold no briefings yet.
    #[arg(long, value_name = "FILE|URL")]
    pub to: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Migrate(common) => {
            let location = location(&common)?;
            let store = open_store(&location)?;
            println!(
                "{} ({}): schema version {}",
                location.display(),
                store.backend(),
                store.schema_version()?
            );
        }
        Command::Status(common) => status(&location(&common)?)?,
        Command::Copy(copy) => {
            let (from, to) = (Location::parse(&copy.from), Location::parse(&copy.to));
            if from == to {
                bail!("--from and --to name the same database");
            }
            let source = open_store(&from)?;
            let mut target = open_store(&to)?;
            if target.article_count()? > 0 {
                bail!(
                    "{} already holds briefings; copy into an empty database (create a new \
                     database or schema) so that two installations are not mixed",
                    to.display()
                );
            }
            let dump = source
                .dump()
                .with_context(|| format!("cannot read {}", from.display()))?;
            target
                .load(&dump)
                .with_context(|| format!("cannot write {}", to.display()))?;
            // Read everything back: the copy is complete only if it equals the original.
            let copied = target.dump()?;
            if copied != dump {
                bail!(
                    "the copy in {} differs from {} (read back: {}); it is left for inspection",
                    to.display(),
                    from.display(),
                    copied.counts()
                );
            }
            println!(
                "copied {} from {} to {}, and read back identical",
                dump.counts(),
                from.display(),
                to.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn location(common: &Common) -> Result<Location> {
    match &common.db {
        Some(db) => Ok(Location::parse(db)),
        None => Config::load(common.config.as_deref())?.db_location(),
    }
}

fn status(location: &Location) -> Result<()> {
    let store = open_store(location)?;
    let sources = store.sources()?;
    let enabled = sources.iter().filter(|s| s.enabled).count();
    println!("database: {} ({})", location.display(), store.backend());
    println!("schema version: {}", store.schema_version()?);
    println!("briefings: {}", store.article_count()?);
    println!("sources: {} enabled of {}", enabled, sources.len());
    let pending = store
        .deliveries()?
        .iter()
        .filter(|d| d.next_try.is_some())
        .count();
    println!("webhook deliveries queued: {pending}");
    if store.backend() == "postgres" {
        println!("sources due now: {}", store.due_sources()?);
        let leases = store.leases()?;
        println!("leases held: {}", leases.len());
        for l in leases {
            println!(
                "  {} {} by {} for {} s more",
                l.kind, l.name, l.owner, l.expires_in
            );
        }
    }
    Ok(())
}
