//! Article kind, from cue phrases in the title and the opening of the body
//! (`data/triage.toml`). The same words play different roles: "How LiveRamp used X to
//! remediate Log4Shell" is a case study, so the title's framing weighs most; but a body
//! that reads as a threat report (intrusions, malware behaviour, indicators) makes the
//! article a threat report whatever its title's first word.

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
    framing: Vec<String>,
    body_chars: usize,
    body_cap: u32,
    report: ReportSpec,
    kind: BTreeMap<String, CueList>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportSpec {
    chars: usize,
    min_cues: usize,
    ratio: usize,
    phrases: Vec<String>,
    terms: Vec<String>,
}

/// When a framed title yields to the body (see `[report]` in the data file).
#[derive(Debug)]
struct Report {
    chars: usize,
    min_cues: usize,
    ratio: usize,
    cues: Cues,
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
    /// Kinds a title match frames ("How to…", "Introducing…", "Police arrest…").
    framing: Vec<Kind>,
    body_chars: usize,
    body_cap: u32,
    report: Report,
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
        let framing = file
            .framing
            .iter()
            .map(|k| {
                Kind::parse(k).ok_or_else(|| {
                    KbError::invalid(Self::FILE, format!("unknown framing kind {k:?}"))
                })
            })
            .collect::<Result<_, _>>()?;
        let r = file.report;
        let report = Report {
            chars: r.chars,
            min_cues: r.min_cues,
            ratio: r.ratio,
            cues: Cues::new(&r.phrases, &r.terms)
                .map_err(|e| KbError::invalid(Self::FILE, format!("report: {e}")))?,
        };
        Ok(Self {
            title_weight: file.title_weight,
            framing_weight: file.framing_weight,
            framing,
            body_chars: file.body_chars,
            body_cap: file.body_cap,
            report,
            kinds,
        })
    }

    pub fn classify(&self, title: &str, text: &str) -> Classified {
        let opening = prefix(text, self.body_chars);
        // (score, threat, framed by the title, kind, evidence): the highest wins; a threat
        // kind wins a tie, then the kind the title frames.
        let mut scored: Vec<(u32, bool, bool, Kind, String)> = Vec::new();
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
            let threat = THREAT_KINDS.contains(kind);
            let framed = !in_title.is_empty() && self.framing.contains(kind);
            let title_points = match (in_title.is_empty(), framed) {
                (true, _) => 0,
                (false, false) => self.title_weight,
                (false, true) => self.framing_weight,
            };
            let score = title_points + (distinct(opening, &in_body) as u32).min(self.body_cap);
            if score == 0 {
                continue;
            }
            let evidence = match (in_title.is_empty(), in_body.first()) {
                (false, _) => title.to_owned(),
                (true, Some(m)) => sentence_at(opening, m.start).to_owned(),
                (true, None) => String::new(),
            };
            scored.push((score, threat, framed, *kind, evidence));
        }
        scored.sort_by_key(|s| std::cmp::Reverse((s.0, s.1, s.2)));
        let Some((_, threat, _, kind, evidence)) = scored.first().cloned() else {
            return Classified {
                kind: Kind::Other,
                evidence: String::new(),
            };
        };
        if !threat && let Some(evidence) = self.reads_as_report(kind, text) {
            // The best threat kind of the title and opening, else a campaign.
            let kind = scored.iter().find(|s| s.1).map_or(Kind::Campaign, |s| s.3);
            return Classified { kind, evidence };
        }
        Classified { kind, evidence }
    }

    /// The sentence that shows a framed article's body is a threat report: enough
    /// distinct report cues, and many more of them than of its framing kind's own cues.
    fn reads_as_report(&self, framing: Kind, text: &str) -> Option<String> {
        let r = &self.report;
        let body = prefix(text, r.chars);
        let found = r.cues.find_all(body);
        let report = distinct(body, &found);
        let own = self
            .kinds
            .iter()
            .find(|(k, _)| *k == framing)
            .map_or(0, |(_, cues)| distinct(body, &cues.find_all(body)));
        (report >= r.min_cues && report > r.ratio * own)
            .then(|| sentence_at(body, found[0].start).to_owned())
    }
}

/// The first `max` bytes of `text`, cut at a char boundary.
fn prefix(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max)]
}

/// How many different strings (ignoring case) the matches cover.
fn distinct(text: &str, matches: &[std::ops::Range<usize>]) -> usize {
    let mut seen: Vec<String> = matches
        .iter()
        .map(|r| text[r.clone()].to_lowercase())
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
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
        let base = "title_weight = 3\nframing_weight = 4\nframing = ['tutorial']\nbody_chars = 100\nbody_cap = 2\n[report]\nchars = 100\nmin_cues = 2\nratio = 2\nphrases = ['c2']\nterms = []\n";
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
