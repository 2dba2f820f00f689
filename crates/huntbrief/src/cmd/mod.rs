pub mod analyze;
pub mod attack;
pub mod feeds;
pub mod kev;
pub mod iocs;
pub mod run;
pub mod templates;
