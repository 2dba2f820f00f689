//! Integration tests of the analysis (one test binary for the crate).

mod attack_recall;
mod report_gate;
mod severity_set;
mod triage_corpus;
