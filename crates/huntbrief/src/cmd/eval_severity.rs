//! `huntbrief eval severity FILE.toml`: grades a labelled set (see
//! `huntbrief_core::grading`) and prints the in-band rate, the grades per rubric row, the
//! kind confusion and every miss with its reasons. Exits 0 whatever the figures.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use huntbrief_core::grading::{LabelledSet, Report, grade};

#[derive(Debug, clap::Args)]
pub struct SeverityArgs {
    /// A labelled set (TOML), e.g. crates/huntbrief-core/tests/fixtures/severity-set.toml.
    pub file: PathBuf,
    /// Only the articles of this split (`dev`, `holdout`, `fresh`, `final` or `lead`).
    #[arg(long)]
    pub split: Option<String>,
    /// Directory whose data files replace the built-in ones.
    #[arg(long, value_name = "DIR", env = "HUNTBRIEF_DATA")]
    pub data: Option<PathBuf>,
}

pub fn severity(args: SeverityArgs) -> Result<ExitCode> {
    let kb = crate::kb::load(args.data.as_deref())?;
    let raw = fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut set = LabelledSet::parse(&raw).with_context(|| format!("{}", args.file.display()))?;
    if let Some(split) = &args.split {
        set.article.retain(|a| &a.split == split);
    }
    let graded = grade(&set, &kb);
    write!(std::io::stdout().lock(), "{}", Report(&graded)).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
