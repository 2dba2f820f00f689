//! ATT&CK technique inference with evidence, in three layers over the same sentences:
//!
//! 1. [`explicit`]: technique IDs the article writes, remapped through revocations;
//! 2. [`patterns`]: curated phrases and command lines per technique;
//! 3. [`linear`]: a hashed n-gram logistic model per technique with a learned
//!    document-level combiner.
//!
//! [`cues`] decides first which sentences count (not mitigation advice, reference lists,
//! or denials). A technique is emitted when one layer is sure or two agree, and always
//! with the sentences that show it. Names are current (`Parent: Sub`).

pub mod cues;
pub mod cv;
pub mod eval;
pub mod explicit;
pub mod features;
pub mod import;
pub mod linear;
pub mod matcher;
pub mod patterns;
pub mod subs;
pub mod table;
pub mod train;

use std::collections::{BTreeMap, HashSet};

pub use cues::{Cues, Polarity, Sentence};
pub use linear::Model;
pub use patterns::Patterns;
pub use table::Table;

use crate::kb::{EMBEDDED, KbError};
use crate::model::{Evidence, Layer, TechniqueHit};
use crate::text::collapse_whitespace;

/// Everything the technique stage knows.
#[derive(Debug)]
pub struct AttackKb {
    pub table: Table,
    pub cues: Cues,
    pub patterns: Patterns,
    pub model: Model,
    /// Narrative cues of kill-chain phases.
    pub phases: crate::killchain::PhaseCues,
    /// Every current technique name, lower-cased, one per line (`parent: sub` too).
    names: String,
}

impl AttackKb {
    pub const FILES: [&'static str; 6] = [
        Table::FILE,
        Table::TACTICS_FILE,
        Cues::FILE,
        Patterns::FILE,
        Model::FILE,
        crate::killchain::PhaseCues::FILE,
    ];

    pub fn parse(source: impl Fn(&'static str) -> String) -> Result<Self, KbError> {
        let table = Table::parse(&source(Table::FILE), &source(Table::TACTICS_FILE))?;
        let cues = Cues::parse(&source(Cues::FILE))?;
        let patterns = Patterns::parse(&source(Patterns::FILE), &table, &cues)?;
        let model = Model::parse(&source(Model::FILE))?;
        let phases =
            crate::killchain::PhaseCues::parse(&source(crate::killchain::PhaseCues::FILE), &cues)?;
        for c in &model.classes {
            if table.normalize(&c.id) != Some(c.id.as_str()) {
                return Err(KbError::invalid(
                    Model::FILE,
                    format!("class {} is not a current technique", c.id),
                ));
            }
        }
        let mut names = String::new();
        for t in table.techniques() {
            if t.status == table::Status::Active {
                names.push_str(&t.name.to_lowercase());
                names.push('\n');
                if let Some(full) = table.display_name(&t.id) {
                    names.push_str(&full.to_lowercase());
                    names.push('\n');
                }
            }
        }
        Ok(Self {
            table,
            cues,
            patterns,
            model,
            phases,
            names,
        })
    }

    /// The built-in knowledge (panics only if the shipped files are broken, which the
    /// schema tests rule out).
    pub fn embedded() -> Self {
        Self::parse(|name| EMBEDDED.get(name).unwrap_or_default().to_owned())
            .expect("embedded ATT&CK data files are valid")
    }
}

impl AttackKb {
    /// Whether a pattern matched only an ATT&CK technique name in a list or table row
    /// ("Process Injection [T1055]", "T1105 Ingress Tool Transfer"): a bare name is no
    /// evidence that the article's actor did anything.
    fn is_name_listing(&self, sentence: &str, matched: &str) -> bool {
        let m = crate::text::collapse_whitespace(matched).to_lowercase();
        if m.len() < 4 || !self.names.contains(&m) {
            return false;
        }
        let has_id = sentence
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
            .any(|w| table::is_technique_id(w.trim_end_matches('.')));
        let other_words = sentence
            .split_whitespace()
            .count()
            .saturating_sub(matched.split_whitespace().count());
        has_id || other_words < NAME_LISTING_WORDS
    }
}

/// A sentence with fewer words than this besides a technique name is a list entry.
const NAME_LISTING_WORDS: usize = 5;

/// Which layers take part (all, for briefings; the evaluation switches them one by one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    pub ids: bool,
    pub patterns: bool,
    pub model: bool,
}

