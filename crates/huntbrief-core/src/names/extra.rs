//! The hand-written names data: `data/actors/extra.toml` (names ATT&CK lacks, vendor
//! cluster schemes, cross-vendor aliases), `data/actors/not-actors.toml` (vendors,
//! products and research teams never reported) and `data/actors/context.toml` (the cues
//! that decide a mention's role).

use std::collections::HashSet;

use regex::{Captures, Regex};
use serde::Deserialize;

use super::table::{EntryKind, is_attack_name_id};
use crate::kb::KbError;
use crate::model::NameRole;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtraFile {
    #[serde(default)]
    entry: Vec<ExtraEntry>,
    #[serde(default)]
    scheme: Vec<Scheme>,
}

/// A name ATT&CK lacks, or (with `attack_id`) more aliases for an ATT&CK entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraEntry {
    pub name: String,
    #[serde(deserialize_with = "kind_de")]
    pub kind: EntryKind,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub attack_id: Option<String>,
}

/// A vendor's naming scheme for clusters it has not named yet (`UNC####`, `Storm-####`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub name: String,
    /// A regex (case-sensitive, matched whole-word).
    pub pattern: String,
    #[serde(deserialize_with = "kind_de")]
    pub kind: EntryKind,
    pub examples: Vec<String>,
}

fn kind_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<EntryKind, D::Error> {
    let s = String::deserialize(d)?;
    EntryKind::parse(&s)
        .ok_or_else(|| serde::de::Error::custom(format!("kind {s:?}: actor, malware or tool")))
}

#[derive(Debug)]
pub struct Extra {
    pub entries: Vec<ExtraEntry>,
    pub schemes: Vec<Scheme>,
}

