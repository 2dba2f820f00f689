//! `huntbrief worker`: a long-running poller for a PostgreSQL database shared with other
//! workers. A worker leases one host at a time per slot (the database decides, so only
//! one worker fetches from a host at once and the per-host limits of `[http]` hold
//! across all of them), polls that host's due sources, renews the lease while it works
//! and releases it with each source's next due time. A worker that dies stops renewing;
//! once its lease expires another worker takes the host, and the sources it had not
//! finished are still due. Stories are keyed by canonical URL, so whoever stores one
//! first inserts it and announces it; the rest update it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use huntbrief_core::KnowledgeBase;
use huntbrief_ingest::http::Fetcher;
use huntbrief_store::{DynStore, HostLease, Location, RunSummary};
use tokio::sync::watch;

use crate::cmd::run::{
    Common, RunArgs, Shutdown, State, open_store, parse_every, publish_all, runtime,
};
use crate::pipeline::{Options, Pipeline};
use crate::webhook::Webhooks;

/// The named lease whose holder writes the published folder and exports.
const PUBLISH_LEASE: &str = "publish";
/// How long a slot waits when no host is free before asking again.
const IDLE_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Folder of published briefings (overrides the config; default ./briefings).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// At most N items per source.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only items published on or after this day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<NaiveDate>,
    /// A polled source is due again after this: `90s`, `15m`, `2h`.
    #[arg(long, default_value = "15m", value_parser = parse_every)]
    pub every: Duration,
    /// A leased host is taken over by another worker this long after this worker last
    /// renewed it (renewed every third of it while working).
    #[arg(long, default_value = "60s", value_parser = parse_every)]
    pub lease: Duration,
    /// Hosts this worker works on at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub hosts: usize,
    /// How often the worker holding the publish lease rewrites the folder when the
    /// briefings changed.
    #[arg(long, default_value = "30s", value_parser = parse_every)]
    pub publish_every: Duration,
    /// Never publish (another process runs `huntbrief publish`).
    #[arg(long)]
    pub no_publish: bool,
    /// Exit once no source is due, after a last publish, instead of waiting for more.
    #[arg(long)]
    pub until_idle: bool,
    /// This worker's name in the lease tables (default: host name and process id).
    #[arg(long)]
    pub id: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let state = State::open(&args.common)?;
    let backend = lock(&state).backend();
    if backend != "postgres" {
        bail!(
            "huntbrief worker needs a database shared by the workers: set `db = \"postgres://...\"` \
             in the config or pass --db postgres://... (this one is {backend}; use `huntbrief watch` \
             for a single process)"
        );
    }
    let kb = Arc::new(state.knowledge_base(&args.common)?);
    let id = args.id.clone().unwrap_or_else(default_id);
    let location = state.config.db_location()?;
    let shared = Shared::default();
    // Renewals and publishing run on threads of their own, with their own connections:
    // a long publish or a busy executor must never let a lease lapse.
    std::thread::scope(|scope| {
        let renewer = scope.spawn(|| renew_leases(&location, &id, &args, &shared));
        let publisher =
            scope.spawn(|| publish_while_leased(&location, &state, &id, &args, &shared));
        let result = runtime().and_then(|rt| rt.block_on(work(&state, &kb, &id, &args, &shared)));
        shared.stop.store(true, Ordering::SeqCst);
        let renewed = renewer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        let published = publisher
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        let total = result?;
        renewed?;
        published?;
        println!(
            "worker {id}: {} new, {} updated, {} unchanged, {} failed source(s)",
            total.new, total.updated, total.unchanged, total.failed
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// What the worker's threads share.
#[derive(Default)]
struct Shared {
    /// Set when the worker stops (signal, or idle with `--until-idle`).
    stop: AtomicBool,
    /// Hosts leased now, renewed by the renewer thread.
    held: Mutex<BTreeSet<String>>,
}

impl Shared {
    fn held(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps `d`, waking early when the worker stops; false when it stopped.
    fn sleep(&self, d: Duration) -> bool {
        let end = std::time::Instant::now() + d;
        while std::time::Instant::now() < end {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50).min(d));
        }
        !self.stop.load(Ordering::SeqCst)
    }
}

/// The slots and webhook deliveries, until the slots are done or a signal arrives.
async fn work(
    state: &State,
    kb: &Arc<KnowledgeBase>,
    id: &str,
    args: &Args,
    shared: &Shared,
) -> Result<RunSummary> {
    let fetcher = Fetcher::new(state.fetch_policy()?)?;
    let webhooks = Webhooks::new(state.config.webhooks()?, &state.config.policy());
    let worker = Worker {
        state,
        fetcher: &fetcher,
        kb,
        webhooks: &webhooks,
        id,
        args,
        shared,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut signals = Shutdown::listen()?;
    let slots = async {
        let all = futures_util::future::join_all(
            (0..args.hosts.max(1)).map(|_| worker.slot(stop_rx.clone())),
        )
        .await;
        let _ = stop_tx.send(true);
        all
    };
    let mut done_rx = stop_rx.clone();
    let stopped = async move {
        let _ = done_rx.wait_for(|s| *s).await;
    };
    let deliver = webhooks.deliver(&state.store, stopped);
    let both = async { tokio::join!(slots, deliver) };
    tokio::pin!(both);
    let mut signalled = false;
    let (results, ()) = loop {
        tokio::select! {
            r = &mut both => break r,
            _ = signals.recv(), if !signalled => {
                tracing::info!("stopping: hosts in progress are released unfinished");
                signalled = true;
                let _ = stop_tx.send(true);
            }
        }
    };
    let mut total = RunSummary::default();
    for r in results {
        let s = r?;
        total.new += s.new;
        total.updated += s.updated;
        total.unchanged += s.unchanged;
        total.failed += s.failed;
        total.errors.extend(s.errors);
    }
    Ok(total)
}

/// Renews every held host a third of the lease after the last renewal.
fn renew_leases(location: &Location, id: &str, args: &Args, shared: &Shared) -> Result<()> {
    let mut store = open_store(location)?;
    let secs = lease_secs(args);
    while shared.sleep(args.lease / 3) {
        let hosts: Vec<String> = shared.held().iter().cloned().collect();
        for host in hosts {
            match store.renew_host(id, &host, secs) {
                Ok(true) => {}
                // Another worker has the host now; what this one stores is still stored
                // once (by URL), so it finishes rather than leave work half done.
                Ok(false) => tracing::warn!(
                    host,
                    "lease lost (it expired before it was renewed); another worker has the host"
                ),
                Err(e) => tracing::warn!(host, error = %e, "cannot renew the lease"),
            }
        }
    }
    Ok(())
}

/// While this worker holds the publish lease, rewrites the folder (and exports) whenever
/// the stored briefings changed; a last time when the worker stops.
fn publish_while_leased(
    location: &Location,
    state: &State,
    id: &str,
    args: &Args,
    shared: &Shared,
) -> Result<()> {
    if args.no_publish {
        return Ok(());
    }
    let mut store = open_store(location)?;
    let run_args = RunArgs {
        common: args.common.clone(),
        out: args.out.clone(),
        source: None,
        limit: None,
        since: None,
    };
    let mut published: Option<i64> = None;
    loop {
        let stopping = shared.stop.load(Ordering::SeqCst);
        // At the end, wait for the lease rather than skip: what this worker stored last
        // must reach the folder.
        let held = loop {
            let held = store.take_lease(PUBLISH_LEASE, id, lease_secs(args))?;
            if held || !stopping {
                break held;
            }
            std::thread::sleep(IDLE_WAIT);
        };
        if held {
            let revision = store.revision()?;
            if published != Some(revision) {
                let changed = publish_all(state, &run_args)?;
                tracing::info!(
                    revision,
                    written = changed.written,
                    removed = changed.removed,
                    "published"
                );
                published = Some(revision);
            }
        }
        if stopping {
            if held {
                store.release_lease(PUBLISH_LEASE, id)?;
            }
            return Ok(());
        }
        shared.sleep(args.publish_every);
    }
}

fn lease_secs(args: &Args) -> i64 {
    args.lease.as_secs().max(1) as i64
}

fn default_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}

fn lock(state: &State) -> std::sync::MutexGuard<'_, DynStore> {
    state.store.lock().unwrap_or_else(|p| p.into_inner())
}

struct Worker<'a> {
    state: &'a State,
    fetcher: &'a Fetcher,
    kb: &'a Arc<KnowledgeBase>,
    webhooks: &'a Webhooks,
    id: &'a str,
    args: &'a Args,
    shared: &'a Shared,
}

