//! Whether the article supports a use case. Names are looked for only in evidence
//! sentences: those the ATT&CK stage quotes for an inferred technique and those the IOC
//! stage quotes for a high-fidelity indicator. A word elsewhere on the page (a sidebar,
//! a headline of a related story, an essay's theme) supports nothing.

use super::Input;
use super::library::{Evidence, UseCase};
use crate::model::{Fidelity, Indicator, TechniqueHit};

pub fn fires(u: &UseCase, input: &Input<'_>) -> bool {
    u.evidence.iter().any(|e| supports(e, input))
}

/// Whether `hit` is one of `listed` (or a sub-technique of a listed parent).
fn listed(listed: &[String], hit: &str) -> bool {
    listed.iter().any(|t| {
        hit == t
            || (t.len() == 5
                && hit.len() == 9
                && hit.starts_with(t.as_str())
                && hit.as_bytes()[5] == b'.')
    })
}

pub fn supports(e: &Evidence, input: &Input<'_>) -> bool {
    let hits: Vec<&TechniqueHit> = input
        .techniques
        .iter()
        .filter(|h| !h.evidence.is_empty() && h.confidence >= e.min_confidence)
        .filter(|h| e.techniques.is_empty() || listed(&e.techniques, &h.id))
        .collect();
    if !e.techniques.is_empty() && hits.is_empty() {
        return false;
    }
    let iocs: Vec<&Indicator> = input
        .iocs
        .iter()
        .filter(|i| i.fidelity == Fidelity::High)
        .filter(|i| e.indicators.is_empty() || e.indicators.contains(&i.kind))
        .collect();
    if !e.indicators.is_empty() && iocs.is_empty() {
        return false;
    }
    if e.mentions.is_empty() {
        return true;
    }
    let mut sentences: Vec<&str> = Vec::new();
    if !e.techniques.is_empty() || e.indicators.is_empty() {
        sentences.extend(
            hits.iter()
                .flat_map(|h| h.evidence.iter().map(String::as_str)),
        );
    }
    if !e.indicators.is_empty() || e.techniques.is_empty() {
        for i in &iocs {
            sentences.push(&i.evidence);
            sentences.push(&i.value);
        }
    }
    e.mentions
        .iter()
        .any(|m| sentences.iter().any(|s| mentions(s, m)))
}

/// Case-insensitive occurrence of `term` in `text` not glued to a longer word.
pub fn mentions(text: &str, term: &str) -> bool {
    let hay = text.to_lowercase();
    let needle = term.to_lowercase();
    if needle.is_empty() {
        return false;
    }
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let starts_word = needle.chars().next().is_some_and(char::is_alphanumeric);
    let ends_word = needle.chars().last().is_some_and(char::is_alphanumeric);
    let mut from = 0;
    while let Some(pos) = hay[from..].find(&needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        let glued_before = starts_word && glued(before);
        let glued_after = ends_word && glued(after);
        if !glued_before && !glued_after {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_whole_words_only() {
        assert!(mentions("They used AnyDesk, then", "anydesk"));
        assert!(!mentions("anydesks", "anydesk"));
        assert!(mentions("powershell -enc SQBFAFgA", "-enc"));
        assert!(!mentions("capture", "apt"));
        assert!(mentions("Login Data file", "login data"));
    }

    #[test]
    fn sub_techniques_match_a_listed_parent_only() {
        assert!(listed(&["T1053".into()], "T1053.005"));
        assert!(!listed(&["T1053.005".into()], "T1053"));
        assert!(!listed(&["T1053".into()], "T10530"));
    }
}