impl Extra {
    pub const FILE: &'static str = "actors/extra.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let f: ExtraFile = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let bad = |m: String| KbError::invalid(Self::FILE, m);
        let mut seen = HashSet::new();
        for e in &f.entry {
            let clean =
                |s: &str| !s.trim().is_empty() && s.trim() == s && !s.contains(['\t', '\n', '|']);
            if !clean(&e.name) || !e.aliases.iter().all(|a| clean(a)) {
                return Err(bad(format!("{:?}: empty or untidy name or alias", e.name)));
            }
            if let Some(id) = &e.attack_id
                && !is_attack_name_id(id, e.kind != EntryKind::Actor)
            {
                return Err(bad(format!(
                    "{}: {id} is not a {} ID",
                    e.name,
                    e.kind.as_str()
                )));
            }
            if e.attack_id.is_none() && !seen.insert(e.name.to_lowercase()) {
                return Err(bad(format!("{} listed twice", e.name)));
            }
        }
        for s in &f.scheme {
            if s.examples.is_empty() {
                return Err(bad(format!("scheme {} has no examples", s.name)));
            }
        }
        Ok(Self {
            entries: f.entry,
            schemes: f.scheme,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotActorsFile {
    vendors: Vec<String>,
    products: Vec<String>,
    researchers: Vec<String>,
}

/// Names that are never an actor, malware or tool of the article: the publisher's side.
#[derive(Debug)]
pub struct NotActors {
    all: Vec<String>,
    lower: HashSet<String>,
}

impl NotActors {
    pub const FILE: &'static str = "actors/not-actors.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let f: NotActorsFile = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let all: Vec<String> = f
            .vendors
            .into_iter()
            .chain(f.products)
            .chain(f.researchers)
            .collect();
        let mut lower = HashSet::new();
        for n in &all {
            if n.trim().len() < 2 || n.trim() != n {
                return Err(KbError::invalid(Self::FILE, format!("untidy name {n:?}")));
            }
            if !lower.insert(n.to_lowercase()) {
                return Err(KbError::invalid(Self::FILE, format!("{n} listed twice")));
            }
        }
        Ok(Self { all, lower })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.lower.contains(&name.to_lowercase())
    }

    pub fn all(&self) -> &[String] {
        &self.all
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    skip: Vec<String>,
    ambiguous: Vec<String>,
    stopwords: Vec<String>,
    actor_nouns: Vec<String>,
    malware_nouns: Vec<String>,
    tool_nouns: Vec<String>,
    naming: Vec<String>,
    tracking: Vec<String>,
    actor_verbs: Vec<String>,
    comparison_before: Vec<String>,
    comparison_fillers: Vec<String>,
    usage_before: Vec<String>,
    comparison_after: Vec<String>,
    detection: Vec<String>,
    not_subject: Vec<String>,
}

/// The cues that decide whether and how a mention counts.
#[derive(Debug)]
pub struct Context {
    skip: HashSet<String>,
    ambiguous: HashSet<String>,
    stopwords: HashSet<String>,
    nouns: Vec<String>,
    actor_nouns: Vec<String>,
    malware_nouns: Vec<String>,
    tool_nouns: Vec<String>,
    naming: Vec<String>,
    tracking: Vec<String>,
    support: Regex,
    malware: Regex,
    comparison_before: Regex,
    usage_before: Regex,
    comparison_after: Regex,
    detection: Regex,
    not_subject: Regex,
}

fn alternation(list: &[String]) -> String {
    list.iter()
        .map(|p| format!("(?:{p})"))
        .collect::<Vec<_>>()
        .join("|")
}

impl Context {
    pub const FILE: &'static str = "actors/context.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let f: ContextFile = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let re =
            |s: String| Regex::new(&s).map_err(|e| KbError::invalid(Self::FILE, e.to_string()));
        let nouns: Vec<String> = f
            .actor_nouns
            .iter()
            .chain(&f.malware_nouns)
            .chain(&f.tool_nouns)
            .cloned()
            .collect();
        let support = re(format!(
            r"(?i)\b(?:{}|{}|{}|{})\b",
            alternation(&nouns),
            alternation(&f.naming),
            alternation(&f.tracking),
            alternation(&f.actor_verbs)
        ))?;
        let lower = |l: &[String]| l.iter().map(|s| s.to_lowercase()).collect::<HashSet<_>>();
        Ok(Self {
            skip: lower(&f.skip),
            ambiguous: lower(&f.ambiguous),
            stopwords: lower(&f.stopwords),
            malware: re(format!(r"(?i)\b(?:{})\b", alternation(&f.malware_nouns)))?,
            comparison_before: re(format!(
                r"(?i)\b(?:{})(?:\s+(?:{}))*\s*$",
                alternation(&f.comparison_before),
                alternation(&f.comparison_fillers)
            ))?,
            usage_before: re(format!(r"(?i)\b(?:{})\s*$", alternation(&f.usage_before)))?,
            comparison_after: re(format!(
                r"(?i)^\W{{0,3}}(?:{})\b",
                alternation(&f.comparison_after)
            ))?,
            detection: re(format!(r"(?i)\b(?:{})\b", alternation(&f.detection)))?,
            not_subject: re(format!(r"(?i)\b(?:{})\b", alternation(&f.not_subject)))?,
            nouns,
            actor_nouns: f.actor_nouns,
            malware_nouns: f.malware_nouns,
            tool_nouns: f.tool_nouns,
            naming: f.naming,
            tracking: f.tracking,
            support,
        })
    }

    /// Whether an alias is worth matching at all: not an OS utility or a lowercase word.
    pub fn matchable(&self, alias: &str) -> bool {
        alias.chars().count() >= 3
            && alias
                .chars()
                .any(|c| c.is_uppercase() || c.is_ascii_digit())
            && !alias.to_ascii_lowercase().ends_with(".exe")
            && !self.skip.contains(&alias.to_lowercase())
    }

    pub fn is_ambiguous(&self, alias: &str) -> bool {
        self.ambiguous.contains(&alias.to_lowercase())
    }

    pub fn is_stopword(&self, name: &str) -> bool {
        self.stopwords.contains(&name.to_lowercase()) || name.chars().count() < 3
    }

    pub fn suggests_malware(&self, sentence: &str) -> bool {
        self.malware.is_match(sentence)
    }

    /// The regex of naming phrases: a noun, a naming verb, then the name (`name` group;
    /// `actor`, `malware`, `tool` or `tracked` says which kind the phrase introduced).
    pub fn intro_regex(&self) -> Result<Regex, KbError> {
        let name = r"[A-Z0-9][A-Za-z0-9]*(?:[-_.@][A-Za-z0-9]+)*(?:[ ][A-Z0-9][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*){0,2}";
        let s = format!(
            r#"(?:\b(?i:(?P<actor>{a})|(?P<malware>{m})|(?P<tool>{t}))\b,?\s+(?i:(?:that|which)\s+(?:[\w-]+\s+){{1,3}})?(?i:{n})\s+|\b(?P<tracked>(?i:{tr}))\s+)["“'‘]?(?P<name>{name})"#,
            a = alternation(&self.actor_nouns),
            m = alternation(&self.malware_nouns),
            t = alternation(&self.tool_nouns),
            n = alternation(&self.naming),
            tr = alternation(&self.tracking),
        );
        Regex::new(&s).map_err(|e| KbError::invalid(Self::FILE, e.to_string()))
    }

    pub fn intro_kind(&self, c: &Captures<'_>) -> EntryKind {
        if c.name("malware").is_some() {
            EntryKind::Malware
        } else if c.name("tool").is_some() {
            EntryKind::Tool
        } else {
            EntryKind::Actor
        }
    }

    /// A captured name without trailing kind words ("FIRESTARTER Backdoor") or
    /// punctuation; campaigns ("Operation X") are not actors.
    pub fn trim_name<'a>(&self, name: &'a str) -> &'a str {
        let mut n = name.trim_end_matches(['.', '-', '_', '@']);
        if n.starts_with("Operation ") {
            return "";
        }
        while let Some((head, last)) = n.rsplit_once(' ') {
            let l = last.to_lowercase();
            if self.nouns.iter().any(|x| x.eq_ignore_ascii_case(&l)) || self.stopwords.contains(&l)
            {
                n = head;
            } else {
                break;
            }
        }
        n
    }

