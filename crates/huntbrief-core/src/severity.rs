//! Severity and its reasons. The documented factors (exploitation status, CVSS, impact,
//! breadth, KEV, ...) come with the triage issue; until then every briefing is LOW and
//! the reasons state only what the other stages found, so nothing is overstated.

use crate::model::{Hunt, Indicator, Kind, Severity, TechniqueHit};

pub fn assess(
    _kind: Kind,
    high_fidelity_iocs: &[&Indicator],
    techniques: &[TechniqueHit],
    hunts: &[Hunt],
) -> (Severity, Vec<String>) {
    let mut reasons = Vec::new();
    if !high_fidelity_iocs.is_empty() {
        reasons.push(format!(
            "The article lists {} high-fidelity indicator(s) to sweep for.",
            high_fidelity_iocs.len()
        ));
    }
    if !techniques.is_empty() {
        reasons.push(format!(
            "It describes {} ATT&CK technique(s), each with an evidence sentence.",
            techniques.len()
        ));
    }
    if !hunts.is_empty() {
        reasons.push(format!(
            "{} use case(s) from the hunt library apply.",
            hunts.len()
        ));
    }
    if reasons.is_empty() {
        reasons.push(
            "The text reports no indicators, ATT&CK techniques or huntable activity.".to_owned(),
        );
    }
    (Severity::Low, reasons)
}