impl Layers {
    pub const ALL: Self = Self {
        ids: true,
        patterns: true,
        model: true,
    };
}

/// A pattern at or above this score is sure on its own; weaker ones need a second
/// sentence or another layer.
const STRONG_PATTERN: f32 = 0.8;
/// Hedged sentences ("could", "may") count at this fraction of their score.
const HEDGE_FACTOR: f32 = 0.6;
/// At most this many evidence sentences per technique.
const MAX_EVIDENCE: usize = 3;
/// A model sentence is shown as evidence from this probability.
const MODEL_EVIDENCE: f32 = 0.2;
/// Document probabilities below this are not even candidates.
const MIN_MODEL_CANDIDATE: f32 = 0.05;

/// The techniques `text` describes, each with its evidence sentences.
pub fn infer(text: &str, kb: &AttackKb) -> Vec<TechniqueHit> {
    infer_layers(text, kb, Layers::ALL)
}

pub fn infer_layers(text: &str, kb: &AttackKb, layers: Layers) -> Vec<TechniqueHit> {
    infer_with(text, kb, layers, &kb.model)
}

/// Inference with another sentence model in place of the knowledge base's (training and
/// cross-validation use it).
pub fn infer_with(text: &str, kb: &AttackKb, layers: Layers, model: &Model) -> Vec<TechniqueHit> {
    let rule = Decision {
        layers,
        threshold: model.threshold,
        support: model.support,
    };
    subs::settle(candidates(text, kb, layers, model), rule)
        .into_iter()
        .filter_map(|c| c.into_hit(kb, rule))
        .collect()
}

/// What each layer found for one technique in one document, before the decision.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub id: String,
    /// An ID the author wrote in an asserting sentence, list entry or table row.
    pub id_strong: bool,
    /// An ID written anywhere (hedged sentences included).
    pub id_weak: bool,
    /// A pattern at or above [`STRONG_PATTERN`] in an asserting sentence.
    pub pattern_strong: bool,
    /// Sentences with a pattern hit.
    pub pattern_sentences: usize,
    pub pattern_best: f32,
    /// The model's document probability.
    pub model_p: f32,
    pub evidence: Vec<Evidence>,
}

/// How candidates become techniques: which layers count, the model's threshold, and the
/// fraction of it at which the model backs another layer's weak evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub layers: Layers,
    pub threshold: f32,
    pub support: f32,
}

impl Decision {
    /// One layer sure, or two agreeing: a descriptive ID, a strong pattern, the model over
    /// its threshold, weak patterns in two sentences, or a weak hit the model backs.
    pub fn emits(&self, c: &Candidate) -> bool {
        let l = self.layers;
        let model_emit = l.model && c.model_p >= self.threshold;
        let model_support = l.model && c.model_p >= self.threshold * self.support;
        let id_strong = l.ids && c.id_strong;
        let id_weak = l.ids && c.id_weak;
        let pattern_strong = l.patterns && c.pattern_strong;
        let pattern_any = l.patterns && c.pattern_sentences > 0;
        let pattern_two = l.patterns && c.pattern_sentences >= 2;
        id_strong
            || pattern_strong
            || model_emit
            || pattern_two
            || (id_weak && (pattern_any || model_support))
            || (pattern_any && model_support)
    }
}

impl Candidate {
    fn into_hit(self, kb: &AttackKb, rule: Decision) -> Option<TechniqueHit> {
        let t = kb.table.get(&self.id)?;
        let l = rule.layers;
        let mut doubt = 1.0f32;
        if l.ids && self.id_strong {
            doubt *= 0.1;
        } else if l.ids && self.id_weak {
            doubt *= 0.5;
        }
        if l.patterns {
            doubt *= 1.0 - self.pattern_best;
        }
        if l.model {
            doubt *= 1.0 - self.model_p;
        }
        let confidence = ((1.0 - doubt) * 100.0).round() / 100.0;
        let mut details: Vec<Evidence> = self
            .evidence
            .into_iter()
            .filter(|e| match e.layer {
                Layer::Id => l.ids,
                Layer::Pattern => l.patterns,
                Layer::Model => l.model,
            })
            .collect();
        // Best evidence first; one entry per sentence.
        details.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.layer.cmp(&b.layer))
                .then(a.start.cmp(&b.start))
        });
        let mut seen = HashSet::new();
        details.retain(|e| seen.insert(e.start));
        details.truncate(MAX_EVIDENCE);
        if details.is_empty() {
            return None;
        }
        Some(TechniqueHit {
            name: kb
                .table
                .display_name(&self.id)
                .unwrap_or_else(|| t.name.clone()),
            tactics: t.tactics.clone(),
            confidence,
            evidence: details.iter().map(|e| e.sentence.clone()).collect(),
            details,
            id: self.id,
        })
    }
}

