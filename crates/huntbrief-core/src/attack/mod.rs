//! ATT&CK technique inference. Built in its own issue; until then this stage infers
//! nothing, and the briefing shows the no-technique line.

use crate::model::TechniqueHit;

/// The techniques `text` describes, each with its evidence sentences.
pub fn infer(_text: &str) -> Vec<TechniqueHit> {
    Vec::new()
}
