//! Severity from explicit, documented factors (`data/severity.toml`), after the rubric
//! (what the article reports decides the band): each factor found in the title or the body
//! adds its points and a reason quoting its evidence; the total maps to CRIT / HIGH / MED /
//! LOW, bounded by the kind's ceiling and factor caps. IOC, hunt and technique counts only
//! break ties.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::cues::{Cues, Negation};
use crate::cvss;
use crate::kb::KbError;
use crate::model::{Hunt, Indicator, IocType, Kind, NameRole, NamedEntity, Severity, TechniqueHit};
use crate::text::sentence_at as sentence_in;
use crate::triage::Classified;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeverityFile {
    scale: Scale,
    kind_points: BTreeMap<String, i32>,
    kind_cap: BTreeMap<String, String>,
    #[serde(default)]
    kind_cap_unless: BTreeMap<String, Vec<String>>,
    ties: Ties,
    old_cve: OldCve,
    cvss: CvssPoints,
    advisory: AdvisoryPoints,
    factor: Vec<FactorSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scale {
    #[serde(rename = "CRIT")]
    crit: i32,
    #[serde(rename = "HIGH")]
    high: i32,
    #[serde(rename = "MED")]
    med: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ties {
    points: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OldCve {
    years: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CvssPoints {
    critical_from: f32,
    critical_points: i32,
    high_from: f32,
    high_points: i32,
    medium_from: f32,
    medium_points: i32,
    /// The ceiling a stated score below `high_from`, and one below `critical_from`, sets.
    below_high_cap: String,
    below_critical_cap: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvisoryPoints {
    critical: i32,
    high: i32,
    moderate: i32,
    low: i32,
    /// The ceilings a moderate and a low rating set.
    moderate_cap: String,
    low_cap: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorSpec {
    id: String,
    points: i32,
    reason: String,
    #[serde(default = "no_negation")]
    negation: Negation,
    group: Option<String>,
    cap: Option<String>,
    #[serde(default)]
    unless: Vec<String>,
    /// Factors whose presence lifts this factor's ceiling (not its points).
    #[serde(default)]
    cap_unless: Vec<String>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    terms: Vec<String>,
    from: Option<Computed>,
}

fn no_negation() -> Negation {
    Negation::None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Computed {
    Kev,
    Cvss,
    CvssVector,
    Advisory,
    /// An actor the names stage found the activity attributed to; the factor's phrases,
    /// if any, still count when no actor was named ("a state-sponsored group").
    Actors,
    OldCve,
}

#[derive(Debug)]
struct Factor {
    id: String,
    points: i32,
    reason: String,
    negation: Negation,
    group: Option<String>,
    cap: Option<Severity>,
    unless: Vec<String>,
    cap_unless: Vec<String>,
    cues: Option<Cues>,
    from: Option<Computed>,
}

/// One factor that applied, with its points and evidence: the JSON's score parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorePart {
    pub factor: String,
    /// Negative for factors that lower the grade (an old CVE).
    pub points: i32,
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub evidence: String,
    /// Where the evidence is: `title`, `body` or `advisory` (a source's structured field).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// The compiled factors.
#[derive(Debug)]
pub struct SeverityModel {
    scale: Scale,
    /// Ceilings of structured evidence: CVSS below HIGH / below CRIT, advisory moderate / low.
    structured_caps: [Severity; 4],
    kind_points: BTreeMap<&'static str, i32>,
    kind_cap: BTreeMap<&'static str, Severity>,
    /// Factors that lift a kind's ceiling (a breach that is also ransomware encryption).
    kind_cap_unless: BTreeMap<&'static str, Vec<String>>,
    ties: Ties,
    old_cve: OldCve,
    cvss: CvssPoints,
    advisory: AdvisoryPoints,
    factors: Vec<Factor>,
}

/// The facts severity is computed from, besides the text.
pub struct Facts<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub kind: &'a Classified,
    /// The article's date; CVE age is measured from it.
    pub published: Option<NaiveDate>,
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

static CVSS_SCORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)CVSS\s*[234]\.\d\s+(?:base\s+)?score\s*(?:of|is)?\s*:?\s*(\d{1,2}(?:\.\d)?)(?-u:\b)|(?-u:\b)CVSS(?:\s*v?[234](?:\.\d)?)?(?:\s+base)?(?:\s+score)?(?:\s+(?:of|is|at))?\s*:?\s*(\d{1,2}(?:\.\d)?)(?-u:\b)|(?-u:\b)(\d{1,2}\.\d)\s*(?:/\s*10\s*)?\)?\s*(?:(?:on|in) (?:the )?)?CVSS(?-u:\b)|(?-u:\b)severity score of (\d{1,2}\.\d)(?-u:\b)|(?-u:\b)rate[sd]? (?:it )?(\d{1,2}\.\d) (?:on|in) (?:the )?CVSS",
    )
    .expect("the CVSS pattern is valid")
});

/// The line our GHSA adapter writes: "Security advisory GHSA-…, severity critical:".
static ADVISORY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^(?:Security|Malware) advisory GHSA(?:-[a-z0-9]{4}){3}(?: \(CVE-\d{4}-\d{4,}\))?, severity (critical|high|moderate|medium|low):",
    )
    .expect("the advisory pattern is valid")
});

