//! Integration tests of the analysis (one test binary for the crate).

mod triage_corpus;
