//! `huntbrief hunts list|show ID|render ID --backend B`: the use-case library.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use huntbrief_core::Backend;
use huntbrief_core::hunts::kb::{FILES, embedded_source};
use huntbrief_core::hunts::{HuntKb, UseCase, use_case_hunt};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// Directory whose data files (`hunts/*.toml`) replace the built-in ones.
    #[arg(long, value_name = "DIR", env = "HUNTBRIEF_DATA", global = true)]
    data: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One line per use case: ID, phase, confidence, techniques, title.
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// A use case: what it hunts, what fires it, which backends can run it.
    Show { id: String },
    /// A use case's query in one backend (every backend without --backend).
    Render {
        id: String,
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BackendArg {
    Splunk,
    Defender,
    Sentinel,
    Sigma,
}

impl From<BackendArg> for Backend {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Splunk => Backend::Splunk,
            BackendArg::Defender => Backend::Defender,
            BackendArg::Sentinel => Backend::Sentinel,
            BackendArg::Sigma => Backend::Sigma,
        }
    }
}

fn load(dir: Option<&Path>) -> Result<HuntKb> {
    let mut overrides = Vec::new();
    if let Some(dir) = dir {
        for (name, _) in FILES {
            let path = dir.join(name);
            match fs::read_to_string(&path) {
                Ok(text) => overrides.push((name, text)),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read {}", path.display()));
                }
            }
        }
    }
    HuntKb::parse(|name| {
        overrides
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| embedded_source(name), |(_, t)| t.clone())
    })
    .context("the hunt data files did not load")
}

