//! Severity from explicit, documented factors (`data/severity.toml`): each factor that
//! applies adds its points and a reason sentence quoting its evidence; the total maps to
//! CRIT / HIGH / MED / LOW. Non-threat kinds stay LOW unless they report real activity.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::cues::Cues;
use crate::kb::KbError;
use crate::model::{Hunt, Indicator, IocType, Kind, NameRole, NamedEntity, Severity, TechniqueHit};
use crate::text::sentence_at;
use crate::triage::{Classified, is_threat};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeverityFile {
    scale: Scale,
    activity_factors: Vec<String>,
    kind_points: BTreeMap<String, u32>,
    factor: Vec<FactorSpec>,
    cvss: CvssPoints,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scale {
    #[serde(rename = "CRIT")]
    crit: u32,
    #[serde(rename = "HIGH")]
    high: u32,
    #[serde(rename = "MED")]
    med: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CvssPoints {
    critical_from: f32,
    critical_points: u32,
    high_from: f32,
    high_points: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorSpec {
    id: String,
    points: u32,
    reason: String,
    #[serde(default)]
    negatable: bool,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    terms: Vec<String>,
    from: Option<Computed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Computed {
    Kev,
    Cvss,
    Iocs,
    Hunts,
    Techniques,
    /// An actor the names stage found the activity attributed to; the factor's phrases,
    /// if any, still count when no actor was named ("a state-sponsored group").
    Actors,
}

#[derive(Debug)]
enum Test {
    Cues {
        cues: Cues,
        negatable: bool,
    },
    Computed(Computed),
    /// Attributed actors first, then the phrases.
    Actors {
        fallback: Option<Cues>,
        negatable: bool,
    },
}

#[derive(Debug)]
struct Factor {
    id: String,
    points: u32,
    reason: String,
    test: Test,
}

/// One factor that applied, with its points and evidence: the JSON's score parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorePart {
    pub factor: String,
    pub points: u32,
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub evidence: String,
}

/// The compiled factors.
#[derive(Debug)]
pub struct SeverityModel {
    scale: Scale,
    activity: Vec<String>,
    kind_points: BTreeMap<String, u32>,
    factors: Vec<Factor>,
    cvss: CvssPoints,
}

/// The facts severity is computed from, besides the text.
pub struct Facts<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub kind: &'a Classified,
    pub iocs: &'a [Indicator],
    pub techniques: &'a [TechniqueHit],
    pub hunts: &'a [Hunt],
    /// CVE IDs in the CISA KEV catalogue.
    pub kev: &'a HashSet<String>,
    /// Actors the article names (see `names`).
    pub actors: &'a [NamedEntity],
}

/// The assessment: severity, its reasons (one sentence each), score and parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub severity: Severity,
    pub reasons: Vec<String>,
    pub score: u32,
    pub parts: Vec<ScorePart>,
}

static CVSS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\bCVSS\s*[234]\.\d\s+(?:base\s+)?score\s*(?:of|is)?\s*:?\s*(\d{1,2}(?:\.\d)?)\b|\bCVSS(?:\s*v[234](?:\.\d)?)?(?:\s+base)?(?:\s+score)?(?:\s+(?:of|is|at))?\s*:?\s*(\d{1,2}(?:\.\d)?)\b|\b(\d{1,2}\.\d)\s*(?:/\s*10\s*)?\)?\s*(?:on the )?CVSS\b|\bseverity score of (\d{1,2}\.\d)\b",
    )
    .expect("the CVSS pattern is valid")
});

