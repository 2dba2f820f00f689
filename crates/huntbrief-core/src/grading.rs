//! Grading severity against a labelled set: articles in the form feeds deliver them, each
//! with the kinds and the severity band an analyst accepts (the rubric's table). Used by
//! `huntbrief eval severity` and by the crate's regression test.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::briefing::analyze;
use crate::kb::KnowledgeBase;
use crate::model::{Article, Body, Briefing, Kind, Severity};
use crate::triage::is_threat;

/// A labelled set as stored (TOML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledSet {
    /// The date the articles are read as published (CVE age is measured from it).
    pub published: Option<NaiveDate>,
    pub article: Vec<Labelled>,
}

/// One labelled article.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    /// The rubric row the article belongs to.
    pub row: String,
    /// `dev` (looked at while building), `holdout` (set apart, looked at once the
    /// factors were written), `fresh` (written after the factors were final, then fixed
    /// for the error classes it showed), `final` (written after that) or `lead` (written
    /// by a second author who never saw the factors; measured once, then its two error
    /// classes fixed).
    pub split: String,
    pub title: String,
    pub text: String,
    /// Kinds an analyst accepts; the first is the expected one.
    pub kind: Vec<String>,
    /// Severities an analyst accepts.
    pub band: Vec<String>,
}

/// Why a labelled set is malformed.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("not a labelled set: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("article {index} ({title:?}): {problem}")]
    Invalid {
        index: usize,
        title: String,
        problem: String,
    },
}

/// How an article was used while building severity.
pub const SPLITS: [&str; 5] = ["dev", "holdout", "fresh", "final", "lead"];

/// The rubric's rows; a labelled article names one.
pub const ROWS: [&str; 12] = [
    "destructive",
    "exploited",
    "supply-chain",
    "malware",
    "state-actor",
    "vuln-critical",
    "vuln-moderate",
    "breach",
    "law-enforcement",
    "research",
    "non-threat",
    "withdrawn",
];

impl LabelledSet {
    /// Parses and checks a set: known rows, kinds, severities and splits, a 300–600
    /// character-ish teaser (feeds cut anywhere from 150 to 700), a non-empty band.
    pub fn parse(source: &str) -> Result<Self, SetError> {
        let set: LabelledSet = toml::from_str(source)?;
        for (index, a) in set.article.iter().enumerate() {
            let bad = |problem: String| SetError::Invalid {
                index,
                title: a.title.clone(),
                problem,
            };
            if !ROWS.contains(&a.row.as_str()) {
                return Err(bad(format!("unknown row {:?}", a.row)));
            }
            if !SPLITS.contains(&a.split.as_str()) {
                return Err(bad(format!("split {:?} is not one of {SPLITS:?}", a.split)));
            }
            if a.title.trim().is_empty() || !(150..=700).contains(&a.text.chars().count()) {
                return Err(bad("needs a title and a 150–700 character teaser".into()));
            }
            if a.kind.is_empty() || a.band.is_empty() {
                return Err(bad("needs at least one kind and one severity".into()));
            }
            if let Some(k) = a.kind.iter().find(|k| Kind::parse(k).is_none()) {
                return Err(bad(format!("unknown kind {k:?}")));
            }
            if let Some(s) = a.band.iter().find(|s| Severity::parse(s).is_none()) {
                return Err(bad(format!("unknown severity {s:?}")));
            }
        }
        Ok(set)
    }
}

/// One graded article.
#[derive(Debug)]
pub struct Graded<'a> {
    pub labelled: &'a Labelled,
    pub briefing: Briefing,
    pub in_band: bool,
    pub kind_ok: bool,
}

impl Graded<'_> {
    /// A non-threat article (by label or by the kind it got) that still got techniques
    /// or behavioural hunts: the rubric allows none.
    pub fn non_threat_with_activity(&self) -> bool {
        let labelled_non_threat = self
            .labelled
            .kind
            .first()
            .and_then(|k| Kind::parse(k))
            .is_some_and(|k| !is_threat(k));
        (labelled_non_threat || !is_threat(self.briefing.kind))
            && (!self.briefing.techniques.is_empty() || !self.briefing.hunts.is_empty())
    }
}

/// Every article of the set analysed as a teaser-only briefing.
pub fn grade<'a>(set: &'a LabelledSet, kb: &KnowledgeBase) -> Vec<Graded<'a>> {
    set.article
        .iter()
        .map(|l| {
            let briefing = analyze(
                &Article {
                    title: l.title.clone(),
                    url: None,
                    sources: vec![],
                    published: set.published,
                    text: l.text.clone(),
                    body: Body::Summary,
                },
                kb,
            );
            let in_band = l.band.iter().any(|s| s == briefing.severity.as_str());
            let kind_ok = l.kind.iter().any(|k| k == briefing.kind.as_str());
            Graded {
                labelled: l,
                briefing,
                in_band,
                kind_ok,
            }
        })
        .collect()
}

/// The summary figures of a graded set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub articles: usize,
    pub in_band: usize,
    pub kind_ok: usize,
    pub non_threat_with_activity: usize,
}

impl Figures {
    pub fn of<'a, 'b: 'a>(graded: impl IntoIterator<Item = &'a Graded<'b>>) -> Self {
        let mut f = Figures {
            articles: 0,
            in_band: 0,
            kind_ok: 0,
            non_threat_with_activity: 0,
        };
        for g in graded {
            f.articles += 1;
            f.in_band += usize::from(g.in_band);
            f.kind_ok += usize::from(g.kind_ok);
            f.non_threat_with_activity += usize::from(g.non_threat_with_activity());
        }
        f
    }

    pub fn in_band_rate(&self) -> f64 {
        self.in_band as f64 / self.articles.max(1) as f64
    }
}

