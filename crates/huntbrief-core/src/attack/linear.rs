//! The linear layer: one-vs-rest logistic regression over hashed sentence n-grams, plus a
//! small document-level combiner per technique ("one strong sentence or two weaker ones",
//! learned). Trained offline by `cargo run --release -p huntbrief-core --example
//! attack_train`; shipped as the text file `data/attack/model.txt`.
//!
//! File format (line-oriented, `#` comments):
//! ```text
//! model 1 buckets=1048576 threshold=0.62
//! combine w1 w2 ... w6          (document combiner weights, shared by all classes)
//! class T1027 bias=-4.1 doc_bias=0.3
//! w <bucket>:<weight> <bucket>:<weight> ...   (weights of the class above, sorted)
//! ```

use std::fmt::Write as _;

use super::features::{BUCKETS, features};
use crate::kb::KbError;

/// Number of document features the combiner sees per class (see [`doc_features`]).
pub const DOC_FEATURES: usize = 6;

#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    pub id: String,
    pub bias: f32,
    /// Per-technique intercept of the document combiner (its own threshold).
    pub doc_bias: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub classes: Vec<Class>,
    /// Shared weights of the document combiner.
    pub combine: [f32; DOC_FEATURES],
    /// Document probability from which a technique is emitted.
    pub threshold: f32,
    /// Fraction of the threshold from which the model backs another layer's weak hit.
    pub support: f32,
    /// Entries of bucket `b` are `entries[starts[b]..starts[b + 1]]`: one lookup per
    /// feature (4 MB of offsets buys a third of the scoring time).
    starts: Vec<u32>,
    entries: Vec<(u16, f32)>,
}

impl Model {
    pub const FILE: &'static str = "attack/model.txt";

