//! `huntbrief eval attack FILE.jsonl`: document-level scores of technique inference on
//! any JSON lines of `{"text": ..., "techniques": [...]}` (micro precision, recall, F1,
//! F0.5 at technique and parent level, IDs normalised to the current ATT&CK release).

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use huntbrief_core::attack::cv::{self, Corpus, Settings};
use huntbrief_core::attack::eval::{Counts, Level, normalize, parents, restrict, score};
use huntbrief_core::attack::{Layers, Model, infer_with};
use serde_json::Value;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Score ATT&CK technique inference against labelled documents.
    Attack(AttackArgs),
    /// Score actor naming: is the report's ATT&CK group found and mapped to its G-ID?
    Actors(ActorsArgs),
    /// Grade severity and kind against a labelled set (in-band rate, misses with reasons).
    Severity(super::eval_severity::SeverityArgs),
}

#[derive(Debug, clap::Args)]
pub struct ActorsArgs {
    /// JSON lines with `text` (and `title`, `doc_id`; `groups`: G-IDs, unless --labels).
    pub file: PathBuf,
    /// Tab-separated `doc_id`, `group` lines: the group each document is about. Only
    /// labelled documents are scored.
    #[arg(long, value_name = "TSV")]
    pub labels: Option<PathBuf>,
    /// Directory whose data files replace the built-in ones.
    #[arg(long, value_name = "DIR", env = "HUNTBRIEF_DATA")]
    pub data: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct AttackArgs {
    /// JSON lines with `text` and `techniques` (a list of ATT&CK IDs).
    pub file: PathBuf,
    /// Layers to run, comma-separated: ids, patterns, model (default: all).
    #[arg(long, value_delimiter = ',', value_name = "LAYER")]
    pub layers: Vec<Layer>,
    /// Also score each layer alone and each layer left out.
    #[arg(long)]
    pub ablation: bool,
    /// Print the scores as JSON instead of a Markdown table.
    #[arg(long)]
    pub json: bool,
    /// Directory whose data files replace the built-in ones.
    #[arg(long, value_name = "DIR", env = "HUNTBRIEF_DATA")]
    pub data: Option<PathBuf>,
    /// K-fold cross-validation by document: each fold is scored with a sentence model
    /// retrained on the other folds (for files the shipped model was trained on).
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u16).range(2..=20))]
    pub cv: Option<u16>,
    /// Annotated sentences of the documents, for --cv (default: attack-dev-sentences.jsonl
    /// beside FILE).
    #[arg(long, value_name = "FILE", requires = "cv")]
    pub sentences: Option<PathBuf>,
    /// ATT&CK procedure examples, extra training text for --cv (default:
    /// attack-procedures-v15.jsonl beside FILE).
    #[arg(long, value_name = "FILE", requires = "cv")]
    pub procedures: Option<PathBuf>,
    /// Write each document's predictions (all layers) as JSON lines to FILE, for error
    /// analysis: `doc_id`, `gold`, and per technique its layers and first evidence.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
}

/// The model of each document: one per fold under `--cv`, else the shipped one.
fn fold_models(args: &AttackArgs, kb: &huntbrief_core::attack::AttackKb) -> Result<Vec<Model>> {
    let Some(k) = args.cv else {
        return Ok(Vec::new());
    };
    let beside = |name: &str| args.file.with_file_name(name);
    let read = |p: &PathBuf| {
        fs::read_to_string(p).with_context(|| format!("cannot read {} (for --cv)", p.display()))
    };
    let sentences = args
        .sentences
        .clone()
        .unwrap_or_else(|| beside("attack-dev-sentences.jsonl"));
    let procedures = args
        .procedures
        .clone()
        .unwrap_or_else(|| beside("attack-procedures-v15.jsonl"));
    let corpus = Corpus::from_jsonl(
        &read(&args.file)?,
        &read(&sentences)?,
        &read(&procedures)?,
        &kb.table,
    )
    .map_err(anyhow::Error::msg)?;
    if corpus.sents.is_empty() {
        bail!(
            "{} has no sentences of the documents in {} (matched by doc_id)",
            sentences.display(),
            args.file.display()
        );
    }
    let settings = Settings {
        folds: usize::from(k),
        ..Settings::default()
    };
    Ok(cv::fold_models(&corpus, kb, &settings))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layer {
    Ids,
    Patterns,
    Model,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Attack(a) => attack(a),
        Command::Actors(a) => actors(a),
        Command::Severity(a) => super::eval_severity::severity(a),
    }
}

