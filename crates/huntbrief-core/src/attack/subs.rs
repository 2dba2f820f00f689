//! Sub-technique discipline: a sub-technique is emitted only on evidence specific to it —
//! its own ID written by the author, a pattern written for it, or a model score that
//! clearly beats its parent's and siblings'. Otherwise the same evidence names the parent:
//! "spearphishing" the model cannot tell apart from other phishing is T1566, not
//! T1566.001.

use std::collections::{BTreeMap, BTreeSet};

use super::table::parent_of;
use super::{Candidate, Decision};

/// The model prefers a sub-technique clearly when its document probability is at least
/// this multiple of every sibling's and the parent's.
const MODEL_MARGIN: f32 = 1.5;

/// What becomes of each candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Not emitted.
    Dropped,
    Emitted,
    /// Emitted as its parent.
    Folded,
}

fn fates(cands: &[Candidate], rule: Decision) -> Vec<Fate> {
    let l = rule.layers;
    // Model probabilities per family (parent ID).
    let mut family: BTreeMap<&str, Vec<(&str, f32)>> = BTreeMap::new();
    for c in cands {
        family
            .entry(parent_of(&c.id))
            .or_default()
            .push((&c.id, c.model_p));
    }
    // The best probability of the rest of a candidate's family.
    let rival = |id: &str| {
        family[parent_of(id)]
            .iter()
            .filter(|(other, _)| *other != id)
            .map(|(_, p)| *p)
            .fold(0.0f32, f32::max)
    };
    cands
        .iter()
        .map(|c| {
            if !rule.emits(c) {
                return Fate::Dropped;
            }
            let specific = !c.id.contains('.')
                || (l.ids && c.id_weak)
                || (l.patterns && c.pattern_sentences > 0)
                || (l.model && c.model_p >= MODEL_MARGIN * rival(&c.id));
            if specific {
                Fate::Emitted
            } else {
                Fate::Folded
            }
        })
        .collect()
}

/// The IDs `rule` emits from `cands` under the discipline.
pub fn settled_ids(cands: &[Candidate], rule: Decision) -> BTreeSet<String> {
    cands
        .iter()
        .zip(fates(cands, rule))
        .filter_map(|(c, f)| match f {
            Fate::Dropped => None,
            Fate::Emitted => Some(c.id.clone()),
            Fate::Folded => Some(parent_of(&c.id).to_owned()),
        })
        .collect()
}

/// The candidates `rule` emits, sub-techniques without specific evidence folded into their
/// parent (its model probability the higher of the two, the sub's evidence appended).
pub fn settle(cands: Vec<Candidate>, rule: Decision) -> Vec<Candidate> {
    let fates = fates(&cands, rule);
    let mut out: BTreeMap<String, Candidate> = BTreeMap::new();
    let mut folded: Vec<Candidate> = Vec::new();
    let mut rest: BTreeMap<String, Candidate> = BTreeMap::new();
    for (c, fate) in cands.into_iter().zip(fates) {
        match fate {
            Fate::Dropped => {
                rest.insert(c.id.clone(), c);
            }
            Fate::Emitted => {
                out.insert(c.id.clone(), c);
            }
            Fate::Folded => folded.push(c),
        }
    }
    for sub in folded {
        let parent = parent_of(&sub.id).to_owned();
        let p = out.entry(parent.clone()).or_insert_with(|| {
            rest.remove(&parent).unwrap_or_else(|| Candidate {
                id: parent,
                ..Candidate::default()
            })
        });
        p.model_p = p.model_p.max(sub.model_p);
        p.evidence.extend(sub.evidence);
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::Layers;

    const RULE: Decision = Decision {
        layers: Layers::ALL,
        threshold: 0.5,
        support: 0.7,
    };

    fn model(id: &str, p: f32) -> Candidate {
        Candidate {
            id: id.to_owned(),
            model_p: p,
            ..Candidate::default()
        }
    }

    fn ids(cands: &[Candidate]) -> Vec<String> {
        settled_ids(cands, RULE).into_iter().collect()
    }

    #[test]
    fn a_sub_the_model_cannot_tell_from_its_family_becomes_the_parent() {
        // Injection the model scores alike as DLL injection and hollowing: the parent.
        let cands = [model("T1055.001", 0.7), model("T1055.012", 0.6)];
        assert_eq!(ids(&cands), ["T1055"]);
        let settled = settle(cands.to_vec(), RULE);
        assert_eq!(settled.len(), 1);
        assert_eq!(settled[0].id, "T1055");
        assert!((settled[0].model_p - 0.7).abs() < 1e-6);
        // Close to the parent's own score: the parent too.
        assert_eq!(
            ids(&[model("T1078.002", 0.6), model("T1078", 0.5)]),
            ["T1078"]
        );
    }

    #[test]
    fn a_sub_the_model_clearly_prefers_stays() {
        assert_eq!(
            ids(&[
                model("T1055.012", 0.9),
                model("T1055.001", 0.3),
                model("T1055", 0.2)
            ]),
            ["T1055.012"]
        );
        // The only member of its family the model knows.
        assert_eq!(ids(&[model("T1053.005", 0.8)]), ["T1053.005"]);
    }

    #[test]
    fn an_authors_sub_id_or_a_pattern_for_the_sub_is_specific() {
        let written = Candidate {
            id_strong: true,
            id_weak: true,
            ..model("T1055.001", 0.6)
        };
        let pattern = Candidate {
            pattern_strong: true,
            pattern_sentences: 1,
            pattern_best: 0.9,
            ..model("T1055.012", 0.6)
        };
        assert_eq!(ids(&[written, pattern]), ["T1055.001", "T1055.012"]);
    }

    #[test]
    fn a_folded_sub_joins_the_parents_own_evidence_and_nothing_unsure_is_emitted() {
        let parent = model("T1090", 0.2);
        let cands = vec![parent, model("T1090.002", 0.6), model("T1090.003", 0.45)];
        let settled = settle(cands, RULE);
        let got: Vec<&str> = settled.iter().map(|c| c.id.as_str()).collect();
        // T1090.003 is below the threshold: neither it nor its evidence is emitted.
        assert_eq!(got, ["T1090"]);
        assert!((settled[0].model_p - 0.6).abs() < 1e-6);
    }
}
