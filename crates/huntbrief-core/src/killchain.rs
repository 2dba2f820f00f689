//! Kill-chain phases (Lockheed Martin) an article shows: from the tactics of the
//! techniques it describes, and from narrative cues ("phishing emails were delivered",
//! "scanned for exposed servers") in sentences that assert something. Phases come out in
//! chain order, each with the sentence or technique behind it.

use std::collections::BTreeMap;

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::attack::{Cues, Polarity};
use crate::kb::KbError;
use crate::model::{Phase, TechniqueHit};
use crate::text::collapse_whitespace;

/// Where a phase comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum PhaseSource {
    /// An emitted technique (its ID).
    Technique(String),
    /// A narrative sentence.
    Narrative(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhaseHit {
    pub phase: Phase,
    pub sources: Vec<PhaseSource>,
}

/// The phase of each tactic, and the techniques the mapping treats specially.
pub fn phase_of(technique: &str, tactic: &str) -> Option<Phase> {
    let parent = technique.split('.').next().unwrap_or(technique);
    // Exploitation techniques are the exploit phase whatever their tactic.
    if matches!(parent, "T1190" | "T1203" | "T1068" | "T1210" | "T1204") {
        return Some(Phase::Exploit);
    }
    Some(match tactic {
        "reconnaissance" => Phase::Recon,
        "resource-development" => Phase::Weapon,
        "initial-access" => Phase::Delivery,
        "execution" => Phase::Exploit,
        "persistence" | "privilege-escalation" | "defense-evasion" => Phase::Install,
        "command-and-control" => Phase::C2,
        "credential-access" | "discovery" | "lateral-movement" | "collection" | "exfiltration"
        | "impact" => Phase::Actions,
        _ => return None,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CueFile {
    cue: Vec<CueSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CueSpec {
    phase: Phase,
    regex: Vec<String>,
    examples: Vec<String>,
    #[serde(default)]
    keeps: Vec<String>,
}

/// Narrative cues per phase (`data/attack/killchain.toml`).
#[derive(Debug)]
pub struct PhaseCues {
    cues: Vec<(Phase, Regex)>,
}

impl PhaseCues {
    pub const FILE: &'static str = "attack/killchain.toml";

    pub fn parse(source: &str, cues: &Cues) -> Result<Self, KbError> {
        let file: CueFile = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let bad = |m: String| KbError::invalid(Self::FILE, m);
        let mut out = Vec::new();
        let mut failures = Vec::new();
        for spec in &file.cue {
            if spec.examples.is_empty() {
                return Err(bad(format!(
                    "a {} cue has no examples",
                    spec.phase.as_str()
                )));
            }
            let first = out.len();
            for r in &spec.regex {
                let re = RegexBuilder::new(r)
                    .unicode(false)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| bad(format!("{}: {e}", spec.phase.as_str())))?;
                out.push((spec.phase, re));
            }
            let this = Self {
                cues: out[first..].to_vec(),
            };
            for ex in &spec.examples {
                if !this.narrative(ex, cues).contains_key(&spec.phase) {
                    failures.push(format!(
                        "{} cue misses its example {ex:?}",
                        spec.phase.as_str()
                    ));
                }
            }
            for keep in &spec.keeps {
                if this.narrative(keep, cues).contains_key(&spec.phase) {
                    failures.push(format!("{} cue fires on {keep:?}", spec.phase.as_str()));
                }
            }
        }
        if !failures.is_empty() {
            return Err(bad(failures.join("; ")));
        }
        Ok(Self { cues: out })
    }

    /// Phases with their first asserting sentence, from narrative cues alone.
    pub fn narrative(&self, text: &str, cues: &Cues) -> BTreeMap<Phase, String> {
        let mut found = BTreeMap::new();
        for s in cues.sentences(text) {
            if !s.in_scope || s.no_claim || s.polarity > Polarity::Hedged {
                continue;
            }
            // Hedged sentences ("could be used to deliver") tell what might happen.
            if s.polarity == Polarity::Hedged {
                continue;
            }
            let sentence = &text[s.range.clone()];
            for (phase, re) in &self.cues {
                if !found.contains_key(phase) && re.is_match(sentence.as_bytes()) {
                    found.insert(*phase, collapse_whitespace(sentence));
                }
            }
        }
        found
    }
}

/// The phases, in chain order, with where each comes from.
pub fn phase_hits(
    techniques: &[TechniqueHit],
    text: &str,
    kb: &crate::attack::AttackKb,
) -> Vec<PhaseHit> {
    let mut by_phase: BTreeMap<Phase, Vec<PhaseSource>> = BTreeMap::new();
    for t in techniques {
        for tactic in &t.tactics {
            if let Some(p) = phase_of(&t.id, tactic) {
                let src = PhaseSource::Technique(t.id.clone());
                let list = by_phase.entry(p).or_default();
                if !list.contains(&src) {
                    list.push(src);
                }
            }
        }
    }
    for (phase, sentence) in kb.phases.narrative(text, &kb.cues) {
        by_phase
            .entry(phase)
            .or_default()
            .push(PhaseSource::Narrative(sentence));
    }
    by_phase
        .into_iter()
        .map(|(phase, sources)| PhaseHit { phase, sources })
        .collect()
}

/// The phases the article shows, in chain order, without repeats.
pub fn phases(techniques: &[TechniqueHit], text: &str, kb: &crate::attack::AttackKb) -> Vec<Phase> {
    phase_hits(techniques, text, kb)
        .into_iter()
        .map(|h| h.phase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::{AttackKb, infer};

    fn run(text: &str) -> Vec<&'static str> {
        let kb = AttackKb::embedded();
        let t = infer(text, &kb);
        phases(&t, text, &kb)
            .into_iter()
            .map(Phase::as_str)
            .collect()
    }

    #[test]
    fn tactic_mapping_follows_the_chain() {
        assert_eq!(
            phase_of("T1566.001", "initial-access"),
            Some(Phase::Delivery)
        );
        assert_eq!(phase_of("T1190", "initial-access"), Some(Phase::Exploit));
        assert_eq!(
            phase_of("T1068", "privilege-escalation"),
            Some(Phase::Exploit)
        );
        assert_eq!(phase_of("T1204.002", "execution"), Some(Phase::Exploit));
        assert_eq!(phase_of("T1053.005", "persistence"), Some(Phase::Install));
        assert_eq!(
            phase_of("T1071.001", "command-and-control"),
            Some(Phase::C2)
        );
        assert_eq!(phase_of("T1486", "impact"), Some(Phase::Actions));
        assert_eq!(phase_of("T1595.002", "reconnaissance"), Some(Phase::Recon));
        assert_eq!(
            phase_of("T1583.001", "resource-development"),
            Some(Phase::Weapon)
        );
        assert_eq!(phase_of("T1000", "brewing"), None);
    }

    #[test]
    fn ransomware_intrusion_fills_the_chain_in_order() {
        let text = "The attackers exploited CVE-2023-4966 in internet-facing Citrix NetScaler appliances to gain initial access. \
            They dropped a web shell on the gateway for persistent access. \
            The beacon communicates with its C2 server over HTTPS. \
            Before encryption they ran vssadmin delete shadows /all /quiet, and the ransomware encrypts files on network shares, appending the .lockbit extension.";
        assert_eq!(run(text), ["exploit", "install", "c2", "actions"]);
    }

    #[test]
    fn phishing_campaign_gets_delivery_from_narrative_and_techniques() {
        let text = "Phishing emails were delivered to finance staff in March. \
            The emails carried a malicious attachment, and once the victim opens the malicious attachment the macro runs.";
        let got = run(text);
        assert!(got.starts_with(&["delivery", "exploit"]), "{got:?}");
    }

    #[test]
    fn narrative_cues_need_an_assertion() {
        assert_eq!(
            run("The botnet scanned the internet for exposed Jenkins servers."),
            ["recon"]
        );
        assert!(run("Attackers could scan for exposed servers.").is_empty());
        assert!(run("We found no evidence that data was exfiltrated.").is_empty());
        assert!(run("How to install Java on macOS: download the installer and run it.").is_empty());
    }

    #[test]
    fn schema_checks_examples_and_keeps() {
        let kb = AttackKb::embedded();
        let ok = "[[cue]]\nphase='recon'\nregex=['scanned for exposed']\nexamples=['They scanned for exposed hosts.']";
        assert!(PhaseCues::parse(ok, &kb.cues).is_ok());
        assert!(PhaseCues::parse(&ok.replace("recon", "lunch"), &kb.cues).is_err());
        assert!(
            PhaseCues::parse(
                &ok.replace("They scanned", "They did not say they scanned"),
                &kb.cues
            )
            .is_err()
        );
        assert!(
            PhaseCues::parse(
                &format!("{ok}\nkeeps=['It scanned for exposed ports.']"),
                &kb.cues
            )
            .is_err()
        );
        assert!(PhaseCues::parse(&ok.replace("scanned for exposed", "("), &kb.cues).is_err());
    }
}
