//! `huntbrief run` (one pass) and `huntbrief watch` (a pass every so often, until
//! SIGINT/SIGTERM).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use huntbrief_core::KnowledgeBase;
use huntbrief_ingest::http::Fetcher;
use huntbrief_ingest::sources::{self, Limits, Source};
use huntbrief_store::{DynStore, Location, Origin, SourceSpec};

use crate::config::Config;
use crate::pipeline::{Options, Pipeline};
use crate::publish::{Selection, export, publish};
use crate::webhook::Webhooks;

/// Options every command that uses the state shares.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Config file (default: the user's config dir, `huntbrief/config.toml`, if present).
    #[arg(long, env = "HUNTBRIEF_CONFIG")]
    pub config: Option<PathBuf>,
    /// SQLite database file or `postgres://` URL (overrides the config).
    #[arg(long, env = "HUNTBRIEF_DB", value_name = "FILE|URL")]
    pub db: Option<String>,
    /// Directory whose data files replace the built-in ones.
    #[arg(long, value_name = "DIR", env = "HUNTBRIEF_DATA")]
    pub data: Option<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: Common,
    /// Folder of published briefings (overrides the config; default ./briefings).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Poll only this source (by name), even if it is not due.
    #[arg(long)]
    pub source: Option<String>,
    /// At most N items per source.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only items published on or after this day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<NaiveDate>,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Time between passes: `90s`, `15m`, `2h`.
    #[arg(long, default_value = "15m", value_parser = parse_every)]
    pub every: Duration,
}

/// Everything a pass needs, opened once.
pub struct State {
    pub config: Config,
    pub store: Mutex<DynStore>,
}

impl State {
    pub fn open(common: &Common) -> Result<Self> {
        let mut config = Config::load(common.config.as_deref())?;
        if let Some(db) = &common.db {
            config.db = Some(db.clone());
        }
        let mut store = open_store(&config.db_location()?)?;
        let spec = |s: &Source| SourceSpec {
            name: s.name.clone(),
            url: s.url.clone(),
            kind: s.adapter.as_str().to_owned(),
        };
        let builtin: Vec<SourceSpec> = if config.builtin_sources.unwrap_or(true) {
            sources::builtin().iter().map(spec).collect()
        } else {
            Vec::new()
        };
        store.sync_sources(Origin::Builtin, &builtin)?;
        let configured: Vec<SourceSpec> = config.sources()?.iter().map(spec).collect();
        store.sync_sources(Origin::Config, &configured)?;
        Ok(Self {
            config,
            store: Mutex::new(store),
        })
    }

    /// The client policy, with every enabled source in the database (configured, built
    /// in or added with `feeds add`) allowed as a destination.
    pub fn fetch_policy(&self) -> Result<huntbrief_ingest::http::Policy> {
        let mut policy = self.config.policy();
        let sources = self
            .store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sources()?;
        for s in sources.iter().filter(|s| s.enabled) {
            policy.outbound.allow_source(&s.spec.url);
        }
        Ok(policy)
    }

    /// The knowledge base with the stored KEV catalogue.
    pub fn knowledge_base(&self, common: &Common) -> Result<KnowledgeBase> {
        let mut kb = crate::kb::load(common.data.as_deref())?;
        let kev = self.store.lock().unwrap_or_else(|p| p.into_inner()).kev()?;
        kb.kev = kev.into_iter().map(|r| r.cve).collect();
        if let Some(max) = self.config.max_iocs {
            kb.max_iocs = max.max(1);
        }
        Ok(kb)
    }
}

/// Opens (creating the folder of a SQLite file) and migrates the database.
pub fn open_store(location: &Location) -> Result<DynStore> {
    if let Location::Sqlite(path) = location
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    location
        .open()
        .with_context(|| format!("cannot open the database {}", location.display()))
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let state = State::open(&args.common)?;
    let kb = Arc::new(state.knowledge_base(&args.common)?);
    runtime()?.block_on(async {
        let fetcher = Fetcher::new(state.fetch_policy()?)?;
        pass(&state, &fetcher, &kb, &args).await
    })
}

