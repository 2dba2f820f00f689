//! IOC-driven sweeps: the three standard substitution hunts whose queries live once in
//! `_TEMPLATES.md`, filled with the briefing's high-fidelity indicators. Their queries are
//! rules in the internal representation (`data/hunts/sweeps.toml`), rendered through the
//! same backends as the use cases: with `{{PLACEHOLDER}}`s for `_TEMPLATES.md`, or filled
//! with the briefing's values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::backends::Backends;
use super::ir::{Rule, Window};
use super::kb::HuntKb;
use super::library::{RuleSpec, parse_rules};
use super::render::{Fill, Meta, render_all};
use crate::kb::KbError;
use crate::model::{Backend, Confidence, Indicator, IocType, Phase};

pub const SWEEPS_FILE: &str = "hunts/sweeps.toml";

/// The shared templates, in the order the briefing lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Template {
    AssetExposure,
    NetworkIoc,
    HashIoc,
}

impl Template {
    pub const ALL: [Template; 3] = [Self::AssetExposure, Self::NetworkIoc, Self::HashIoc];

    /// The anchor of the template's section in `_TEMPLATES.md`.
    pub fn anchor(self) -> &'static str {
        match self {
            Self::AssetExposure => "asset-exposure",
            Self::NetworkIoc => "network-ioc",
            Self::HashIoc => "hash-ioc",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::AssetExposure => "Asset exposure — vulnerability matches article CVE(s)",
            Self::NetworkIoc => "Network connections to article IPs / domains",
            Self::HashIoc => "File hash IOCs — endpoint file/process match",
        }
    }

    /// The label of the value list under the sweep.
    pub fn values_label(self) -> &'static str {
        match self {
            Self::AssetExposure => "CVE(s)",
            Self::NetworkIoc => "IP / domain IOC(s)",
            Self::HashIoc => "file hash IOC(s)",
        }
    }

    pub fn phase(self) -> Phase {
        match self {
            Self::AssetExposure => Phase::Recon,
            Self::NetworkIoc => Phase::C2,
            Self::HashIoc => Phase::Install,
        }
    }

    pub fn confidence(self) -> Confidence {
        Confidence::High
    }

    pub fn parse(anchor: &str) -> Option<Template> {
        Self::ALL.into_iter().find(|t| t.anchor() == anchor)
    }

    /// The heading of the template's section in `_TEMPLATES.md` (its anchor is `anchor()`).
    pub fn heading(self) -> &'static str {
        match self {
            Self::AssetExposure => "Asset exposure",
            Self::NetworkIoc => "Network IOC",
            Self::HashIoc => "Hash IOC",
        }
    }

    fn takes(self, kind: IocType) -> bool {
        match self {
            Self::AssetExposure => kind == IocType::Cve,
            Self::NetworkIoc => matches!(kind, IocType::Ipv4 | IocType::Ipv6 | IocType::Domain),
            Self::HashIoc => kind.is_hash(),
        }
    }
}

/// One sweep to run: a template and the values (display form, defanged where the
/// briefing shows them defanged) to substitute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sweep {
    pub template: Template,
    pub values: Vec<String>,
    /// The same indicators in plain (refanged) form, which the queries search for.
    #[serde(skip)]
    pub indicators: Vec<(IocType, String)>,
}

/// The sweeps that `iocs` (already filtered to high fidelity) make possible.
pub fn ioc_sweeps<'a>(iocs: impl IntoIterator<Item = &'a Indicator> + Clone) -> Vec<Sweep> {
    Template::ALL
        .into_iter()
        .filter_map(|template| {
            let mut values: Vec<String> = Vec::new();
            let mut indicators = Vec::new();
            for ioc in iocs.clone().into_iter().filter(|i| template.takes(i.kind)) {
                let shown = if ioc.kind.shown_defanged() {
                    &ioc.defanged
                } else {
                    &ioc.value
                };
                if !values.contains(shown) {
                    values.push(shown.clone());
                    indicators.push((ioc.kind, ioc.value.clone()));
                }
            }
            (!values.is_empty()).then_some(Sweep {
                template,
                values,
                indicators,
            })
        })
        .collect()
}

