//! The published folder: `{date}/{slug}.md` per briefing, `INDEX.md` newest day first,
//! `_TEMPLATES.md`, and `briefings.jsonl`. Pure: paths and contents, no file I/O.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use huntbrief_core::Briefing;

use crate::escape::{inline, url};
use crate::markdown;
use crate::templates::{FILE_NAME as TEMPLATES, TEMPLATES_MD};

pub const INDEX: &str = "INDEX.md";
pub const JSONL: &str = "briefings.jsonl";
const SLUG_MAX: usize = 60;

/// FORMAT.md's slug: lower-cased, runs outside `[a-z0-9]` become `-`, trimmed, at most
/// 60 characters (cut at a dash where possible).
pub fn slug(title: &str) -> String {
    let mut s = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            s.push(c);
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_matches('-');
    if s.len() <= SLUG_MAX {
        return if s.is_empty() {
            "untitled".to_owned()
        } else {
            s.to_owned()
        };
    }
    let cut = &s[..SLUG_MAX];
    cut.rfind('-')
        .filter(|&i| i >= SLUG_MAX / 2)
        .map_or(cut, |i| &cut[..i])
        .to_owned()
}

/// One briefing with the day it is filed under (published date, else first seen).
pub struct Entry<'a> {
    pub briefing: &'a Briefing,
    pub date: NaiveDate,
}

/// Every file of the folder, relative path → contents. Entries come oldest first; when two
/// briefings of one day share a slug, the later one gets its id appended.
pub fn files(entries: &[Entry<'_>]) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut taken = HashSet::new();
    let mut listed: Vec<(NaiveDate, &Briefing, String)> = Vec::with_capacity(entries.len());
    for e in entries {
        let date = e.date.format("%Y-%m-%d").to_string();
        let mut path = format!("{date}/{}.md", slug(&e.briefing.title));
        if !taken.insert(path.clone()) {
            path = format!("{date}/{}-{}.md", slug(&e.briefing.title), e.briefing.id);
            taken.insert(path.clone());
        }
        files.insert(path.clone(), markdown::render(e.briefing));
        listed.push((e.date, e.briefing, path));
    }
    // Newest day first; within a day, most severe first, then by title.
    listed.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.severity.cmp(&b.1.severity))
            .then(a.1.title.cmp(&b.1.title))
    });
    files.insert(INDEX.to_owned(), index(&listed));
    files.insert(TEMPLATES.to_owned(), TEMPLATES_MD.to_owned());
    let mut jsonl = String::new();
    for (_, b, _) in &listed {
        if let Ok(line) = serde_json::to_string(b) {
            jsonl.push_str(&line);
            jsonl.push('\n');
        }
    }
    files.insert(JSONL.to_owned(), jsonl);
    files
}

fn index(listed: &[(NaiveDate, &Briefing, String)]) -> String {
    let mut out = String::from("# huntbrief briefings\n");
    let mut day = None;
    for (date, b, path) in listed {
        if day != Some(*date) {
            out.push_str(&format!("\n## {}\n\n", date.format("%Y-%m-%d")));
            day = Some(*date);
        }
        out.push_str(&format!(
            "- **[{}]** [{}]({}) — {}\n",
            b.severity.as_str(),
            inline(&b.title),
            url(path),
            inline(&b.sources.join(", ")),
        ));
    }
    if listed.is_empty() {
        out.push_str("\n_No briefings yet._\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_follows_the_format() {
        assert_eq!(
            slug("When software isn’t a “supply”"),
            "when-software-isn-t-a-supply"
        );
        assert_eq!(
            slug("  CVE-2024-3400: PAN-OS RCE!! "),
            "cve-2024-3400-pan-os-rce"
        );
        assert_eq!(slug("Ünïcode ünd émoji 🚀"), "n-code-nd-moji");
        assert_eq!(slug("!!!"), "untitled");
        let long =
            slug("A very long title that keeps going well past the sixty character limit of slugs");
        assert!(long.len() <= 60 && !long.ends_with('-'), "{long}");
        assert_eq!(
            long,
            "a-very-long-title-that-keeps-going-well-past-the-sixty"
        );
    }
}