static CVE_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)CVE-(\d{4})-\d{4,}(?-u:\b)").expect("the CVE pattern is valid")
});

impl SeverityModel {
    pub const FILE: &'static str = "severity.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let invalid = |msg: String| KbError::invalid(Self::FILE, msg);
        let file: SeverityFile =
            toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let s = &file.scale;
        if !(s.crit > s.high && s.high > s.med && s.med > 0) {
            return Err(invalid("scale must be CRIT > HIGH > MED > 0".into()));
        }
        let severity = |name: &str, what: &str| {
            Severity::parse(name)
                .ok_or_else(|| invalid(format!("{what}: unknown severity {name:?}")))
        };
        let kind =
            |name: &str| Kind::parse(name).ok_or_else(|| invalid(format!("unknown kind {name:?}")));
        let mut factors: Vec<Factor> = Vec::new();
        for f in file.factor {
            let patterns = !f.phrases.is_empty() || !f.terms.is_empty();
            match f.from {
                None if !patterns => {
                    return Err(invalid(format!("factor {} has no patterns", f.id)));
                }
                Some(c) if patterns && c != Computed::Actors => {
                    return Err(invalid(format!(
                        "factor {} is computed; it takes no patterns",
                        f.id
                    )));
                }
                _ => {}
            }
            if factors.iter().any(|x| x.id == f.id) {
                return Err(invalid(format!("duplicate factor {}", f.id)));
            }
            let cues = patterns
                .then(|| Cues::new(&f.phrases, &f.terms))
                .transpose()
                .map_err(|e| invalid(format!("factor {}: {e}", f.id)))?;
            let cap = f
                .cap
                .as_deref()
                .map(|c| severity(c, &format!("factor {}", f.id)))
                .transpose()?;
            factors.push(Factor {
                id: f.id,
                points: f.points,
                reason: f.reason,
                negation: f.negation,
                group: f.group,
                cap,
                unless: f.unless,
                cap_unless: f.cap_unless,
                cues,
                from: f.from,
            });
        }
        for f in &factors {
            if let Some(u) = f
                .unless
                .iter()
                .chain(&f.cap_unless)
                .find(|u| !factors.iter().any(|x| &x.id == *u))
            {
                return Err(invalid(format!(
                    "factor {}: unless {u} is not a factor",
                    f.id
                )));
            }
        }
        let kind_points = file
            .kind_points
            .iter()
            .map(|(k, p)| Ok((kind(k)?.as_str(), *p)))
            .collect::<Result<_, KbError>>()?;
        let kind_cap = file
            .kind_cap
            .iter()
            .map(|(k, c)| Ok((kind(k)?.as_str(), severity(c, "kind_cap")?)))
            .collect::<Result<_, KbError>>()?;
        let mut kind_cap_unless = BTreeMap::new();
        for (k, list) in &file.kind_cap_unless {
            if let Some(u) = list.iter().find(|u| !factors.iter().any(|x| &x.id == *u)) {
                return Err(invalid(format!("kind_cap_unless {k}: {u} is not a factor")));
            }
            kind_cap_unless.insert(kind(k)?.as_str(), list.clone());
        }
        let structured_caps = [
            severity(&file.cvss.below_high_cap, "cvss")?,
            severity(&file.cvss.below_critical_cap, "cvss")?,
            severity(&file.advisory.moderate_cap, "advisory")?,
            severity(&file.advisory.low_cap, "advisory")?,
        ];
        Ok(Self {
            scale: file.scale,
            structured_caps,
            kind_points,
            kind_cap,
            kind_cap_unless,
            ties: file.ties,
            old_cve: file.old_cve,
            cvss: file.cvss,
            advisory: file.advisory,
            factors,
        })
    }

    pub fn assess(&self, facts: &Facts<'_>) -> Assessment {
        let mut parts: Vec<(&Factor, ScorePart)> = Vec::new();
        let mut caps: Vec<(&Factor, Severity)> = Vec::new();
        for f in &self.factors {
            if let Some(found) = self.apply(f, facts) {
                if let Some(cap) = found.cap.or(f.cap) {
                    caps.push((f, cap));
                }
                let reason = match found.detail {
                    Some(detail) => format!("{} ({detail})", f.reason),
                    None => f.reason.clone(),
                };
                parts.push((
                    f,
                    ScorePart {
                        factor: f.id.clone(),
                        points: found.points,
                        reason,
                        evidence: found.evidence,
                        source: found.source.to_owned(),
                    },
                ));
            }
        }
        // A factor some other applying factor cancels goes; of a group, the strongest stays.
        let present: HashSet<String> = parts.iter().map(|(f, _)| f.id.clone()).collect();
        parts.retain(|(f, _)| !f.unless.iter().any(|u| present.contains(u)));
        let mut strongest: BTreeMap<&str, i32> = BTreeMap::new();
        for (f, p) in &parts {
            if let Some(g) = &f.group {
                let best = strongest.entry(g).or_insert(p.points);
                *best = (*best).max(p.points);
            }
        }
        let mut kept_group = HashSet::new();
        parts.retain(|(f, p)| match &f.group {
            Some(g) => strongest[g.as_str()] == p.points && kept_group.insert(g.clone()),
            None => true,
        });

        let kind = facts.kind.kind;
        let base = self.kind_points.get(kind.as_str()).copied().unwrap_or(0);
        let mut score = (base + parts.iter().map(|(_, p)| p.points).sum::<i32>()).max(0);
        let mut severity = self.band(score);
        let mut reasons = Vec::new();

        // Counters break ties: a score already at MED or above may cross into the next band.
        let counters = [
            (
                facts
                    .iocs
                    .iter()
                    .filter(|i| i.fidelity == crate::Fidelity::High)
                    .count(),
                "indicators",
            ),
            (facts.techniques.len(), "techniques"),
            (facts.hunts.len(), "hunts"),
        ];
        let mut tie = None;
        if severity.at_least(Severity::Med) && counters.iter().any(|(n, _)| *n > 0) {
            let lifted = self.band(score + self.ties.points);
            if lifted != severity {
                let counted: Vec<String> = counters
                    .iter()
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, what)| format!("{n} {what}"))
                    .collect();
                score += self.ties.points;
                severity = lifted;
                tie = Some(ScorePart {
                    factor: "tie-break".into(),
                    points: self.ties.points,
                    reason: format!(
                        "At a band's edge, what there is to hunt breaks the tie ({})",
                        counted.join(", ")
                    ),
                    evidence: String::new(),
                    source: String::new(),
                });
            }
        }

        // Ceilings: the kind's, then any factor's.
        let lifted = self
            .kind_cap_unless
            .get(kind.as_str())
            .is_some_and(|list| parts.iter().any(|(f, _)| list.contains(&f.id)));
        let kind_cap = self
            .kind_cap
            .get(kind.as_str())
            .copied()
            .filter(|_| !lifted);
        if let Some(cap) = kind_cap
            && (severity.at_least(cap) && severity != cap || cap == Severity::Low)
        {
            severity = severity.min_with(cap);
            reasons.push(format!(
                "The article reads as {} (“{}”), and {} are {} at most.",
                kind_phrase(kind),
                short(&facts.kind.evidence),
                plural_phrase(kind),
                cap.as_str()
            ));
        }
        let present: HashSet<&str> = parts.iter().map(|(f, _)| f.id.as_str()).collect();
        for (f, cap) in &caps {
            let applies = present.contains(f.id.as_str())
                && !f.cap_unless.iter().any(|u| present.contains(u.as_str()));
            if applies {
                severity = severity.min_with(*cap);
            }
        }
        let mut parts: Vec<ScorePart> = parts.into_iter().map(|(_, p)| p).collect();
        parts.extend(tie);
        // A kind that is LOW whatever it mentions: its factors are no reasons.
        if kind_cap != Some(Severity::Low) {
            for p in &parts {
                let from = match p.source.as_str() {
                    "" => String::new(),
                    s => format!(", in the {s}"),
                };
                reasons.push(if p.evidence.is_empty() {
                    format!("{}{from}.", p.reason)
                } else {
                    format!("{}{from}: “{}”", p.reason, short(&p.evidence))
                });
            }
        }
        if reasons.is_empty() {
            reasons.push(
                "No exploitation, destruction, compromise, malware, actor or flaw evidence was found in the title or the text."
                    .to_owned(),
            );
        }
        Assessment {
            severity,
            reasons,
            score: score.max(0) as u32,
            parts,
        }
    }

    fn band(&self, score: i32) -> Severity {
        match score {
            s if s >= self.scale.crit => Severity::Crit,
            s if s >= self.scale.high => Severity::High,
            s if s >= self.scale.med => Severity::Med,
            _ => Severity::Low,
        }
    }

    fn apply(&self, f: &Factor, facts: &Facts<'_>) -> Option<Found> {
        let text = facts.text;
        let found = |evidence: String, source: &'static str, detail: Option<String>| Found {
            points: f.points,
            detail,
            evidence,
            source,
            cap: None,
        };
        match f.from {
            None => self.cues_in(f, facts),
            Some(Computed::Actors) => {
                if let Some(a) = facts.actors.iter().find(|a| a.role == NameRole::Attributed) {
                    let detail = match &a.attack_id {
                        Some(id) => format!("{}, {id}", a.name),
                        None => a.name.clone(),
                    };
                    return Some(found(a.evidence.clone(), "body", Some(detail)));
                }
                self.cues_in(f, facts)
            }
            Some(Computed::Kev) => {
                let mut listed: Vec<&Indicator> = facts
                    .iocs
                    .iter()
                    .filter(|i| i.kind == IocType::Cve && facts.kev.contains(&i.value))
                    .collect();
                listed.sort_by(|a, b| a.value.cmp(&b.value));
                listed.dedup_by(|a, b| a.value == b.value);
                let first = listed.first()?;
                let cves: Vec<&str> = listed.iter().map(|i| i.value.as_str()).collect();
                Some(found(first.evidence.clone(), "body", Some(cves.join(", "))))
            }
            Some(Computed::Cvss) => {
                let (score, evidence, source) = self.highest_cvss(facts)?;
                let c = &self.cvss;
                let (points, cap) = if score >= c.critical_from {
                    (c.critical_points, None)
                } else if score >= c.high_from {
                    (c.high_points, Some(self.structured_caps[1]))
                } else if score >= c.medium_from {
                    (c.medium_points, Some(self.structured_caps[0]))
                } else {
                    (0, Some(self.structured_caps[0]))
                };
                Some(Found {
                    points: points + f.points,
                    cap,
                    ..found(evidence, source, Some(format!("{score:.1}")))
                })
            }
            Some(Computed::CvssVector) => {
                let (range, v) = cvss::vectors(text)
                    .into_iter()
                    .find(|(_, v)| v.wide_open())?;
                Some(found(
                    sentence_at(text, range.start).to_owned(),
                    "body",
                    Some(format!("CVSS {} {}", v.version, v.text)),
                ))
            }
            Some(Computed::Advisory) => {
                let c = ADVISORY.captures(text)?;
                let level = c.get(1)?.as_str();
                let a = &self.advisory;
                let (points, cap) = match level {
                    "critical" => (a.critical, None),
                    "high" => (a.high, None),
                    "moderate" | "medium" => (a.moderate, Some(self.structured_caps[2])),
                    _ => (a.low, Some(self.structured_caps[3])),
                };
                Some(Found {
                    points: points + f.points,
                    cap,
                    ..found(
                        c.get(0)?.as_str().trim_end_matches(':').to_owned(),
                        "advisory",
                        Some(level.to_owned()),
                    )
                })
            }
            Some(Computed::OldCve) => {
                let year = facts.published?.year();
                let title_years = CVE_YEAR.captures_iter(facts.title);
                let body_years = CVE_YEAR.captures_iter(text);
                let (mut newest, mut at): (Option<i32>, Option<(usize, bool)>) = (None, None);
                for (c, in_title) in title_years
                    .map(|c| (c, true))
                    .chain(body_years.map(|c| (c, false)))
                {
                    let y: i32 = c.get(1)?.as_str().parse().ok()?;
                    if newest.is_none_or(|n| y > n) {
                        newest = Some(y);
                        at = Some((c.get(0)?.start(), in_title));
                    }
                }
                let (newest, (start, in_title)) = (newest?, at?);
                if year - newest < self.old_cve.years {
                    return None;
                }
                let (evidence, source) = if in_title {
                    (facts.title.to_owned(), "title")
                } else {
                    (sentence_at(text, start).to_owned(), "body")
                };
                Some(found(
                    evidence,
                    source,
                    Some(format!("newest from {newest}")),
                ))
            }
        }
    }

    /// A cue factor: the title first (a headline is evidence), then the body.
    fn cues_in(&self, f: &Factor, facts: &Facts<'_>) -> Option<Found> {
        let cues = f.cues.as_ref()?;
        let (evidence, source) = if cues.find_unless(facts.title, f.negation).is_some() {
            (facts.title.to_owned(), "title")
        } else {
            let m = cues.find_unless(facts.text, f.negation)?;
            (sentence_at(facts.text, m.start).to_owned(), "body")
        };
        Some(Found {
            points: f.points,
            detail: None,
            evidence,
            source,
            cap: None,
        })
    }

    /// The highest plausible CVSS base score stated, or computed from a v3 vector.
    fn highest_cvss(&self, facts: &Facts<'_>) -> Option<(f32, String, &'static str)> {
        // (score, offset) of every score; the sentence is cut for the highest only, so a
        // report stating thousands of scores stays linear.
        let stated = |text: &str| -> Option<(f32, usize)> {
            let words = CVSS_SCORE.captures_iter(text).filter_map(|c| {
                let m = c.iter().skip(1).flatten().next()?;
                // "CVSS 4.0" names the version, not a score, unless a score is said.
                let whole = c.get(0)?.as_str().to_ascii_lowercase();
                let version = matches!(m.as_str(), "2.0" | "3.0" | "3.1" | "4.0");
                if version && text[m.end()..].starts_with('/') {
                    return None; // a vector ("CVSS:4.0/AV:N/…"), read below
                }
                if c.get(2).is_some() && version && !whole.contains("score") && !whole.contains(':')
                {
                    return None;
                }
                let score: f32 = m.as_str().parse().ok()?;
                (score > 0.0 && score <= 10.0).then_some((score, m.start()))
            });
            let vectors = cvss::vectors(text)
                .into_iter()
                .filter_map(|(r, v)| Some((v.score?, r.start)));
            words.chain(vectors).max_by(|a, b| a.0.total_cmp(&b.0))
        };
        let in_title = stated(facts.title);
        let in_body = stated(facts.text);
        match (in_title, in_body) {
            (Some(t), b) if b.is_none_or(|b| t.0 >= b.0) => {
                Some((t.0, sentence_at(facts.title, t.1).to_owned(), "title"))
            }
            (_, Some(b)) => Some((b.0, sentence_at(facts.text, b.1).to_owned(), "body")),
            _ => None,
        }
    }
}

