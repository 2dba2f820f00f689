//! `huntbrief serve`: the dashboard, JSON API and TAXII 2.1 server over the store,
//! optionally with `watch` passes in the same process.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use crate::cmd::run::{RunArgs, Shutdown, State, jittered, open_store, pass, runtime};
use anyhow::{Context, Result};
use huntbrief_core::hunts::HuntKb;
use huntbrief_ingest::http::Fetcher;
use huntbrief_server::{AppState, ConnLimits, Credentials};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub run: RunArgs,
    /// Address to listen on (overrides the config; default 127.0.0.1:8080).
    #[arg(long)]
    pub bind: Option<String>,
    /// Also poll the sources, a pass every `--every`.
    #[arg(long)]
    pub watch: bool,
    /// Time between passes with `--watch`: `90s`, `15m`, `2h`.
    #[arg(long, default_value = "15m", value_parser = crate::cmd::run::parse_every)]
    pub every: Duration,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let state = State::open(&args.run.common)?;
    let serve = &state.config.serve;
    let bind = args
        .bind
        .clone()
        .or(serve.bind.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let credentials = credentials(serve)?;
    let refresh = Duration::from_secs(serve.refresh_secs.unwrap_or(10).max(1));
    let defaults = ConnLimits::default();
    let limits = ConnLimits {
        header_timeout: serve
            .header_timeout_secs
            .map_or(defaults.header_timeout, |s| Duration::from_secs(s.max(1))),
        max_connections: serve.max_connections.unwrap_or(defaults.max_connections),
        ..defaults
    };
    // The server reads through its own connection; a pass writes through the state's.
    let store = open_store(&state.config.db_location()?)?;
    let hunts = HuntKb::embedded().context("the built-in use-case library is invalid")?;
    let app = AppState::new(store, credentials, hunts)?;
    let kb = std::sync::Arc::new(state.knowledge_base(&args.run.common)?);
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .with_context(|| format!("cannot listen on {bind}; is another server running?"))?;
        eprintln!(
            "huntbrief: serving on http://{}/",
            listener
                .local_addr()
                .map_or(bind.clone(), |a| a.to_string())
        );
        let mut stop = Shutdown::listen()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(huntbrief_server::serve_with(
            listener,
            app,
            refresh,
            limits,
            async {
                let _ = rx.await;
            },
        ));
        if args.watch {
            let fetcher = Fetcher::new(state.fetch_policy()?)?;
            loop {
                tokio::select! {
                    result = pass(&state, &fetcher, &kb, &args.run) => {
                        if let Err(e) = result {
                            eprintln!("huntbrief: pass failed: {e:#}");
                        }
                    }
                    _ = stop.recv() => break,
                }
                tokio::select! {
                    _ = tokio::time::sleep(jittered(args.every)) => {}
                    _ = stop.recv() => break,
                }
            }
        } else {
            stop.recv().await;
        }
        let _ = tx.send(());
        server
            .await
            .context("the server task failed")?
            .context("the server failed")?;
        eprintln!("huntbrief: stopped");
        Ok(ExitCode::SUCCESS)
    })
}

fn credentials(serve: &crate::config::ServeConfig) -> Result<Credentials> {
    let username = serve
        .username
        .clone()
        .unwrap_or_else(|| "huntbrief".to_owned());
    let password = match std::env::var("HUNTBRIEF_SERVE_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .or(serve.password.clone())
    {
        Some(p) => p,
        None => {
            let p = random_password()?;
            eprintln!(
                "huntbrief: no password configured ([serve] password or $HUNTBRIEF_SERVE_PASSWORD); \
                 this run accepts user {username:?} with password {p}"
            );
            p
        }
    };
    Ok(Credentials { username, password })
}

/// 128 bits from the system's generator, as hex.
fn random_password() -> Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom to make a password; configure [serve] password")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
