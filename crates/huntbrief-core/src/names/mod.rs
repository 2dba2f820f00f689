//! Threat actors, malware families and tools an article names.
//!
//! Known names come from the ATT&CK groups and software tables ([`table`]) and the
//! hand-written `data/actors/extra.toml` (vendor clusters, ransomware brands, cross-vendor
//! aliases). Every alias, and every vendor or product name that must never be reported
//! (`data/actors/not-actors.toml`), goes into one ASCII-case-insensitive Aho-Corasick
//! automaton; a match counts when it stands as a whole word, its case fits the alias, it
//! is not part of a longer vendor or product name, and its sentence is in scope (the
//! attack stage's cues drop references, detection and about-us sections).
//!
//! Context (`data/actors/context.toml`) then decides each mention's role: names that are
//! ordinary words need a supporting cue nearby; names after a comparison or history cue
//! ("similar to Emotet", "past threats such as Ryuk") are only mentioned; names in
//! detection rule sentences and book or film titles are no mention at all. Names the
//! article introduces ("a backdoor dubbed FIRESTARTER", "tracked as UAT-7810") are
//! extracted too, marked as new.

pub mod extra;
pub mod table;

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::Regex;

use crate::attack::Cues as AttackCues;
use crate::attack::table::Status;
use crate::kb::KbError;
use crate::model::{NameRole, NameSource, NamedEntity};
use crate::text::collapse_whitespace;
pub use extra::{Context, Extra, NotActors};
pub use table::{EntryKind, NameEntry, NameTable};

/// At most this many names per list: an article that names more is a round-up.
const MAX_PER_KIND: usize = 12;
/// How far (bytes) around a mention a supporting cue may be.
const SUPPORT_REACH: usize = 48;
/// How far (bytes) before a mention a comparison cue may end, list items in between.
const COMPARISON_REACH: usize = 90;

/// One name the knowledge base knows.
#[derive(Debug, Clone)]
struct Entity {
    name: String,
    attack_id: Option<String>,
    aliases: Vec<String>,
    kind: EntryKind,
    source: NameSource,
}

/// What an automaton pattern stands for.
#[derive(Debug, Clone)]
enum Pattern {
    /// An alias of these entities (one alias can name a group and a malware family).
    Alias {
        text: String,
        entities: Vec<usize>,
        ambiguous: bool,
    },
    /// A vendor, product or researcher name: never reported, and hides what it contains.
    Denied,
}

/// Everything the names stage knows.
#[derive(Debug)]
pub struct NamesKb {
    pub groups: NameTable,
    pub software: NameTable,
    entities: Vec<Entity>,
    patterns: Vec<Pattern>,
    automaton: AhoCorasick,
    context: Context,
    schemes: Vec<(Regex, EntryKind)>,
    intro: Regex,
    not_actors: NotActors,
}

impl NamesKb {
    pub const FILES: [&'static str; 5] = [
        NameTable::GROUPS_FILE,
        NameTable::SOFTWARE_FILE,
        Extra::FILE,
        NotActors::FILE,
        Context::FILE,
    ];