impl Worker<'_> {
    fn store(&self) -> std::sync::MutexGuard<'_, DynStore> {
        lock(self.state)
    }

    fn lease_secs(&self) -> i64 {
        lease_secs(self.args)
    }

    /// One slot: lease a free host, poll its due sources, release it; again until
    /// stopped (or, with `--until-idle`, until nothing is due).
    async fn slot(&self, mut stop: watch::Receiver<bool>) -> Result<RunSummary> {
        let mut total = RunSummary::default();
        while !*stop.borrow() {
            let lease = self.store().lease_host(self.id, self.lease_secs())?;
            let Some(lease) = lease else {
                if self.args.until_idle && self.store().due_sources()? == 0 {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_WAIT) => {}
                    _ = stop.changed() => {}
                }
                continue;
            };
            let host = lease.host.clone();
            tracing::info!(host, sources = lease.sources.len(), "leased");
            self.shared.held().insert(host.clone());
            let summary = tokio::select! {
                s = self.work(lease) => s,
                // Unfinished sources stay due: whoever takes the host next polls them.
                _ = stop.wait_for(|s| *s) => Ok(RunSummary::default()),
            };
            self.shared.held().remove(&host);
            self.store().release_host(self.id, &host)?;
            let summary = summary?;
            for e in &summary.errors {
                eprintln!("huntbrief: source failed: {e}");
            }
            total.new += summary.new;
            total.updated += summary.updated;
            total.unchanged += summary.unchanged;
            total.failed += summary.failed;
            total.errors.extend(summary.errors);
        }
        Ok(total)
    }

    /// Polls a leased host's due sources, renewing the lease meanwhile.
    async fn work(&self, lease: HostLease) -> Result<RunSummary> {
        let pipeline = Pipeline {
            store: &self.state.store,
            fetcher: self.fetcher,
            kb: self.kb,
            limits: self.state.config.limits(),
            now: lease.now,
            next_due: lease.now + self.args.every.as_secs() as i64,
            webhooks: self.webhooks,
        };
        let options = Options {
            source: None,
            limit: self.args.limit,
            since: self.args.since,
        };
        Ok(pipeline.poll(lease.sources, &options, |_| {}).await?)
    }
}
