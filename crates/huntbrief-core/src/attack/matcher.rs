//! Whole-word phrase matching over one Aho-Corasick automaton. A phrase ending in `*` is a
//! stem (`obfuscat*` matches "obfuscated", "obfuscation"); other phrases must end at a
//! word boundary. Matching ignores ASCII case.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

#[derive(Debug, Clone)]
pub struct Phrases {
    ac: Option<AhoCorasick>,
    /// Per pattern: whether it is a stem (no boundary needed at its end).
    stem: Vec<bool>,
    /// Per pattern: whether it starts with a word character (and so needs a boundary).
    word_start: Vec<bool>,
}

impl Phrases {
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> Result<Self, String> {
        let mut pats = Vec::with_capacity(phrases.len());
        let mut stem = Vec::with_capacity(phrases.len());
        let mut word_start = Vec::with_capacity(phrases.len());
        for p in phrases {
            let p = p.as_ref();
            let (body, is_stem) = match p.strip_suffix('*') {
                Some(b) => (b, true),
                None => (p, false),
            };
            // `*` only marks a stem at the end; inside a phrase it would match literally.
            if body.trim().is_empty() || body != body.trim() || body.contains('*') {
                return Err(format!("bad phrase {p:?}"));
            }
            pats.push(body.to_owned());
            // A phrase ending in punctuation (`c$`) needs no boundary after it either.
            stem.push(is_stem || !body.chars().next_back().is_some_and(is_word));
            word_start.push(body.chars().next().is_some_and(is_word));
        }
        let ac = caseless(&pats).map_err(|e| e.to_string())?;
        Ok(Self {
            ac,
            stem,
            word_start,
        })
    }

    /// Every whole-word match: (phrase index, byte range), overlapping ones included.
    pub fn matches<'a>(
        &'a self,
        text: &'a str,
    ) -> impl Iterator<Item = (usize, Range<usize>)> + 'a {
        self.ac
            .iter()
            .flat_map(move |ac| ac.find_overlapping_iter(text))
            .filter_map(move |m| {
                let i = m.pattern().as_usize();
                let r = m.range();
                let left_ok = !self.word_start[i]
                    || !text[..r.start].chars().next_back().is_some_and(is_word);
                let right_ok = self.stem[i] || !text[r.end..].chars().next().is_some_and(is_word);
                (left_ok && right_ok).then_some((i, r))
            })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.matches(text).next().is_some()
    }

    pub fn len(&self) -> usize {
        self.stem.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stem.is_empty()
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// An ASCII-caseless automaton reporting every match (overlapping starts included), or
/// none for no patterns.
pub(crate) fn caseless<P: AsRef<[u8]>>(
    pats: &[P],
) -> Result<Option<AhoCorasick>, aho_corasick::BuildError> {
    if pats.is_empty() {
        return Ok(None);
    }
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(pats)
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_stems_and_case() {
        let p = Phrases::new(&["run key", "obfuscat*", "rdp"]).unwrap();
        let found: Vec<usize> = p
            .matches("Obfuscated RDP via a Run Key; runkeys and rdpclip do not count")
            .map(|(i, _)| i)
            .collect();
        assert_eq!(found, [1, 2, 0]);
        assert!(!p.is_match("a rerun keyboard"));
        assert!(Phrases::new(&[" x"]).is_err());
        assert!(Phrases::new(&["*"]).is_err());
        assert!(Phrases::new(&["bypass* uac"]).is_err());
        assert!(!Phrases::new::<&str>(&[]).unwrap().is_match("anything"));
    }

    #[test]
    fn punctuation_at_the_edges_needs_no_boundary() {
        let p = Phrases::new(&["\\currentversion\\run", "-enc", "c$"]).unwrap();
        assert_eq!(
            p.matches("HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run")
                .count(),
            1
        );
        assert!(p.is_match("powershell -enc AAAA"));
        assert!(p.is_match("copied to \\\\host\\c$\\temp"));
    }

    #[test]
    fn overlapping_matches_are_all_reported() {
        let p = Phrases::new(&["scheduled task", "task"]).unwrap();
        assert_eq!(p.matches("a scheduled task").count(), 2);
    }

    #[test]
    fn multibyte_neighbours_do_not_panic() {
        let p = Phrases::new(&["lsass"]).unwrap();
        assert!(p.is_match("«lsass»"));
        assert!(!p.is_match("élsass"));
    }
}
