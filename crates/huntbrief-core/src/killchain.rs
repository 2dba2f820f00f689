//! Kill-chain phases. Built with the ATT&CK issue (phases follow from the tactics of the
//! emitted techniques); until then no phase is claimed.

use crate::model::{Phase, TechniqueHit};

/// The phases the article shows, in chain order, without repeats.
pub fn phases(_techniques: &[TechniqueHit]) -> Vec<Phase> {
    Vec::new()
}
