//! huntbrief's outputs. Each module renders a `Briefing` into one format.

pub mod escape;
pub mod export;
pub mod json;
pub mod layout;
pub mod markdown;
pub mod templates;