struct Labelled {
    doc_id: String,
    text: String,
    gold: Vec<String>,
}

fn read(path: &PathBuf) -> Result<Vec<Labelled>> {
    let raw =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not JSON", path.display(), n + 1))?;
        let text = v
            .get("text")
            .and_then(Value::as_str)
            .with_context(|| format!("{}:{}: no \"text\" string", path.display(), n + 1))?;
        let gold = v
            .get("techniques")
            .and_then(Value::as_array)
            .with_context(|| format!("{}:{}: no \"techniques\" list", path.display(), n + 1))?
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        out.push(Labelled {
            doc_id: v
                .get("doc_id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("line {}", n + 1), str::to_owned),
            text: text.to_owned(),
            gold,
        });
    }
    if out.is_empty() {
        bail!("{} holds no documents", path.display());
    }
    Ok(out)
}

fn layers_of(list: &[Layer]) -> Layers {
    if list.is_empty() {
        return Layers::ALL;
    }
    Layers {
        ids: list.contains(&Layer::Ids),
        patterns: list.contains(&Layer::Patterns),
        model: list.contains(&Layer::Model),
    }
}

#[derive(Default, Clone, Copy)]
struct Scores {
    technique: Counts,
    parent: Counts,
    technique_in_space: Counts,
    parent_in_space: Counts,
}

