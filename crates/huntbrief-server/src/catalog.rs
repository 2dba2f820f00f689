//! An in-memory snapshot of the stored briefings with the indexes the pages and the API
//! query: by id, by indicator value, by technique, and a lower-cased search text per
//! briefing. Built once per store change, so requests never touch the database.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use huntbrief_core::{Briefing, Kind, Severity};
use huntbrief_store::StoredArticle;

/// One briefing with its store times.
#[derive(Debug)]
pub struct Entry {
    pub briefing: Briefing,
    pub first_seen: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
    /// The day it is filed under: published, else first seen.
    pub date: NaiveDate,
    /// Lower-cased title, summary, sources, indicator values and technique ids and names.
    search: String,
}

/// What a listing asks for. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// This severity or more serious.
    pub severity: Option<Severity>,
    pub kind: Option<Kind>,
    /// A source name, case-insensitive.
    pub source: Option<String>,
    /// A technique id; a parent matches its sub-techniques.
    pub technique: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    /// Words that must all occur in the search text.
    pub text: Option<String>,
}

/// A technique with how many briefings show it.
#[derive(Debug, Clone, PartialEq)]
pub struct TechniqueCount {
    pub id: String,
    pub name: String,
    pub tactics: Vec<String>,
    /// Indexes into the catalogue, newest first.
    pub briefings: Vec<usize>,
}

#[derive(Debug, Default)]
pub struct Catalog {
    /// Newest first.
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    by_ioc: HashMap<String, Vec<usize>>,
}