/// The report `huntbrief eval severity` prints: in-band rate (all, dev, holdout), the
/// severities graded per rubric row, the kind confusion, and every miss with its reasons.
pub struct Report<'a, 'b>(pub &'a [Graded<'b>]);

impl fmt::Display for Report<'_, '_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = Figures::of(self.0);
        let split = |name: &str| Figures::of(self.0.iter().filter(|g| g.labelled.split == name));
        writeln!(
            out,
            "| set | articles | in band | rate | kind as labelled | non-threat with techniques/hunts |"
        )?;
        writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |")?;
        let splits = SPLITS.map(|s| (s, split(s)));
        for (name, f) in std::iter::once(("all", all)).chain(splits) {
            if f.articles == 0 {
                continue;
            }
            writeln!(
                out,
                "| {name} | {} | {} | {:.1}% | {} | {} |",
                f.articles,
                f.in_band,
                100.0 * f.in_band_rate(),
                f.kind_ok,
                f.non_threat_with_activity
            )?;
        }
        writeln!(out, "\n| rubric row | CRIT | HIGH | MED | LOW | in band |")?;
        writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |")?;
        for row in ROWS {
            let of_row: Vec<&Graded> = self.0.iter().filter(|g| g.labelled.row == row).collect();
            if of_row.is_empty() {
                continue;
            }
            let count = |s: Severity| of_row.iter().filter(|g| g.briefing.severity == s).count();
            writeln!(
                out,
                "| {row} | {} | {} | {} | {} | {}/{} |",
                count(Severity::Crit),
                count(Severity::High),
                count(Severity::Med),
                count(Severity::Low),
                of_row.iter().filter(|g| g.in_band).count(),
                of_row.len()
            )?;
        }
        let mut confusion: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for g in self.0 {
            let want = g.labelled.kind.first().map_or("", String::as_str);
            *confusion
                .entry((want, g.briefing.kind.as_str()))
                .or_default() += 1;
        }
        writeln!(out, "\n| labelled kind | graded kind | articles |")?;
        writeln!(out, "| --- | --- | ---: |")?;
        for ((want, got), n) in confusion {
            let mark = if want == got { "" } else { " ≠" };
            writeln!(out, "| {want} | {got}{mark} | {n} |")?;
        }
        let misses: Vec<&Graded> = self
            .0
            .iter()
            .filter(|g| !g.in_band || !g.kind_ok || g.non_threat_with_activity())
            .collect();
        writeln!(
            out,
            "\n{} misses (severity, kind or non-threat activity)",
            misses.len()
        )?;
        for g in misses {
            let b = &g.briefing;
            let mut line = String::new();
            let _ = write!(
                line,
                "\n- [{}] {:?}: {} (band {}), kind {} (labelled {})",
                g.labelled.split,
                g.labelled.title,
                b.severity.as_str(),
                g.labelled.band.join("/"),
                b.kind.as_str(),
                g.labelled.kind.join("/")
            );
            if g.non_threat_with_activity() {
                let _ = write!(
                    line,
                    "; non-threat with {} techniques, {} hunts",
                    b.techniques.len(),
                    b.hunts.len()
                );
            }
            writeln!(out, "{line}")?;
            for r in &b.severity_reasons {
                writeln!(out, "  - {r}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
published = "2026-11-20"
[[article]]
row = "non-threat"
split = "dev"
title = "How to set up a honeypot on a Raspberry Pi"
text = "This guide walks through installing a low-interaction honeypot on a Raspberry Pi, forwarding its logs to a SIEM and reading the first day of scans. You need a spare board, a memory card and an hour; we finish with a dashboard that shows which passwords bots try most often."
kind = ["tutorial"]
band = ["LOW"]
"#;

    #[test]
    fn a_set_is_checked_when_parsed() {
        assert_eq!(LabelledSet::parse(ONE).unwrap().article.len(), 1);
        for (from, to) in [
            ("non-threat", "rumour"),
            ("\"dev\"", "\"train\""),
            ("[\"tutorial\"]", "[\"blog\"]"),
            ("[\"LOW\"]", "[\"SEVERE\"]"),
            ("[\"LOW\"]", "[]"),
            ("This guide", "x\"\ncolour = \"red\"\ntext2 = \"This guide"),
        ] {
            assert!(LabelledSet::parse(&ONE.replace(from, to)).is_err(), "{to}");
        }
    }

    #[test]
    fn the_report_counts_in_band_and_lists_misses_with_reasons() {
        let kb = KnowledgeBase::embedded().unwrap();
        let set = LabelledSet::parse(ONE).unwrap();
        let graded = grade(&set, &kb);
        assert!(graded[0].in_band && graded[0].kind_ok);
        let report = Report(&graded).to_string();
        assert!(
            report.contains("| all | 1 | 1 | 100.0% | 1 | 0 |"),
            "{report}"
        );
        let wrong = LabelledSet::parse(&ONE.replace("[\"LOW\"]", "[\"CRIT\"]")).unwrap();
        let graded = grade(&wrong, &kb);
        let report = Report(&graded).to_string();
        assert!(report.contains("| all | 1 | 0 | 0.0% |"), "{report}");
        assert!(report.contains("LOW (band CRIT)"), "{report}");
        assert!(
            report.contains("  - "),
            "misses show their reasons: {report}"
        );
    }
}
