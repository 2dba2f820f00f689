pub mod analyze;
pub mod attack;
pub mod feeds;
pub mod hunts;
pub mod iocs;
pub mod kev;
pub mod run;
pub mod templates;