fn attack(args: AttackArgs) -> Result<ExitCode> {
    let kb = crate::kb::load(args.data.as_deref())?;
    let docs = read(&args.file)?;
    let table = &kb.attack.table;
    // The label space: what the annotators of this file could have marked.
    let all_gold: Vec<String> = docs.iter().flat_map(|d| d.gold.iter().cloned()).collect();
    let space = normalize(&all_gold, table, Level::Technique);
    let mut runs: Vec<(String, Layers)> = vec![("selected".into(), layers_of(&args.layers))];
    if args.ablation {
        let one = |ids, patterns, model| Layers {
            ids,
            patterns,
            model,
        };
        runs = vec![
            ("ids".into(), one(true, false, false)),
            ("patterns".into(), one(false, true, false)),
            ("model".into(), one(false, false, true)),
            ("all but ids".into(), one(false, true, true)),
            ("all but patterns".into(), one(true, false, true)),
            ("all but model".into(), one(true, true, false)),
            ("all".into(), Layers::ALL),
        ];
    }
    let models = fold_models(&args, &kb.attack)?;
    let model_of = |i: usize| {
        models
            .get(i % models.len().max(1))
            .unwrap_or(&kb.attack.model)
    };
    if let Some(path) = &args.predictions {
        write_predictions(path, &docs, &kb.attack, layers_of(&args.layers), model_of)?;
    }
    let mut results = Vec::new();
    for (name, layers) in &runs {
        let mut s = Scores::default();
        for (i, d) in docs.iter().enumerate() {
            let pred: Vec<String> = infer_with(&d.text, &kb.attack, *layers, model_of(i))
                .into_iter()
                .map(|t| t.id)
                .collect();
            let (p, g) = (
                normalize(&pred, table, Level::Technique),
                normalize(&d.gold, table, Level::Technique),
            );
            let gp = parents(&g);
            let inside = restrict(&p, &space);
            s.technique.add(score(&p, &g, None));
            s.parent.add(score(&parents(&p), &gp, None));
            s.technique_in_space.add(score(&inside, &g, None));
            s.parent_in_space.add(score(&parents(&inside), &gp, None));
        }
        results.push((name.clone(), s));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let rows: Vec<Value> = results
            .iter()
            .flat_map(|(name, s)| {
                [
                    ("technique", "all", s.technique),
                    ("parent", "all", s.parent),
                    ("technique", "label-space", s.technique_in_space),
                    ("parent", "label-space", s.parent_in_space),
                ]
                .map(|(level, scope, c)| {
                    serde_json::json!({
                        "layers": name, "level": level, "predictions": scope,
                        "precision": c.precision(), "recall": c.recall(), "f1": c.f1(),
                        "f0_5": c.f_beta(0.5), "tp": c.tp, "fp": c.fp, "fn": c.fn_,
                    })
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::json!({"documents": docs.len(), "cv_folds": args.cv, "scores": rows})
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{} documents; document-level micro scores. \"label space\": only predicted technique IDs that occur somewhere in the file's labels count (parents lifted after that).\n",
        docs.len()
    )?;
    if let Some(k) = args.cv {
        let rules: Vec<String> = models
            .iter()
            .map(|m| format!("({:.2}, {:.2})", m.threshold, m.support))
            .collect();
        writeln!(
            out,
            "{k}-fold cross-validation by document (document i in fold i mod {k}): each fold scored with a sentence model trained on the other folds' sentences and the procedure examples; combiner, threshold and support fitted on the other folds' out-of-fold predictions. (threshold, support) per fold: {}.\n",
            rules.join(", ")
        )?;
    }
    writeln!(
        out,
        "| layers | level | predictions | P | R | F1 | F0.5 | TP | FP | FN |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")?;
    for (name, s) in &results {
        for (level, scope, c) in [
            ("technique", "all", s.technique),
            ("parent", "all", s.parent),
            ("technique", "label space", s.technique_in_space),
            ("parent", "label space", s.parent_in_space),
        ] {
            writeln!(out, "| {name} | {level} | {scope} | {} |", c.table_cells())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One JSON line per document: its gold IDs and every emitted technique with the layers
/// behind it and its best evidence sentence.
fn write_predictions<'m>(
    path: &PathBuf,
    docs: &[Labelled],
    kb: &huntbrief_core::attack::AttackKb,
    layers: Layers,
    model_of: impl Fn(usize) -> &'m Model,
) -> Result<()> {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        let hits: Vec<Value> = infer_with(&d.text, kb, layers, model_of(i))
            .into_iter()
            .map(|t| {
                let mut layers: Vec<String> =
                    t.details.iter().map(|e| format!("{:?}", e.layer)).collect();
                layers.sort_unstable();
                layers.dedup();
                serde_json::json!({
                    "id": t.id, "layers": layers,
                    "evidence": t.details.first().map(|e| e.sentence.as_str()),
                })
            })
            .collect();
        let line = serde_json::json!({"doc_id": d.doc_id, "gold": d.gold, "predicted": hits});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

/// `doc_id -> groups` from a labels file (`#` comments and a `doc_id` header skipped).
fn read_labels(raw: &str) -> Result<std::collections::HashMap<String, Vec<String>>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (n, line) in raw.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() || line.starts_with("doc_id\t") {
            continue;
        }
        let Some((doc, group)) = line.split_once('\t') else {
            bail!("labels line {}: want `doc_id<TAB>group`", n + 1);
        };
        out.entry(doc.to_owned())
            .or_default()
            .push(group.trim().to_owned());
    }
    Ok(out)
}

fn actors(args: ActorsArgs) -> Result<ExitCode> {
    use huntbrief_core::{Article, Body, NameRole, analyze};
    let kb = crate::kb::load(args.data.as_deref())?;
    let labels = args
        .labels
        .as_ref()
        .map(|p| {
            fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))
                .and_then(|raw| read_labels(&raw))
        })
        .transpose()?;
    let raw = fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "| report | group | found as | role |")?;
    writeln!(out, "|---|---|---|---|")?;
    let (mut total, mut found, mut attributed, mut first) = (0usize, 0usize, 0usize, 0usize);
    for (n, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not JSON", args.file.display(), n + 1))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let doc_id = s("doc_id");
        let gold: Vec<String> = match &labels {
            Some(l) => l.get(&doc_id).cloned().unwrap_or_default(),
            None => v
                .get("groups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        };
        if gold.is_empty() {
            continue;
        }
        let b = analyze(
            &Article {
                title: s("title"),
                url: None,
                sources: Vec::new(),
                published: None,
                text: s("text"),
                body: Body::Full,
            },
            &kb,
        );
        for g in &gold {
            total += 1;
            let hit = b.actors.iter().find(|a| a.attack_id.as_deref() == Some(g));
            if let Some(a) = hit {
                found += 1;
                attributed += usize::from(a.role == NameRole::Attributed);
            }
            // Listed first: the briefing leads with the report's own group.
            first += usize::from(b.actors.first().and_then(|a| a.attack_id.as_deref()) == Some(g));
            let title: String = s("title").chars().take(60).collect();
            writeln!(
                out,
                "| {title} | {g} | {} | {} |",
                hit.map_or("—", |a| a.name.as_str()),
                hit.map_or("—", |a| a.role.as_str())
            )?;
        }
    }
    if total == 0 {
        bail!("no labelled documents in {}", args.file.display());
    }
    let pct = |k: usize| 100.0 * k as f64 / total as f64;
    writeln!(
        out,
        "\nReport's group found (mapped to its G-ID): {found}/{total} = {:.1}%; as the attributed actor: {attributed}/{total} = {:.1}%; listed first: {first}/{total} = {:.1}%",
        pct(found),
        pct(attributed),
        pct(first)
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_selection() {
        assert_eq!(layers_of(&[]), Layers::ALL);
        let l = layers_of(&[Layer::Patterns]);
        assert!(l.patterns && !l.ids && !l.model);
    }

    #[test]
    fn reads_labelled_lines_and_rejects_bad_ones() {
        let dir = std::env::temp_dir().join(format!("hb-eval-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.jsonl");
        fs::write(&good, "{\"text\": \"a\", \"techniques\": [\"T1105\"]}\n\n").unwrap();
        let docs = read(&good).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].gold, ["T1105"]);
        let bad = dir.join("bad.jsonl");
        fs::write(&bad, "{\"text\": \"a\"}\n").unwrap();
        assert!(read(&bad).is_err());
        fs::write(&bad, "").unwrap();
        assert!(read(&bad).is_err());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn cross_validation_needs_the_documents_sentences() {
        let dir = std::env::temp_dir().join(format!("hb-eval-cv-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("docs.jsonl");
        fs::write(
            &file,
            "{\"doc_id\": \"a\", \"text\": \"x\", \"techniques\": []}\n",
        )
        .unwrap();
        let args = |cv| AttackArgs {
            file: file.clone(),
            layers: vec![],
            ablation: false,
            json: false,
            data: None,
            cv,
            sentences: None,
            procedures: None,
            predictions: None,
        };
        let kb = huntbrief_core::attack::AttackKb::embedded();
        // Without --cv the shipped model scores every document.
        assert!(fold_models(&args(None), &kb).unwrap().is_empty());
        // With it, a missing sentences file, or one naming none of the documents, is an error.
        let err = fold_models(&args(Some(2)), &kb).unwrap_err().to_string();
        assert!(err.contains("attack-dev-sentences.jsonl"), "{err}");
        fs::write(
            dir.join("attack-dev-sentences.jsonl"),
            "{\"doc_id\": \"b\", \"text\": \"y\"}\n",
        )
        .unwrap();
        fs::write(dir.join("attack-procedures-v15.jsonl"), "").unwrap();
        let err = fold_models(&args(Some(2)), &kb).unwrap_err().to_string();
        assert!(err.contains("no sentences"), "{err}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn reads_actor_labels() {
        let l = read_labels("# c\ndoc_id\tgroup\nA report\tG0016\nA report\tG0007\n").unwrap();
        assert_eq!(l["A report"], ["G0016", "G0007"]);
        assert!(read_labels("no tab here").is_err());
    }
}
