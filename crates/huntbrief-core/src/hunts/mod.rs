//! Hunts: the use cases of the library that the article's evidence fires, and hunts for
//! the artifacts the article names, each rendered in every backend from one internal
//! representation (`ir`) through per-backend field maps (`backends`, `data/hunts/`).
//!
//! A use case fires only on supporting evidence (an inferred technique with its evidence
//! sentences, a high-fidelity indicator, a name in such a sentence), never on a word
//! elsewhere in the page; articles that do not describe threat activity fire none.

pub mod artifacts;
pub mod backends;
pub mod evidence;
pub mod ir;
pub mod kb;
pub mod library;
pub mod render;
pub mod sweeps;

#[cfg(test)]
mod tests;

pub use kb::HuntKb;
pub use library::UseCase;

use crate::model::{Hunt, Indicator, Kind, TechniqueHit};
use render::{Fill, Meta, render_all};

/// What the hunt stage looks at.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The briefing id; artifact hunt IDs derive from it.
    pub briefing_id: &'a str,
    pub kind: Kind,
    /// The analysed (chrome-free) text, for artifacts named outside indicator syntax.
    pub text: &'a str,
    pub techniques: &'a [TechniqueHit],
    pub iocs: &'a [Indicator],
}

/// Whether an article of this kind may get behavioural hunts: threat activity, or not
/// classified. Tutorials, product news, commentary and withdrawn stories get none.
pub fn behavioural(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Campaign | Kind::Vulnerability | Kind::Breach | Kind::LawEnforcement | Kind::Other
    )
}

/// The fired use cases (library order), then the article's artifact hunts.
pub fn select(kb: &HuntKb, input: &Input<'_>) -> Vec<Hunt> {
    if !behavioural(input.kind) {
        return Vec::new();
    }
    let mut hunts: Vec<Hunt> = kb
        .library
        .iter()
        .filter(|u| evidence::fires(u, input))
        .map(|u| use_case_hunt(kb, u))
        .filter(|h| !h.queries.is_empty())
        .collect();
    hunts.extend(artifacts::hunts(kb, input));
    hunts
}

/// A use case with its queries in every backend that can express it.
pub fn use_case_hunt(kb: &HuntKb, u: &UseCase) -> Hunt {
    let meta = Meta {
        key: &u.id,
        title: &u.title,
        description: &u.description,
        techniques: &u.techniques,
        confidence: u.confidence,
        falsepositives: &u.falsepositives,
        lookback: u.lookback,
    };
    Hunt {
        id: u.id.clone(),
        title: u.title.clone(),
        phase: u.phase,
        confidence: u.confidence,
        techniques: u.techniques.clone(),
        queries: render_all(&u.rules, &meta, &kb.backends, &Fill::none()),
    }
}
