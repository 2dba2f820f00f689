//! `huntbrief analyze`: one article in, one briefing out.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use huntbrief_core::{Article, Body, analyze};
use huntbrief_ingest::extract::{extract_html, looks_like_html};
use huntbrief_render::{json, markdown};
use huntbrief_store::Location;

use crate::input::read_input;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Md,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The article: plain text or an HTML page; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
    /// Title (default: the page's title, or the text's first line).
    #[arg(long)]
    pub title: Option<String>,
    /// The article's URL; its canonical form is the briefing's identity.
    #[arg(long)]
    pub url: Option<String>,
    /// Name of the feed or site that carried it; repeat for several.
    #[arg(long = "source")]
    pub sources: Vec<String>,
    /// Publication date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub published: Option<NaiveDate>,
    /// The input is a feed teaser rather than the full article.
    #[arg(long)]
    pub rss_summary: bool,
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Directory whose data files replace the built-in ones.
    #[arg(long, value_name = "DIR", env = "HUNTBRIEF_DATA")]
    pub data: Option<PathBuf>,
    /// Database whose stored KEV catalogue (`huntbrief kev update`) counts toward severity.
    #[arg(long, value_name = "FILE|URL")]
    pub db: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut kb = crate::kb::load(args.data.as_deref())?;
    if let Some(db) = &args.db {
        let store = crate::cmd::run::open_store(&Location::parse(db))?;
        kb.kev = store.kev()?.into_iter().map(|r| r.cve).collect();
    }
    let raw = read_input(args.file.as_deref())?;
    let (page_title, text) = if looks_like_html(&raw) {
        let page = extract_html(&raw, args.url.as_deref())
            .context("cannot extract the article from the HTML page")?;
        (page.title, page.text)
    } else {
        (None, raw)
    };
    let title = args
        .title
        .or(page_title)
        .or_else(|| first_line_title(&text))
        .unwrap_or_else(|| "Untitled article".to_owned());
    let sources = if args.sources.is_empty() {
        url_host(args.url.as_deref()).into_iter().collect()
    } else {
        args.sources
    };
    let article = Article {
        title,
        url: args.url,
        sources,
        published: args.published,
        text,
        body: if args.rss_summary {
            Body::Summary
        } else {
            Body::Full
        },
    };
    let briefing = analyze(&article, &kb);
    let out = match args.format {
        Format::Md => markdown::render(&briefing),
        Format::Json => json::render(&briefing),
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// A plain-text article's first line, when it reads like a title (short, no full stop).
fn first_line_title(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    (line.chars().count() <= 150 && !line.ends_with(['.', ':', ';', ','])).then(|| line.to_owned())
}

fn url_host(url: Option<&str>) -> Option<String> {
    let canonical = huntbrief_core::identity::canonical_url(url?)?;
    let host = canonical.split("://").nth(1)?.split(['/', '?']).next()?;
    Some(host.trim_start_matches("www.").to_owned())
}
