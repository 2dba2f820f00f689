//! Layer 1: technique IDs the article writes out (`T1059.001`, `T1574.002`, a link to
//! `attack.mitre.org/techniques/T1059/001/`), remapped through revocations to the current
//! ID. The author's own mapping, in running text ("... to download the payload
//! (T1059.001)") or in a table or list ("Valid Accounts [T1078]"), is strong evidence by
//! itself unless the sentence denies or only hedges it, or it sits in an out-of-scope
//! section (mitigations, detection content, references). `descriptive` tells running text
//! from list entries (for the evidence score).

use std::ops::Range;

use super::cues::{Polarity, Sentence};
use super::patterns::sentence_of;
use super::table::{Table, is_technique_id};

#[derive(Debug, Clone, PartialEq)]
pub struct IdHit {
    /// Current ID.
    pub id: String,
    /// The ID as written, when it was remapped.
    pub written: Option<String>,
    pub sentence: usize,
    pub range: Range<usize>,
    /// Whether the sentence describes behaviour beyond the ID and its name.
    pub descriptive: bool,
    /// Whether the sentence only hedges ("could use T1059"): not sure on its own.
    pub hedged: bool,
}

/// Words that do not make a list entry descriptive.
const FILLER: &[&str] = &[
    "and",
    "or",
    "the",
    "of",
    "a",
    "an",
    "to",
    "in",
    "for",
    "on",
    "with",
    "via",
    "mitre",
    "att",
    "ck",
    "attack",
    "technique",
    "techniques",
    "sub",
    "tactic",
    "tactics",
    "id",
    "ids",
    "see",
    "also",
    "table",
    "name",
    "use",
    "uses",
    "used",
];

/// At least this many other words make an ID's sentence descriptive.
const DESCRIPTIVE_WORDS: usize = 4;

pub fn find(text: &str, sents: &[Sentence], table: &Table) -> Vec<IdHit> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    // The sentence whose IDs were last counted, and their number.
    let mut counted: Option<(usize, usize)> = None;
    while let Some(pos) = memchr::memchr(b'T', &bytes[i..]) {
        let start = i + pos;
        i = start + 1;
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let Some(mut end) = id_end(bytes, start) else {
            continue;
        };
        let in_link = text[..start].ends_with("techniques/");
        // A sub-technique page: `techniques/T1059/001`.
        let mut written = text[start..end].to_owned();
        if in_link && end == start + 5 {
            let sub = bytes.get(end + 1..end + 4);
            if bytes.get(end) == Some(&b'/')
                && sub.is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                && !bytes.get(end + 4).is_some_and(u8::is_ascii_digit)
            {
                written = format!("{written}.{}", &text[end + 1..end + 4]);
                end += 4;
            }
        }
        let Some(current) = table.normalize(&written) else {
            continue;
        };
        let Some(si) = sentence_of(sents, start) else {
            continue;
        };
        let s = &sents[si];
        // A mapping row that links the technique's page is a link line, not a citation.
        let scoped = s.in_scope || (s.link_line && in_link);
        if !scoped || s.no_claim || s.polarity == Polarity::Negated {
            continue;
        }
        let sentence = &text[s.range.clone()];
        // Counted once per sentence: a run of thousands of IDs must stay linear.
        if counted.is_none_or(|(c, _)| c != si) {
            counted = Some((si, count_ids(sentence)));
        }
        let list = counted.is_some_and(|(_, n)| n >= LIST_IDS);
        let descriptive = !list && is_descriptive(sentence, table, current);
        out.push(IdHit {
            id: current.to_owned(),
            written: (written != current).then_some(written),
            sentence: si,
            range: start..end,
            descriptive,
            hedged: s.polarity == Polarity::Hedged,
        });
        i = end;
    }
    out
}

/// End of a technique ID starting at `start`, if one does (`T1234` or `T1234.567`, not
/// followed by another letter or digit).
fn id_end(b: &[u8], start: usize) -> Option<usize> {
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    if !digits(start + 1, 4) {
        return None;
    }
    let mut end = start + 5;
    if b.get(end) == Some(&b'.') && digits(end + 1, 3) {
        end += 4;
    }
    let next = b.get(end).copied();
    if next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        || (next == Some(b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit))
    {
        return None;
    }
    debug_assert!(std::str::from_utf8(&b[start..end]).is_ok_and(is_technique_id));
    Some(end)
}

/// A sentence naming this many technique IDs is a list, however long.
const LIST_IDS: usize = 3;

fn count_ids(sentence: &str) -> usize {
    sentence
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .flat_map(|w| w.split('.'))
        .filter(|w| is_technique_id(w))
        .count()
}

/// Whether a sentence with fewer than [`LIST_IDS`] IDs says more than the ID and its name.
fn is_descriptive(sentence: &str, table: &Table, id: &str) -> bool {
    let name = table.display_name(id).unwrap_or_default().to_lowercase();
    let name_words: Vec<&str> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let tactic_words: Vec<String> = table
        .tactics()
        .iter()
        .flat_map(|t| t.name.split_whitespace())
        .map(str::to_lowercase)
        .collect();
    // Links and tactic names in a mapping row describe nothing either.
    let lower: String = sentence
        .split_whitespace()
        .filter(|w| !w.contains("://") && !w.starts_with("www."))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let others = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1 && w.chars().any(char::is_alphabetic))
        .filter(|w| !FILLER.contains(w) && !name_words.contains(w))
        .filter(|w| !tactic_words.iter().any(|t| t == w))
        // Other IDs and tactic IDs in the same list entry do not describe anything.
        .filter(|w| !(w.starts_with('t') && w[1..].bytes().all(|b| b.is_ascii_digit())))
        .count();
    others >= DESCRIPTIVE_WORDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::AttackKb;

    fn ids(text: &str) -> Vec<(String, bool)> {
        let kb = AttackKb::embedded();
        let sents = kb.cues.sentences(text);
        find(text, &sents, &kb.table)
            .into_iter()
            .map(|h| (h.id, h.descriptive))
            .collect()
    }

    #[test]
    fn finds_and_remaps_ids() {
        assert_eq!(
            ids("The actor side-loaded a DLL through a signed Office binary (T1574.002)."),
            [("T1574.001".to_owned(), true)]
        );
        assert_eq!(ids("Valid Accounts [T1078]"), [("T1078".to_owned(), false)]);
        let list = "Command and Scripting Interpreter [T1059], Create Account [T1136], File Deletion [T1070.004], Modify Registry [T1112]";
        assert!(ids(list).iter().all(|(_, descriptive)| !descriptive));
    }

    #[test]
    fn ignores_look_alikes_unknown_and_denied_ids() {
        assert!(
            ids("The T1000 router and model XT1059 shipped; see T12345 and T1059.0012.").is_empty()
        );
        assert!(ids("T9999 is not a technique in this list of ours.").is_empty());
        assert!(ids("We saw no evidence of T1486 in this intrusion at all.").is_empty());
        // Deprecated techniques have no current form.
        assert!(ids("The group used T1043 to talk to its servers every hour.").is_empty());
    }

    #[test]
    fn id_shapes() {
        assert_eq!(id_end(b"T1059.001)", 0), Some(9));
        assert_eq!(id_end(b"T1059.", 0), Some(5));
        assert_eq!(id_end(b"T1059.1", 0), None);
        assert_eq!(id_end(b"T105", 0), None);
        assert_eq!(id_end("T1059é".as_bytes(), 0), Some(5));
    }
}