    pub fn parse(source: impl Fn(&'static str) -> String) -> Result<Self, KbError> {
        let groups = NameTable::parse(&source(NameTable::GROUPS_FILE), false)?;
        let software = NameTable::parse(&source(NameTable::SOFTWARE_FILE), true)?;
        let extra = Extra::parse(&source(Extra::FILE))?;
        let not_actors = NotActors::parse(&source(NotActors::FILE))?;
        let context = Context::parse(&source(Context::FILE))?;
        let mut entities: Vec<Entity> = Vec::new();
        let mut by_attack: HashMap<String, usize> = HashMap::new();
        for e in groups.entries.iter().chain(&software.entries) {
            if e.status != Status::Active {
                continue;
            }
            by_attack.insert(e.id.clone(), entities.len());
            entities.push(Entity {
                name: e.name.clone(),
                attack_id: Some(e.id.clone()),
                aliases: e.aliases.clone(),
                kind: e.kind,
                source: NameSource::Attack,
            });
        }
        for x in &extra.entries {
            if let Some(id) = &x.attack_id {
                // Cross-vendor aliases of an ATT&CK entry (revoked IDs lead to the current one).
                let current = groups
                    .current(id)
                    .or_else(|| software.current(id))
                    .and_then(|e| by_attack.get(&e.id))
                    .copied()
                    .ok_or_else(|| {
                        KbError::invalid(Extra::FILE, format!("{}: {id} is not in ATT&CK", x.name))
                    })?;
                let ent = &mut entities[current];
                for a in std::iter::once(&x.name).chain(&x.aliases) {
                    if *a != ent.name && !ent.aliases.contains(a) {
                        ent.aliases.push(a.clone());
                    }
                }
            } else {
                entities.push(Entity {
                    name: x.name.clone(),
                    attack_id: None,
                    aliases: x.aliases.clone(),
                    kind: x.kind,
                    source: NameSource::Extra,
                });
            }
        }
        // Revoked IDs' names stay findable as aliases of their replacement ("UNC2452").
        for e in groups.entries.iter().chain(&software.entries) {
            if e.status == Status::Revoked
                && let Some(r) = e.replaced_by.as_ref().and_then(|r| by_attack.get(r))
            {
                let ent = &mut entities[*r];
                for a in std::iter::once(&e.name).chain(&e.aliases) {
                    if *a != ent.name && !ent.aliases.contains(a) {
                        ent.aliases.push(a.clone());
                    }
                }
            }
        }
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            for a in std::iter::once(&e.name).chain(&e.aliases) {
                if !context.matchable(a) || not_actors.contains(a) {
                    continue;
                }
                let key = a.to_ascii_lowercase();
                match index.get(&key) {
                    Some(&p) => {
                        if let Pattern::Alias { entities, .. } = &mut patterns[p]
                            && !entities.contains(&i)
                        {
                            entities.push(i);
                        }
                    }
                    None => {
                        index.insert(key, patterns.len());
                        patterns.push(Pattern::Alias {
                            text: a.clone(),
                            entities: vec![i],
                            ambiguous: context.is_ambiguous(a),
                        });
                    }
                }
            }
        }
        // Pattern i of the automaton is patterns[i]: aliases first, then denied names.
        let mut needles: Vec<String> = patterns
            .iter()
            .filter_map(|p| match p {
                Pattern::Alias { text, .. } => Some(text.clone()),
                Pattern::Denied => None,
            })
            .collect();
        for d in not_actors.all() {
            if !index.contains_key(&d.to_ascii_lowercase()) {
                needles.push(d.clone());
                patterns.push(Pattern::Denied);
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&needles)
            .map_err(|e| KbError::invalid(Extra::FILE, e.to_string()))?;
        let schemes = extra
            .schemes
            .iter()
            .map(|s| {
                Regex::new(&format!(r"\b(?:{})\b", s.pattern))
                    .map(|r| (r, s.kind))
                    .map_err(|e| KbError::invalid(Extra::FILE, format!("scheme {}: {e}", s.name)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let intro = context.intro_regex()?;
        let kb = Self {
            groups,
            software,
            entities,
            patterns,
            automaton,
            context,
            schemes,
            intro,
            not_actors,
        };
        for s in &extra.schemes {
            for ex in &s.examples {
                if !kb.schemes.iter().any(|(r, _)| r.is_match(ex)) {
                    return Err(KbError::invalid(
                        Extra::FILE,
                        format!("scheme {}: example {ex:?} does not match", s.name),
                    ));
                }
            }
        }
        Ok(kb)
    }

    pub fn embedded() -> Self {
        Self::parse(|name| crate::kb::EMBEDDED.get(name).unwrap_or_default().to_owned())
            .expect("embedded names data files are valid")
    }
}

/// The actors, malware and tools an article names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub actors: Vec<NamedEntity>,
    pub malware: Vec<NamedEntity>,
    pub tools: Vec<NamedEntity>,
}

impl Found {
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty() && self.malware.is_empty() && self.tools.is_empty()
    }
}

/// One mention of a name, before mentions are grouped.
struct Mention {
    key: Key,
    role: NameRole,
    /// An actor verb, kind noun or attribution phrase is close by.
    supported: bool,
    sentence: usize,
    start: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Known(usize),
    New(EntryKind, String),
}

/// The names `text` holds, with roles and evidence. `cues` is the attack stage's sentence
/// splitter and scope rules.
pub fn find(text: &str, kb: &NamesKb, cues: &AttackCues) -> Found {
    let sents = cues.sentences(text);
    // Sentence index of each byte offset, by binary search over the starts.
    let starts: Vec<usize> = sents.iter().map(|s| s.range.start).collect();
    let sentence_of = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);
    let mut mentions: Vec<Mention> = Vec::new();
    // Detection-rule sentences, decided once per sentence so long ones cost no more.
    let mut detection: Vec<Option<bool>> = vec![None; sents.len()];
    let mut is_detection = |i: usize, sentence: &str| {
        *detection[i].get_or_insert_with(|| kb.context.is_detection(sentence))
    };

    // Known names: one pass of the automaton, then the longest whole-word match wins.
    let mut hits: Vec<(usize, usize, usize)> = Vec::new();
    for m in kb.automaton.find_overlapping_iter(text) {
        if whole_word(text, m.start(), m.end()) {
            hits.push((m.start(), m.end(), m.pattern().as_usize()));
        }
    }
    hits.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut covered_to = 0;
    for (start, end, p) in hits {
        if start < covered_to {
            continue;
        }
        covered_to = end;
        let Pattern::Alias {
            text: alias,
            entities,
            ambiguous,
        } = &kb.patterns[p]
        else {
            continue;
        };
        let matched = &text[start..end];
        let Some(needs_support) = case_fits(alias, matched, *ambiguous) else {
            continue;
        };
        let si = sentence_of(start);
        let Some(s) = sents.get(si) else { continue };
        if !s.in_scope {
            continue;
        }
        let sentence = &text[s.range.clone()];
        if is_detection(si, sentence) {
            continue;
        }
        let (at, to) = (start - s.range.start, end - s.range.start);
        let Some(role) = kb.context.role(sentence, at, to, needs_support) else {
            continue;
        };
        let entity = pick(kb, entities, sentence);
        mentions.push(Mention {
            key: Key::Known(entity),
            role,
            supported: kb.context.supported(sentence, at, to),
            sentence: si,
            start,
        });
    }

    // New names: introduced by naming phrases, or in a vendor's cluster scheme.
    for (si, s) in sents.iter().enumerate() {
        if !s.in_scope || s.no_claim {
            continue;
        }
        let sentence = &text[s.range.clone()];
        if is_detection(si, sentence) {
            continue;
        }
        let mut found: Vec<(usize, String, EntryKind)> = Vec::new();
        for c in kb.intro.captures_iter(sentence) {
            let (Some(name), kind) = (c.name("name"), kb.context.intro_kind(&c)) else {
                continue;
            };
            let n = kb.context.trim_name(name.as_str());
            if !n.is_empty() {
                found.push((name.start(), n.to_owned(), kind));
            }
        }
        for (re, kind) in &kb.schemes {
            for m in re.find_iter(sentence) {
                found.push((m.start(), m.as_str().to_owned(), *kind));
            }
        }
        for (at, name, kind) in found {
            if kb.not_actors.contains(&name) || kb.context.is_stopword(&name) || !name_like(&name) {
                continue;
            }
            let Some(role) = kb
                .context
                .role(sentence, at, at + name.len(), false)
                .map(|r| default_role(r, kind))
            else {
                continue;
            };
            // A name the knowledge base knows was found above.
            if known(kb, &name).is_some() {
                continue;
            }
            mentions.push(Mention {
                key: Key::New(kind, name),
                role,
                supported: true,
                sentence: si,
                start: s.range.start + at,
            });
        }
    }
    group(text, &sents, kb, mentions)
}

/// The entity an alias stands for here: the one it is the main name of, else the one
/// whose kind the sentence suggests.
fn pick(kb: &NamesKb, entities: &[usize], sentence: &str) -> usize {
    if entities.len() == 1 {
        return entities[0];
    }
    let wants_malware = kb.context.suggests_malware(sentence);
    entities
        .iter()
        .copied()
        .find(|&e| (kb.entities[e].kind == EntryKind::Actor) != wants_malware)
        .unwrap_or(entities[0])
}

fn known(kb: &NamesKb, name: &str) -> Option<usize> {
    kb.automaton
        .find_overlapping_iter(name)
        .find(|m| m.start() == 0 && m.end() == name.len())
        .and_then(|m| match &kb.patterns[m.pattern().as_usize()] {
            Pattern::Alias { entities, .. } => entities.first().copied(),
            Pattern::Denied => None,
        })
}

fn default_role(role: NameRole, kind: EntryKind) -> NameRole {
    match (role, kind) {
        (NameRole::Mentioned, _) => NameRole::Mentioned,
        (_, EntryKind::Actor) => NameRole::Attributed,
        _ => NameRole::Used,
    }
}

fn group(
    text: &str,
    sents: &[crate::attack::Sentence],
    kb: &NamesKb,
    mentions: Vec<Mention>,
) -> Found {
    struct Acc {
        role: NameRole,
        count: usize,
        supported: bool,
        first: usize,
        sentence: usize,
    }
    let mut acc: HashMap<Key, Acc> = HashMap::new();
    for m in mentions {
        let kind = match &m.key {
            Key::Known(e) => kb.entities[*e].kind,
            Key::New(k, _) => *k,
        };
        let role = default_role(m.role, kind);
        let a = acc.entry(m.key).or_insert(Acc {
            role,
            count: 0,
            supported: false,
            first: m.start,
            sentence: m.sentence,
        });
        a.count += 1;
        a.supported |= m.supported && role != NameRole::Mentioned;
        // The strongest role wins, with its first sentence as evidence.
        if role < a.role {
            a.role = role;
            a.sentence = m.sentence;
        }
        a.first = a.first.min(m.start);
    }
    let mut all: Vec<(Key, Acc)> = acc.into_iter().collect();
    // An actor named once in passing, with no actor cue near it, while another actor
    // carries the story, is context rather than attribution.
    let is_actor = |k: &Key| match k {
        Key::Known(e) => kb.entities[*e].kind == EntryKind::Actor,
        Key::New(kind, _) => *kind == EntryKind::Actor,
    };
    let lead = all
        .iter()
        .filter(|(k, a)| is_actor(k) && a.role == NameRole::Attributed)
        .map(|(_, a)| a.count)
        .max()
        .unwrap_or(0);
    for (k, a) in &mut all {
        if is_actor(k)
            && a.role == NameRole::Attributed
            && a.count < lead
            && a.count < 2
            && !a.supported
        {
            a.role = NameRole::Mentioned;
        }
    }
    all.sort_by(|(_, a), (_, b)| {
        a.role
            .cmp(&b.role)
            .then(b.count.cmp(&a.count))
            .then(a.first.cmp(&b.first))
    });
    let mut out = Found::default();
    for (key, a) in all {
        let evidence = collapse_whitespace(&text[sents[a.sentence].range.clone()]);
        let (entity, kind) = match key {
            Key::Known(e) => {
                let e = &kb.entities[e];
                (
                    NamedEntity {
                        name: e.name.clone(),
                        attack_id: e.attack_id.clone(),
                        aliases: e.aliases.clone(),
                        role: a.role,
                        evidence,
                        source: e.source,
                    },
                    e.kind,
                )
            }
            Key::New(kind, name) => (
                NamedEntity {
                    name,
                    attack_id: None,
                    aliases: Vec::new(),
                    role: a.role,
                    evidence,
                    source: NameSource::New,
                },
                kind,
            ),
        };
        let list = match kind {
            EntryKind::Actor => &mut out.actors,
            EntryKind::Malware => &mut out.malware,
            EntryKind::Tool => &mut out.tools,
        };
        if list.len() < MAX_PER_KIND {
            list.push(entity);
        }
    }
    out
}

/// Whether `text[start..end]` stands as a word: no letter, digit or `_` touches it.
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    !text[..start].chars().next_back().is_some_and(word)
        && !text[end..].chars().next().is_some_and(word)
}

/// Case-aware: whether the spelling fits the alias, and if so whether the mention needs
/// a supporting cue. The exact spelling always fits; otherwise the first letter's case
/// must agree ("Lazarus group", "Cozy bear"), or the match is in capitals (a heading).
/// Ambiguous names must be spelled exactly. A one-word alias in capitals written as a
/// plain word ("Electrum" for ELECTRUM, "Silicon" for SILICON) is often that word, so it
/// needs support like an ambiguous name ("the Nobelium actor").
fn case_fits(alias: &str, matched: &str, ambiguous: bool) -> Option<bool> {
    if alias == matched {
        return Some(ambiguous);
    }
    if ambiguous {
        return None;
    }
    let first = |s: &str| s.chars().next();
    let shouting = matched.len() >= 5 && !matched.chars().any(|c| c.is_lowercase());
    if !(first(alias) == first(matched) || shouting) {
        return None;
    }
    let capital_word = alias.chars().all(|c| c.is_ascii_uppercase());
    Some(capital_word && !shouting)
}

/// Whether a captured new name looks like a name: not an ATT&CK or CVE ID, not a file.
fn name_like(name: &str) -> bool {
    let id = |p: char| {
        name.len() == 5 && name.starts_with(p) && name[1..].bytes().all(|b| b.is_ascii_digit())
    };
    let file = name.contains('_')
        || name.rsplit_once('.').is_some_and(|(_, ext)| {
            (2..=4).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_lowercase())
        });
    !(id('G') || id('S') || id('T') || id('C') || name.starts_with("CVE-") || file)
}

#[cfg(test)]
mod tests;
