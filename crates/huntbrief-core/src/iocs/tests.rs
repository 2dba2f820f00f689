//! End-to-end tests of the extractor on real-looking article text.