pub fn run(args: Args) -> Result<ExitCode> {
    let kb = load(args.data.as_deref())?;
    let mut out = String::new();
    let code = match args.command {
        Command::List { format } => {
            list(&kb, format, &mut out)?;
            ExitCode::SUCCESS
        }
        Command::Show { id } => match kb.use_case(&id) {
            Some(u) => {
                show(&kb, u, &mut out);
                ExitCode::SUCCESS
            }
            None => return unknown(&id),
        },
        Command::Render { id, backend } => match kb.use_case(&id) {
            Some(u) => render(&kb, u, backend.map(Backend::from), &mut out),
            None => return unknown(&id),
        },
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .context("cannot write to stdout")?;
    Ok(code)
}

fn unknown(id: &str) -> Result<ExitCode> {
    eprintln!("huntbrief: no use case {id:?}; `huntbrief hunts list` shows them all");
    Ok(ExitCode::from(2))
}

fn list(kb: &HuntKb, format: Format, out: &mut String) -> Result<()> {
    match format {
        Format::Text => {
            for u in &kb.library {
                out.push_str(&format!(
                    "{:<24} {:<8} {:<6} {:<32} {}\n",
                    u.id,
                    u.phase.as_str(),
                    u.confidence.as_str(),
                    u.techniques.join(","),
                    u.title
                ));
            }
        }
        Format::Json => {
            let items: Vec<serde_json::Value> = kb
                .library
                .iter()
                .map(|u| {
                    let backends: Vec<Backend> = use_case_hunt(kb, u).queries.into_keys().collect();
                    serde_json::json!({
                        "id": u.id,
                        "title": u.title,
                        "phase": u.phase,
                        "confidence": u.confidence,
                        "techniques": u.techniques,
                        "backends": backends,
                    })
                })
                .collect();
            out.push_str(&serde_json::to_string_pretty(&items)?);
            out.push('\n');
        }
    }
    Ok(())
}

fn show(kb: &HuntKb, u: &UseCase, out: &mut String) {
    out.push_str(&format!(
        "{}  {}\nphase: {} · confidence: {} · techniques: {}\n\n{}\n",
        u.id,
        u.title,
        u.phase.as_str(),
        u.confidence.as_str(),
        u.techniques.join(", "),
        u.description
    ));
    if !u.falsepositives.is_empty() {
        out.push_str(&format!(
            "\nFalse positives: {}\n",
            u.falsepositives.join("; ")
        ));
    }
    out.push_str("\nFires when the article shows any of:\n");
    for e in &u.evidence {
        let mut parts = Vec::new();
        if !e.techniques.is_empty() {
            parts.push(format!(
                "technique {} with evidence (confidence ≥ {})",
                e.techniques.join(" or "),
                e.min_confidence
            ));
        }
        if !e.indicators.is_empty() {
            let types: Vec<&str> = e.indicators.iter().map(|t| t.key()).collect();
            parts.push(format!("a high-fidelity {} indicator", types.join("/")));
        }
        if !e.mentions.is_empty() {
            parts.push(format!(
                "an evidence sentence naming {}",
                e.mentions.join(", ")
            ));
        }
        out.push_str(&format!("  - {}\n", parts.join(", and ")));
    }
    let backends: Vec<&str> = use_case_hunt(kb, u)
        .queries
        .keys()
        .map(|b| b.label())
        .collect();
    out.push_str(&format!("\nQueries: {}\n", backends.join(", ")));
    let rules: Vec<String> = u
        .rules
        .iter()
        .map(|r| format!("{} ({})", r.name, r.logsource.key()))
        .collect();
    out.push_str(&format!("Rules: {}\n", rules.join(", ")));
}

fn render(kb: &HuntKb, u: &UseCase, backend: Option<Backend>, out: &mut String) -> ExitCode {
    let queries = use_case_hunt(kb, u).queries;
    match backend {
        Some(b) => match queries.get(&b) {
            Some(q) => {
                out.push_str(q);
                out.push('\n');
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "huntbrief: {} has no {} query: none of its log sources ({}) is in that backend's field map",
                    u.id,
                    b.label(),
                    u.rules
                        .iter()
                        .map(|r| r.logsource.key())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                ExitCode::from(1)
            }
        },
        None => {
            for (b, q) in &queries {
                out.push_str(&format!("=== {}\n{q}\n\n", b.label()));
            }
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_shows_every_use_case_once() {
        let kb = load(None).unwrap();
        let mut out = String::new();
        list(&kb, Format::Text, &mut out).unwrap();
        assert_eq!(out.lines().count(), kb.library.len());
        assert!(out.lines().any(|l| l.starts_with("UC_SUPPLY_CHAIN ")));
        let mut json = String::new();
        list(&kb, Format::Json, &mut json).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v[0]["id"], "UC_PHISH_LINK");
        assert_eq!(v[0]["backends"][0], "splunk");
    }

    #[test]
    fn render_prints_one_backend_or_says_why_not() {
        let kb = load(None).unwrap();
        let u = kb.use_case("uc_mfa_fatigue").unwrap();
        let mut out = String::new();
        assert_eq!(
            render(&kb, u, Some(Backend::Defender), &mut out),
            ExitCode::SUCCESS
        );
        assert!(out.starts_with("AADSignInEventsBeta\n"), "{out}");
        let u = kb.use_case("UC_DNS_TUNNEL").unwrap();
        let mut out = String::new();
        assert_eq!(
            render(&kb, u, Some(Backend::Defender), &mut out),
            ExitCode::SUCCESS
        );
        let u = kb.use_case("UC_TEAMS_VISHING").unwrap();
        let mut out = String::new();
        assert_eq!(render(&kb, u, None, &mut out), ExitCode::SUCCESS);
        assert!(out.contains("=== Sentinel KQL\n"));
    }

    #[test]
    fn an_override_directory_replaces_the_library() {
        let dir = std::env::temp_dir().join(format!("huntbrief-hunts-{}", std::process::id()));
        fs::create_dir_all(dir.join("hunts")).unwrap();
        fs::write(dir.join("hunts/library.toml"), "use_case = []\n").unwrap();
        let kb = load(Some(&dir)).unwrap();
        assert!(kb.library.is_empty());
        fs::write(dir.join("hunts/library.toml"), "not toml [").unwrap();
        assert!(load(Some(&dir)).is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
