//! Fitting the linear layer on labelled documents, and cross-validating it by document
//! (used by the `attack_train` example and `huntbrief eval attack --cv`; never at
//! inference). Everything here is deterministic: the same corpus gives the same models.
//!
//! A fold's model is trained on the other folds' sentences only; its document combiner,
//! threshold and support fraction are fitted on out-of-fold predictions, so no score a
//! fold reports comes from a document its model saw. [`nested_model`] fits combiner and
//! threshold by an inner cross-validation (what ships); [`fold_models`] reuses one set of
//! K fold models for all of it, K trainings instead of K × (K + 1).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::eval::{Counts, restrict, score};
use super::features::features;
use super::linear::{Class, DOC_FEATURES, Model, doc_features};
use super::train::{DocPair, Example, FtrlParams, fit_combiner, train_sentences};
use super::{AttackKb, Candidate, Decision, Layers, candidates};

/// One labelled document (IDs normalised to the current release).
#[derive(Debug, Clone)]
pub struct Doc {
    pub text: String,
    pub gold: Vec<String>,
}

/// One training sentence of a document, or an annotated span inside one.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Index into [`Corpus::docs`].
    pub doc: usize,
    pub features: Vec<u32>,
    pub labels: Vec<String>,
    /// An annotated span rather than a whole sentence (extra positives).
    pub span: bool,
}

/// Documents, their training sentences, and document-free training text (ATT&CK
/// procedure examples: features and labels).
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub docs: Vec<Doc>,
    pub sents: Vec<Sent>,
    pub procs: Vec<(Vec<u32>, Vec<String>)>,
}

impl Corpus {
    /// Parses JSON lines: documents (`doc_id`, `text`, `techniques`), their annotated
    /// sentences (`doc_id`, `text`, `techniques`, `evidence`: `[{technique, span}]`) and
    /// procedure examples (`text`, `techniques`). Documents keep their order; sentences
    /// of unknown documents are skipped. IDs are normalised through the table.
    pub fn from_jsonl(
        documents: &str,
        sentences: &str,
        procedures: &str,
        table: &super::Table,
    ) -> Result<Self, String> {
        use serde_json::Value;
        let rows = |text: &str, what: &str| -> Result<Vec<Value>, String> {
            text.lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(n, l)| serde_json::from_str(l).map_err(|e| format!("{what}:{}: {e}", n + 1)))
                .collect()
        };
        let ids = |v: &Value| -> Vec<String> {
            let list: Vec<String> = v["techniques"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            super::eval::normalize(&list, table, super::eval::Level::Technique)
                .into_iter()
                .collect()
        };
        let text = |v: &Value| v["text"].as_str().unwrap_or_default().to_owned();
        let mut c = Corpus::default();
        let mut index: HashMap<String, usize> = HashMap::new();
        for v in rows(documents, "documents")? {
            let id = v["doc_id"].as_str().unwrap_or_default().to_owned();
            index.insert(id, c.docs.len());
            c.docs.push(Doc {
                text: text(&v),
                gold: ids(&v),
            });
        }
        for v in rows(sentences, "sentences")? {
            let Some(&doc) = index.get(v["doc_id"].as_str().unwrap_or_default()) else {
                continue;
            };
            c.sents.push(Sent {
                doc,
                features: features(&text(&v)),
                labels: ids(&v),
                span: false,
            });
            for e in v["evidence"].as_array().into_iter().flatten() {
                let (Some(t), Some(span)) = (e["technique"].as_str(), e["span"].as_str()) else {
                    continue;
                };
                c.sents.push(Sent {
                    doc,
                    features: features(span),
                    labels: ids(&serde_json::json!({ "techniques": [t] })),
                    span: true,
                });
            }
        }
        for v in rows(procedures, "procedures")? {
            c.procs.push((features(&text(&v)), ids(&v)));
        }
        Ok(c)
    }
}

/// Training parameters (the defaults are the shipped model's).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub params: FtrlParams,
    pub proc_weight: f32,
    pub span_weight: f32,
    /// Precision the decision rule must reach on out-of-fold documents.
    pub target: f32,
    /// A technique becomes a class when labelled in this many training documents.
    pub min_docs: usize,
    pub folds: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            params: FtrlParams::default(),
            proc_weight: 0.5,
            span_weight: 1.0,
            target: 0.82,
            min_docs: 2,
            folds: 5,
        }
    }
}

/// The documents of fold `k` of `folds` (by index) and the rest.
pub fn split(n: usize, folds: usize, k: usize) -> (Vec<usize>, BTreeSet<usize>) {
    let test = (0..n).filter(|i| i % folds == k).collect();
    let train = (0..n).filter(|i| i % folds != k).collect();
    (test, train)
}