    /// A model from per-class sparse weights `(bucket, weight)`.
    pub fn new(
        classes: Vec<Class>,
        weights: &[Vec<(u32, f32)>],
        combine: [f32; DOC_FEATURES],
        threshold: f32,
        support: f32,
    ) -> Self {
        let mut flat: Vec<(u32, u16, f32)> = Vec::new();
        for (c, ws) in weights.iter().enumerate() {
            for &(b, w) in ws {
                if w != 0.0 {
                    flat.push((b, c as u16, w));
                }
            }
        }
        flat.sort_by_key(|a| (a.0, a.1));
        let mut starts = vec![0u32; BUCKETS as usize + 1];
        for &(b, _, _) in &flat {
            starts[b as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let entries: Vec<(u16, f32)> = flat.into_iter().map(|(_, c, w)| (c, w)).collect();
        Self {
            classes,
            combine,
            threshold,
            support,
            starts,
            entries,
        }
    }

    /// An empty model: no classes, scores nothing.
    pub fn empty() -> Self {
        Self::new(Vec::new(), &[], [0.0; DOC_FEATURES], 1.0, 1.0)
    }

    pub fn nonzero(&self) -> usize {
        self.entries.len()
    }

    /// Per-class probabilities of one sentence.
    pub fn score(&self, sentence: &str) -> Vec<f32> {
        let feats = features(sentence);
        self.score_features(&feats)
    }

    pub fn score_features(&self, feats: &[u32]) -> Vec<f32> {
        let mut z: Vec<f32> = self.classes.iter().map(|c| c.bias).collect();
        if !feats.is_empty() {
            let x = 1.0 / (feats.len() as f32).sqrt();
            for &f in feats {
                let b = f as usize;
                if b + 1 >= self.starts.len() {
                    continue;
                }
                let (start, end) = (self.starts[b] as usize, self.starts[b + 1] as usize);
                for &(c, w) in &self.entries[start..end] {
                    z[c as usize] += w * x;
                }
            }
        }
        z.into_iter().map(sigmoid).collect()
    }

    /// Document probability of class `c` from its sentence probabilities.
    pub fn doc_probability(&self, c: usize, sentence_probs: &[f32]) -> f32 {
        let f = doc_features(sentence_probs);
        let z = self.classes[c].doc_bias
            + self
                .combine
                .iter()
                .zip(f.iter())
                .map(|(w, x)| w * x)
                .sum::<f32>();
        sigmoid(z)
    }

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let bad = |n: usize, m: &str| KbError::invalid(Self::FILE, format!("line {n}: {m}"));
        let mut threshold = None;
        let mut support = None;
        let mut combine = None;
        let mut classes: Vec<Class> = Vec::new();
        let mut weights: Vec<Vec<(u32, f32)>> = Vec::new();
        for (n, line) in source.lines().enumerate() {
            let n = n + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            match parts.next() {
                Some("model") => {
                    if parts.next() != Some("1") {
                        return Err(bad(n, "unknown model version"));
                    }
                    for kv in parts {
                        match kv.split_once('=') {
                            Some(("buckets", v)) if v.parse() == Ok(BUCKETS) => {}
                            Some(("threshold", v)) => {
                                threshold = Some(parse_f32(v).ok_or_else(|| bad(n, "threshold"))?)
                            }
                            Some(("support", v)) => {
                                support = Some(parse_f32(v).ok_or_else(|| bad(n, "support"))?)
                            }
                            _ => return Err(bad(n, "bad model header")),
                        }
                    }
                }
                Some("combine") => {
                    let v: Vec<f32> = parts
                        .map(parse_f32)
                        .collect::<Option<_>>()
                        .ok_or_else(|| bad(n, "combine"))?;
                    combine = Some(
                        <[f32; DOC_FEATURES]>::try_from(v)
                            .map_err(|_| bad(n, "combine needs 6 weights"))?,
                    );
                }
                Some("class") => {
                    let id = parts.next().ok_or_else(|| bad(n, "class id"))?;
                    let mut bias = None;
                    let mut doc_bias = None;
                    for kv in parts {
                        match kv.split_once('=') {
                            Some(("bias", v)) => bias = parse_f32(v),
                            Some(("doc_bias", v)) => doc_bias = parse_f32(v),
                            _ => return Err(bad(n, "bad class field")),
                        }
                    }
                    classes.push(Class {
                        id: id.to_owned(),
                        bias: bias.ok_or_else(|| bad(n, "bias"))?,
                        doc_bias: doc_bias.ok_or_else(|| bad(n, "doc_bias"))?,
                    });
                    weights.push(Vec::new());
                }
                Some("w") => {
                    let ws = weights
                        .last_mut()
                        .ok_or_else(|| bad(n, "weights before class"))?;
                    for pair in parts {
                        let (b, w) = pair.split_once(':').ok_or_else(|| bad(n, "weight"))?;
                        let b: u32 = b.parse().map_err(|_| bad(n, "bucket"))?;
                        let w = parse_f32(w).ok_or_else(|| bad(n, "weight"))?;
                        if b >= BUCKETS {
                            return Err(bad(n, "bucket out of range"));
                        }
                        ws.push((b, w));
                    }
                }
                _ => return Err(bad(n, "unknown line")),
            }
        }
        let threshold = threshold.ok_or_else(|| bad(0, "no model header"))?;
        let combine = combine.ok_or_else(|| bad(0, "no combine line"))?;
        let mut ids: Vec<&str> = classes.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(bad(0, "a class is listed twice"));
        }
        if classes.len() > usize::from(u16::MAX) {
            return Err(bad(0, "too many classes"));
        }
        let support = support.ok_or_else(|| bad(0, "no support= in the model header"))?;
        Ok(Self::new(classes, &weights, combine, threshold, support))
    }

