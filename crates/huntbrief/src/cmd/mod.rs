pub mod analyze;
pub mod templates;
