//! Exports: `run` writes the configured ones after publishing and rewrites nothing when
//! nothing changed; `huntbrief export` selects by severity and prunes the folders it owns.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::pipeline::{Setup, assert_summary};
use crate::server::{Fixture, STORIES};
use crate::{stderr, stdout};

fn count_files(dir: &Path, extension: &str) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(extension))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn run_writes_configured_exports_and_export_selects_and_prunes() {
    let server = Fixture::start(Duration::ZERO);
    let setup = Setup::new("export", &server.feeds_toml());
    let exports = setup.dir.join("exports");
    let mut config = std::fs::read_to_string(setup.dir.join("config.toml")).unwrap();
    config.push_str(&format!(
        "\n[export]\ndir = \"{}\"\nformats = [\"all\"]\n",
        exports.display()
    ));
    std::fs::write(setup.dir.join("config.toml"), config).unwrap();

    let first = setup.run();
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(count_files(&exports.join("archive"), ".txt"), STORIES);
    assert!(count_files(&exports.join("sigma"), ".yml") > 0);
    // One MISP event and one STIX bundle per story, plus the feed's manifest and the
    // export-wide bundle.
    assert_eq!(count_files(&exports.join("misp"), ".json"), STORIES + 1);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(exports.join("misp/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest.as_object().unwrap().len(), STORIES);
    assert_eq!(count_files(&exports.join("stix"), ".json"), STORIES + 1);
    let briefings: Vec<serde_json::Value> = setup.files()["briefings.jsonl"]
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let iocs: usize = briefings
        .iter()
        .map(|b| b["iocs"].as_array().unwrap().len())
        .sum();
    let csv = std::fs::read_to_string(exports.join("indicators.csv")).unwrap();
    assert_eq!(csv.split_terminator("\r\n").count(), iocs + 1);
    let jsonl = std::fs::read_to_string(exports.join("indicators.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), iocs);
    // The Atom feed reads back through huntbrief's own feed parser.
    let atom = std::fs::read(exports.join("briefings.atom")).unwrap();
    let entries = huntbrief_ingest::feed::parse(&atom, Some("application/atom+xml"), "http://x/")
        .expect("the Atom export parses");
    assert_eq!(entries.len(), STORIES.min(100));
    assert!(
        entries[0].url.starts_with(&server.base),
        "{:?}",
        entries[0].url
    );

    // Nothing changed: no briefing and no export file is rewritten.
    let second = setup.run();
    assert_summary(
        &second,
        "0 new, 0 updated, 0 unchanged, 0 failed source(s); 0 file(s) written, 0 removed",
    );

    // A severity floor selects, and the owned folder loses what is no longer selected.
    let at_least_med = briefings
        .iter()
        .filter(|b| b["severity"].as_str() != Some("LOW"))
        .count();
    assert!(at_least_med > 0, "the fixture stories are threats");
    let export = |floor: &str| {
        Command::new(env!("CARGO_BIN_EXE_huntbrief"))
            .args(["export", "--config"])
            .arg(setup.dir.join("config.toml"))
            .args(["--format", "archive,csv", "--min-severity", floor, "--out"])
            .arg(&exports)
            .output()
            .unwrap()
    };
    let out = export("med");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!(
            "{at_least_med} briefing(s) exported as csv, archive to "
        )),
        "{}",
        stdout(&out)
    );
    assert_eq!(count_files(&exports.join("archive"), ".txt"), at_least_med);
    let crit = briefings
        .iter()
        .filter(|b| b["severity"].as_str() == Some("CRIT"))
        .count();
    let out = export("CRIT");
    assert!(
        stdout(&out).contains(&format!("{} removed", at_least_med - crit)),
        "{}",
        stdout(&out)
    );
    assert_eq!(count_files(&exports.join("archive"), ".txt"), crit);
    assert!(
        exports.join("briefings.atom").exists(),
        "formats not exported this time are left alone"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_huntbrief"))
        .args([
            "export",
            "--format",
            "stix",
            "--min-severity",
            "urgent",
            "--out",
        ])
        .arg(&exports)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("use CRIT, HIGH, MED or LOW"));
}
