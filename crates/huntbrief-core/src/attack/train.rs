//! Offline training of the linear layer (used by the `attack_train` example, never at
//! inference): FTRL-proximal logistic regression per technique over hashed sentence
//! features (L1 keeps the weights sparse, so the shipped file stays small), then the
//! document combiner, fitted on out-of-fold sentence probabilities. Deterministic: the
//! example order comes from a seeded generator.

use std::collections::HashMap;

use super::linear::{DOC_FEATURES, sigmoid};

/// One training sentence.
#[derive(Debug, Clone)]
pub struct Example {
    /// Sorted, deduplicated feature buckets ([`super::features::features`]).
    pub features: Vec<u32>,
    /// Class indices this sentence shows.
    pub labels: Vec<u16>,
    pub weight: f32,
}

#[derive(Debug, Clone, Copy)]
pub struct FtrlParams {
    pub alpha: f32,
    pub beta: f32,
    pub l1: f32,
    pub l2: f32,
    pub epochs: usize,
    /// Extra weight of positive examples (classes are rare).
    pub positive_weight: f32,
    pub seed: u64,
}

impl Default for FtrlParams {
    fn default() -> Self {
        Self {
            alpha: 0.2,
            beta: 1.0,
            l1: 1.0,
            l2: 1.0,
            epochs: 6,
            positive_weight: 3.0,
            seed: 0x5eed,
        }
    }
}

/// Trained sentence weights: per class its bias and sparse `(bucket, weight)` list.
pub struct SentenceWeights {
    pub bias: Vec<f32>,
    pub weights: Vec<Vec<(u32, f32)>>,
}

/// A small deterministic generator (xorshift64*), for the example order only.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

struct Ftrl {
    z: Vec<f32>,
    n: Vec<f32>,
}

impl Ftrl {
    fn weight(&self, i: usize, p: &FtrlParams, l1: f32) -> f32 {
        let z = self.z[i];
        if z.abs() <= l1 {
            0.0
        } else {
            -(z - z.signum() * l1) / ((p.beta + self.n[i].sqrt()) / p.alpha + p.l2)
        }
    }
    fn update(&mut self, i: usize, g: f32, w: f32, p: &FtrlParams) {
        let n = self.n[i];
        let sigma = ((n + g * g).sqrt() - n.sqrt()) / p.alpha;
        self.z[i] += g - sigma * w;
        self.n[i] = n + g * g;
    }
}

/// One-vs-rest FTRL logistic regression over `examples` for `classes` classes.
pub fn train_sentences(examples: &[Example], classes: usize, p: &FtrlParams) -> SentenceWeights {
    // Dense indices for the buckets that occur, so the state fits in memory.
    let mut dense: HashMap<u32, u32> = HashMap::new();
    for e in examples {
        for &f in &e.features {
            let next = dense.len() as u32;
            dense.entry(f).or_insert(next);
        }
    }
    let d = dense.len();
    let mut state = Ftrl {
        z: vec![0.0; d * classes],
        n: vec![0.0; d * classes],
    };
    let mut bias = Ftrl {
        z: vec![0.0; classes],
        n: vec![0.0; classes],
    };
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = Rng::new(p.seed);
    let mut idx: Vec<usize> = Vec::new();
    for _ in 0..p.epochs {
        rng.shuffle(&mut order);
        for &ei in &order {
            let e = &examples[ei];
            if e.features.is_empty() {
                continue;
            }
            idx.clear();
            idx.extend(e.features.iter().map(|f| dense[f] as usize * classes));
            let x = 1.0 / (idx.len() as f32).sqrt();
            for c in 0..classes {
                let wb = bias.weight(c, p, 0.0);
                let mut z = wb;
                for &base in &idx {
                    z += state.weight(base + c, p, p.l1) * x;
                }
                let y = e.labels.contains(&(c as u16));
                let scale = e.weight * if y { p.positive_weight } else { 1.0 };
                let g = (sigmoid(z) - f32::from(u8::from(y))) * scale;
                if g.abs() < 1e-7 {
                    continue;
                }
                bias.update(c, g, wb, p);
                for &base in &idx {
                    let w = state.weight(base + c, p, p.l1);
                    state.update(base + c, g * x, w, p);
                }
            }
        }
    }
    let mut weights = vec![Vec::new(); classes];
    let mut buckets: Vec<(u32, u32)> = dense.into_iter().collect();
    buckets.sort_unstable();
    for (bucket, di) in buckets {
        for (c, ws) in weights.iter_mut().enumerate() {
            let w = state.weight(di as usize * classes + c, p, p.l1);
            if w != 0.0 {
                ws.push((bucket, w));
            }
        }
    }
    SentenceWeights {
        bias: (0..classes).map(|c| bias.weight(c, p, 0.0)).collect(),
        weights,
    }
}

