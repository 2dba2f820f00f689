//! An in-memory snapshot of the stored briefings with the indexes the pages and the API
//! query: by id, by indicator value, by technique, by named actor, malware or tool, and a
//! lower-cased search text per briefing. Built once per store change, so requests never
//! touch the database.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use huntbrief_core::names::EntryKind;
use huntbrief_core::{Briefing, Kind, NameRole, NamedEntity, Severity};
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

/// An actor, malware family or tool with the briefings that name it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityCount {
    /// See [`entity_key`].
    pub key: String,
    /// As the newest briefing has it.
    pub kind: EntryKind,
    pub name: String,
    pub attack_id: Option<String>,
    /// Every alias any briefing gives, first seen first.
    pub aliases: Vec<String>,
    /// Briefings that attribute the activity to it or say it was used, newest first.
    pub named: Vec<usize>,
    /// Briefings that only mention it (for comparison, history), newest first.
    pub mentioned: Vec<usize>,
}

impl EntityCount {
    /// Every briefing naming it, newest first.
    pub fn briefings(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self.named.iter().chain(&self.mentioned).copied().collect();
        all.sort_unstable();
        all
    }

    /// The newest briefing naming it (an index into the catalogue).
    pub fn newest(&self) -> usize {
        match (self.named.first(), self.mentioned.first()) {
            (Some(&a), Some(&b)) => a.min(b),
            (Some(&a), None) | (None, Some(&a)) => a,
            (None, None) => 0,
        }
    }
}

#[derive(Debug, Default)]
pub struct Catalog {
    /// Newest first.
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    by_ioc: HashMap<String, Vec<usize>>,
    /// Most named first; see [`Catalog::entities`].
    entities: Vec<EntityCount>,
    by_entity: HashMap<String, usize>,
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
        let (entities, by_entity) = entities(&entries);
        Self {
            entries,
            by_id,
            by_ioc,
            entities,
            by_entity,
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

    /// Every actor, malware family and tool the briefings name: the most often attributed
    /// or used first, then the most often named, then by name.
    pub fn entities(&self) -> &[EntityCount] {
        &self.entities
    }

    /// One entity by its key ([`entity_key`]; an ATT&CK ID in any case).
    pub fn entity(&self, key: &str) -> Option<&EntityCount> {
        let key = key.trim();
        self.by_entity
            .get(key)
            .or_else(|| self.by_entity.get(&key.to_uppercase()))
            .or_else(|| self.by_entity.get(&key.to_lowercase()))
            .map(|&i| &self.entities[i])
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

/// How an entity is identified across briefings: its ATT&CK ID when it has one, else its
/// lower-cased name.
pub fn entity_key(e: &NamedEntity) -> String {
    match e
        .attack_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        Some(id) => id.to_uppercase(),
        None => e.name.trim().to_lowercase(),
    }
}

/// The entity index over `entries` (newest first), in one pass.
fn entities(entries: &[Entry]) -> (Vec<EntityCount>, HashMap<String, usize>) {
    let mut all: Vec<EntityCount> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        for kind in EntryKind::ALL {
            for x in e.briefing.names(kind) {
                let key = entity_key(x);
                if key.is_empty() {
                    continue;
                }
                let slot = *by_key.entry(key.clone()).or_insert_with(|| {
                    all.push(EntityCount {
                        key,
                        kind,
                        name: x.name.clone(),
                        attack_id: x.attack_id.clone(),
                        aliases: Vec::new(),
                        named: Vec::new(),
                        mentioned: Vec::new(),
                    });
                    all.len() - 1
                });
                let c = &mut all[slot];
                if x.role == NameRole::Mentioned {
                    if c.named.last() != Some(&i) && c.mentioned.last() != Some(&i) {
                        c.mentioned.push(i);
                    }
                } else if c.named.last() != Some(&i) {
                    c.named.push(i);
                    if c.mentioned.last() == Some(&i) {
                        c.mentioned.pop();
                    }
                }
                for a in &x.aliases {
                    if *a != c.name && !c.aliases.contains(a) {
                        c.aliases.push(a.clone());
                    }
                }
            }
        }
    }
    all.sort_by(|a, b| {
        (b.named.len(), b.named.len() + b.mentioned.len())
            .cmp(&(a.named.len(), a.named.len() + a.mentioned.len()))
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.key.cmp(&b.key))
    });
    let by_key = all
        .iter()
        .enumerate()
        .map(|(n, c)| (c.key.clone(), n))
        .collect();
    (all, by_key)
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

