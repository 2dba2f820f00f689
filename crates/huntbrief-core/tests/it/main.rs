//! Integration tests of the analysis (one test binary for the crate).

mod severity_set;
mod triage_corpus;
