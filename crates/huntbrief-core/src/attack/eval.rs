//! Document-level scoring of technique inference: micro precision, recall, F1 and F0.5
//! over (document, technique) pairs, at technique and at parent-technique level, with IDs
//! normalised to the current ATT&CK release on both sides.

use std::collections::BTreeSet;

use super::table::{Table, parent_of};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f_beta(&self, beta: f64) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        let b2 = beta * beta;
        if p + r == 0.0 {
            0.0
        } else {
            (1.0 + b2) * p * r / (b2 * p + r)
        }
    }
    pub fn f1(&self) -> f64 {
        self.f_beta(1.0)
    }
    /// The cells of a Markdown score table: `P | R | F1 | F0.5 | TP | FP | FN`.
    pub fn table_cells(&self) -> String {
        format!(
            "{:.3} | {:.3} | {:.3} | {:.3} | {} | {} | {}",
            self.precision(),
            self.recall(),
            self.f1(),
            self.f_beta(0.5),
            self.tp,
            self.fp,
            self.fn_
        )
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// How a set of IDs is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Technique,
    Parent,
}

/// IDs normalised through revocations (unknown IDs kept as written), at `level`.
pub fn normalize(ids: &[String], table: &Table, level: Level) -> BTreeSet<String> {
    ids.iter()
        .map(|id| {
            let id = id.trim();
            let current = table.normalize(id).unwrap_or(id);
            match level {
                Level::Technique => current.to_owned(),
                Level::Parent => parent_of(current).to_owned(),
            }
        })
        .collect()
}

/// Counts for one document. With `space`, predictions outside it are ignored (the
/// annotators could not have marked them).
pub fn score(
    predicted: &BTreeSet<String>,
    gold: &BTreeSet<String>,
    space: Option<&BTreeSet<String>>,
) -> Counts {
    let pred: BTreeSet<&String> = predicted
        .iter()
        .filter(|p| space.is_none_or(|s| s.contains(*p)))
        .collect();
    let tp = pred.iter().filter(|p| gold.contains(**p)).count();
    Counts {
        tp,
        fp: pred.len() - tp,
        fn_: gold.len() - tp,
    }
}

/// The predictions the annotators could have labelled: those inside `space`.
pub fn restrict(predicted: &BTreeSet<String>, space: &BTreeSet<String>) -> BTreeSet<String> {
    predicted.intersection(space).cloned().collect()
}

/// Parent IDs of `ids` (technique IDs lift to themselves).
pub fn parents(ids: &BTreeSet<String>) -> BTreeSet<String> {
    ids.iter().map(|id| parent_of(id).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::AttackKb;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn micro_counts_and_scores() {
        let c = score(
            &set(&["T1059.001", "T1105"]),
            &set(&["T1105", "T1027"]),
            None,
        );
        assert_eq!(
            c,
            Counts {
                tp: 1,
                fp: 1,
                fn_: 1
            }
        );
        assert!((c.f1() - 0.5).abs() < 1e-9);
        let space = set(&["T1105", "T1027"]);
        let c = score(
            &set(&["T1059.001", "T1105"]),
            &set(&["T1105", "T1027"]),
            Some(&space),
        );
        assert_eq!(
            c,
            Counts {
                tp: 1,
                fp: 0,
                fn_: 1
            }
        );
        assert!((c.precision() - 1.0).abs() < 1e-9);
        assert!((c.f_beta(0.5) - (1.25 * 0.5 / (0.25 + 0.5))).abs() < 1e-9);
        assert_eq!(Counts::default().f1(), 0.0);
    }

    #[test]
    fn restriction_comes_before_lifting() {
        // PowerShell is outside a label space that only knows cmd: it must not become a
        // parent-level false positive through T1059.
        let space = set(&["T1059.003", "T1105"]);
        let pred = set(&["T1059.001", "T1105"]);
        assert_eq!(parents(&restrict(&pred, &space)), set(&["T1105"]));
    }

    #[test]
    fn ids_are_normalised_and_lifted_to_parents() {
        let kb = AttackKb::embedded();
        let ids = vec![
            "T1574.002".to_owned(),
            "T1059.001".to_owned(),
            "X1".to_owned(),
        ];
        assert_eq!(
            normalize(&ids, &kb.table, Level::Technique),
            set(&["T1059.001", "T1574.001", "X1"])
        );
        assert_eq!(
            normalize(&ids, &kb.table, Level::Parent),
            set(&["T1059", "T1574", "X1"])
        );
    }
}
