//! Indicators of compromise. The extractor is built in its own issue; until then this
//! stage finds nothing, and the briefing shows the no-IOC line.

use crate::model::Indicator;

/// Every indicator in `text`, at every fidelity, in order of first appearance.
pub fn extract(_text: &str) -> Vec<Indicator> {
    Vec::new()
}
