//! Article kind, from cue phrases in the title and the opening of the body
//! (`data/triage.toml`). The same words play different roles: "How LiveRamp used X to
//! remediate Log4Shell" is a case study, so the title's framing weighs most.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cues::Cues;
use crate::kb::KbError;
use crate::model::Kind;
use crate::text::sentence_at;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TriageFile {
    title_weight: u32,
    framing_weight: u32,
    body_chars: usize,
    body_cap: u32,
    kind: BTreeMap<String, CueList>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CueList {
    phrases: Vec<String>,
    terms: Vec<String>,
}

/// Kinds that describe threat activity; they win ties against the others.
const THREAT_KINDS: [Kind; 4] = [
    Kind::Campaign,
    Kind::Vulnerability,
    Kind::Breach,
    Kind::LawEnforcement,
];

/// The compiled kind cues.
#[derive(Debug)]
pub struct Triage {
    title_weight: u32,
    framing_weight: u32,
    body_chars: usize,
    body_cap: u32,
    kinds: Vec<(Kind, Cues)>,
}

/// A kind with the words that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub kind: Kind,
    /// The title, or the body sentence, that shows the kind (empty for `other`).
    pub evidence: String,
}

impl Triage {
    pub const FILE: &'static str = "triage.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let file: TriageFile = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let mut kinds = Vec::new();
        for (name, list) in file.kind {
            let kind = Kind::parse(&name)
                .ok_or_else(|| KbError::invalid(Self::FILE, format!("unknown kind {name:?}")))?;
            if kind == Kind::Other {
                return Err(KbError::invalid(
                    Self::FILE,
                    "`other` is what no cue matches; it has no cues".into(),
                ));
            }
            let cues = Cues::new(&list.phrases, &list.terms)
                .map_err(|e| KbError::invalid(Self::FILE, format!("kind {name}: {e}")))?;
            kinds.push((kind, cues));
        }
        Ok(Self {
            title_weight: file.title_weight,
            framing_weight: file.framing_weight,
            body_chars: file.body_chars,
            body_cap: file.body_cap,
            kinds,
        })
    }

    pub fn classify(&self, title: &str, text: &str) -> Classified {
        let mut cut = self.body_chars.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let opening = &text[..cut];
        let mut best: Option<(u32, bool, Kind, String)> = None;
        for (kind, cues) in &self.kinds {
            let in_title = cues.find_all(title);
            let in_body = cues.find_all(opening);
            if *kind == Kind::Withdrawn {
                if !in_title.is_empty() {
                    return Classified {
                        kind: Kind::Withdrawn,
                        evidence: title.to_owned(),
                    };
                }
                if let Some(m) = in_body.first() {
                    return Classified {
                        kind: Kind::Withdrawn,
                        evidence: sentence_at(opening, m.start).to_owned(),
                    };
                }
                continue;
            }
            let mut distinct: Vec<&str> = in_body.iter().map(|r| &opening[r.clone()]).collect();
            distinct.sort_unstable_by_key(|s| s.to_lowercase());
            distinct.dedup_by_key(|s| s.to_lowercase());
            let threat = THREAT_KINDS.contains(kind);
            let title_points = match (in_title.is_empty(), threat) {
                (true, _) => 0,
                (false, true) => self.title_weight,
                (false, false) => self.framing_weight,
            };
            let score = title_points + (distinct.len() as u32).min(self.body_cap);
            if score == 0 {
                continue;
            }
            let evidence = match (in_title.is_empty(), in_body.first()) {
                (false, _) => title.to_owned(),
                (true, Some(m)) => sentence_at(opening, m.start).to_owned(),
                (true, None) => String::new(),
            };
            let better = best
                .as_ref()
                .is_none_or(|(s, t, _, _)| score > *s || (score == *s && threat && !t));
            if better {
                best = Some((score, threat, *kind, evidence));
            }
        }
        match best {
            Some((_, _, kind, evidence)) => Classified { kind, evidence },
            None => Classified {
                kind: Kind::Other,
                evidence: String::new(),
            },
        }
    }
}

/// Whether a kind is about threat activity (the others are LOW unless they report some).
pub fn is_threat(kind: Kind) -> bool {
    THREAT_KINDS.contains(&kind) || kind == Kind::Other
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::EMBEDDED;

    fn triage() -> Triage {
        Triage::parse(EMBEDDED.get(Triage::FILE).unwrap()).unwrap()
    }

    fn kind(title: &str, text: &str) -> Kind {
        triage().classify(title, text).kind
    }

    #[test]
    fn schema_rejects_unknown_kinds_fields_and_bad_patterns() {
        let base = "title_weight = 3\nframing_weight = 4\nbody_chars = 100\nbody_cap = 2\n";
        assert!(Triage::parse(&format!("{base}[kind.rumour]\nphrases = []\nterms = []")).is_err());
        assert!(
            Triage::parse(&format!("{base}[kind.other]\nphrases = ['x']\nterms = []")).is_err()
        );
        assert!(
            Triage::parse(&format!(
                "{base}[kind.tutorial]\nphrases = ['(']\nterms = []"
            ))
            .is_err()
        );
        assert!(
            Triage::parse(&format!(
                "{base}colour = 1\n[kind.tutorial]\nphrases = []\nterms = []"
            ))
            .is_err()
        );
        assert!(
            Triage::parse(&format!(
                "{base}[kind.tutorial]\nphrases = ['how to']\nterms = []"
            ))
            .is_ok()
        );
    }

    #[test]
    fn title_framing_beats_threat_words_in_it() {
        assert_eq!(
            kind(
                "How LiveRamp used Snyk to remediate Log4Shell",
                "LiveRamp's engineers rolled out the fix across 300 services."
            ),
            Kind::Product
        );
        assert_eq!(
            kind(
                "How to install Java on macOS",
                "Download the installer and run it."
            ),
            Kind::Tutorial
        );
    }

    #[test]
    fn framing_beats_topic_but_a_threat_report_with_body_evidence_wins() {
        assert_eq!(
            kind(
                "The state of phishing: survey of 1,000 leaders",
                "Our annual survey finds that phishing remains the top vector."
            ),
            Kind::Commentary
        );
        let detection = "Palo Alto Networks disclosed the flaw, CVE-2024-3400, an unauthenticated remote code execution bug that is exploited in the wild; this post shows the exploitation traces and the patch.";
        assert_eq!(
            kind("How to detect CVE-2024-3400 exploitation", detection),
            Kind::Vulnerability
        );
    }

    #[test]
    fn withdrawn_wins_outright() {
        let c = triage().classify("GHSA-xxxx: Duplicate Advisory", "This advisory has been withdrawn because it is a duplicate of GHSA-abcd-efgh-ijkl. Remote code execution in foo.");
        assert_eq!(c.kind, Kind::Withdrawn);
        assert!(c.evidence.starts_with("This advisory has been withdrawn"));
    }

    #[test]
    fn nothing_matched_is_other() {
        assert_eq!(kind("Quarterly results", "Revenue grew."), Kind::Other);
    }
}
