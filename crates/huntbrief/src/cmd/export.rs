//! `huntbrief export`: the stored briefings in formats other tools ingest unchanged.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use huntbrief_core::Severity;
use huntbrief_render::export::Format;

use crate::cmd::run::{Common, State};
use crate::config::{parse_formats, parse_severity};
use crate::publish::{Selection, export};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    /// Formats, comma-separated: stix, misp, sigma, csv, jsonl, rss, archive, or all.
    #[arg(long, required = true, value_delimiter = ',', value_parser = parse_formats)]
    pub format: Vec<Vec<Format>>,
    /// Export directory; each many-file format owns a folder in it.
    #[arg(long)]
    pub out: PathBuf,
    /// Only briefings filed on or after this day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<NaiveDate>,
    /// Only briefings of this severity or more serious: CRIT, HIGH, MED or LOW.
    #[arg(long, value_name = "SEV", value_parser = parse_severity)]
    pub min_severity: Option<Severity>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let state = State::open(&args.common)?;
    let articles = state
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .articles()?;
    let mut formats: Vec<Format> = args.format.into_iter().flatten().collect();
    formats.sort();
    formats.dedup();
    let selection = Selection {
        since: args.since,
        min_severity: args.min_severity.unwrap_or(Severity::Low),
    };
    let (exported, changed) = export(&args.out, &formats, &articles, &selection)?;
    println!(
        "{exported} briefing(s) exported as {} to {}; {} file(s) written, {} removed",
        formats
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        args.out.display(),
        changed.written,
        changed.removed
    );
    Ok(ExitCode::SUCCESS)
}
