//! Getting articles in: sources (feeds, advisory APIs, OPML lists), the HTTP client
//! policy, decoding, and readable-text extraction from article pages.

pub mod advisories;
pub mod decode;
pub mod extract;
pub mod feed;
pub mod http;
pub mod opml;
pub mod outbound;
#[cfg(test)]
mod proptests;
pub mod shape;
pub mod sources;
