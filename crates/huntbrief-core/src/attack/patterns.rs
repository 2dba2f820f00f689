//! Curated phrase and command-line patterns per technique (`data/attack/patterns.toml`):
//! one Aho-Corasick automaton over every phrase, one regex set over every command-line
//! pattern. A rule may demand a context phrase in the same sentence (an action word
//! beside a tool name) and may be vetoed by an exclusion phrase; each rule carries the
//! sentences it must match and the ones it must leave alone, checked when the file loads.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::{Hir, HirKind};
use serde::Deserialize;

use super::cues::{Cues, Polarity, Sentence};
use super::matcher::Phrases;
use super::table::Table;
use crate::kb::KbError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    /// Named phrase lists, used in `context`/`exclude` as `@name`.
    #[serde(default)]
    sets: HashMap<String, Vec<String>>,
    rule: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    regex: Vec<String>,
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    score: f32,
    examples: Vec<String>,
    #[serde(default)]
    keeps: Vec<String>,
}

#[derive(Debug)]
struct Rule {
    id: String,
    context: Option<Phrases>,
    exclude: Option<Phrases>,
    score: f32,
}

#[derive(Debug)]
struct LazyRegex {
    src: String,
    cell: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// The compiled regex; `None` if it does not compile (an override that skipped
    /// verification cannot make analysis panic).
    fn get(&self) -> Option<&Regex> {
        self.cell
            .get_or_init(|| ascii_regex(&self.src).ok())
            .as_ref()
    }
}

/// One rule firing in one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternHit {
    /// Current technique ID.
    pub id: String,
    /// Index into the sentence list.
    pub sentence: usize,
    /// The matched bytes in the text.
    pub range: Range<usize>,
    pub score: f32,
    pub polarity: Polarity,
}

#[derive(Debug)]
pub struct Patterns {
    rules: Vec<Rule>,
    phrases: Phrases,
    /// Rule of each phrase.
    phrase_rule: Vec<usize>,
    /// Compiled on first use: a short article touches few of them.
    regexes: Vec<LazyRegex>,
    regex_rule: Vec<usize>,
    /// Literals one of which every match of a regex contains; a regex is only tried on
    /// sentences holding one of its anchors.
    anchors: Option<AhoCorasick>,
    /// Regex of each anchor.
    anchor_regex: Vec<usize>,
    /// Regexes without a usable anchor: tried on every sentence.
    unanchored: Vec<usize>,
}

impl Patterns {
    pub const FILE: &'static str = "attack/patterns.toml";