/// Techniques labelled in at least `min_docs` of the given documents' sentences.
pub fn classes_for(corpus: &Corpus, docs: &BTreeSet<usize>, min_docs: usize) -> Vec<String> {
    let mut per: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for s in corpus.sents.iter().filter(|s| docs.contains(&s.doc)) {
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
    corpus: &Corpus,
    docs: &BTreeSet<usize>,
    classes: &[String],
    s: &Settings,
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
    let mut out: Vec<Example> = corpus
        .sents
        .iter()
        .filter(|x| docs.contains(&x.doc) && (!x.span || s.span_weight > 0.0))
        .map(|x| Example {
            features: x.features.clone(),
            labels: labels(&x.labels),
            weight: if x.span { s.span_weight } else { 1.0 },
        })
        .collect();
    if s.proc_weight > 0.0 {
        out.extend(corpus.procs.iter().map(|(f, ls)| Example {
            features: f.clone(),
            labels: labels(ls),
            weight: s.proc_weight,
        }));
    }
    out
}

/// The sentence model trained on `docs` (no combiner yet).
pub fn sentence_model(
    corpus: &Corpus,
    docs: &BTreeSet<usize>,
    classes: &[String],
    s: &Settings,
) -> Model {
    let w = train_sentences(
        &examples(corpus, docs, classes, s),
        classes.len(),
        &s.params,
    );
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

/// Combiner training pairs of `doc` under `model`, keyed by class ID.
fn pairs_of(kb: &AttackKb, model: &Model, doc: &Doc) -> Vec<(String, [f32; DOC_FEATURES], bool)> {
    let gold: BTreeSet<&String> = doc.gold.iter().collect();
    super::model_columns(&doc.text, kb, model)
        .into_iter()
        .zip(&model.classes)
        .map(|(probs, class)| {
            (
                class.id.clone(),
                doc_features(&probs),
                gold.contains(&class.id),
            )
        })
        .collect()
}

/// Fits the combiner on `pairs` and sets it (and per-class intercepts) on `model`.
fn combine(model: &mut Model, pairs: &[&(String, [f32; DOC_FEATURES], bool)]) -> (Vec<f32>, f32) {
    let ids: BTreeSet<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let fit: Vec<DocPair> = pairs
        .iter()
        .map(|p| DocPair {
            class: index[p.0.as_str()],
            features: p.1,
            label: p.2,
        })
        .collect();
    let (w, b0, d) = fit_combiner(&fit, ids.len());
    for class in &mut model.classes {
        class.doc_bias = b0 + index.get(class.id.as_str()).map_or(0.0, |&i| d[i]);
    }
    model.combine = w;
    (d, b0)
}

/// The model threshold and support fraction at which the whole pipeline reaches the
/// target precision with the most recall on `per_doc` (candidates and gold), precision
/// measured inside `space` (what the annotators could have labelled).
fn choose_rule(
    per_doc: &[(Vec<Candidate>, BTreeSet<String>)],
    space: &BTreeSet<String>,
    target: f32,
) -> (f32, f32, Counts) {
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
            for (cands, gold) in per_doc {
                c.add(score(&restrict(&decide(cands, rule), space), gold, None));
            }
            if c.precision() >= f64::from(target) && best.is_none_or(|b| c.recall() > b.2.recall())
            {
                best = Some((t, s, c));
            }
            if most_precise.is_none_or(|b| c.precision() > b.2.precision()) {
                most_precise = Some((t, s, c));
            }
        }
    }
    best.or(most_precise)
        .unwrap_or((1.0, 1.0, Counts::default()))
}

/// The techniques `rule` emits from `cands`.
pub fn decide(cands: &[Candidate], rule: Decision) -> BTreeSet<String> {
    super::subs::settled_ids(cands, rule)
}

fn gold_space(corpus: &Corpus, docs: impl Iterator<Item = usize>) -> BTreeSet<String> {
    docs.flat_map(|d| corpus.docs[d].gold.iter().cloned())
        .collect()
}

