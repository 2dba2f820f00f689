//! Exports that other tools ingest as they are: STIX 2.1 bundles (OpenCTI, TAXII), a MISP
//! feed, Sigma rule files, indicator CSV and JSON lines, an Atom feed of briefings and the
//! archive form of FORMAT.md. Each format is a pure function from stored briefings to the
//! files of its folder (relative path → bytes); the binary writes them atomically.
//! Identifiers are name-based UUIDs, so exporting the same briefings again gives the same
//! files, byte for byte.

pub mod archive;
pub mod ids;
pub mod indicators;
pub mod misp;
pub mod rss;
pub mod sigma;
pub mod stix;
#[cfg(test)]
mod testing;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use huntbrief_core::Briefing;

/// One briefing as exported, with when huntbrief first saw the story and when its
/// briefing last changed.
#[derive(Debug, Clone, Copy)]
pub struct Exported<'a> {
    pub briefing: &'a Briefing,
    pub first_seen: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
}

/// Files of one export, relative path (with `/`) → contents.
pub type Files = BTreeMap<String, Vec<u8>>;

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Stix,
    Misp,
    Sigma,
    Csv,
    Jsonl,
    Rss,
    Archive,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Self::Stix,
        Self::Misp,
        Self::Sigma,
        Self::Csv,
        Self::Jsonl,
        Self::Rss,
        Self::Archive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stix => "stix",
            Self::Misp => "misp",
            Self::Sigma => "sigma",
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
            Self::Rss => "rss",
            Self::Archive => "archive",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name))
    }

    /// The folder (under the export directory) that a many-file format owns: an export
    /// rewrites it and removes what it no longer wants. Single-file formats (CSV, JSONL,
    /// the Atom feed) write their one file at the top and own nothing else.
    pub fn folder(self) -> Option<&'static str> {
        match self {
            Self::Stix => Some("stix"),
            Self::Misp => Some("misp"),
            Self::Sigma => Some("sigma"),
            Self::Archive => Some("archive"),
            Self::Csv | Self::Jsonl | Self::Rss => None,
        }
    }

    /// The files of this format for `items` (oldest first), relative to [`Self::folder`]
    /// (or to the export directory for single-file formats).
    pub fn files(self, items: &[Exported<'_>]) -> Files {
        match self {
            Self::Stix => stix::files(items),
            Self::Misp => misp::files(items),
            Self::Sigma => sigma::files(items),
            Self::Csv => indicators::csv(items),
            Self::Jsonl => indicators::jsonl(items),
            Self::Rss => rss::files(items),
            Self::Archive => archive::files(items),
        }
    }
}

/// RFC 3339 in UTC with a `Z` and whole seconds, as STIX and Atom want it.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
        assert_eq!(Format::parse("STIX"), Some(Format::Stix));
        assert_eq!(Format::parse("pdf"), None);
    }
}
