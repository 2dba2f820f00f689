//! Integration tests of ingest against a local HTTP server (one test binary).

mod http;
