//! `huntbrief kev update`: stores the CISA KEV catalogue, so that an article's CVE listed
//! there counts toward its severity.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use huntbrief_ingest::advisories::parse_kev_catalogue;
use huntbrief_ingest::http::{Conditional, Fetched, Fetcher};
use huntbrief_store::KevRecord;

use crate::cmd::run::{Common, State};

const CATALOGUE_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Download (or read) the catalogue and store it.
    Update {
        /// A local catalogue file or a URL (default: CISA's JSON feed).
        #[arg(long, value_name = "FILE|URL")]
        from: Option<String>,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Action::Update { from } = args.action;
    let from = from.unwrap_or_else(|| CATALOGUE_URL.to_owned());
    let body = if from.starts_with("http://") || from.starts_with("https://") {
        download(&from)?
    } else {
        std::fs::read(Path::new(&from)).with_context(|| format!("cannot read {from}"))?
    };
    let entries =
        parse_kev_catalogue(&body).with_context(|| format!("{from} is not a KEV catalogue"))?;
    if entries.is_empty() {
        bail!("{from} lists no vulnerabilities; keeping the stored catalogue");
    }
    let records: Vec<KevRecord> = entries
        .into_iter()
        .map(|e| KevRecord {
            cve: e.cve,
            date_added: e.date_added,
            name: e.name,
            known_ransomware: e.known_ransomware,
        })
        .collect();
    let state = State::open(&args.common)?;
    state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .replace_kev(&records)?;
    println!("stored {} KEV entries", records.len());
    Ok(ExitCode::SUCCESS)
}

fn download(url: &str) -> Result<Vec<u8>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // The catalogue URL is built in or given by the user: theirs to choose.
        let mut policy = huntbrief_ingest::http::Policy::default();
        policy.outbound.allow_source(url);
        let fetcher = Fetcher::new(policy)?;
        match fetcher.get(url, Conditional::default(), 64 << 20).await? {
            Fetched::Page(page) => Ok(page.body),
            Fetched::NotModified => bail!("{url} answered 304 to an unconditional request"),
        }
    })
}