/// Every technique any enabled layer has something on, with what it found.
pub fn candidates(text: &str, kb: &AttackKb, layers: Layers, model: &Model) -> Vec<Candidate> {
    let sents = kb.cues.sentences(text);
    let mut found: BTreeMap<String, Candidate> = BTreeMap::new();
    let sentence_text = |i: usize| clip(&text[sents[i].range.clone()]);
    let evidence = |i: usize, layer: Layer, score: f32, matched: Option<String>| Evidence {
        sentence: sentence_text(i),
        start: sents[i].range.start,
        end: sents[i].range.end,
        layer,
        score,
        matched,
    };

    let id_hits = explicit::find(text, &sents, &kb.table);
    // Rows of an ATT&CK mapping (an ID with little else) speak through their ID only: the
    // tactic and technique names beside it are labels, not behaviour.
    let mapping_rows = mapping_rows(&id_hits);
    // A document listing more techniques than any one intrusion shows is a catalogue (an
    // actor's whole ATT&CK profile): its list entries are weak evidence.
    let listed: HashSet<&str> = id_hits
        .iter()
        .filter(|h| !h.descriptive)
        .map(|h| h.id.as_str())
        .collect();
    let catalogue = listed.len() > CATALOGUE_IDS;
    if layers.ids {
        // One evidence entry per technique and sentence, at most MAX_EVIDENCE per technique:
        // a sentence repeating an ID thousands of times must not be copied as often.
        let mut shown: HashSet<(String, usize)> = HashSet::new();
        for h in &id_hits {
            let f = found.entry(h.id.clone()).or_insert_with(|| Candidate {
                id: h.id.clone(),
                ..Candidate::default()
            });
            let before = (f.id_strong, f.id_weak);
            f.id_strong |= !h.hedged && (h.descriptive || !catalogue);
            f.id_weak = true;
            let id_evidence = f.evidence.iter().filter(|e| e.layer == Layer::Id).count();
            let upgrade = before != (f.id_strong, f.id_weak);
            if !upgrade
                && (id_evidence >= MAX_EVIDENCE || !shown.insert((h.id.clone(), h.sentence)))
            {
                continue;
            }
            let score = match (h.hedged, h.descriptive) {
                (true, _) => 0.5,
                (false, true) => 0.9,
                (false, false) => 0.8,
            };
            f.evidence.push(evidence(
                h.sentence,
                Layer::Id,
                score,
                Some(text[h.range.clone()].to_owned()),
            ));
        }
    }
    if layers.patterns {
        let hits: Vec<_> = kb
            .patterns
            .hits(text, &sents, &kb.cues)
            .into_iter()
            .filter(|h| h.polarity <= Polarity::Hedged && !sents[h.sentence].no_claim)
            .filter(|h| !mapping_rows.contains(&h.sentence) && !sents[h.sentence].label)
            .collect();
        // A sentence that shows a sub-technique is evidence for it, not for its parent.
        let sub_in: HashSet<(usize, &str)> = hits
            .iter()
            .filter(|h| h.id.contains('.'))
            .map(|h| (h.sentence, table::parent_of(&h.id)))
            .collect();
        let mut sentences_of: HashSet<(&str, usize)> = HashSet::new();
        for h in &hits {
            if sub_in.contains(&(h.sentence, h.id.as_str())) {
                continue;
            }
            let matched = &text[h.range.clone()];
            if kb.is_name_listing(&text[sents[h.sentence].range.clone()], matched) {
                continue;
            }
            let score = if h.polarity == Polarity::Hedged {
                h.score * HEDGE_FACTOR
            } else {
                h.score
            };
            let f = found.entry(h.id.clone()).or_insert_with(|| Candidate {
                id: h.id.clone(),
                ..Candidate::default()
            });
            f.pattern_strong |= score >= STRONG_PATTERN;
            if sentences_of.insert((h.id.as_str(), h.sentence)) {
                f.pattern_sentences += 1;
            }
            f.pattern_best = f.pattern_best.max(score);
            f.evidence.push(evidence(
                h.sentence,
                Layer::Pattern,
                score,
                Some(matched.to_owned()),
            ));
        }
    }
    if layers.model && !model.classes.is_empty() {
        let probs = sentence_probabilities(text, &sents, &mapping_rows, model);
        let mut col: Vec<f32> = Vec::with_capacity(probs.len());
        for (c, class) in model.classes.iter().enumerate() {
            col.clear();
            col.extend(probs.iter().map(|(_, p)| p[c]));
            let q = model.doc_probability(c, &col);
            // So unlikely that no decision would use it.
            if q < MIN_MODEL_CANDIDATE && !found.contains_key(&class.id) {
                continue;
            }
            let f = found.entry(class.id.clone()).or_insert_with(|| Candidate {
                id: class.id.clone(),
                ..Candidate::default()
            });
            f.model_p = q;
            let mut best: Vec<(usize, f32)> = probs
                .iter()
                .map(|(i, p)| (*i, p[c]))
                .filter(|(_, p)| *p >= MODEL_EVIDENCE)
                .collect();
            if best.is_empty() {
                // The combiner may fire on diffuse evidence; show the best sentence anyway.
                if let Some(top) = probs
                    .iter()
                    .map(|(i, p)| (*i, p[c]))
                    .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                {
                    best.push(top);
                }
            }
            best.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            for (i, p) in best.into_iter().take(MAX_EVIDENCE) {
                f.evidence.push(evidence(i, Layer::Model, p, None));
            }
        }
    }
    found.into_values().collect()
}