/// One (document, class) pair for the combiner.
#[derive(Debug, Clone)]
pub struct DocPair {
    pub class: usize,
    pub features: [f32; DOC_FEATURES],
    pub label: bool,
}

/// Fits the document combiner: shared weights plus a per-class intercept shrunk toward a
/// common one (L2), by full-batch gradient descent.
pub fn fit_combiner(pairs: &[DocPair], classes: usize) -> ([f32; DOC_FEATURES], f32, Vec<f32>) {
    let mut w = [0.0f32; DOC_FEATURES];
    let mut b0 = 0.0f32;
    let mut d = vec![0.0f32; classes];
    let shrink = 0.05f32;
    let lr = 0.5f32;
    let n = pairs.len().max(1) as f32;
    for _ in 0..3000 {
        let mut gw = [0.0f32; DOC_FEATURES];
        let mut gb = 0.0f32;
        let mut gd = vec![0.0f32; classes];
        for p in pairs {
            let z = b0
                + d[p.class]
                + w.iter()
                    .zip(p.features.iter())
                    .map(|(a, b)| a * b)
                    .sum::<f32>();
            let g = sigmoid(z) - f32::from(u8::from(p.label));
            for (acc, x) in gw.iter_mut().zip(p.features.iter()) {
                *acc += g * x;
            }
            gb += g;
            gd[p.class] += g;
        }
        for (wk, gk) in w.iter_mut().zip(gw.iter()) {
            *wk -= lr * gk / n;
        }
        b0 -= lr * gb / n;
        for (dc, gc) in d.iter_mut().zip(gd.iter()) {
            // Per-class pull toward the shared intercept, scaled to the class's share.
            *dc -= lr * (gc / n + shrink * *dc * classes as f32 / n);
        }
    }
    (w, b0, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::features::features;

    fn ex(s: &str, labels: &[u16]) -> Example {
        Example {
            features: features(s),
            labels: labels.to_vec(),
            weight: 1.0,
        }
    }

    #[test]
    fn learns_separable_sentences_sparsely_and_deterministically() {
        let mut data = Vec::new();
        for i in 0..40 {
            data.push(ex(&format!("the actor dumped lsass memory host{i}"), &[0]));
            data.push(ex(&format!("created a scheduled task named upd{i}"), &[1]));
            data.push(ex(
                &format!("the weather report for day {i} was sunny"),
                &[],
            ));
        }
        let p = FtrlParams::default();
        let a = train_sentences(&data, 2, &p);
        let b = train_sentences(&data, 2, &p);
        assert_eq!(a.weights, b.weights);
        let model = crate::attack::linear::Model::new(
            vec![
                crate::attack::linear::Class {
                    id: "A".into(),
                    bias: a.bias[0],
                    doc_bias: 0.0,
                },
                crate::attack::linear::Class {
                    id: "B".into(),
                    bias: a.bias[1],
                    doc_bias: 0.0,
                },
            ],
            &a.weights,
            [0.0; DOC_FEATURES],
            0.5,
            1.0,
        );
        let s = model.score("they dumped lsass again");
        assert!(s[0] > 0.5 && s[1] < 0.5, "{s:?}");
        let s = model.score("sunny weather report");
        assert!(s[0] < 0.5 && s[1] < 0.5, "{s:?}");
        // L1 leaves the per-day tokens (seen once) at zero.
        let nonzero: usize = a.weights.iter().map(Vec::len).sum();
        let distinct: usize = data.iter().map(|e| e.features.len()).sum();
        assert!(nonzero < distinct / 4, "{nonzero} of {distinct}");
    }

    #[test]
    fn combiner_prefers_strong_sentences() {
        let mut pairs = Vec::new();
        for i in 0..60 {
            let strong = i % 2 == 0;
            let p = if strong { 0.9 } else { 0.02 };
            pairs.push(DocPair {
                class: i % 3,
                features: crate::attack::linear::doc_features(&[p, 0.01, 0.01]),
                label: strong,
            });
        }
        let (w, b0, d) = fit_combiner(&pairs, 3);
        let z = |f: [f32; DOC_FEATURES], c: usize| {
            b0 + d[c] + w.iter().zip(f.iter()).map(|(a, b)| a * b).sum::<f32>()
        };
        let hi = crate::attack::linear::doc_features(&[0.9, 0.01]);
        let lo = crate::attack::linear::doc_features(&[0.02, 0.01]);
        assert!(sigmoid(z(hi, 0)) > 0.8 && sigmoid(z(lo, 0)) < 0.2);
    }

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut v: Vec<u32> = (0..10).collect();
        let mut w = v.clone();
        a.shuffle(&mut v);
        b.shuffle(&mut w);
        assert_eq!(v, w);
        assert_ne!(v, (0..10).collect::<Vec<_>>());
    }
}
