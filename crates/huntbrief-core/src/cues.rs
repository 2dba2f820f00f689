//! Cue phrases: whole-word matching of a data file's phrase lists (case-insensitive) and
//! term lists (case-sensitive, for acronyms), with clause-level negation and hedging.

use std::ops::Range;

use regex::Regex;

/// One list of cues compiled into (at most) two regexes.
#[derive(Debug, Clone)]
pub struct Cues {
    insensitive: Option<Regex>,
    sensitive: Option<Regex>,
}

/// Words that, earlier in the same clause, deny what a cue asserts. ASCII word
/// boundaries (`(?-u:\b)`): the words are ASCII, and Unicode boundaries cost a lot.
static DENIAL: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:no|not|never|without|neither|nor|none|unaware|cannot|rather than)(?-u:\b)|n['’]t(?-u:\b)",
    )
    .expect("the denial pattern is valid")
});

/// Words that, earlier in the same clause, hedge what a cue asserts: "could be exploited".
static HEDGE: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:could|may|might|would|if|unless|potential(?:ly)?|possibl[ey]|hypothetical(?:ly)?|theoretical(?:ly)?)(?-u:\b)",
    )
    .expect("the hedge pattern is valid")
});

/// What, earlier in a cue's clause, takes its assertion back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Negation {
    /// Nothing: the cue counts wherever it stands.
    None,
    /// Denials only ("no", "not", "without"): for what a flaw *is* ("could be exploited
    /// without authentication" still describes an unauthenticated flaw).
    Denial,
    /// Denials and hedges ("could", "may", "potentially"): for what *happened*.
    Hedge,
}

/// How far back in its sentence a negation can reach.
const NEGATION_REACH: usize = 90;

impl Cues {
    /// Compiles the fragments; an error names the bad fragment.
    pub fn new(phrases: &[String], terms: &[String]) -> Result<Self, String> {
        let build = |list: &[String], flags: &str| -> Result<Option<Regex>, String> {
            if list.is_empty() {
                return Ok(None);
            }
            for p in list {
                Regex::new(p).map_err(|e| format!("bad pattern {p:?}: {e}"))?;
            }
            let alternation = list
                .iter()
                .map(|p| format!("(?:{p})"))
                .collect::<Vec<_>>()
                .join("|");
            Regex::new(&format!(r"{flags}(?-u:\b)(?:{alternation})(?-u:\b)"))
                .map(Some)
                .map_err(|e| e.to_string())
        };
        Ok(Self {
            insensitive: build(phrases, "(?i)")?,
            sensitive: build(terms, "")?,
        })
    }

    /// Every match in `text`, in order.
    pub fn find_all(&self, text: &str) -> Vec<Range<usize>> {
        let mut all: Vec<Range<usize>> = [&self.insensitive, &self.sensitive]
            .into_iter()
            .flatten()
            .flat_map(|re| re.find_iter(text).map(|m| m.range()))
            .collect();
        all.sort_by_key(|r| r.start);
        all
    }

    /// The first match not denied or hedged in its clause.
    pub fn find_affirmed(&self, text: &str) -> Option<Range<usize>> {
        self.find_unless(text, Negation::Hedge)
    }

    /// The first match that `negation` does not take back.
    pub fn find_unless(&self, text: &str, negation: Negation) -> Option<Range<usize>> {
        self.find_all(text)
            .into_iter()
            .find(|m| !negated_by(text, m.start, negation))
    }
}

/// Whether the clause before `at` (back to the sentence start, at most
/// `NEGATION_REACH` bytes) holds a word of `negation`'s kind.
pub fn negated_by(text: &str, at: usize, negation: Negation) -> bool {
    if negation == Negation::None {
        return false;
    }
    let from = text.ceil_char_boundary(at.saturating_sub(NEGATION_REACH));
    let before = &text[from..at];
    let clause_start = before
        .rfind(['.', '!', '?', ';', '\n'])
        .map_or(0, |i| i + 1);
    let clause = &before[clause_start..];
    DENIAL.is_match(clause) || (negation == Negation::Hedge && HEDGE.is_match(clause))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues(phrases: &[&str], terms: &[&str]) -> Cues {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Cues::new(&own(phrases), &own(terms)).unwrap()
    }

    #[test]
    fn matches_whole_words_only() {
        let c = cues(&["rce", "force"], &["APT\\d*"]);
        assert!(
            c.find_all("Open source code captures the adaptive workforce")
                .is_empty()
        );
        assert!(
            c.find_all("the apt reply").is_empty(),
            "terms are case-sensitive"
        );
        assert_eq!(c.find_all("APT29 used an RCE").len(), 2);
    }

    #[test]
    fn negation_and_hedging_deny_a_cue_in_their_clause() {
        let c = cues(&["exploited in the wild"], &[]);
        assert!(
            c.find_affirmed("There is no evidence the flaw was exploited in the wild.")
                .is_none()
        );
        assert!(
            c.find_affirmed("The bug could be exploited in the wild.")
                .is_none()
        );
        assert!(
            c.find_affirmed("Microsoft hasn't seen it exploited in the wild.")
                .is_none()
        );
        assert!(
            c.find_affirmed("No patch exists. The flaw is exploited in the wild.")
                .is_some()
        );
        assert!(
            c.find_affirmed("CISA says the flaw is exploited in the wild.")
                .is_some()
        );
    }

    #[test]
    fn denial_only_cues_survive_hedges() {
        let c = cues(&["without authentication"], &[]);
        let text = "A bug that could be exploited without authentication.";
        assert!(c.find_unless(text, Negation::Denial).is_some());
        assert!(c.find_unless(text, Negation::Hedge).is_none());
        assert!(
            c.find_unless(
                "It is not reachable without authentication.",
                Negation::Denial
            )
            .is_none()
        );
        assert!(
            c.find_unless(
                "It is not reachable without authentication.",
                Negation::None
            )
            .is_some()
        );
    }

    #[test]
    fn ascii_boundaries_still_split_at_non_ascii_text() {
        let c = cues(&["wiper"], &[]);
        assert_eq!(c.find_all("«wiper» — wiperx é wiper’s").len(), 2);
    }

    #[test]
    fn bad_patterns_are_reported() {
        assert!(
            Cues::new(&["(".to_string()], &[])
                .unwrap_err()
                .contains("bad pattern")
        );
    }
}
