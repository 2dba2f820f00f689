pub mod analyze;
pub mod feeds;
pub mod run;
pub mod templates;
