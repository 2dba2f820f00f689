//! `huntbrief feeds`: list, add, remove, test, import and export the sources.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use huntbrief_ingest::http::{Conditional, Fetcher};
use huntbrief_ingest::opml::{self, Outline};
use huntbrief_ingest::sources::{self, Adapter, Polled, Source};
use huntbrief_store::SourceSpec;

use crate::cmd::run::{Common, State};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Every source with its state.
    List,
    /// Add a source.
    Add {
        url: String,
        /// Display name (default: the URL's host).
        #[arg(long)]
        name: Option<String>,
        /// How to read it: feed, ghsa or kev.
        #[arg(long, default_value = "feed")]
        adapter: String,
    },
    /// Stop polling a source (by URL or name).
    Remove { source: String },
    /// Fetch a feed once and show what huntbrief reads from it; stores nothing.
    Test {
        url: String,
        #[arg(long, default_value = "feed")]
        adapter: String,
    },
    /// Add every feed of an OPML file.
    Import { file: PathBuf },
    /// Print the enabled feeds as OPML.
    Export,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if let Action::Test { url, adapter } = &args.action {
        return test(url, adapter);
    }
    let state = State::open(&args.common)?;
    let mut store = state.store.lock().unwrap_or_else(|p| p.into_inner());
    match args.action {
        Action::List => {
            for s in store.sources()? {
                let status = match (&s.last_error, s.last_ok) {
                    _ if !s.enabled => "disabled".to_owned(),
                    (Some(e), _) => format!("failing ({} in a row): {e}", s.failures),
                    (None, Some(_)) => "ok".to_owned(),
                    (None, None) => "not polled yet".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{status}",
                    s.spec.name,
                    s.spec.kind,
                    s.origin.as_str(),
                    s.spec.url
                );
            }
        }
        Action::Add { url, name, adapter } => {
            let spec = spec_for(&url, name, &adapter)?;
            store.add_source(&spec)?;
            println!("added {} ({})", spec.name, spec.url);
        }
        Action::Remove { source } => {
            let all = store.sources()?;
            let found = all
                .iter()
                .find(|s| s.spec.url == source || s.spec.name.eq_ignore_ascii_case(&source))
                .with_context(|| format!("no source {source:?}; see `huntbrief feeds list`"))?;
            store.remove_source(&found.spec.url)?;
            println!("removed {} ({})", found.spec.name, found.spec.url);
        }
        Action::Import { file } => {
            let xml = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let outlines = opml::import(&xml)?;
            for o in &outlines {
                store.add_source(&SourceSpec {
                    name: o.name.clone(),
                    url: o.url.clone(),
                    kind: "feed".into(),
                })?;
            }
            println!(
                "imported {} feed(s) from {}",
                outlines.len(),
                file.display()
            );
        }
        Action::Export => {
            let feeds: Vec<Outline> = store
                .sources()?
                .into_iter()
                .filter(|s| s.enabled && s.spec.kind == "feed")
                .map(|s| Outline {
                    name: s.spec.name,
                    url: s.spec.url,
                })
                .collect();
            print!("{}", opml::export("huntbrief feeds", &feeds));
        }
        Action::Test { .. } => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}

fn spec_for(url: &str, name: Option<String>, adapter: &str) -> Result<SourceSpec> {
    let adapter = Adapter::parse(adapter)
        .with_context(|| format!("unknown adapter {adapter:?}: use feed, ghsa or kev"))?;
    let parsed = url::Url::parse(url).with_context(|| format!("{url:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("{url:?} is not an http(s) URL");
    }
    let name = name.unwrap_or_else(|| {
        parsed
            .host_str()
            .unwrap_or(url)
            .trim_start_matches("www.")
            .to_owned()
    });
    Ok(SourceSpec {
        name,
        url: url.to_owned(),
        kind: adapter.as_str().to_owned(),
    })
}

fn test(url: &str, adapter: &str) -> Result<ExitCode> {
    let spec = spec_for(url, None, adapter)?;
    let source = Source {
        name: spec.name,
        url: spec.url,
        adapter: Adapter::parse(&spec.kind).unwrap_or(Adapter::Feed),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let polled = runtime.block_on(async {
        // The URL given on the command line is the user's own choice of destination.
        let mut policy = huntbrief_ingest::http::Policy::default();
        policy.outbound.allow_source(&source.url);
        let fetcher = Fetcher::new(policy)?;
        let today = chrono::Utc::now().date_naive();
        anyhow::Ok(
            sources::poll(
                &fetcher,
                &source,
                Conditional::default(),
                today,
                Default::default(),
            )
            .await,
        )
    })?;
    match polled {
        Ok(Polled::Items { items, .. }) => {
            println!("{} item(s)", items.len());
            for i in items.iter().take(10) {
                let date = i
                    .published
                    .map_or_else(|| "----------".to_owned(), |d| d.to_string());
                let teaser = if i.is_teaser() { "teaser" } else { "full" };
                println!("{date}  {teaser:6}  {}  {}", i.title, i.url);
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(Polled::NotModified) => bail!("the server answered 304 to an unconditional request"),
        Err(e) => bail!("{url}: {e}"),
    }
}
