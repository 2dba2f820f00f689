//! Integration tests of the renderers (one test binary for the crate).

mod markdown_format;
mod markdown_safety;
mod sample;