    /// The file text (weights rounded to 4 significant digits).
    pub fn to_text(&self, header: &str) -> String {
        let mut per_class: Vec<Vec<(u32, f32)>> = vec![Vec::new(); self.classes.len()];
        for b in 0..self.starts.len().saturating_sub(1) {
            let (start, end) = (self.starts[b] as usize, self.starts[b + 1] as usize);
            for &(c, w) in &self.entries[start..end] {
                per_class[c as usize].push((b as u32, w));
            }
        }
        let mut out = String::new();
        for line in header.lines() {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(
            out,
            "model 1 buckets={BUCKETS} threshold={} support={}",
            fmt(self.threshold),
            fmt(self.support)
        );
        let comb: Vec<String> = self.combine.iter().map(|w| fmt(*w)).collect();
        let _ = writeln!(out, "combine {}", comb.join(" "));
        for (c, class) in self.classes.iter().enumerate() {
            let _ = writeln!(
                out,
                "class {} bias={} doc_bias={}",
                class.id,
                fmt(class.bias),
                fmt(class.doc_bias)
            );
            for chunk in per_class[c].chunks(16) {
                let items: Vec<String> = chunk
                    .iter()
                    .map(|(b, w)| format!("{b}:{}", fmt(*w)))
                    .collect();
                let _ = writeln!(out, "w {}", items.join(" "));
            }
        }
        out
    }
}

fn parse_f32(s: &str) -> Option<f32> {
    s.parse::<f32>().ok().filter(|v| v.is_finite())
}

fn fmt(v: f32) -> String {
    let s = format!("{v:.4e}");
    // Shorter plain form when it round-trips to the same 4 significant digits.
    let plain = format!("{}", s.parse::<f32>().unwrap_or(v));
    if plain.len() <= s.len() { plain } else { s }
}

pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// What the document combiner sees of one class: the log of the three best sentence
/// probabilities, how many sentences pass 0.5 and 0.2 (log-scaled), and a constant-free
/// length term so long reports do not win by volume alone.
pub fn doc_features(probs: &[f32]) -> [f32; DOC_FEATURES] {
    let mut top = [0.0f32; 3];
    let mut over_half = 0u32;
    let mut over_fifth = 0u32;
    for &p in probs {
        if p > top[2] {
            top[2] = p;
            if top[2] > top[1] {
                top.swap(1, 2);
            }
            if top[1] > top[0] {
                top.swap(0, 1);
            }
        }
        over_half += u32::from(p > 0.5);
        over_fifth += u32::from(p > 0.2);
    }
    let l = |p: f32| (p + 1e-4).ln();
    [
        l(top[0]),
        l(top[1]),
        l(top[2]),
        (over_half as f32).ln_1p(),
        (over_fifth as f32).ln_1p(),
        (probs.len() as f32).ln_1p() / 4.0,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Model {
        let feats = features("dumped lsass");
        let w: Vec<(u32, f32)> = feats.iter().map(|&b| (b, 4.0)).collect();
        Model::new(
            vec![
                Class {
                    id: "T1003.001".into(),
                    bias: -3.0,
                    doc_bias: -2.0,
                },
                Class {
                    id: "T1105".into(),
                    bias: -2.0,
                    doc_bias: -2.0,
                },
            ],
            &[w, Vec::new()],
            [1.0, 0.5, 0.2, 0.0, 0.0, 0.0],
            0.5,
            0.8,
        )
    }

    #[test]
    fn scores_follow_the_weights() {
        let m = toy();
        let hit = m.score("They dumped LSASS memory.");
        let miss = m.score("The weather was fine.");
        assert!(hit[0] > 0.5 && miss[0] < 0.1, "{hit:?} {miss:?}");
        assert!((hit[1] - sigmoid(-2.0)).abs() < 1e-6);
        assert!(m.doc_probability(0, &[hit[0], 0.01]) > m.doc_probability(0, &[0.01, 0.01]));
    }

    #[test]
    fn text_round_trip_and_schema() {
        let m = toy();
        let text = m.to_text("test model");
        let again = Model::parse(&text).unwrap();
        assert_eq!(again.classes, m.classes);
        assert_eq!(again.nonzero(), m.nonzero());
        assert_eq!(again.score("dumped lsass"), m.score("dumped lsass"));
        for bad in [
            text.replace("model 1", "model 2"),
            text.replace("buckets=1048576", "buckets=12"),
            text.replace(" support=0.8", ""),
            text.replace("combine 1", "combine x"),
            text.replace("class T1105", "class T1003.001"),
            format!("w 1:1\n{text}"),
            format!("{text}\nw 99999999:1\n"),
            format!("{text}\nbogus\n"),
        ] {
            assert!(Model::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn doc_features_rank_the_top_three() {
        let f = doc_features(&[0.1, 0.9, 0.3, 0.6]);
        assert!((f[0] - (0.9f32 + 1e-4).ln()).abs() < 1e-6);
        assert!((f[1] - (0.6f32 + 1e-4).ln()).abs() < 1e-6);
        assert!((f[2] - (0.3f32 + 1e-4).ln()).abs() < 1e-6);
        assert!((f[3] - 3f32.ln()).abs() < 1e-6);
        assert!((f[4] - 4f32.ln()).abs() < 1e-6);
        let empty = doc_features(&[]);
        assert!(empty.iter().all(|x| x.is_finite()));
    }
}