/// One template's queries, as data.
#[derive(Debug, Clone)]
pub struct SweepDef {
    pub template: Template,
    pub description: String,
    pub lookback: Window,
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepsFile {
    sweep: Vec<SweepSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepSpec {
    template: String,
    description: String,
    lookback: String,
    rule: Vec<RuleSpec>,
}

pub(crate) fn parse_sweeps(s: &str, backends: &Backends) -> Result<Vec<SweepDef>, KbError> {
    let file: SweepsFile = toml::from_str(s).map_err(|e| KbError::parse(SWEEPS_FILE, e))?;
    let mut out: Vec<SweepDef> = Vec::new();
    for spec in file.sweep {
        let bad = |m: String| KbError::invalid(SWEEPS_FILE, format!("{}: {m}", spec.template));
        let template =
            Template::parse(&spec.template).ok_or_else(|| bad("unknown template".into()))?;
        if out.iter().any(|d| d.template == template) {
            return Err(bad("listed twice".into()));
        }
        let lookback = Window::parse(&spec.lookback).ok_or_else(|| bad("lookback".into()))?;
        let rules = parse_rules(SWEEPS_FILE, &spec.template, spec.rule, backends)?;
        out.push(SweepDef {
            template,
            description: spec.description,
            lookback,
            rules,
        });
    }
    for t in Template::ALL {
        if !out.iter().any(|d| d.template == t) {
            return Err(KbError::invalid(
                SWEEPS_FILE,
                format!("no sweep for {}", t.anchor()),
            ));
        }
    }
    Ok(out)
}

fn meta<'a>(def: &'a SweepDef, key: &'a str, techniques: &'a [String]) -> Meta<'a> {
    Meta {
        key,
        title: def.template.title(),
        description: &def.description,
        techniques,
        confidence: def.template.confidence(),
        falsepositives: &[],
        lookback: def.lookback,
    }
}

/// The template's queries with `{{PLACEHOLDER}}`s, per backend: `_TEMPLATES.md`.
pub fn template_queries(kb: &HuntKb, template: Template) -> BTreeMap<Backend, String> {
    let Some(def) = kb.sweeps.iter().find(|d| d.template == template) else {
        return BTreeMap::new();
    };
    let key = format!("SWEEP_{}", template.anchor());
    render_all(
        &def.rules,
        &meta(def, &key, &[]),
        &kb.backends,
        &Fill::Placeholders,
    )
}

/// The sweep's queries filled with its indicators, per backend.
pub fn sweep_queries(kb: &HuntKb, sweep: &Sweep) -> BTreeMap<Backend, String> {
    let Some(def) = kb.sweeps.iter().find(|d| d.template == sweep.template) else {
        return BTreeMap::new();
    };
    let fill = |slot: &super::ir::Slot| -> Vec<String> {
        sweep
            .indicators
            .iter()
            .filter(|(t, _)| slot.types.contains(t))
            .map(|(_, v)| v.clone())
            .collect()
    };
    let key = format!("SWEEP_{}", sweep.template.anchor());
    render_all(
        &def.rules,
        &meta(def, &key, &[]),
        &kb.backends,
        &Fill::Values(&fill),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Fidelity;

    fn ioc(kind: IocType, value: &str, defanged: &str) -> Indicator {
        Indicator {
            kind,
            value: value.into(),
            defanged: defanged.into(),
            fidelity: Fidelity::High,
            evidence: String::new(),
            offset: 0,
        }
    }

    #[test]
    fn groups_indicators_by_template_in_order_without_repeats() {
        let iocs = [
            ioc(
                IocType::Md5,
                "d41d8cd98f00b204e9800998ecf8427e",
                "d41d8cd98f00b204e9800998ecf8427e",
            ),
            ioc(IocType::Domain, "evil.com", "evil[.]com"),
            ioc(IocType::Ipv4, "203.0.113.9", "203.0.113[.]9"),
            ioc(IocType::Domain, "evil.com", "evil[.]com"),
        ];
        let sweeps = ioc_sweeps(&iocs);
        assert_eq!(
            sweeps,
            vec![
                Sweep {
                    template: Template::NetworkIoc,
                    values: vec!["evil[.]com".into(), "203.0.113[.]9".into()],
                    indicators: vec![
                        (IocType::Domain, "evil.com".into()),
                        (IocType::Ipv4, "203.0.113.9".into())
                    ],
                },
                Sweep {
                    template: Template::HashIoc,
                    values: vec!["d41d8cd98f00b204e9800998ecf8427e".into()],
                    indicators: vec![(IocType::Md5, "d41d8cd98f00b204e9800998ecf8427e".into())],
                },
            ]
        );
    }

    #[test]
    fn urls_and_emails_have_no_shared_template() {
        let iocs = [ioc(
            IocType::Url,
            "https://evil.com/x",
            "hxxps://evil[.]com/x",
        )];
        assert!(ioc_sweeps(&iocs).is_empty());
    }
}