    pub const APT: &str = "APT29 sent spearphishing emails with a malicious Word attachment to \
        European diplomats. The operators ran Mimikatz to dump credentials. The loader is \
        similar to Emotet.";

    pub const COZY: &str = "Cozy Bear sent spear-phishing emails to diplomats in March. \
        The attackers used Emotet to load their second stage.";

    #[test]
    fn named_entities_are_indexed_by_attack_id_newest_first_with_roles() {
        let c = Catalog::new(vec![
            stored("APT29 phishes diplomats", APT, 20, 1),
            stored("How to install Java on macOS", TUTORIAL, 21, 2),
            stored("Cozy Bear returns", COZY, 22, 3),
            stored(
                "New actor",
                "The router intrusions are tracked as UAT-7810.",
                19,
                4,
            ),
        ]);
        let index = |title: &str| {
            c.entries()
                .iter()
                .position(|e| e.briefing.title == title)
                .unwrap()
        };
        let (apt, cozy) = (index("APT29 phishes diplomats"), index("Cozy Bear returns"));
        assert_eq!(cozy, 0, "newest first");

        let apt29 = c.entity("g0016").expect("APT29 by its ID, any case");
        assert_eq!(apt29.key, "G0016");
        assert_eq!(apt29.kind, EntryKind::Actor);
        assert_eq!(apt29.name, "APT29");
        assert!(apt29.aliases.iter().any(|a| a == "Cozy Bear"));
        assert!(!apt29.aliases.iter().any(|a| a == "APT29"));
        assert_eq!(apt29.named, [cozy, apt], "{:?}", c.entities());
        assert!(apt29.mentioned.is_empty());
        assert_eq!(c.entities()[0].key, "G0016", "the most attributed first");

        let emotet = c.entities().iter().find(|e| e.name == "Emotet").unwrap();
        assert_eq!(emotet.kind, EntryKind::Malware);
        assert_eq!(emotet.named, [cozy], "used in the newer one");
        assert_eq!(emotet.mentioned, [apt], "only compared with in the older");
        assert_eq!(emotet.briefings(), [cozy, apt]);
        assert_eq!(emotet.newest(), cozy);

        let mimikatz = c.entity("S0002").unwrap();
        assert_eq!(mimikatz.kind, EntryKind::Tool);
        assert_eq!(mimikatz.named, [apt]);

        let new = c
            .entity("UAT-7810")
            .expect("a new name by its lower-cased name");
        assert_eq!(new.key, "uat-7810");
        assert_eq!(new.attack_id, None);
        assert_eq!(new.named, [index("New actor")]);
        assert!(c.entity("g9999").is_none());
        assert!(c.entities().iter().all(|e| {
            !e.briefings()
                .contains(&index("How to install Java on macOS"))
        }));
    }

    #[test]
    fn a_briefing_counts_once_per_entity_and_use_outranks_mention() {
        let mut a = stored("Hand-made", TUTORIAL, 20, 1);
        let named = |name: &str, id: Option<&str>, role| NamedEntity {
            name: name.into(),
            attack_id: id.map(str::to_owned),
            aliases: vec!["Alias".into()],
            role,
            evidence: format!("{name} here."),
            source: huntbrief_core::NameSource::New,
        };
        a.briefing.malware = vec![
            named("Twice", Some("s0001"), NameRole::Mentioned),
            named("Shady", None, NameRole::Mentioned),
        ];
        a.briefing.tools = vec![
            named("Twice", Some("S0001"), NameRole::Used),
            named("SHADY", None, NameRole::Mentioned),
            named("  ", None, NameRole::Used),
        ];
        let c = Catalog::new(vec![a]);
        assert_eq!(c.entities().len(), 2, "{:?}", c.entities());
        let twice = c.entity("S0001").unwrap();
        assert_eq!(
            (twice.named.as_slice(), twice.mentioned.as_slice()),
            (&[0][..], &[][..])
        );
        assert_eq!(twice.kind, EntryKind::Malware, "the first list it is in");
        assert_eq!(twice.aliases, ["Alias"]);
        let shady = c.entity("shady").unwrap();
        assert_eq!((shady.named.len(), shady.mentioned.len()), (0, 1));
        assert_eq!(c.entities()[0].key, "S0001");
    }

    #[test]
    fn sub_techniques_match_their_parent_only() {
        assert!(same_or_sub("T1059.001", "T1059"));
        assert!(same_or_sub("T1059", "t1059"));
        assert!(!same_or_sub("T1059", "T1059.001"));
        assert!(!same_or_sub("T10590", "T1059"));
    }
}