/// A document whose list entries name more techniques than this is a catalogue.
const CATALOGUE_IDS: usize = 60;

/// Evidence longer than this is cut (a "sentence" can be a whole unpunctuated page).
pub const MAX_EVIDENCE_CHARS: usize = 600;

/// The sentence as evidence: whitespace collapsed, at most [`MAX_EVIDENCE_CHARS`] bytes.
fn clip(sentence: &str) -> String {
    let mut s =
        collapse_whitespace(&sentence[..sentence.floor_char_boundary(4 * MAX_EVIDENCE_CHARS)]);
    if s.len() > MAX_EVIDENCE_CHARS {
        s.truncate(s.floor_char_boundary(MAX_EVIDENCE_CHARS));
        s.push('…');
    }
    s
}

/// Per class, the model probabilities of the sentences inference scores in `text` (what
/// the document combiner sees).
pub(crate) fn model_columns(text: &str, kb: &AttackKb, model: &Model) -> Vec<Vec<f32>> {
    let sents = kb.cues.sentences(text);
    let rows = mapping_rows(&explicit::find(text, &sents, &kb.table));
    let mut cols = vec![Vec::new(); model.classes.len()];
    for (_, p) in sentence_probabilities(text, &sents, &rows, model) {
        for (c, x) in p.into_iter().enumerate() {
            cols[c].push(x);
        }
    }
    cols
}

/// Sentences holding a list entry's ID: rows of an ATT&CK mapping.
fn mapping_rows(id_hits: &[explicit::IdHit]) -> HashSet<usize> {
    id_hits
        .iter()
        .filter(|h| !h.descriptive)
        .map(|h| h.sentence)
        .collect()
}

/// Model probabilities of the sentences that can carry a claim: (sentence index, per class).
/// Mapping rows are left out: a row's technique name is no independent second opinion.
pub(crate) fn sentence_probabilities(
    text: &str,
    sents: &[Sentence],
    mapping_rows: &HashSet<usize>,
    model: &Model,
) -> Vec<(usize, Vec<f32>)> {
    sents
        .iter()
        .enumerate()
        .filter(|(i, s)| s.in_scope && !s.no_claim && !s.label && !mapping_rows.contains(i))
        .map(|(i, s)| (i, model.score(&text[s.range.clone()])))
        .collect()
}

#[cfg(test)]
mod tests;
