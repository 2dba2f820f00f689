//! Writes every export format for a fixed set of analysed articles, the way `huntbrief
//! export` lays them out: the hunt test corpus (real-looking reports and a hostile one),
//! the triage corpus (every kind of article) and a briefing without a URL. Timestamps are
//! fixed, so two runs write the same bytes. `scripts/check-stix.sh` and
//! `scripts/check-misp.sh` validate what it writes with the formats' own tools.
//!
//! With `--db FILE` it stores the same briefings (and one titled with an HTML injection)
//! in a SQLite database instead, for the `huntbrief serve` checks (`scripts/check-taxii.sh`,
//! `scripts/check-dashboard.sh`).
//!
//! Usage: cargo run -p huntbrief --example export-fixture -- OUT_DIR
//!        cargo run -p huntbrief --example export-fixture -- --db FILE

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use huntbrief_core::{Article, Body, Briefing, KnowledgeBase, analyze};
use huntbrief_render::export::{Exported, Format};
use huntbrief_store::{SqliteStore, Store, StoredArticle};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kb = KnowledgeBase::embedded()?;
    let base = DateTime::<Utc>::from_timestamp(1_793_000_000, 0).ok_or("bad base time")?;
    if let [flag, db] = args.as_slice()
        && flag == "--db"
    {
        return store(Path::new(db), &kb, base);
    }
    let out = args
        .first()
        .ok_or("usage: export-fixture OUT_DIR | --db FILE")?;
    let briefings: Vec<Briefing> = articles()?.iter().map(|a| analyze(a, &kb)).collect();
    let items: Vec<Exported<'_>> = briefings
        .iter()
        .enumerate()
        .map(|(i, b)| Exported {
            briefing: b,
            first_seen: base + chrono::Duration::minutes(i as i64),
            changed_at: base + chrono::Duration::minutes(i as i64 + 30),
        })
        .collect();
    let out = Path::new(&out);
    for format in Format::ALL {
        for (relative, bytes) in format.files(&items) {
            let path = out.join(format.folder().unwrap_or_default()).join(relative);
            std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
            std::fs::write(&path, bytes)?;
        }
    }
    eprintln!(
        "export-fixture: {} briefings exported to {}",
        items.len(),
        out.display()
    );
    Ok(())
}

/// Stores the fixture briefings, one a minute, plus a hostile title.
fn store(
    db: &Path,
    kb: &KnowledgeBase,
    base: DateTime<Utc>,
) -> Result<(), Box<dyn std::error::Error>> {
    let _ = std::fs::remove_file(db);
    let mut store = SqliteStore::open(db)?;
    let mut all = articles()?;
    all.push(article(
        "<img src=x onerror=alert(1)>",
        Some("https://news.example/hostile-title".to_owned()),
        "Attackers exploited CVE-2024-3400 in firewalls and beaconed to 203.0.113.77.",
    ));
    for (i, a) in all.iter().enumerate() {
        let t = base.timestamp() + 60 * i as i64;
        let stored = StoredArticle {
            url: a.url.clone().unwrap_or_else(|| format!("urn:fixture:{i}")),
            first_seen: t,
            changed_at: t,
            text_hash: format!("{i}"),
            text: a.text.clone(),
            briefing: analyze(a, kb),
        };
        store.put_article(&stored, "Fixture", &format!("{i}"))?;
    }
    eprintln!(
        "export-fixture: {} briefings stored in {}",
        all.len(),
        db.display()
    );
    Ok(())
}

fn articles() -> Result<Vec<Article>, Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut articles = Vec::new();
    let corpus = root.join("huntbrief-core/src/hunts/testdata/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)?.collect::<Result<_, _>>()?;
    files.sort_by_key(|e| e.file_name());
    for entry in files {
        let raw = std::fs::read_to_string(entry.path())?;
        let (title, text) = raw.split_once("\n\n").unwrap_or(("", &raw));
        let name = entry.file_name().to_string_lossy().into_owned();
        articles.push(article(
            title.trim_start_matches("Title:").trim(),
            Some(format!("https://research.example/{name}?a=\"'<x>")),
            text,
        ));
    }
    let triage: toml::Value = toml::from_str(&std::fs::read_to_string(
        root.join("huntbrief-core/tests/fixtures/triage-corpus.toml"),
    )?)?;
    for (i, a) in triage["article"]
        .as_array()
        .ok_or("triage corpus has no [[article]]")?
        .iter()
        .enumerate()
    {
        articles.push(article(
            a["title"].as_str().unwrap_or_default(),
            Some(format!("https://news.example/{i}")),
            a["text"].as_str().unwrap_or_default(),
        ));
    }
    articles.push(article(
        "Pasted note without a link",
        None,
        "Attackers exploited CVE-2024-3400 and beaconed to 203.0.113.77 from a loader.",
    ));
    Ok(articles)
}

fn article(title: &str, url: Option<String>, text: &str) -> Article {
    Article {
        title: title.to_owned(),
        url,
        sources: vec!["Fixture \"Research\" <Labs>".to_owned()],
        published: NaiveDate::from_ymd_opt(2026, 11, 2),
        text: text.to_owned(),
        body: Body::Full,
    }
}