impl Catalog {
    pub fn new(articles: Vec<StoredArticle>) -> Self {
        let mut entries: Vec<Entry> = articles.into_iter().map(entry).collect();
        entries.sort_by(|a, b| {
            (b.date, b.first_seen, &b.briefing.id).cmp(&(a.date, a.first_seen, &a.briefing.id))
        });
        let mut by_id = HashMap::with_capacity(entries.len());
        let mut by_ioc: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_id.insert(e.briefing.id.clone(), i);
            for ioc in &e.briefing.iocs {
                let list = by_ioc.entry(ioc_key(&ioc.value)).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        Self {
            entries,
            by_id,
            by_ioc,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Newest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// Indexes of the briefings that pass `filter`, newest first.
    pub fn select(&self, filter: &Filter) -> Vec<usize> {
        let words: Vec<String> = filter
            .text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let source = filter.source.as_deref().map(str::to_lowercase);
        (0..self.entries.len())
            .filter(|&i| {
                let e = &self.entries[i];
                let b = &e.briefing;
                filter.severity.is_none_or(|s| b.severity.at_least(s))
                    && filter.kind.is_none_or(|k| b.kind == k)
                    && source
                        .as_deref()
                        .is_none_or(|s| b.sources.iter().any(|x| x.to_lowercase() == s))
                    && filter
                        .technique
                        .as_deref()
                        .is_none_or(|t| b.techniques.iter().any(|x| same_or_sub(&x.id, t)))
                    && filter.since.is_none_or(|d| e.date >= d)
                    && filter.until.is_none_or(|d| e.date <= d)
                    && words.iter().all(|w| e.search.contains(w.as_str()))
            })
            .collect()
    }

    /// Briefings naming an indicator, newest first (exact value, case-insensitive;
    /// defanged input is accepted).
    pub fn with_ioc(&self, value: &str) -> &[usize] {
        self.by_ioc.get(&ioc_key(value)).map_or(&[], Vec::as_slice)
    }

    /// Techniques of the briefings filed on or after `since`, most frequent first.
    pub fn techniques(&self, since: Option<NaiveDate>) -> Vec<TechniqueCount> {
        let mut by_id: BTreeMap<&str, TechniqueCount> = BTreeMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            if since.is_some_and(|d| e.date < d) {
                continue;
            }
            for t in &e.briefing.techniques {
                let c = by_id
                    .entry(t.id.as_str())
                    .or_insert_with(|| TechniqueCount {
                        id: t.id.clone(),
                        name: t.name.clone(),
                        tactics: t.tactics.clone(),
                        briefings: Vec::new(),
                    });
                c.briefings.push(i);
            }
        }
        let mut all: Vec<TechniqueCount> = by_id.into_values().collect();
        all.sort_by(|a, b| {
            b.briefings
                .len()
                .cmp(&a.briefings.len())
                .then(a.id.cmp(&b.id))
        });
        all
    }

    /// Every source name, sorted.
    pub fn sources(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .entries
            .iter()
            .flat_map(|e| e.briefing.sources.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

fn entry(a: StoredArticle) -> Entry {
    let first_seen = DateTime::from_timestamp(a.first_seen, 0).unwrap_or_default();
    let changed_at = DateTime::from_timestamp(a.changed_at, 0).unwrap_or_default();
    let b = a.briefing;
    let mut search = format!("{}\n{}\n{}", b.title, b.summary, b.sources.join("\n"));
    for ioc in &b.iocs {
        search.push('\n');
        search.push_str(&ioc.value);
    }
    for t in &b.techniques {
        search.push('\n');
        search.push_str(&t.id);
        search.push(' ');
        search.push_str(&t.name);
    }
    Entry {
        date: b.published.unwrap_or(first_seen.date_naive()),
        search: search.to_lowercase(),
        briefing: b,
        first_seen,
        changed_at,
    }
}

/// `T1059` matches `T1059` and `T1059.001`; `T1059.001` only itself.
fn same_or_sub(id: &str, wanted: &str) -> bool {
    id.eq_ignore_ascii_case(wanted)
        || (!wanted.contains('.')
            && id.len() > wanted.len()
            && id[..wanted.len()].eq_ignore_ascii_case(wanted)
            && id.as_bytes()[wanted.len()] == b'.')
}

/// How indicator values are compared: refanged, trimmed, lower-cased.
pub fn ioc_key(value: &str) -> String {
    refang(value.trim()).to_lowercase()
}

/// The common defangs an analyst pastes: `[.]`, `(.)`, `hxxp`, `[:]`.
fn refang(value: &str) -> String {
    let v = value
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("{.}", ".")
        .replace("[:]", ":");
    if let Some(rest) = v.strip_prefix("hxxp") {
        format!("http{rest}")
    } else {
        v
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use huntbrief_core::{Article, Body, KnowledgeBase, analyze};

    /// Stored articles analysed from real-looking text.
    pub fn stored(title: &str, text: &str, day: u32, n: i64) -> StoredArticle {
        let url = format!("https://lab.example/{n}");
        let article = Article {
            title: title.into(),
            url: Some(url.clone()),
            sources: vec![if n % 2 == 0 { "Even Lab" } else { "Odd Lab" }.into()],
            published: NaiveDate::from_ymd_opt(2026, 11, day),
            text: text.into(),
            body: Body::Full,
        };
        StoredArticle {
            url,
            first_seen: 1_793_000_000 + n,
            changed_at: 1_793_000_000 + n,
            text_hash: String::new(),
            text: text.into(),
            briefing: analyze(&article, &KnowledgeBase::embedded().unwrap()),
        }
    }

    pub const CAMPAIGN: &str = "The operators sent spearphishing emails with a malicious Word attachment. \
        When opened, the macro launched powershell.exe -enc SQBFAFgA to download the loader from \
        hxxp://cdn-update[.]top/a.bin and created a scheduled task with schtasks /create /tn Updater \
        /tr C:\\Users\\Public\\upd.exe for persistence. The loader beacons to 185.220.101.45 over HTTPS.";

    pub const TUTORIAL: &str = "In this guide we walk through installing the JDK with Homebrew. Open Terminal and run brew install openjdk.";

    #[test]
    fn filters_narrow_and_listing_is_newest_first() {
        let c = Catalog::new(vec![
            stored("Loader campaign hits logistics", CAMPAIGN, 20, 1),
            stored("How to install Java on macOS", TUTORIAL, 21, 2),
            stored("Second loader wave", CAMPAIGN, 22, 3),
        ]);
        let titles = |idx: Vec<usize>| -> Vec<String> {
            idx.into_iter()
                .map(|i| c.entries()[i].briefing.title.clone())
                .collect()
        };
        assert_eq!(
            titles(c.select(&Filter::default())),
            [
                "Second loader wave",
                "How to install Java on macOS",
                "Loader campaign hits logistics"
            ]
        );
        let serious = Filter {
            severity: Some(Severity::Med),
            ..Filter::default()
        };
        assert!(!titles(c.select(&serious)).contains(&"How to install Java on macOS".to_owned()));
        let tutorial = Filter {
            kind: Some(Kind::Tutorial),
            ..Filter::default()
        };
        assert_eq!(
            titles(c.select(&tutorial)),
            ["How to install Java on macOS"]
        );
        let text = Filter {
            text: Some("SECOND wave".into()),
            ..Filter::default()
        };
        assert_eq!(titles(c.select(&text)), ["Second loader wave"]);
        let days = Filter {
            since: NaiveDate::from_ymd_opt(2026, 11, 21),
            until: NaiveDate::from_ymd_opt(2026, 11, 21),
            ..Filter::default()
        };
        assert_eq!(titles(c.select(&days)), ["How to install Java on macOS"]);
        let odd = Filter {
            source: Some("odd lab".into()),
            ..Filter::default()
        };
        assert_eq!(c.select(&odd).len(), 2);
        let technique = c.entries()[0].briefing.techniques[0].id.clone();
        let parent = technique.split('.').next().unwrap().to_owned();
        let by_parent = Filter {
            technique: Some(parent),
            ..Filter::default()
        };
        assert_eq!(
            c.select(&by_parent).len(),
            2,
            "both campaigns, not the tutorial"
        );
    }

    #[test]
    fn indicators_and_techniques_are_indexed() {
        let c = Catalog::new(vec![
            stored("Loader campaign", CAMPAIGN, 20, 1),
            stored("Second loader wave", CAMPAIGN, 22, 3),
            stored("How to install Java on macOS", TUTORIAL, 21, 2),
        ]);
        assert_eq!(c.with_ioc("185.220.101[.]45").len(), 2);
        assert_eq!(c.with_ioc("hxxp://CDN-update[.]top/a.bin").len(), 2);
        assert!(c.with_ioc("8.8.8.8").is_empty());
        let t = c.techniques(None);
        assert!(!t.is_empty());
        assert!(t.iter().all(|t| t.briefings.len() == 2), "{t:?}");
        assert!(
            c.techniques(NaiveDate::from_ymd_opt(2026, 11, 21))[0]
                .briefings
                .len()
                == 1
        );
        assert!(c.get(&c.entries()[0].briefing.id).is_some());
        assert_eq!(c.sources(), ["Even Lab", "Odd Lab"]);
    }

    #[test]
    fn sub_techniques_match_their_parent_only() {
        assert!(same_or_sub("T1059.001", "T1059"));
        assert!(same_or_sub("T1059", "t1059"));
        assert!(!same_or_sub("T1059", "T1059.001"));
        assert!(!same_or_sub("T10590", "T1059"));
    }
}