impl SeverityModel {
    pub const FILE: &'static str = "severity.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let file: SeverityFile =
            toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let s = &file.scale;
        if !(s.crit > s.high && s.high > s.med && s.med > 0) {
            return Err(KbError::invalid(
                Self::FILE,
                "scale must be CRIT > HIGH > MED > 0".into(),
            ));
        }
        let mut factors = Vec::new();
        for f in file.factor {
            let test = match f.from {
                Some(Computed::Actors) => Test::Actors {
                    fallback: (!f.phrases.is_empty() || !f.terms.is_empty())
                        .then(|| Cues::new(&f.phrases, &f.terms))
                        .transpose()
                        .map_err(|e| {
                            KbError::invalid(Self::FILE, format!("factor {}: {e}", f.id))
                        })?,
                    negatable: f.negatable,
                },
                Some(c) if f.phrases.is_empty() && f.terms.is_empty() => Test::Computed(c),
                Some(_) => {
                    return Err(KbError::invalid(
                        Self::FILE,
                        format!("factor {} is computed; it takes no patterns", f.id),
                    ));
                }
                None if f.phrases.is_empty() && f.terms.is_empty() => {
                    return Err(KbError::invalid(
                        Self::FILE,
                        format!("factor {} has no patterns", f.id),
                    ));
                }
                None => Test::Cues {
                    cues: Cues::new(&f.phrases, &f.terms).map_err(|e| {
                        KbError::invalid(Self::FILE, format!("factor {}: {e}", f.id))
                    })?,
                    negatable: f.negatable,
                },
            };
            if factors.iter().any(|x: &Factor| x.id == f.id) {
                return Err(KbError::invalid(
                    Self::FILE,
                    format!("duplicate factor {}", f.id),
                ));
            }
            factors.push(Factor {
                id: f.id,
                points: f.points,
                reason: f.reason,
                test,
            });
        }
        for a in &file.activity_factors {
            if !factors.iter().any(|f| &f.id == a) {
                return Err(KbError::invalid(
                    Self::FILE,
                    format!("activity factor {a} is not a factor"),
                ));
            }
        }
        for kind in file.kind_points.keys() {
            Kind::parse(kind).ok_or_else(|| {
                KbError::invalid(Self::FILE, format!("unknown kind {kind:?} in kind_points"))
            })?;
        }
        Ok(Self {
            scale: file.scale,
            activity: file.activity_factors,
            kind_points: file.kind_points,
            factors,
            cvss: file.cvss,
        })
    }

    pub fn assess(&self, facts: &Facts<'_>) -> Assessment {
        // The title counts as text: "Actively exploited Fortinet flaw" says it all.
        let text = format!("{}.\n{}", facts.title, facts.text);
        let mut parts = Vec::new();
        for f in &self.factors {
            if let Some(found) = self.apply(f, &text, facts) {
                let reason = match found.detail {
                    Some(detail) => format!("{} ({detail})", f.reason),
                    None => f.reason.clone(),
                };
                parts.push(ScorePart {
                    factor: f.id.clone(),
                    points: found.points,
                    reason,
                    evidence: found.evidence,
                });
            }
        }
        let kind = facts.kind.kind;
        let base = self.kind_points.get(kind.as_str()).copied().unwrap_or(0);
        let score = base + parts.iter().map(|p| p.points).sum::<u32>();
        let active = parts.iter().any(|p| self.activity.contains(&p.factor));
        let mut severity = match score {
            s if s >= self.scale.crit => Severity::Crit,
            s if s >= self.scale.high => Severity::High,
            s if s >= self.scale.med => Severity::Med,
            _ => Severity::Low,
        };
        let mut reasons = Vec::new();
        let gated = kind == Kind::Withdrawn || (!is_threat(kind) && !active);
        if gated {
            severity = Severity::Low;
            reasons.push(format!(
                "The article reads as {} (“{}”), and {} are LOW unless they report real attacker activity.",
                kind_phrase(kind),
                short(&facts.kind.evidence),
                plural_phrase(kind)
            ));
        }
        for p in &parts {
            reasons.push(if p.evidence.is_empty() {
                format!("{}.", p.reason)
            } else {
                format!("{}: “{}”", p.reason, short(&p.evidence))
            });
        }
        if reasons.is_empty() {
            reasons.push(
                "No exploitation, impact, breadth or indicator evidence was found in the text."
                    .to_owned(),
            );
        }
        Assessment {
            severity,
            reasons,
            score,
            parts,
        }
    }

    fn apply(&self, f: &Factor, text: &str, facts: &Facts<'_>) -> Option<Found> {
        let counted = |n: usize, one: &str, many: &str| {
            (n > 0).then(|| Found {
                points: f.points,
                detail: Some(format!("{n} {}", if n == 1 { one } else { many })),
                evidence: String::new(),
            })
        };
        match &f.test {
            Test::Cues { cues, negatable } => {
                let m = if *negatable {
                    cues.find_affirmed(text)
                } else {
                    cues.find_all(text).into_iter().next()
                }?;
                Some(Found {
                    points: f.points,
                    detail: None,
                    evidence: sentence_at(text, m.start).to_owned(),
                })
            }
            Test::Actors {
                fallback,
                negatable,
            } => {
                if let Some(a) = facts.actors.iter().find(|a| a.role == NameRole::Attributed) {
                    let detail = match &a.attack_id {
                        Some(id) => format!("{}, {id}", a.name),
                        None => a.name.clone(),
                    };
                    return Some(Found {
                        points: f.points,
                        detail: Some(detail),
                        evidence: a.evidence.clone(),
                    });
                }
                let cues = fallback.as_ref()?;
                let m = if *negatable {
                    cues.find_affirmed(text)
                } else {
                    cues.find_all(text).into_iter().next()
                }?;
                Some(Found {
                    points: f.points,
                    detail: None,
                    evidence: sentence_at(text, m.start).to_owned(),
                })
            }
            Test::Computed(Computed::Actors) => None,
            Test::Computed(Computed::Kev) => {
                let mut listed: Vec<&Indicator> = facts
                    .iocs
                    .iter()
                    .filter(|i| i.kind == IocType::Cve && facts.kev.contains(&i.value))
                    .collect();
                listed.sort_by(|a, b| a.value.cmp(&b.value));
                listed.dedup_by(|a, b| a.value == b.value);
                let first = listed.first()?;
                let cves: Vec<&str> = listed.iter().map(|i| i.value.as_str()).collect();
                Some(Found {
                    points: f.points,
                    detail: Some(cves.join(", ")),
                    evidence: first.evidence.clone(),
                })
            }
            Test::Computed(Computed::Cvss) => {
                let (score, evidence) = highest_cvss(text)?;
                let c = &self.cvss;
                let points = if score >= c.critical_from {
                    c.critical_points
                } else if score >= c.high_from {
                    c.high_points
                } else {
                    return None;
                };
                Some(Found {
                    points: points + f.points,
                    detail: Some(format!("{score:.1}")),
                    evidence,
                })
            }
            Test::Computed(Computed::Iocs) => counted(
                facts
                    .iocs
                    .iter()
                    .filter(|i| i.fidelity == crate::Fidelity::High)
                    .count(),
                "indicator",
                "indicators",
            ),
            Test::Computed(Computed::Hunts) => counted(facts.hunts.len(), "use case", "use cases"),
            Test::Computed(Computed::Techniques) => {
                counted(facts.techniques.len(), "technique", "techniques")
            }
        }
    }
}

