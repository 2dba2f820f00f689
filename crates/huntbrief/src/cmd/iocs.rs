//! `huntbrief iocs`: the indicators of compromise of one text (high-fidelity ones
//! unless `--all`), or of many texts given as JSON lines on stdin.

use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use huntbrief_core::iocs;
use huntbrief_core::{Fidelity, Indicator, KnowledgeBase};
use huntbrief_ingest::extract::{extract_html, looks_like_html};

use crate::input::{MAX_INPUT_BYTES, read_input};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One object mapping type to its sorted values.
    Json,
    /// One row per indicator: type, value, defanged, fidelity, offset, evidence.
    Csv,
    /// One line per indicator: type, defanged value, fidelity.
    Text,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The text: plain text or an HTML page; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Every indicator, at every fidelity (default: high-fidelity only).
    #[arg(long)]
    pub all: bool,
    /// Read JSON lines `{"text": ...}` on stdin and answer one JSON object per line.
    #[arg(long, conflicts_with = "file")]
    pub jsonl: bool,
    /// The article's URL: links to its own site are references, not indicators.
    #[arg(long)]
    pub url: Option<String>,
    /// Directory whose data files replace the built-in ones.
    #[arg(long, value_name = "DIR", env = "HUNTBRIEF_DATA")]
    pub data: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let kb = crate::kb::load(args.data.as_deref())?;
    if args.jsonl {
        return jsonl(&kb, args.all, args.url.as_deref());
    }
    let raw = read_input(args.file.as_deref())?;
    let text = if looks_like_html(&raw) {
        extract_html(&raw, args.url.as_deref())
            .context("cannot extract the text from the HTML page")?
            .text
    } else {
        raw
    };
    let found = extract(&kb, &text, args.url.as_deref(), args.all);
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => {
            let map = iocs::by_type(&found);
            serde_json::to_writer_pretty(&mut out, &map)?;
            writeln!(out)?;
        }
        Format::Csv => {
            writeln!(out, "type,value,defanged,fidelity,offset,evidence")?;
            for i in &found {
                writeln!(
                    out,
                    "{},{},{},{},{},{}",
                    i.kind.key(),
                    csv(&i.value),
                    csv(&i.defanged),
                    fidelity(i.fidelity),
                    i.offset,
                    csv(&i.evidence)
                )?;
            }
        }
        Format::Text => {
            for i in &found {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    i.kind.key(),
                    i.defanged,
                    fidelity(i.fidelity)
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The indicators of `text` (normalised and without page chrome, as `analyze` sees it).
fn extract(kb: &KnowledgeBase, text: &str, url: Option<&str>, all: bool) -> Vec<Indicator> {
    let text = kb.boilerplate.strip(&huntbrief_core::text::normalize(text));
    let mut found = iocs::extract(&text, &kb.iocs, url);
    if !all {
        found.retain(|i| i.fidelity == Fidelity::High);
    }
    found
}

/// One answer line per input line, flushed as it is written, so a caller can stream.
/// A line that is not a JSON object with a string `text` gets `{}` and a warning.
fn jsonl(kb: &KnowledgeBase, all: bool, url: Option<&str>) -> Result<ExitCode> {
    let mut reader = io::stdin().lock();
    let mut out = io::stdout().lock();
    let mut line = Vec::new();
    let mut n = 0usize;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_INPUT_BYTES + 1)
            .read_until(b'\n', &mut line)
            .context("cannot read stdin")?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let answer = if line.len() as u64 > MAX_INPUT_BYTES && line.last() != Some(&b'\n') {
            tracing::warn!("line {n} is over the input limit; answered with {{}}");
            // Skip the rest of the over-long line.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest)?;
            serde_json::Map::new()
        } else {
            match serde_json::from_slice::<serde_json::Value>(&line) {
                Ok(v) => match v.get("text").and_then(|t| t.as_str()) {
                    Some(text) => {
                        let found =
                            extract(kb, text, v.get("url").and_then(|u| u.as_str()).or(url), all);
                        iocs::by_type(&found)
                            .into_iter()
                            .map(|(k, vals)| (k.to_owned(), serde_json::Value::from(vals)))
                            .collect()
                    }
                    None => {
                        tracing::warn!("line {n} has no string \"text\"; answered with {{}}");
                        serde_json::Map::new()
                    }
                },
                Err(e) => {
                    tracing::warn!("line {n} is not JSON ({e}); answered with {{}}");
                    serde_json::Map::new()
                }
            }
        };
        serde_json::to_writer(&mut out, &answer)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn fidelity(f: Fidelity) -> &'static str {
    match f {
        Fidelity::High => "high",
        Fidelity::Medium => "medium",
        Fidelity::Low => "low",
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break. A leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so a spreadsheet does not run it as a formula.
fn csv(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formula_safe() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    }

    #[test]
    fn high_fidelity_filter() {
        let kb = KnowledgeBase::embedded().unwrap();
        let text = "The loader beacons to evil-c2[.]net.\nInternal host 10.0.0.5 was hit.";
        let high = extract(&kb, text, None, false);
        assert_eq!(high.len(), 1);
        assert_eq!(high[0].value, "evil-c2.net");
        let all = extract(&kb, text, None, true);
        assert!(
            all.iter()
                .any(|i| i.value == "10.0.0.5" && i.fidelity == Fidelity::Low)
        );
    }
}