/// The sentence around byte `at`, looked for within a window of the text so that quoting
/// evidence costs the same in a teaser and in a megabyte-long report.
fn sentence_at(text: &str, at: usize) -> &str {
    const REACH: usize = 2_000;
    let from = text.ceil_char_boundary(at.saturating_sub(REACH));
    let to = text.floor_char_boundary(at + REACH);
    sentence_in(&text[from..to], at - from)
}

/// The less serious of two severities.
trait Lower {
    fn min_with(self, cap: Severity) -> Severity;
}

impl Lower for Severity {
    fn min_with(self, cap: Severity) -> Severity {
        // Declared most serious first: the larger is the less serious.
        self.max(cap)
    }
}

/// What a factor found: its points, a short detail for the reason, the evidence and where.
struct Found {
    points: i32,
    detail: Option<String>,
    evidence: String,
    source: &'static str,
    /// A ceiling the evidence itself sets (a moderate advisory, a medium CVSS score).
    cap: Option<Severity>,
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
        Kind::Commentary => "commentary or research context",
        Kind::Withdrawn => "a withdrawn or duplicate advisory",
        Kind::LawEnforcement => "law-enforcement news",
        _ => "not a threat report",
    }
}

fn plural_phrase(kind: Kind) -> &'static str {
    match kind {
        Kind::Tutorial => "tutorials",
        Kind::Product => "product news and case studies",
        Kind::Commentary => "explainers, reports and opinion pieces",
        Kind::Withdrawn => "withdrawn advisories",
        Kind::LawEnforcement => "arrests, takedowns and sanctions",
        _ => "such articles",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::EMBEDDED;
    use crate::model::{Fidelity, NameSource};

    fn model() -> SeverityModel {
        SeverityModel::parse(EMBEDDED.get(SeverityModel::FILE).unwrap()).unwrap()
    }

    fn classified(kind: Kind) -> Classified {
        Classified {
            kind,
            evidence: "the title".into(),
        }
    }

    /// Assesses `title` and `text` as an article of `kind` dated 2026-11-20, no IOCs.
    fn assess(kind: Kind, title: &str, text: &str) -> Assessment {
        let kev = HashSet::new();
        model().assess(&Facts {
            title,
            text,
            kind: &classified(kind),
            published: NaiveDate::from_ymd_opt(2026, 11, 20),
            iocs: &[],
            techniques: &[],
            hunts: &[],
            kev: &kev,
            actors: &[],
        })
    }

    fn part<'a>(a: &'a Assessment, factor: &str) -> Option<&'a ScorePart> {
        a.parts.iter().find(|p| p.factor == factor)
    }

    #[test]
    fn schema_is_checked() {
        let ok = "[scale]\nCRIT = 70\nHIGH = 45\nMED = 20\n[kind_points]\ncampaign = 1\n[kind_cap]\ntutorial = 'LOW'\n[ties]\npoints = 4\n[old_cve]\nyears = 3\n[cvss]\ncritical_from = 9.0\ncritical_points = 1\nhigh_from = 7.0\nhigh_points = 1\nmedium_from = 4.0\nmedium_points = 1\nbelow_high_cap = 'MED'\nbelow_critical_cap = 'HIGH'\n[advisory]\ncritical = 1\nhigh = 1\nmoderate = 1\nlow = 0\nmoderate_cap = 'MED'\nlow_cap = 'LOW'\n";
        let factor =
            "[[factor]]\nid = 'a'\npoints = 1\nreason = 'r'\nphrases = ['x']\nterms = []\n";
        assert!(SeverityModel::parse(&format!("{ok}{factor}")).is_ok());
        for (from, to, why) in [
            ("phrases = ['x']", "phrases = []", "no patterns"),
            (
                "phrases = ['x']",
                "from = 'kev'\nphrases = ['x']",
                "computed with patterns",
            ),
            ("phrases = ['x']", "phrases = ['(']", "bad pattern"),
            (
                "phrases = ['x']",
                "cap = 'SEVERE'\nphrases = ['x']",
                "unknown cap",
            ),
            (
                "phrases = ['x']",
                "unless = ['b']\nphrases = ['x']",
                "unless names no factor",
            ),
            (
                "phrases = ['x']",
                "negation = 'maybe'\nphrases = ['x']",
                "unknown negation",
            ),
            (
                "points = 1\nreason",
                "points = 1\ncolour = 'red'\nreason",
                "unknown field",
            ),
        ] {
            assert!(
                SeverityModel::parse(&format!("{ok}{}", factor.replace(from, to))).is_err(),
                "{why}"
            );
        }
        assert!(
            SeverityModel::parse(&format!("{ok}{factor}{factor}")).is_err(),
            "duplicate"
        );
        assert!(SeverityModel::parse(&ok.replace("campaign", "rumour")).is_err());
        assert!(
            SeverityModel::parse(&ok.replace("tutorial = 'LOW'", "tutorial = 'NONE'")).is_err()
        );
        assert!(SeverityModel::parse(&ok.replace("CRIT = 70", "CRIT = 10")).is_err());
    }

    #[test]
    fn cvss_scores_are_read_in_their_usual_forms() {
        for (text, score) in [
            ("The flaw has a CVSS score of 9.8.", 9.8),
            ("It is rated CVSS v3.1 base score: 7.5 by NVD.", 7.5),
            ("NVD lists a CVSS 3.1 base score of 8.8.", 8.8),
            ("The bug (CVSS 10.0) affects all versions.", 10.0),
            ("It carries a 8.1 CVSS rating.", 8.1),
            ("The vendor rates it 9.3 on CVSS 4.0.", 9.3),
            ("NVD gives it a severity score of 9.1 out of 10.", 9.1),
            (
                "Vector CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H per NVD.",
                9.8,
            ),
        ] {
            let a = assess(Kind::Vulnerability, "t", text);
            let p = part(&a, "cvss").unwrap_or_else(|| panic!("{text}"));
            assert!(
                p.reason.contains(&format!("({score:.1})")),
                "{text}: {}",
                p.reason
            );
        }
        let a = assess(
            Kind::Vulnerability,
            "t",
            "CVSS 42.0 is not a score, nor is CVSS 0.0.",
        );
        assert!(part(&a, "cvss").is_none());
        let a = assess(
            Kind::Vulnerability,
            "t",
            "Two flaws, CVSS 5.3 and CVSS 9.0.",
        );
        assert!(part(&a, "cvss").unwrap().reason.contains("(9.0)"));
    }

    #[test]
    fn factors_need_whole_words() {
        let a = assess(
            Kind::Other,
            "Open source capture tools adapt to the workforce",
            "The source of the capture was a brute force adapter. Sandworms in the garden. Preloaders and stealerships.",
        );
        assert!(a.parts.is_empty(), "{:?}", a.parts);
        assert_eq!(a.severity, Severity::Low);
        assert_eq!(a.reasons.len(), 1);
    }

    #[test]
    fn the_title_is_evidence_and_the_quote_says_so() {
        let a = assess(
            Kind::Campaign,
            "Iran-linked hackers destroy IT systems and backups at a utility",
            "Officials said billing remains offline while systems are rebuilt.",
        );
        assert!(a.severity.at_least(Severity::High), "{a:?}");
        let p = part(&a, "destructive").unwrap();
        assert_eq!(p.source, "title");
        assert!(
            a.reasons
                .iter()
                .any(|r| r.contains(", in the title: “Iran-linked")),
            "{:?}",
            a.reasons
        );
        let a = assess(
            Kind::Campaign,
            "Utility outage update",
            "Attackers wiped the servers and erased the backups.",
        );
        assert_eq!(part(&a, "destructive").unwrap().source, "body");
        assert!(
            a.reasons
                .iter()
                .any(|r| r.contains(", in the body: “Attackers wiped"))
        );
    }

    #[test]
    fn negation_and_hedges_apply_to_the_title_too() {
        let a = assess(
            Kind::Vulnerability,
            "No evidence the Acme VPN flaw was exploited in the wild",
            "Acme fixed a bug in its VPN client.",
        );
        assert!(part(&a, "actively-exploited").is_none(), "{:?}", a.parts);
        let a = assess(
            Kind::Vulnerability,
            "Acme VPN flaw could be exploited in the wild, researchers say",
            "Acme fixed a bug in its VPN client.",
        );
        assert!(part(&a, "actively-exploited").is_none());
        // A hedge does not take back what a flaw is: its reach stays.
        let a = assess(
            Kind::Vulnerability,
            "Acme fixes DHCP server bug",
            "The bug could be exploited without authentication to run code.",
        );
        assert!(
            part(&a, "remote-unauthenticated").is_some(),
            "{:?}",
            a.parts
        );
    }

    #[test]
    fn the_rubric_rows_read_general_phrasings() {
        use Severity::*;
        for (kind, title, text, band) in [
            (
                Kind::Campaign,
                "Malicious versions of a popular npm library steal tokens",
                "The maintainer account was taken over and two releases publish CI secrets.",
                [Crit, High],
            ),
            (
                Kind::Campaign,
                "Fake browser update pages push a remote access trojan",
                "Visitors of hacked sites are told to install an update that drops the RAT.",
                [High, Med],
            ),
            (
                Kind::Vulnerability,
                "Unauthenticated SQL injection in a booking plugin",
                "Version 2.1 fixes it.",
                [Crit, High],
            ),
            (
                Kind::Vulnerability,
                "Path traversal in a log viewer",
                "An authenticated user can read files outside the log folder. Fixed in 1.4.",
                [Med, Med],
            ),
            (
                Kind::Vulnerability,
                "Denial of service in an HTTP/2 library",
                "Crafted frames crash servers using it; update to 0.9.",
                [Med, Med],
            ),
            (
                Kind::Campaign,
                "Intruders reformat file servers at a law firm",
                "The NAS was reset to factory defaults before staff noticed.",
                [Crit, High],
            ),
            (
                Kind::Vulnerability,
                "Gallery plugin lets visitors upload JSP files",
                "No login is needed to reach the upload form; 2.2 fixes it.",
                [Crit, High],
            ),
            (
                Kind::Campaign,
                "Crew downloads patient records from clinic portal",
                "Access came through a reused password.",
                [High, Med],
            ),
            (
                Kind::Campaign,
                "Date-picker widget on npm hijacked to ship a wallet stealer",
                "Version 4.0.2, installed by thousands of projects, runs a postinstall script.",
                [Crit, High],
            ),
            (
                Kind::Campaign,
                "Botnet enslaves thousands of cameras",
                "The malware spreads over Telnet.",
                [High, Med],
            ),
        ] {
            let a = assess(kind, title, text);
            assert!(
                band.contains(&a.severity),
                "{title}: {:?} {:#?}",
                a.severity,
                a.reasons
            );
        }
    }

    #[test]
    fn kinds_have_the_rubrics_ceilings() {
        let a = assess(
            Kind::Product,
            "How Acme used our scanner to remediate a famous zero-day",
            "When the zero-day was exploited in the wild, Acme patched 300 services with our platform.",
        );
        assert_eq!(a.severity, Severity::Low);
        assert_eq!(
            a.reasons.len(),
            1,
            "a case study's threat words are no reasons: {:?}",
            a.reasons
        );
        assert!(a.reasons[0].contains("product announcement or case study"));
        let a = assess(
            Kind::LawEnforcement,
            "Police arrest wiper gang that exploited VPN flaws",
            "Wipers erased data at dozens of firms this year after the gang exploited VPN flaws.",
        );
        assert_eq!(a.severity, Severity::Med, "{a:?}");
        assert!(a.reasons[0].contains("arrests, takedowns and sanctions are MED at most"));
    }

    #[test]
    fn counters_only_break_ties() {
        let kev = HashSet::new();
        let ioc = Indicator {
            kind: IocType::Sha256,
            value: "a".repeat(64),
            defanged: "a".repeat(64),
            fidelity: Fidelity::High,
            evidence: "The payload hash is listed.".into(),
            offset: 0,
        };
        let iocs = vec![ioc; 40];
        let facts = |title: &'static str, text: &'static str, kind: &'static Classified| Facts {
            title,
            text,
            kind,
            published: None,
            iocs: &iocs,
            techniques: &[],
            hunts: &[],
            kev: &kev,
            actors: &[],
        };
        let m = model();
        let other: &'static Classified = Box::leak(Box::new(classified(Kind::Other)));
        let a = m.assess(&facts(
            "Indicators from last week",
            "Forty hashes follow.",
            other,
        ));
        assert_eq!(a.severity, Severity::Low, "{a:?}");
        assert!(part(&a, "tie-break").is_none());
        // A campaign with active malware and a lure scores 40: five points short of HIGH.
        let campaign: &'static Classified = Box::leak(Box::new(classified(Kind::Campaign)));
        let text = "The phishing emails deliver a loader.";
        let without = assess(Kind::Campaign, "A campaign", text);
        assert_eq!(without.severity, Severity::Med);
        assert_eq!(
            without.score as i32 + m.ties.points,
            m.scale.high,
            "the test sits at the edge"
        );
        let a = m.assess(&facts("A campaign", text, campaign));
        assert_eq!(a.severity, Severity::High);
        assert!(
            part(&a, "tie-break")
                .unwrap()
                .reason
                .contains("40 indicators")
        );
    }

    #[test]
    fn cvss_vectors_and_advisory_ratings_are_structured_evidence() {
        let a = assess(
            Kind::Vulnerability,
            "Deserialization flaw in a queue library",
            "Security advisory GHSA-7f3c-q9xw-2m4p (CVE-2026-39021), severity critical: Deserialization flaw.\n\nCVSS vector: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.",
        );
        let adv = part(&a, "advisory").unwrap();
        assert_eq!(adv.source, "advisory");
        assert!(adv.reason.contains("critical"));
        let reach = part(&a, "cvss-vector").unwrap();
        assert!(
            reach.reason.contains("CVSS 3.1 CVSS:3.1/AV:N"),
            "{}",
            reach.reason
        );
        assert!(part(&a, "cvss").unwrap().reason.contains("9.8"));
        assert_eq!(a.severity, Severity::Crit);
        let a = assess(
            Kind::Vulnerability,
            "Local flaw",
            "Scored CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H.",
        );
        assert!(part(&a, "cvss-vector").is_none());
        assert!(part(&a, "cvss").unwrap().reason.contains("7.8"));
    }

    #[test]
    fn structured_ratings_bound_the_grade_unless_exploited() {
        let advisory = "Security advisory GHSA-3m9q-7xw4-h2vp, severity moderate: ReDoS in a parser.\n\nA remote, unauthenticated attacker can execute commands. CVSS vector: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L.";
        let a = assess(Kind::Vulnerability, "Parser flaw", advisory);
        assert_eq!(a.severity, Severity::Med, "{a:?}");
        assert!(
            part(&a, "cvss-vector").is_none(),
            "a low-impact vector is no reach"
        );
        let a = assess(
            Kind::Vulnerability,
            "Parser flaw exploited in the wild",
            advisory,
        );
        assert!(a.severity.at_least(Severity::High), "{a:?}");
        let a = assess(
            Kind::Vulnerability,
            "Acme fixes VPN flaw",
            "An unauthenticated attacker can execute code; CVSS 6.5.",
        );
        assert_eq!(a.severity, Severity::Med, "{a:?}");
        let a = assess(
            Kind::Vulnerability,
            "Acme fixes VPN flaw",
            "An unauthenticated attacker can execute code. Scored under CVSS 4.0 by the vendor.",
        );
        assert!(
            part(&a, "cvss").is_none(),
            "a version is no score: {:?}",
            a.parts
        );
    }

    #[test]
    fn a_breach_is_med_unless_it_is_also_destruction_or_exploitation() {
        let a = assess(
            Kind::Breach,
            "Retailer confirms breach of 3 million customer records",
            "Attackers stole names and addresses of 3,000,000 customers.",
        );
        assert_eq!(a.severity, Severity::Med, "{a:?}");
        let a = assess(
            Kind::Breach,
            "Retailer confirms breach after ransomware encrypted its servers",
            "Attackers stole customer records, then encrypted the file servers.",
        );
        assert!(a.severity.at_least(Severity::High), "{a:?}");
    }

    #[test]
    fn old_cves_lower_unless_exploited_now() {
        let text =
            "The 2017 deserialization bug CVE-2017-9805 in a REST plugin allows code execution.";
        let a = assess(Kind::Vulnerability, "Struts flaw listed again", text);
        assert!(part(&a, "old-cve").unwrap().points < 0);
        assert_eq!(a.severity, Severity::Low, "{a:?}");
        let a = assess(
            Kind::Vulnerability,
            "Attackers are exploiting an old Struts flaw",
            text,
        );
        assert!(part(&a, "old-cve").is_none());
        assert!(a.severity.at_least(Severity::High));
    }

    #[test]
    fn no_exploitation_keeps_a_flaw_below_crit() {
        let text = "A remote, unauthenticated attacker can execute commands; CVSS 9.8.";
        assert_eq!(
            assess(Kind::Vulnerability, "Acme gateway flaw", text).severity,
            Severity::Crit
        );
        let a = assess(
            Kind::Vulnerability,
            "Acme gateway flaw",
            &format!("{text} Acme is not aware of any exploitation."),
        );
        assert_eq!(a.severity, Severity::High);
    }

    #[test]
    fn an_attributed_actor_is_a_factor_and_phrases_are_the_fallback() {
        let m = model();
        let kind = classified(Kind::Campaign);
        let kev = HashSet::new();
        let actor = NamedEntity {
            name: "UNC3886".into(),
            attack_id: Some("G1048".into()),
            aliases: vec![],
            role: NameRole::Attributed,
            evidence: "Mandiant observed UNC3886 exploiting the appliances.".into(),
            source: NameSource::Attack,
        };
        let facts = |text: &'static str, actors: &'static [NamedEntity]| Facts {
            title: "t",
            text,
            kind: &kind,
            published: None,
            iocs: &[],
            techniques: &[],
            hunts: &[],
            kev: &kev,
            actors,
        };
        let actors: &'static [NamedEntity] = Box::leak(vec![actor.clone()].into_boxed_slice());
        let a = m.assess(&facts("Mandiant observed it on the appliances.", actors));
        let p = part(&a, "named-actor").unwrap();
        assert!(p.reason.contains("UNC3886, G1048"), "{}", p.reason);
        assert_eq!(p.evidence, actor.evidence);
        let a = m.assess(&facts(
            "A state-sponsored group breached the ministry.",
            &[],
        ));
        assert!(part(&a, "named-actor").is_some());
        let mentioned: &'static [NamedEntity] = Box::leak(
            vec![NamedEntity {
                role: NameRole::Mentioned,
                ..actor
            }]
            .into_boxed_slice(),
        );
        let a = m.assess(&facts("The loader breached the ministry.", mentioned));
        assert!(part(&a, "named-actor").is_none());
    }
}