/// What a factor found: its points, a short detail for the reason, the evidence sentence.
struct Found {
    points: u32,
    detail: Option<String>,
    evidence: String,
}

/// The highest plausible CVSS score stated, with its sentence.
fn highest_cvss(text: &str) -> Option<(f32, String)> {
    CVSS.captures_iter(text)
        .filter_map(|c| {
            let m = c.iter().skip(1).flatten().next()?;
            let score: f32 = m.as_str().parse().ok()?;
            (score > 0.0 && score <= 10.0).then(|| (score, sentence_at(text, m.start()).to_owned()))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

fn short(s: &str) -> String {
    let s = crate::text::collapse_whitespace(s);
    if s.chars().count() <= 160 {
        return s;
    }
    let cut: String = s.chars().take(157).collect();
    format!("{}…", cut.trim_end())
}

fn kind_phrase(kind: Kind) -> &'static str {
    match kind {
        Kind::Tutorial => "a tutorial",
        Kind::Product => "a product announcement or case study",
        Kind::Commentary => "commentary",
        Kind::Withdrawn => "a withdrawn or duplicate advisory",
        _ => "not a threat report",
    }
}

fn plural_phrase(kind: Kind) -> &'static str {
    match kind {
        Kind::Tutorial => "tutorials",
        Kind::Product => "product news",
        Kind::Commentary => "opinion pieces",
        Kind::Withdrawn => "withdrawn advisories",
        _ => "such articles",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::EMBEDDED;

    fn model() -> SeverityModel {
        SeverityModel::parse(EMBEDDED.get(SeverityModel::FILE).unwrap()).unwrap()
    }

    #[test]
    fn schema_is_checked() {
        let ok = "activity_factors = []\n[scale]\nCRIT = 70\nHIGH = 45\nMED = 20\n[kind_points]\ncampaign = 1\n[cvss]\ncritical_from = 9.0\ncritical_points = 1\nhigh_from = 7.0\nhigh_points = 1\n";
        assert!(
            SeverityModel::parse(&format!(
                "{ok}[[factor]]\nid = 'a'\npoints = 1\nreason = 'r'\nphrases = ['x']\nterms = []"
            ))
            .is_ok()
        );
        assert!(
            SeverityModel::parse(&format!(
                "{ok}[[factor]]\nid = 'a'\npoints = 1\nreason = 'r'\nphrases = []\nterms = []"
            ))
            .is_err(),
            "no patterns"
        );
        assert!(
            SeverityModel::parse(&format!(
                "{ok}[[factor]]\nid = 'a'\npoints = 1\nreason = 'r'\nfrom = 'kev'\nphrases = ['x']"
            ))
            .is_err(),
            "computed with patterns"
        );
        assert!(
            SeverityModel::parse(&ok.replace("campaign", "rumour")).is_err(),
            "unknown kind"
        );
        assert!(
            SeverityModel::parse(&ok.replace("CRIT = 70", "CRIT = 10")).is_err(),
            "scale order"
        );
        assert!(
            SeverityModel::parse(
                &ok.replace("activity_factors = []", "activity_factors = ['nope']")
            )
            .is_err()
        );
    }

    #[test]
    fn cvss_scores_are_read_in_their_usual_forms() {
        for (text, score) in [
            ("The flaw has a CVSS score of 9.8.", 9.8),
            ("It is rated CVSS v3.1 base score: 7.5 by NVD.", 7.5),
            ("NVD lists a CVSS 3.1 base score of 8.8.", 8.8),
            ("The bug (CVSS 10.0) affects all versions.", 10.0),
            ("It carries a 8.1 CVSS rating.", 8.1),
            ("NVD gives it a severity score of 9.1 out of 10.", 9.1),
        ] {
            assert_eq!(highest_cvss(text).map(|(s, _)| s), Some(score), "{text}");
        }
        assert_eq!(
            highest_cvss("CVSS 42.0 is not a score, nor is CVSS 0.0."),
            None
        );
        assert_eq!(
            highest_cvss("Two flaws, CVSS 5.3 and CVSS 9.0.").map(|(s, _)| s),
            Some(9.0)
        );
    }

    #[test]
    fn factors_need_whole_words() {
        let m = model();
        let kind = Classified {
            kind: Kind::Other,
            evidence: String::new(),
        };
        let kev = HashSet::new();
        let a = m.assess(&Facts {
            title: "Open source capture tools adapt to the workforce",
            text: "The source of the capture was a brute force adapter. Sandworms in the garden.",
            kind: &kind,
            iocs: &[],
            techniques: &[],
            hunts: &[],
            kev: &kev,
            actors: &[],
        });
        assert!(a.parts.is_empty(), "{:?}", a.parts);
        assert_eq!(a.severity, Severity::Low);
        assert_eq!(a.reasons.len(), 1);
    }

    #[test]
    fn an_attributed_actor_is_a_factor_and_phrases_are_the_fallback() {
        let m = model();
        let kind = Classified {
            kind: Kind::Campaign,
            evidence: String::new(),
        };
        let kev = HashSet::new();
        let actor = NamedEntity {
            name: "UNC3886".into(),
            attack_id: Some("G1048".into()),
            aliases: vec![],
            role: NameRole::Attributed,
            evidence: "Mandiant observed UNC3886 exploiting the appliances.".into(),
            source: crate::model::NameSource::Attack,
        };
        let facts = |text: &'static str, actors: &'static [NamedEntity]| Facts {
            title: "t",
            text,
            kind: &kind,
            iocs: &[],
            techniques: &[],
            hunts: &[],
            kev: &kev,
            actors,
        };
        let actors: &'static [NamedEntity] = Box::leak(vec![actor.clone()].into_boxed_slice());
        let a = m.assess(&facts(
            "Mandiant observed UNC3886 exploiting the appliances.",
            actors,
        ));
        let part = a.parts.iter().find(|p| p.factor == "named-actor").unwrap();
        assert!(part.reason.contains("UNC3886, G1048"), "{}", part.reason);
        assert_eq!(part.evidence, actor.evidence);
        let a = m.assess(&facts(
            "A state-sponsored group breached the ministry.",
            &[],
        ));
        assert!(a.parts.iter().any(|p| p.factor == "named-actor"));
        let mentioned: &'static [NamedEntity] = Box::leak(
            vec![NamedEntity {
                role: NameRole::Mentioned,
                ..actor
            }]
            .into_boxed_slice(),
        );
        let a = m.assess(&facts("The loader breached the ministry.", mentioned));
        assert!(!a.parts.iter().any(|p| p.factor == "named-actor"));
    }
}
