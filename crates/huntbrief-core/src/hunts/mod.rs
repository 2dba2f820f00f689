//! Hunts from the use-case library. Built in its own issue; until then no use case fires,
//! and the briefing shows only the IOC-driven sweeps (or the no-hunt line).

use crate::model::{Hunt, Indicator, TechniqueHit};

/// The use cases that the techniques and indicators fire, with their queries.
pub fn select(_techniques: &[TechniqueHit], _iocs: &[Indicator]) -> Vec<Hunt> {
    Vec::new()
}

pub mod sweeps;