    /// Whether a kind noun, naming or attribution phrase or actor verb is close to the
    /// mention at `sentence[at..to]`.
    pub fn supported(&self, sentence: &str, at: usize, to: usize) -> bool {
        let before = window(sentence, at.saturating_sub(SUPPORT), at);
        let after = window(sentence, to, (to + SUPPORT).min(sentence.len()));
        self.support.is_match(before) || self.support.is_match(after)
    }

    /// The role of the mention at `sentence[at..to]`, or `None` when it does not count:
    /// in a detection-rule sentence, near a book or film cue, or (for ambiguous names)
    /// without a supporting cue nearby.
    /// Whether a sentence is about a detection rule, signature or alert.
    pub fn is_detection(&self, sentence: &str) -> bool {
        self.detection.is_match(sentence)
    }

    /// Callers check [`Context::is_detection`] once per sentence first.
    pub fn role(&self, sentence: &str, at: usize, to: usize, ambiguous: bool) -> Option<NameRole> {
        let around = window(
            sentence,
            at.saturating_sub(SUPPORT),
            (to + SUPPORT).min(sentence.len()),
        );
        if self.not_subject.is_match(around) {
            return None;
        }
        if ambiguous && !self.supported(sentence, at, to) {
            return None;
        }
        let before = list_head(window(sentence, at.saturating_sub(REACH), at));
        let after = window(sentence, to, (to + REACH).min(sentence.len()));
        let compared = (self.comparison_before.is_match(before)
            && !self.usage_before.is_match(before))
            || self.comparison_after.is_match(after);
        Some(if compared {
            NameRole::Mentioned
        } else {
            NameRole::Attributed
        })
    }
}

const SUPPORT: usize = super::SUPPORT_REACH;
const REACH: usize = super::COMPARISON_REACH;

/// `s[from..to]` widened to character boundaries.
fn window(s: &str, from: usize, to: usize) -> &str {
    &s[s.floor_char_boundary(from)..s.ceil_char_boundary(to)]
}

/// The text before a mention with any list of names before it removed ("past threats
/// such as Ryuk, Conti and " -> "past threats such as "), so a cue before a list
/// governs every item.
fn list_head(before: &str) -> &str {
    let mut end = before.len();
    loop {
        let head = before[..end].trim_end();
        let head = head
            .strip_suffix(',')
            .or_else(|| head.strip_suffix(" and"))
            .or_else(|| head.strip_suffix(" or"))
            .map(str::trim_end);
        let Some(head) = head else {
            return &before[..end];
        };
        // Then one name (capitalised words) before the separator.
        let mut cut = head.len();
        for (i, w) in head.rsplit(' ').enumerate() {
            let named = w
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
            if !named || i >= 3 {
                break;
            }
            cut -= w.len();
            cut = head[..cut].trim_end().len();
        }
        if cut == head.len() {
            return &before[..end];
        }
        end = cut;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::EMBEDDED;

    #[test]
    fn embedded_files_parse_and_schemas_are_checked() {
        let extra = Extra::parse(EMBEDDED.get(Extra::FILE).unwrap()).unwrap();
        assert!(extra.entries.len() > 30 && extra.schemes.len() >= 5);
        let not = NotActors::parse(EMBEDDED.get(NotActors::FILE).unwrap()).unwrap();
        assert!(not.contains("mandiant") && not.contains("CrowdStrike Falcon"));
        Context::parse(EMBEDDED.get(Context::FILE).unwrap()).unwrap();
        for bad in [
            "[[entry]]\nname = 'X'\nkind = 'gang'",
            "[[entry]]\nname = 'X'\nkind = 'actor'\nattack_id = 'S0001'",
            "[[entry]]\nname = ' X'\nkind = 'actor'",
            "[[entry]]\nname = 'X'\nkind = 'actor'\n[[entry]]\nname = 'x'\nkind = 'malware'",
            "[[scheme]]\nname = 'X'\npattern = 'X-\\d+'\nkind = 'actor'\nexamples = []",
        ] {
            assert!(Extra::parse(bad).is_err(), "{bad}");
        }
        assert!(
            NotActors::parse("vendors = ['ESET', 'eset']\nproducts = []\nresearchers = []")
                .is_err()
        );
    }

    #[test]
    fn list_heads() {
        assert_eq!(
            list_head("past threats such as Ryuk, Conti and "),
            "past threats such as"
        );
        assert_eq!(list_head("similar to "), "similar to ");
        assert_eq!(list_head("the actor used "), "the actor used ");
    }
}