    pub fn parse(source: &str, table: &Table, cues: &Cues) -> Result<Self, KbError> {
        let file: PatternFile =
            toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let bad = |m: String| KbError::invalid(Self::FILE, m);
        let expand = |list: &[String], rule: &str| -> Result<Vec<String>, KbError> {
            let mut out = Vec::new();
            for item in list {
                match item.strip_prefix('@') {
                    Some(name) => out.extend(
                        file.sets
                            .get(name)
                            .ok_or_else(|| bad(format!("rule {rule}: no set @{name}")))?
                            .iter()
                            .cloned(),
                    ),
                    None => out.push(item.clone()),
                }
            }
            Ok(out)
        };
        let mut rules = Vec::new();
        let mut all_phrases = Vec::new();
        let mut phrase_rule = Vec::new();
        let mut all_regex = Vec::new();
        let mut regex_rule = Vec::new();
        for (i, spec) in file.rule.iter().enumerate() {
            let current = table.normalize(&spec.id);
            if current != Some(spec.id.as_str()) {
                return Err(bad(format!(
                    "rule {}: not a current ATT&CK ID (now {current:?})",
                    spec.id
                )));
            }
            if spec.phrases.is_empty() && spec.regex.is_empty() {
                return Err(bad(format!("rule {}: no phrases or regex", spec.id)));
            }
            if !(0.0..=1.0).contains(&spec.score) || spec.examples.is_empty() {
                return Err(bad(format!(
                    "rule {}: score in 0..=1 and at least one example",
                    spec.id
                )));
            }
            let context = expand(&spec.context, &spec.id)?;
            let exclude = expand(&spec.exclude, &spec.id)?;
            let opt = |l: Vec<String>| -> Result<Option<Phrases>, KbError> {
                if l.is_empty() {
                    Ok(None)
                } else {
                    Phrases::new(&l)
                        .map(Some)
                        .map_err(|e| bad(format!("rule {}: {e}", spec.id)))
                }
            };
            rules.push(Rule {
                id: spec.id.clone(),
                context: opt(context)?,
                exclude: opt(exclude)?,
                score: spec.score,
            });
            for p in &spec.phrases {
                all_phrases.push(p.clone());
                phrase_rule.push(i);
            }
            for r in &spec.regex {
                // Syntax is checked here; compilation happens on first use (or below).
                regex_syntax::ParserBuilder::new()
                    .unicode(false)
                    .utf8(false)
                    .case_insensitive(true)
                    .build()
                    .parse(r)
                    .map_err(|e| bad(format!("rule {}: {e}", spec.id)))?;
                all_regex.push(r.clone());
                regex_rule.push(i);
            }
        }
        // The built-in file is verified by its schema test; an override is verified here.
        let verify = cfg!(test) || crate::kb::EMBEDDED.get(Self::FILE) != Some(source);
        let regexes: Vec<LazyRegex> = all_regex
            .iter()
            .map(|r| LazyRegex {
                src: r.clone(),
                cell: OnceLock::new(),
            })
            .collect();
        if verify {
            for r in &regexes {
                if r.get().is_none() {
                    return Err(bad(format!("regex {:?} does not compile", r.src)));
                }
            }
        }
        let mut anchor_lits: Vec<Vec<u8>> = Vec::new();
        let mut anchor_regex = Vec::new();
        let mut unanchored = Vec::new();
        for (i, r) in all_regex.iter().enumerate() {
            match regex_anchors(r) {
                Some(lits) => {
                    for l in lits {
                        anchor_lits.push(l);
                        anchor_regex.push(i);
                    }
                }
                None => unanchored.push(i),
            }
        }
        let anchors = super::matcher::caseless(&anchor_lits).map_err(|e| bad(e.to_string()))?;
        let patterns = Self {
            rules,
            phrases: Phrases::new(&all_phrases).map_err(bad)?,
            phrase_rule,
            regexes,
            regex_rule,
            anchors,
            anchor_regex,
            unanchored,
        };
        // Report every failing example at once: the file is edited in batches.
        let mut failures = Vec::new();
        for (i, spec) in file.rule.iter().enumerate().filter(|_| verify) {
            for ex in &spec.examples {
                if !patterns.rule_fires(i, ex, cues) {
                    failures.push(format!(
                        "rule {} does not fire on its example {ex:?}",
                        spec.id
                    ));
                }
            }
            for keep in &spec.keeps {
                if patterns.rule_fires(i, keep, cues) {
                    failures.push(format!(
                        "rule {} fires on the text it must keep: {keep:?}",
                        spec.id
                    ));
                }
            }
        }
        if !failures.is_empty() {
            return Err(bad(failures.join("; ")));
        }
        Ok(patterns)
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The asserted (or hedged) hits of rule `rule` on `text`, as a whole analysis sees them.
    fn rule_fires(&self, rule: usize, text: &str, cues: &Cues) -> bool {
        let sents = cues.sentences(text);
        self.scan(text, &sents, cues)
            .into_iter()
            .any(|(r, h)| r == rule && h.polarity <= Polarity::Hedged)
    }

    /// Every rule hit in in-scope sentences, negated ones included (the caller decides).
    pub fn hits(&self, text: &str, sents: &[Sentence], cues: &Cues) -> Vec<PatternHit> {
        self.scan(text, sents, cues)
            .into_iter()
            .map(|(_, h)| h)
            .collect()
    }

    fn scan(&self, text: &str, sents: &[Sentence], cues: &Cues) -> Vec<(usize, PatternHit)> {
        let mut raw: Vec<(usize, Range<usize>)> = self
            .phrases
            .matches(text)
            .map(|(p, r)| (self.phrase_rule[p], r))
            .collect();
        // Regexes run sentence by sentence, and only where one of their anchors occurs.
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        if let Some(ac) = &self.anchors {
            for m in ac.find_overlapping_iter(text) {
                if let Some(si) = sentence_of(sents, m.start()) {
                    candidates.push((si, self.anchor_regex[m.pattern().as_usize()]));
                }
            }
        }
        for (si, s) in sents.iter().enumerate() {
            if s.in_scope {
                candidates.extend(self.unanchored.iter().map(|&r| (si, r)));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for (si, ri) in candidates {
            let s = &sents[si];
            if !s.in_scope {
                continue;
            }
            let bytes = &text.as_bytes()[s.range.clone()];
            let Some(re) = self.regexes[ri].get() else {
                continue;
            };
            raw.extend(re.find_iter(bytes).map(|m| {
                let r = m.start() + s.range.start..m.end() + s.range.start;
                (self.regex_rule[ri], char_range(text, r))
            }));
        }
        raw.sort_by_key(|(rule, r)| (r.start, *rule));
        let mut out: Vec<(usize, PatternHit)> = Vec::new();
        let mut fired: HashSet<(usize, usize)> = HashSet::new();
        for (rule_i, range) in raw {
            let Some(si) = sentence_of(sents, range.start) else {
                continue;
            };
            let s = &sents[si];
            // A pattern may not reach across sentences (spans stop at newlines only).
            if !s.in_scope || range.end > s.range.end {
                continue;
            }
            // One hit per rule and sentence is enough (a set: a run of repeats stays linear).
            // Context and exclusion are per sentence, so the first hit decides for all.
            if !fired.insert((rule_i, si)) {
                continue;
            }
            let rule = &self.rules[rule_i];
            let sentence = &text[s.range.clone()];
            if rule.context.as_ref().is_some_and(|c| !c.is_match(sentence))
                || rule.exclude.as_ref().is_some_and(|x| x.is_match(sentence))
            {
                continue;
            }
            let local = range.start - s.range.start..range.end - s.range.start;
            let polarity = cues.polarity_at(sentence, &local);
            out.push((
                rule_i,
                PatternHit {
                    id: rule.id.clone(),
                    sentence: si,
                    range,
                    score: rule.score,
                    polarity,
                },
            ));
        }
        out
    }
}

/// Literals (at least 3 bytes, lower-case as written) of which every match of `r`
/// contains one, picked to be as rare as the regex allows; `None` when the regex has no
/// such set.
fn regex_anchors(r: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(r)
        .ok()?;
    anchors_of(&hir).map(|(_, lits)| lits)
}

/// Words so common in reports that anchoring on them saves nothing.
const COMMON: &[&str] = &[
    "the", "and", "use", "uses", "used", "using", "run", "runs", "ran", "via", "with", "from",
    "for", "that", "this", "get", "set", "add", "all", "its", "their", "was", "were", "are", "has",
    "have", "can", "into", "onto", "over", "then", "new", "data", "file", "files",
];

/// (rarity score, literals) for `h`: the minimum literal length, common words counting 1.
fn anchors_of(h: &Hir) -> Option<(usize, Vec<Vec<u8>>)> {
    match h.kind() {
        HirKind::Literal(lit) => {
            let bytes = lit.0.to_ascii_lowercase();
            if bytes.len() < 3 {
                return None;
            }
            let word = std::str::from_utf8(&bytes).unwrap_or("");
            let score = if COMMON.contains(&word) {
                1
            } else {
                bytes.len()
            };
            Some((score, vec![bytes]))
        }
        HirKind::Capture(c) => anchors_of(&c.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => anchors_of(&rep.sub),
        HirKind::Concat(subs) => subs
            .iter()
            .filter_map(anchors_of)
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.len().cmp(&a.1.len()))),
        HirKind::Alternation(alts) => {
            let mut score = usize::MAX;
            let mut lits = Vec::new();
            for a in alts {
                let (s, l) = anchors_of(a)?;
                score = score.min(s);
                lits.extend(l);
            }
            Some((score, lits))
        }
        _ => None,
    }
}

/// Patterns run over bytes with ASCII classes: `\w`, `\b` and `[^.\n]` mean what they
/// say for English command lines, and the compiled set stays small (Unicode classes under
/// bounded repeats would make it hundreds of times larger).
fn ascii_regex(r: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(r)
        .unicode(false)
        .case_insensitive(true)
        .build()
}

/// `r` widened to character boundaries of `text` (a byte pattern may stop inside one).
fn char_range(text: &str, r: Range<usize>) -> Range<usize> {
    text.floor_char_boundary(r.start)..text.ceil_char_boundary(r.end)
}

/// The sentence containing byte `offset` (sentences are sorted and disjoint).
pub fn sentence_of(sents: &[Sentence], offset: usize) -> Option<usize> {
    let i = sents.partition_point(|s| s.range.end <= offset);
    sents.get(i).filter(|s| s.range.start <= offset).map(|_| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::AttackKb;

    fn kb() -> AttackKb {
        AttackKb::embedded()
    }

    fn fired(text: &str) -> Vec<String> {
        let kb = kb();
        let sents = kb.cues.sentences(text);
        let mut ids: Vec<String> = kb
            .patterns
            .hits(text, &sents, &kb.cues)
            .into_iter()
            .filter(|h| h.polarity <= Polarity::Hedged)
            .map(|h| h.id)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    #[test]
    fn embedded_rules_load_and_pass_their_examples() {
        assert!(kb().patterns.rule_count() >= 100);
    }

    #[test]
    fn schema_rejects_bad_rules() {
        let kb = kb();
        let load = |s: &str| Patterns::parse(s, &kb.table, &kb.cues);
        let ok = "[[rule]]\nid='T1490'\nphrases=['vssadmin delete shadows']\nscore=0.9\nexamples=['The ransomware ran vssadmin delete shadows /all /quiet.']";
        assert!(load(ok).is_ok());
        // revoked ID, unknown field, failing example, bad regex, unknown set, firing keep
        assert!(load(&ok.replace("T1490", "T1574.002")).is_err());
        assert!(load(&format!("{ok}\ncolour='red'")).is_err());
        assert!(
            load(&ok.replace("ran vssadmin delete shadows /all /quiet", "ran backups")).is_err()
        );
        assert!(load(&ok.replace("phrases=['vssadmin delete shadows']", "regex=['(']")).is_err());
        assert!(load(&format!("{ok}\ncontext=['@nope']")).is_err());
        assert!(load(&format!("{ok}\nkeeps=['It ran vssadmin delete shadows.']")).is_err());
        assert!(load(&ok.replace("score=0.9", "score=1.5")).is_err());
    }

    #[test]
    fn command_lines_and_phrases_fire() {
        assert_eq!(
            fired(
                "The operators executed schtasks /create /tn Updater /tr c:\\users\\public\\a.exe"
            ),
            ["T1053.005"]
        );
        assert_eq!(
            fired("It then ran vssadmin delete shadows /all /quiet to stop recovery."),
            ["T1490"]
        );
        assert!(
            fired(
                "Persistence is set under HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run."
            )
            .contains(&"T1547.001".to_owned())
        );
        assert_eq!(
            fired("The loader relies on DLL side-loading through a signed binary."),
            ["T1574.001"]
        );
    }

    #[test]
    fn bare_names_negation_and_advice_do_not_fire() {
        for quiet in [
            "Valid Accounts and Proxy are two ATT&CK techniques.",
            "We found no evidence that the attackers dumped LSASS.",
            "Administrators should monitor schtasks /create events.",
            "Supply chain security is a term that deserves scrutiny.",
            "The ransomware gang claimed the breach on its leak site.",
        ] {
            assert!(fired(quiet).is_empty(), "{quiet}: {:?}", fired(quiet));
        }
    }

    #[test]
    fn anchors_are_the_rarest_required_literals() {
        let a = |r: &str| {
            regex_anchors(r).map(|v| {
                v.into_iter()
                    .map(|b| String::from_utf8(b).unwrap())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            a(r"\b(?:run|used)\b[^\n]{0,40}?\b(?:batch|\.bat)\s+files?"),
            Some(vec!["batch".into(), ".bat".into()])
        );
        assert_eq!(a(r"\bschtasks(?:\.exe)?\b"), Some(vec!["schtasks".into()]));
        assert_eq!(a(r"\bx\w+y"), None);
        assert_eq!(a(r"(?:ab|schtasks)"), None);
        // Every embedded regex but a few has anchors, so scanning stays fast.
        let kb = AttackKb::embedded();
        assert!(
            kb.patterns.unanchored.len() <= 6,
            "{:?}",
            kb.patterns.unanchored
        );
    }

    #[test]
    fn byte_matches_widen_to_characters() {
        let text = "a é b";
        assert_eq!(char_range(text, 0..3), 0..4);
        assert_eq!(char_range(text, 3..6), 2..6);
        let re = ascii_regex(r"\bx[^.\n]{0,4}y\b").unwrap();
        assert!(re.is_match("x é y".as_bytes()));
    }

    #[test]
    fn sentence_lookup() {
        let kb = kb();
        let text = "One. Two three. Four.";
        let sents = kb.cues.sentences(text);
        assert_eq!(sentence_of(&sents, 0), Some(0));
        assert_eq!(sentence_of(&sents, 6), Some(1));
        assert_eq!(sentence_of(&sents, 4), None);
        assert_eq!(sentence_of(&sents, 100), None);
    }
}
