//! The use-case library (`data/hunts/library.toml`): stable IDs, what each hunt looks for
//! (as rules in the internal representation) and the evidence it needs to fire.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::backends::Backends;
use super::ir::{
    Aggregate, Cond, LogSource, Match, Op, Pattern, Rule, Selection, Slot, Value, Window,
    unsafe_char,
};
use crate::kb::KbError;
use crate::model::{Backend, Confidence, IocType, Phase};

pub const LIBRARY_FILE: &str = "hunts/library.toml";

/// One use case of the library.
#[derive(Debug, Clone)]
pub struct UseCase {
    pub id: String,
    pub title: String,
    pub phase: Phase,
    pub confidence: Confidence,
    pub techniques: Vec<String>,
    pub description: String,
    pub falsepositives: Vec<String>,
    /// Any one of these suffices.
    pub evidence: Vec<Evidence>,
    pub rules: Vec<Rule>,
    pub lookback: Window,
}

/// One way the article can support a use case; everything listed must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// One of these techniques (or a sub-technique of one) inferred with evidence.
    pub techniques: Vec<String>,
    /// One high-fidelity indicator of these types.
    pub indicators: Vec<IocType>,
    /// One of these names in an evidence sentence of what matched above (or of any
    /// technique or high-fidelity indicator when nothing else is listed).
    pub mentions: Vec<String>,
    pub min_confidence: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LibraryFile {
    use_case: Vec<UseCaseSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UseCaseSpec {
    id: String,
    title: String,
    phase: String,
    confidence: String,
    techniques: Vec<String>,
    description: String,
    #[serde(default)]
    falsepositives: Vec<String>,
    #[serde(default = "default_lookback")]
    lookback: String,
    evidence: Vec<EvidenceSpec>,
    rule: Vec<RuleSpec>,
}

fn default_lookback() -> String {
    "7d".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceSpec {
    #[serde(default)]
    techniques: Vec<String>,
    #[serde(default)]
    indicators: Vec<String>,
    #[serde(default)]
    mentions: Vec<String>,
    #[serde(default = "default_min_confidence")]
    min_confidence: f32,
}

fn default_min_confidence() -> f32 {
    0.5
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    name: String,
    logsource: LogSource,
    condition: String,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    aggregate: Option<AggregateSpec>,
    selection: BTreeMap<String, BTreeMap<String, ValueSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregateSpec {
    #[serde(default)]
    distinct: Option<String>,
    by: Vec<String>,
    window: String,
    min: u32,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ValueSpec {
    One(Scalar),
    Many(Vec<Scalar>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Str(String),
    Slot { slot: String, types: Vec<String> },
}

pub fn parse_phase(s: &str) -> Option<Phase> {
    [
        Phase::Recon,
        Phase::Weapon,
        Phase::Delivery,
        Phase::Exploit,
        Phase::Install,
        Phase::C2,
        Phase::Actions,
    ]
    .into_iter()
    .find(|p| p.as_str() == s)
}

pub fn parse_confidence(s: &str) -> Option<Confidence> {
    [Confidence::High, Confidence::Medium, Confidence::Low]
        .into_iter()
        .find(|c| c.as_str() == s)
}

pub fn parse_ioc_type(s: &str) -> Option<IocType> {
    IocType::ALL.into_iter().find(|t| t.key() == s)
}

pub fn valid_technique(t: &str) -> bool {
    let b = t.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    base && (b.len() == 5
        || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

/// Parses and checks the library against the field maps.
pub fn parse_library(s: &str, backends: &Backends) -> Result<Vec<UseCase>, KbError> {
    let file: LibraryFile = toml::from_str(s).map_err(|e| KbError::parse(LIBRARY_FILE, e))?;
    let mut out: Vec<UseCase> = Vec::with_capacity(file.use_case.len());
    for spec in file.use_case {
        let id = spec.id.clone();
        let bad = |m: String| KbError::invalid(LIBRARY_FILE, format!("{id}: {m}"));
        if !id.starts_with("UC_")
            || id.len() < 4
            || !id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(bad("IDs are UC_ and upper-case letters, digits, _".into()));
        }
        if out.iter().any(|u| u.id == id) {
            return Err(bad("listed twice".into()));
        }
        let phase = parse_phase(&spec.phase).ok_or_else(|| bad(format!("phase {}", spec.phase)))?;
        let confidence = parse_confidence(&spec.confidence)
            .ok_or_else(|| bad(format!("confidence {}", spec.confidence)))?;
        if spec.techniques.is_empty() || !spec.techniques.iter().all(|t| valid_technique(t)) {
            return Err(bad("techniques must be ATT&CK IDs like T1059.001".into()));
        }
        if spec.title.trim().is_empty() || spec.description.trim().is_empty() {
            return Err(bad("title and description are required".into()));
        }
        let lookback = Window::parse(&spec.lookback)
            .ok_or_else(|| bad(format!("lookback {}", spec.lookback)))?;
        if spec.evidence.is_empty() {
            return Err(bad("a use case needs evidence to fire".into()));
        }
        let mut evidence = Vec::new();
        for e in spec.evidence {
            if e.techniques.is_empty() && e.indicators.is_empty() && e.mentions.is_empty() {
                return Err(bad("an empty evidence block would always fire".into()));
            }
            if let Some(t) = e.techniques.iter().find(|t| !valid_technique(t)) {
                return Err(bad(format!("evidence technique {t}")));
            }
            let indicators = e
                .indicators
                .iter()
                .map(|t| parse_ioc_type(t).ok_or_else(|| bad(format!("indicator type {t}"))))
                .collect::<Result<Vec<_>, _>>()?;
            if e.mentions.iter().any(|m| m.trim().is_empty()) {
                return Err(bad("empty mention".into()));
            }
            evidence.push(Evidence {
                techniques: e.techniques,
                indicators,
                mentions: e.mentions,
                min_confidence: e.min_confidence,
            });
        }
        let rules = parse_rules(LIBRARY_FILE, &id, spec.rule, backends)?;
        out.push(UseCase {
            id: spec.id,
            title: spec.title,
            phase,
            confidence,
            techniques: spec.techniques,
            description: spec.description,
            falsepositives: spec.falsepositives,
            evidence,
            rules,
            lookback,
        });
    }
    Ok(out)
}

pub(crate) fn parse_rules(
    file: &'static str,
    owner: &str,
    specs: Vec<RuleSpec>,
    backends: &Backends,
) -> Result<Vec<Rule>, KbError> {
    let mut rules: Vec<Rule> = Vec::new();
    if specs.is_empty() {
        return Err(KbError::invalid(file, format!("{owner}: no rule")));
    }
    for r in specs {
        let bad = |m: String| KbError::invalid(file, format!("{owner}/{}: {m}", r.name));
        if r.name.is_empty()
            || !r
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(bad("rule names are [a-z0-9_]".into()));
        }
        if rules.iter().any(|x| x.name == r.name) {
            return Err(bad("rule name listed twice".into()));
        }
        let condition = Cond::parse(&r.condition).map_err(bad)?;
        let mut used = Vec::new();
        condition.selections(&mut used);
        for s in &used {
            if !r.selection.contains_key(s) {
                return Err(bad(format!("condition names unknown selection {s}")));
            }
        }
        for s in r.selection.keys() {
            if !used.contains(s) {
                return Err(bad(format!("selection {s} is not used")));
            }
            if !s
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                || matches!(s.as_str(), "and" | "or" | "not")
            {
                return Err(bad(format!("selection name {s}")));
            }
        }
        if !condition.has_positive() {
            return Err(bad(
                "a condition must select something, not only exclude".into()
            ));
        }
        let mut selections = BTreeMap::new();
        for (name, items) in r.selection {
            let mut matches = Vec::new();
            for (key, spec) in items {
                let mut parts = key.split('|');
                let field = parts.next().unwrap_or_default().to_owned();
                let mut op = Op::Equals;
                let mut all = false;
                for m in parts {
                    match m {
                        "contains" => op = Op::Contains,
                        "startswith" => op = Op::StartsWith,
                        "endswith" => op = Op::EndsWith,
                        "all" => all = true,
                        other => return Err(bad(format!("modifier {other}"))),
                    }
                }
                let scalars = match spec {
                    ValueSpec::One(s) => vec![s],
                    ValueSpec::Many(v) => v,
                };
                let mut values = Vec::new();
                for s in scalars {
                    values.push(match s {
                        Scalar::Int(i) => Value::Int(i),
                        Scalar::Str(v) => {
                            if v.is_empty()
                                || v.chars().all(|c| c == '*')
                                || v.chars().any(unsafe_char)
                            {
                                return Err(bad(format!("{key}: value {v:?}")));
                            }
                            Value::Str(Pattern::wildcard(&v))
                        }
                        Scalar::Slot { slot, types } => {
                            let types = types
                                .iter()
                                .map(|t| parse_ioc_type(t).ok_or_else(|| bad(format!("type {t}"))))
                                .collect::<Result<Vec<_>, _>>()?;
                            Value::Slot(Slot { name: slot, types })
                        }
                    });
                }
                if values.is_empty() {
                    return Err(bad(format!("{key}: no values")));
                }
                matches.push(Match {
                    field,
                    op,
                    all,
                    values,
                });
            }
            if matches.is_empty() {
                return Err(bad(format!("selection {name} is empty")));
            }
            selections.insert(name, Selection { matches });
        }
        let aggregate = match r.aggregate {
            None => None,
            Some(a) => Some(Aggregate {
                distinct: a.distinct,
                by: a.by,
                window: Window::parse(&a.window)
                    .ok_or_else(|| bad(format!("window {}", a.window)))?,
                min: a.min,
            }),
        };
        let rule = Rule {
            name: r.name,
            logsource: r.logsource,
            selections,
            condition,
            fields: r.fields,
            aggregate,
        };
        check_fields(file, owner, &rule, backends)?;
        rules.push(rule);
    }
    Ok(rules)
}

/// Every Sigma field a rule uses.
pub fn rule_fields(rule: &Rule) -> BTreeSet<&str> {
    let mut f: BTreeSet<&str> = rule
        .selections
        .values()
        .flat_map(|s| s.matches.iter().map(|m| m.field.as_str()))
        .collect();
    f.extend(rule.fields.iter().map(String::as_str));
    if let Some(a) = &rule.aggregate {
        f.extend(a.by.iter().map(String::as_str));
        f.extend(a.distinct.as_deref());
    }
    f
}

/// A rule's fields must be Sigma taxonomy fields of its log source (when Sigma has it),
/// and mapped or declared unmapped in every backend that has the log source; some
/// backend must render it.
fn check_fields(file: &'static str, owner: &str, rule: &Rule, b: &Backends) -> Result<(), KbError> {
    let key = rule.logsource.key();
    let bad = |m: String| KbError::invalid(file, format!("{owner}/{}: {m}", rule.name));
    let fields = rule_fields(rule);
    let mut rendered = false;
    if let Some(tax) = b.sigma.get(&key) {
        rendered = true;
        if let Some(f) = fields.iter().find(|f| !tax.contains(**f)) {
            return Err(bad(format!(
                "{f} is not a Sigma field of {key} (sigma.toml)"
            )));
        }
    }
    for backend in [Backend::Splunk, Backend::Defender, Backend::Sentinel] {
        let Some(t) = b.map(backend).and_then(|m| m.target(&key)) else {
            continue;
        };
        rendered = true;
        if let Some(f) = fields
            .iter()
            .find(|f| !t.fields.contains_key(**f) && !t.unmapped.contains(**f))
        {
            return Err(bad(format!("{f} has no mapping for {key} in {backend:?}")));
        }
    }
    if !rendered {
        return Err(bad(format!("no backend knows the log source {key}")));
    }
    Ok(())
}
