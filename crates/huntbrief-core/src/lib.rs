//! huntbrief's model and analysis. Everything here is pure: the same article and
//! knowledge base always give the same briefing.

pub mod attack;
pub mod boilerplate;
pub mod briefing;
pub mod cues;
pub mod cvss;
pub mod grading;
pub mod hunts;
pub mod identity;
pub mod iocs;
pub mod kb;
pub mod killchain;
pub mod model;
pub mod names;
pub mod severity;
pub mod summary;
pub mod text;
pub mod triage;

pub use briefing::{analysis_text, analyze};
pub use kb::{KbError, KnowledgeBase};
pub use model::*;