pub fn watch(args: WatchArgs) -> Result<ExitCode> {
    let state = State::open(&args.run.common)?;
    let kb = Arc::new(state.knowledge_base(&args.run.common)?);
    runtime()?.block_on(async {
        let fetcher = Fetcher::new(state.fetch_policy()?)?;
        // Listen from the start: a signal that arrives between two selects is kept.
        let mut stop = Shutdown::listen()?;
        loop {
            tokio::select! {
                result = pass(&state, &fetcher, &kb, &args.run) => { result?; }
                _ = stop.recv() => {
                    // Every stored story is complete; publish them and stop.
                    publish_all(&state, &args.run)?;
                    eprintln!("huntbrief: stopped");
                    return Ok(ExitCode::SUCCESS);
                }
            }
            let pause = jittered(args.every);
            tracing::info!(?pause, "next pass");
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.recv() => {
                    eprintln!("huntbrief: stopped");
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    })
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// One pass, with webhook deliveries running beside it and for a bounded time after.
pub(crate) async fn pass(
    state: &State,
    fetcher: &Fetcher,
    kb: &Arc<KnowledgeBase>,
    args: &RunArgs,
) -> Result<ExitCode> {
    let webhooks = Webhooks::new(state.config.webhooks()?, &state.config.policy());
    let (done, finished) = tokio::sync::oneshot::channel::<()>();
    let work = async {
        let result = poll_and_publish(state, fetcher, kb, args, &webhooks).await;
        drop(done);
        result
    };
    let deliver = webhooks.deliver(&state.store, async {
        let _ = finished.await;
    });
    let (result, ()) = tokio::join!(work, deliver);
    result
}

async fn poll_and_publish(
    state: &State,
    fetcher: &Fetcher,
    kb: &Arc<KnowledgeBase>,
    args: &RunArgs,
    webhooks: &Webhooks,
) -> Result<ExitCode> {
    let now = unix_now();
    let run_id = state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .start_run(now)?;
    let limits: Limits = state.config.limits();
    let pipeline = Pipeline {
        store: &state.store,
        fetcher,
        kb,
        limits,
        now,
        next_due: now,
        webhooks,
    };
    let options = Options {
        source: args.source.clone(),
        limit: args.limit,
        since: args.since,
    };
    if let Some(name) = &options.source {
        let known = state
            .store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sources()?;
        if !known
            .iter()
            .any(|s| s.enabled && s.spec.name.eq_ignore_ascii_case(name))
        {
            bail!("no enabled source named {name:?}; see `huntbrief feeds list`");
        }
    }
    let bar = progress_bar(&state.store)?;
    let summary = pipeline
        .run(&options, |name| {
            if let Some(bar) = &bar {
                bar.set_message(name.to_owned());
                bar.inc(1);
            }
        })
        .await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let published = publish_all(state, args)?;
    state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .finish_run(run_id, unix_now(), &summary)?;
    for e in &summary.errors {
        eprintln!("huntbrief: source failed: {e}");
    }
    println!(
        "{} new, {} updated, {} unchanged, {} failed source(s); {} file(s) written, {} removed",
        summary.new,
        summary.updated,
        summary.unchanged,
        summary.failed,
        published.written,
        published.removed
    );
    Ok(if summary.failed > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Publishes the briefing folder, then the configured exports.
pub(crate) fn publish_all(state: &State, args: &RunArgs) -> Result<crate::publish::Published> {
    let out = args.out.clone().unwrap_or_else(|| state.config.out_dir());
    let articles = state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .articles()?;
    let mut published = publish(&out, &articles)?;
    let exports = &state.config.export;
    let formats = exports.formats()?;
    if !formats.is_empty() {
        let selection = Selection {
            since: None,
            min_severity: exports.min_severity()?,
        };
        let (_, changed) = export(&exports.dir(), &formats, &articles, &selection)?;
        published.written += changed.written;
        published.removed += changed.removed;
    }
    Ok(published)
}

fn progress_bar(store: &Mutex<DynStore>) -> Result<Option<indicatif::ProgressBar>> {
    if !std::io::stderr().is_terminal() {
        return Ok(None);
    }
    let n = store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .sources()?
        .iter()
        .filter(|s| s.enabled)
        .count();
    let bar = indicatif::ProgressBar::new(n as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} sources  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Ok(Some(bar))
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `every` give or take 10%, so that many installations do not poll in step.
pub(crate) fn jittered(every: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let spread = every.as_millis() as u64 / 10;
    let offset = if spread == 0 {
        0
    } else {
        u64::from(nanos) % (2 * spread)
    };
    Duration::from_millis((every.as_millis() as u64 - spread) + offset)
}

/// SIGINT and SIGTERM, registered once.
pub(crate) struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    pub(crate) fn listen() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
        })
    }

    pub(crate) async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

pub(crate) fn parse_every(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 90s, 15m or 2h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("unknown unit {unit:?}: use s, m or h")),
    };
    if secs == 0 {
        return Err("the interval must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parses_units() {
        assert_eq!(parse_every("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_every("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_every("90"), Ok(Duration::from_secs(90)));
        assert!(parse_every("0m").is_err());
        assert!(parse_every("5d").is_err());
        assert!(parse_every("m").is_err());
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let every = Duration::from_secs(900);
        let j = jittered(every);
        assert!(
            j >= Duration::from_secs(810) && j <= Duration::from_secs(990),
            "{j:?}"
        );
    }
}
