//! Writes every query huntbrief can emit for its own checks, as one JSON file: the whole
//! use-case library, the IOC sweeps, the hunts of the test corpus of articles (real-looking
//! reports and a hostile one) and hostile artifact values, each in every backend, with
//! the KQL table schemas they must fit. `scripts/check-kql.sh` and
//! `scripts/check-sigma.sh` read it.
//!
//! Usage: cargo run -p huntbrief-core --example dump-hunts -- OUT.json

use std::collections::BTreeMap;
use std::path::Path;

use huntbrief_core::hunts::artifacts::{self, Artifact, ArtifactKind};
use huntbrief_core::hunts::{HuntKb, Input, select, sweeps, use_case_hunt};
use huntbrief_core::{Article, Backend, Body, Kind, KnowledgeBase, analysis_text, analyze};
use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: dump-hunts OUT.json")?;
    let kb = KnowledgeBase::embedded()?;
    let hkb = HuntKb::embedded()?;
    let mut queries: Vec<Value> = Vec::new();
    let mut push = |source: String, q: &BTreeMap<Backend, String>| {
        for (b, text) in q {
            queries.push(json!({ "source": source, "backend": b, "text": text }));
        }
    };

    for u in &hkb.library {
        push(format!("library/{}", u.id), &use_case_hunt(&hkb, u).queries);
    }

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/hunts/testdata/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)?.collect::<Result<_, _>>()?;
    files.sort_by_key(|e| e.file_name());
    for entry in files {
        let raw = std::fs::read_to_string(entry.path())?;
        let (title, text) = raw.split_once("\n\n").unwrap_or(("", &raw));
        let name = entry.file_name().to_string_lossy().into_owned();
        let article = Article {
            title: title.trim_start_matches("Title: ").to_owned(),
            url: Some(format!("https://research.example/{name}")),
            sources: vec!["corpus".into()],
            published: None,
            text: text.to_owned(),
            body: Body::Full,
        };
        let b = analyze(&article, &kb);
        let text = analysis_text(&article, &kb);
        // Every hunt the article can get, whatever its kind turns out to be.
        let hunts = select(
            &hkb,
            &Input {
                briefing_id: &b.id,
                kind: Kind::Campaign,
                text: &text,
                techniques: &b.techniques,
                iocs: &b.iocs,
            },
        );
        for h in hunts.iter().chain(&b.hunts) {
            push(format!("corpus/{name}/{}", h.id), &h.queries);
        }
        for s in sweeps::ioc_sweeps(b.high_fidelity_iocs()) {
            push(
                format!("corpus/{name}/sweep-{}", s.template.anchor()),
                &sweeps::sweep_queries(&hkb, &s),
            );
        }
    }

    for (i, v) in [
        r#"evil" OR 1=1 --.exe"#,
        r#"a\"b\\c|d.dll"#,
        "x.exe | delete",
        "`whoami`.ps1",
        r"C:\Users\*\AppData\evil.exe",
        "```\n# heading\n```.exe",
        "end\\",
        r#"@"verbatim".exe"#,
        "x\"\n| where true\n//.exe",
        r"HKCU\Software\Evil'Key\Run | delete",
    ]
    .into_iter()
    .enumerate()
    {
        for kind in [
            ArtifactKind::File,
            ArtifactKind::Path,
            ArtifactKind::Registry,
            ArtifactKind::Task,
            ArtifactKind::UserAgent,
        ] {
            let a = Artifact {
                kind,
                value: v.into(),
                evidence: "The malware drops it.".into(),
                strong: true,
            };
            if let Some(h) = artifacts::hunt(&hkb, "0123456789abcdef", &a) {
                push(format!("hostile/{i}/{kind:?}"), &h.queries);
            }
        }
    }

    let mut tables = serde_json::Map::new();
    for (backend, ts) in &hkb.backends.kql.tables {
        let mut m = serde_json::Map::new();
        for (t, cols) in ts {
            let cols: Vec<Value> = cols.iter().map(|(c, ty)| json!([c, ty])).collect();
            m.insert(t.clone(), Value::Array(cols));
        }
        tables.insert(
            serde_json::to_value(backend)?
                .as_str()
                .unwrap_or("?")
                .to_owned(),
            Value::Object(m),
        );
    }
    let doc = json!({ "tables": tables, "queries": queries });
    std::fs::write(&out, serde_json::to_string_pretty(&doc)?)?;
    eprintln!(
        "dump-hunts: {} queries written to {out}",
        doc["queries"].as_array().map_or(0, Vec::len)
    );
    Ok(())
}