/// The model as it would ship if trained on `docs`: combiner and decision rule from an
/// inner cross-validation over them, sentence weights from all of them. Also returns the
/// inner out-of-fold counts at the chosen rule.
pub fn nested_model(
    corpus: &Corpus,
    kb: &AttackKb,
    docs: &BTreeSet<usize>,
    s: &Settings,
) -> (Model, Counts) {
    let classes = classes_for(corpus, docs, s.min_docs);
    let list: Vec<usize> = docs.iter().copied().collect();
    let inner = s.folds.min(list.len()).max(2);
    let mut pairs = Vec::new();
    let mut oof: Vec<(Model, Vec<usize>)> = Vec::new();
    for k in 0..inner {
        let (test_pos, train_pos) = split(list.len(), inner, k);
        let test: Vec<usize> = test_pos.iter().map(|&i| list[i]).collect();
        let train: BTreeSet<usize> = train_pos.iter().map(|&i| list[i]).collect();
        let m = sentence_model(corpus, &train, &classes, s);
        for &d in &test {
            pairs.extend(pairs_of(kb, &m, &corpus.docs[d]));
        }
        oof.push((m, test));
    }
    let refs: Vec<_> = pairs.iter().collect();
    let mut per_doc = Vec::new();
    for (m, test) in &mut oof {
        combine(m, &refs);
        for &d in test.iter() {
            let gold = corpus.docs[d].gold.iter().cloned().collect();
            per_doc.push((candidates(&corpus.docs[d].text, kb, Layers::ALL, m), gold));
        }
    }
    let (threshold, support, counts) = choose_rule(
        &per_doc,
        &gold_space(corpus, docs.iter().copied()),
        s.target,
    );
    let mut model = sentence_model(corpus, docs, &classes, s);
    combine(&mut model, &refs);
    model.threshold = threshold;
    model.support = support;
    (model, counts)
}

/// One model per fold `k` of `s.folds` (documents by index): sentence weights from the
/// other folds; combiner and decision rule fitted on the other folds' out-of-fold
/// predictions (each made by a model that never saw that document). The sentence models
/// behind those predictions did see fold `k`'s sentences, a weaker separation than
/// [`nested_model`]'s, bought for K trainings instead of K × (K + 1).
pub fn fold_models(corpus: &Corpus, kb: &AttackKb, s: &Settings) -> Vec<Model> {
    let n = corpus.docs.len();
    let folds = s.folds.clamp(2, n.max(2));
    let mut models = Vec::with_capacity(folds);
    // Out-of-fold combiner pairs of each document, by document.
    let mut pairs: Vec<Vec<(String, [f32; DOC_FEATURES], bool)>> = vec![Vec::new(); n];
    for k in 0..folds {
        let (test, train) = split(n, folds, k);
        let classes = classes_for(corpus, &train, s.min_docs);
        let m = sentence_model(corpus, &train, &classes, s);
        for &d in &test {
            pairs[d] = pairs_of(kb, &m, &corpus.docs[d]);
        }
        models.push(m);
    }
    let mut out = Vec::with_capacity(folds);
    for k in 0..folds {
        let (_, train) = split(n, folds, k);
        let refs: Vec<_> = train.iter().flat_map(|&d| &pairs[d]).collect();
        // The decision rule, chosen on the other folds' documents, each scored by its own
        // out-of-fold sentence model under this fold's combiner.
        let mut per_doc = Vec::new();
        for &d in &train {
            let mut m = models[d % folds].clone();
            combine(&mut m, &refs);
            let gold = corpus.docs[d].gold.iter().cloned().collect();
            per_doc.push((candidates(&corpus.docs[d].text, kb, Layers::ALL, &m), gold));
        }
        let (threshold, support, _) = choose_rule(
            &per_doc,
            &gold_space(corpus, train.iter().copied()),
            s.target,
        );
        let mut m = models[k].clone();
        combine(&mut m, &refs);
        m.threshold = threshold;
        m.support = support;
        out.push(m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twelve short reports, two techniques, written for this test.
    fn corpus() -> Corpus {
        let mut c = Corpus::default();
        for i in 0..12 {
            let (text, gold) = if i % 2 == 0 {
                (
                    format!(
                        "Report {i}. The operators dumped lsass memory on host{i} with procdump."
                    ),
                    vec!["T1003.001".to_owned()],
                )
            } else {
                (
                    format!(
                        "Report {i}. The weather on day {i} was sunny and the market was calm."
                    ),
                    vec![],
                )
            };
            for sentence in text.split(". ") {
                c.sents.push(Sent {
                    doc: i,
                    features: features(sentence),
                    labels: if sentence.contains("lsass") {
                        gold.clone()
                    } else {
                        vec![]
                    },
                    span: false,
                });
            }
            c.docs.push(Doc { text, gold });
        }
        c
    }

    #[test]
    fn fold_models_are_deterministic_and_never_train_on_their_fold() {
        let kb = AttackKb::embedded();
        let c = corpus();
        let s = Settings {
            folds: 3,
            proc_weight: 0.0,
            ..Settings::default()
        };
        let a = fold_models(&c, &kb, &s);
        let b = fold_models(&c, &kb, &s);
        assert_eq!(a.len(), 3);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.to_text("h"), y.to_text("h"));
            assert!((0.3..=0.95).contains(&x.threshold));
        }
        // A fold's classes come from the other folds only.
        let (_, train) = split(c.docs.len(), 3, 0);
        assert_eq!(classes_for(&c, &train, 2), ["T1003.001"]);
        let none: BTreeSet<usize> = [1, 3, 5].into();
        assert!(classes_for(&c, &none, 1).is_empty());
    }
}
