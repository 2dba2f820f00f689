//! IOC-driven sweeps: the three standard substitution hunts whose queries live once in
//! `_TEMPLATES.md`, filled with the briefing's high-fidelity indicators.

use serde::Serialize;

use crate::model::{Confidence, Indicator, IocType, Phase};

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
}

/// The sweeps that `iocs` (already filtered to high fidelity) make possible.
pub fn ioc_sweeps<'a>(iocs: impl IntoIterator<Item = &'a Indicator> + Clone) -> Vec<Sweep> {
    Template::ALL
        .into_iter()
        .filter_map(|template| {
            let mut values: Vec<String> = Vec::new();
            for ioc in iocs.clone().into_iter().filter(|i| template.takes(i.kind)) {
                let shown = if ioc.kind.shown_defanged() {
                    &ioc.defanged
                } else {
                    &ioc.value
                };
                if !values.contains(shown) {
                    values.push(shown.clone());
                }
            }
            (!values.is_empty()).then_some(Sweep { template, values })
        })
        .collect()
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
                    values: vec!["evil[.]com".into(), "203.0.113[.]9".into()]
                },
                Sweep {
                    template: Template::HashIoc,
                    values: vec!["d41d8cd98f00b204e9800998ecf8427e".into()]
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
