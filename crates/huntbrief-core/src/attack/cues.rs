//! What a sentence claims, and whether it is part of the story at all.
//!
//! * Scope: sentences under a heading such as "Mitigations", "Detection", "References" or
//!   "About us" describe defence or the publisher, not the adversary; reference-list
//!   lines and hunting queries neither. They are out of scope for every layer.
//! * Polarity, per clause: "no evidence that ... dumped LSASS" (negated), "an attacker
//!   could ..." (hedged), "organisations should disable ..." (advice).
//!
//! The cue lists live in `data/attack/cues.toml`, each checked against its own examples.

use std::ops::Range;

use regex::{Regex, RegexSet};
use serde::Deserialize;

use super::matcher::Phrases;
use crate::kb::KbError;
use crate::text::sentences;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Polarity {
    /// The text says it happened (or the malware can do it).
    Asserted,
    /// Possibility or speculation: "could", "may", "if an attacker".
    Hedged,
    /// Guidance for defenders: "should", "we recommend", "Disable ...".
    Advice,
    /// Denied: "no evidence", "did not", "was not observed".
    Negated,
}

/// One sentence of the analysed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub range: Range<usize>,
    /// False for sentences in dropped sections and reference lines.
    pub in_scope: bool,
    /// A link or citation line outside any dropped section (out of scope as prose; a
    /// mapping row linking an ATT&CK technique page still counts for the ID layer).
    pub link_line: bool,
    /// The strongest cue anywhere in the sentence (see [`Cues::polarity_at`] for clauses).
    pub polarity: Polarity,
    /// Whether every clause of the sentence is negated or advice: nothing in it is a claim.
    pub no_claim: bool,
    /// A label rather than a sentence: a one- or two-word line ("Name", "API", a short
    /// technique name as a heading) or a table header row of such cells. (Longer bare
    /// technique names are caught where patterns match them.)
    pub label: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CueFile {
    negation: Vec<String>,
    hedge: Vec<String>,
    advice: Vec<String>,
    /// Sentence openers that make a sentence an instruction ("Disable macros").
    imperative: Vec<String>,
    /// Words and marks that start a new clause.
    clause_break: Vec<String>,
    /// Breaks that continue the same action ("and then"): a negation or hedge of the
    /// clause before carries into the clause they start.
    #[serde(default)]
    carry: Vec<String>,
    /// Regexes (case-insensitive, whole line) of headings that open a dropped section.
    drop_section: Vec<String>,
    /// Regexes of headings whose section runs to the end of the text (references, related
    /// articles).
    drop_tail: Vec<String>,
    /// Regexes of headings that end a `drop_tail` section after all (an ATT&CK table).
    #[serde(default)]
    reopen: Vec<String>,
    /// Regexes (case-sensitive, from the line's start) of lines of detection content the
    /// author shows (Sigma, YARA, KQL, SPL): never evidence of what the attacker did.
    #[serde(default)]
    code_line: Vec<String>,
    #[serde(default)]
    check: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    text: String,
    /// Expected polarity of the (first) sentence.
    #[serde(default)]
    polarity: Option<Polarity>,
    /// Expected in_scope flags, one per sentence of `text`.
    #[serde(default)]
    scope: Option<Vec<bool>>,
}

#[derive(Debug)]
pub struct Cues {
    negation: Phrases,
    hedge: Phrases,
    advice: Phrases,
    imperative: Phrases,
    clause_break: Phrases,
    carry: Phrases,
    drop_section: RegexSet,
    drop_tail: RegexSet,
    reopen: RegexSet,
    code_line: RegexSet,
    url: Regex,
}

/// Whether `s` is a label: every cell (split at `|` and tabs) is at most
/// [`LABEL_WORDS`] plain words (a letter, then letters and `&/-:()',`) and the whole at
/// most [`LABEL_ROW_WORDS`]. Command lines (`/all`), IDs and prose are not labels.
fn is_label(s: &str) -> bool {
    let plain = |w: &str| {
        w.chars().all(|c| {
            c.is_alphabetic() || matches!(c, '&' | '/' | '-' | ':' | '(' | ')' | '\'' | ',')
        }) && w.chars().next().is_some_and(char::is_alphabetic)
    };
    let mut words = 0;
    for cell in s.split(['|', '\t']) {
        let n = cell.split_whitespace().count();
        if n > LABEL_WORDS || !cell.split_whitespace().all(plain) {
            return false;
        }
        words += n;
    }
    words > 0 && words <= LABEL_ROW_WORDS
}

/// Whether `s` is nothing but Markdown images (`![alt](src)`): alt text describes a
/// picture, like a caption, and repeats what the prose says; it is a label, not a claim.
fn is_image_only(s: &str) -> bool {
    let mut rest = s.trim();
    let mut images = 0;
    while let Some(after) = rest.strip_prefix("![") {
        // The alt text may hold brackets of its own; the image ends at `](...)`.
        let Some(close) = after.find("](") else {
            return false;
        };
        let Some(end) = after[close..].find(')') else {
            return false;
        };
        rest = after[close + end + 1..].trim_start();
        images += 1;
    }
    images > 0
        && rest
            .chars()
            .all(|c| c.is_ascii_punctuation() || c.is_whitespace())
}

/// Cells of a label have at most this many words ...
const LABEL_WORDS: usize = 2;
/// ... and a label row at most this many.
const LABEL_ROW_WORDS: usize = 8;

/// Headings are short; longer lines are prose.
const HEADING_MAX_WORDS: usize = 9;
/// A line of at least this many words (not a citation) is narrative.
const PROSE_MIN_WORDS: usize = 12;

impl Cues {
    pub const FILE: &'static str = "attack/cues.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let file: CueFile = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let bad = |m: String| KbError::invalid(Self::FILE, m);
        let heading_set = |list: &[String]| {
            RegexSet::new(
                list.iter()
                    .map(|r| format!(r"(?i)^(?:#+\s*)?(?:\d+(?:\.\d+)*[.)]?\s+)?(?:{r})\s*:?$")),
            )
            .map_err(|e| bad(e.to_string()))
        };
        let drop_section = heading_set(&file.drop_section)?;
        let drop_tail = heading_set(&file.drop_tail)?;
        let reopen = heading_set(&file.reopen)?;
        let code_line = RegexSet::new(file.code_line.iter().map(|r| format!(r"^\s*(?:{r})")))
            .map_err(|e| bad(e.to_string()))?;
        let cues = Self {
            negation: Phrases::new(&file.negation).map_err(bad)?,
            hedge: Phrases::new(&file.hedge).map_err(bad)?,
            advice: Phrases::new(&file.advice).map_err(bad)?,
            imperative: Phrases::new(&file.imperative).map_err(bad)?,
            clause_break: Phrases::new(&file.clause_break).map_err(bad)?,
            carry: Phrases::new(&file.carry).map_err(bad)?,
            drop_section,
            drop_tail,
            reopen,
            code_line,
            url: Regex::new(r"(?i)\b(?:https?|hxxps?)://\S+|\bwww\.\S+")
                .map_err(|e| bad(e.to_string()))?,
        };
        for c in &file.check {
            let got = cues.sentences(&c.text);
            if let Some(want) = c.polarity {
                let first = got.first().map(|s| s.polarity);
                if first != Some(want) {
                    return Err(bad(format!(
                        "check {:?}: polarity {first:?}, want {want:?}",
                        c.text
                    )));
                }
            }
            if let Some(want) = &c.scope {
                let flags: Vec<bool> = got.iter().map(|s| s.in_scope).collect();
                if &flags != want {
                    return Err(bad(format!(
                        "check {:?}: scope {flags:?}, want {want:?}",
                        c.text
                    )));
                }
            }
        }
        Ok(cues)
    }

    /// The sentences of `text` with their scope and polarity.
    pub fn sentences(&self, text: &str) -> Vec<Sentence> {
        let dropped = self.dropped_lines(text);
        // Both lists are sorted: one sweep keeps this linear however many sections drop.
        let mut next_drop = 0;
        sentences(text)
            .into_iter()
            .map(|range| {
                let s = &text[range.clone()];
                while dropped.get(next_drop).is_some_and(|d| d.end <= range.start) {
                    next_drop += 1;
                }
                let in_dropped = dropped
                    .get(next_drop)
                    .is_some_and(|d| d.start <= range.start);
                let link_line = !in_dropped && self.is_reference(s);
                let in_scope = !in_dropped && !link_line;
                let pols: Vec<Polarity> =
                    self.clause_polarities(s).into_iter().map(|c| c.1).collect();
                let mut polarity = pols.iter().copied().max().unwrap_or(Polarity::Asserted);
                if self.is_imperative(s) {
                    polarity = polarity.max(Polarity::Advice);
                }
                let no_claim = polarity >= Polarity::Advice
                    && (self.is_imperative(s) || pols.iter().all(|p| *p >= Polarity::Advice));
                Sentence {
                    range,
                    in_scope,
                    link_line,
                    polarity,
                    no_claim,
                    label: is_label(s) || is_image_only(s),
                }
            })
            .collect()
    }

    /// The polarity of the clause of `sentence` that contains byte range `at`: what a
    /// phrase match there asserts. Advice anywhere governs the whole sentence.
    pub fn polarity_at(&self, sentence: &str, at: &Range<usize>) -> Polarity {
        let mut p = self
            .clause_polarities(sentence)
            .into_iter()
            .find(|(c, _)| c.start <= at.start && at.start < c.end)
            .map_or(Polarity::Asserted, |c| c.1);
        if self.is_imperative(sentence) || self.advice.is_match(sentence) {
            p = p.max(Polarity::Advice);
        }
        p
    }

    /// Each clause with its polarity; a clause opened by a `carry` break ("and then")
    /// keeps the negation or hedge of the clause before it.
    fn clause_polarities(&self, sentence: &str) -> Vec<(Range<usize>, Polarity)> {
        let mut carries: Vec<usize> = self.carry.matches(sentence).map(|(_, r)| r.start).collect();
        carries.sort_unstable();
        let mut out: Vec<(Range<usize>, Polarity)> = Vec::new();
        for c in self.clauses(sentence) {
            let mut p = self.clause_polarity(sentence, &c);
            if let Some(prev) = out.last().map(|x| x.1)
                && p == Polarity::Asserted
                && matches!(prev, Polarity::Negated | Polarity::Hedged)
                && carries.binary_search(&c.start).is_ok()
            {
                p = prev;
            }
            out.push((c, p));
        }
        out
    }

    fn clause_polarity(&self, sentence: &str, clause: &Range<usize>) -> Polarity {
        let c = &sentence[clause.clone()];
        if self.negation.is_match(c) {
            Polarity::Negated
        } else if self.advice.is_match(c) {
            Polarity::Advice
        } else if self.hedge.is_match(c) {
            Polarity::Hedged
        } else {
            Polarity::Asserted
        }
    }

    fn clauses(&self, s: &str) -> Vec<Range<usize>> {
        let mut cuts: Vec<usize> = self.clause_break.matches(s).map(|(_, r)| r.start).collect();
        cuts.extend(s.match_indices(';').map(|(i, _)| i));
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = Vec::with_capacity(cuts.len() + 1);
        let mut start = 0;
        for c in cuts {
            if c > start {
                out.push(start..c);
                start = c;
            }
        }
        out.push(start..s.len());
        out
    }

    fn is_imperative(&self, s: &str) -> bool {
        let body = s.trim_start_matches(|c: char| !c.is_alphanumeric());
        self.imperative.matches(body).any(|(_, r)| r.start == 0)
    }

    /// Citation and link lines: mostly URL, or `[1] ...`.
    fn is_reference(&self, s: &str) -> bool {
        let url_len: usize = self.url.find_iter(s).map(|m| m.len()).sum();
        let t = s.trim_start();
        let numbered = t.starts_with('[')
            && t[1..]
                .split_once(']')
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        url_len * 2 > s.len() || (numbered && url_len > 0)
    }

    /// Byte ranges of dropped sections: from a dropping heading to the next heading, or
    /// for trailer headings (references, related articles) to the end of the text unless
    /// a reopening heading (an ATT&CK table, an appendix) comes first.
    ///
    /// A trailer heading followed by more narrative than precedes it is page navigation
    /// ("Subscribe", "Tags:" in the site's header), not the end of the story: it is ignored.
    fn dropped_lines(&self, text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        // The open section's start, and whether it is a trailer.
        let mut open: Option<(usize, bool)> = None;
        let total_prose = text
            .split_inclusive('\n')
            .map(|l| self.prose_len(l))
            .sum::<usize>();
        let mut prose_before = 0;
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let prose = self.prose_len(line);
            prose_before += prose;
            if open.is_none() && self.code_line.is_match(line) {
                out.push(start..offset);
                continue;
            }
            let t = line.trim();
            if t.is_empty() || !self.looks_like_heading(t) {
                continue;
            }
            let tail = self.drop_tail.is_match(t);
            if tail && total_prose - prose_before > prose_before {
                continue;
            }
            let drops = tail || self.drop_section.is_match(t);
            match open {
                None if drops => open = Some((start, tail)),
                Some((s, true)) if self.reopen.is_match(t) => {
                    out.push(s..start);
                    open = None;
                }
                Some((s, false)) if !drops => {
                    out.push(s..start);
                    open = None;
                }
                Some((s, false)) if tail => {
                    out.push(s..start);
                    open = Some((start, true));
                }
                _ => {}
            }
        }
        if let Some((s, _)) = open {
            out.push(s..text.len());
        }
        out
    }

    /// The length of `line` if it is narrative prose (a long line that is not a citation),
    /// else 0.
    fn prose_len(&self, line: &str) -> usize {
        let t = line.trim();
        if t.split_whitespace().nth(PROSE_MIN_WORDS - 1).is_some() && !self.is_reference(t) {
            t.len()
        } else {
            0
        }
    }

    fn looks_like_heading(&self, line: &str) -> bool {
        let words = line.split_whitespace().count();
        let first = line.trim_start_matches('#').trim_start().chars().next();
        words <= HEADING_MAX_WORDS
            && !line.ends_with(['.', ',', ';', '!', '?'])
            && first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            && !self.is_imperative(line)
            && line.chars().any(char::is_alphabetic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::EMBEDDED;

    fn cues() -> Cues {
        Cues::parse(EMBEDDED.get(Cues::FILE).unwrap()).unwrap()
    }

    fn polarity(s: &str) -> Polarity {
        cues().sentences(s)[0].polarity
    }

    #[test]
    fn embedded_cues_pass_their_checks_and_reject_bad_files() {
        let c = cues();
        assert!(c.negation.len() > 10 && c.advice.len() > 10);
        assert!(Cues::parse("negation = []").is_err());
        let base = "negation=['no']\nhedge=['may']\nadvice=['should']\nimperative=['disable']\nclause_break=['but']\ncarry=['and then']\ndrop_section=['mitigations']\ndrop_tail=['references']\nreopen=['appendix']\n";
        assert!(Cues::parse(base).is_ok());
        assert!(Cues::parse(&base.replace("['mitigations']", "['(']")).is_err());
        let failing = format!("{base}[[check]]\ntext='It may run.'\npolarity='negated'\n");
        assert!(Cues::parse(&failing).is_err());
    }

    #[test]
    fn polarity_of_sentences() {
        assert_eq!(
            polarity("The actor dumped LSASS with procdump."),
            Polarity::Asserted
        );
        assert_eq!(
            polarity("We found no evidence that the actor dumped LSASS."),
            Polarity::Negated
        );
        assert_eq!(
            polarity("An attacker could exploit the flaw to run code."),
            Polarity::Hedged
        );
        assert_eq!(
            polarity("Organizations should disable macros in Office files."),
            Polarity::Advice
        );
        assert_eq!(
            polarity("Disable PowerShell for standard users."),
            Polarity::Advice
        );
    }

    #[test]
    fn negation_is_per_clause() {
        let c = cues();
        let s = "The loader did not use PowerShell, but it created a scheduled task.";
        assert_eq!(c.polarity_at(s, &(23..33)), Polarity::Negated);
        let task = s.find("scheduled").unwrap();
        assert_eq!(c.polarity_at(s, &(task..task + 9)), Polarity::Asserted);
        assert!(!c.sentences(s)[0].no_claim);
        assert!(c.sentences("The sample did not contact any server.")[0].no_claim);
    }

    #[test]
    fn detection_content_the_author_shows_is_out_of_scope() {
        let c = cues();
        let text = "The actor dumped LSASS with comsvcs.dll on the file server.\n\
            detection:\n  selection:\n    CommandLine|contains: 'comsvcs'\n  condition: selection\n\
            tags:\n  - attack.credential_access\n  - attack.T1003.001\n\
            rule Loader_Strings {\n  strings:\n    $a = \"schtasks /create\"\n  condition:\n    $a\n}\n\
            DeviceProcessEvents\n| where ProcessCommandLine has \"vssadmin delete shadows\"\n\
            index=windows sourcetype=sysmon CommandLine=\"*rundll32*\"\n\
            | stats count by host\n\
            The actor then ran vssadmin delete shadows on every host.";
        let sents = c.sentences(text);
        let kept: Vec<&str> = sents
            .iter()
            .filter(|s| s.in_scope)
            .map(|s| &text[s.range.clone()])
            .filter(|s| s.len() > 2)
            .collect();
        assert_eq!(
            kept,
            [
                "The actor dumped LSASS with comsvcs.dll on the file server.",
                "The actor then ran vssadmin delete shadows on every host."
            ]
        );
    }

    #[test]
    fn a_line_of_markdown_images_is_a_label() {
        for image in [
            "![Figure 3: The loader injects its payload into explorer.exe](/img/fig3.png)",
            "![obfuscated code](https://example.com/a.png) ![second](b.png)",
        ] {
            assert!(is_image_only(image), "{image}");
        }
        for prose in [
            "The loader injects its payload into explorer.exe, as shown: ![fig](a.png)",
            "![fig](a.png) The loader then injects its payload into explorer.exe.",
            "The loader injects its payload into explorer.exe.",
        ] {
            assert!(!is_image_only(prose), "{prose}");
        }
        // End to end: the caption alone is no evidence, the sentence is.
        let c = cues();
        let text = "![Figure 3: The loader injects its payload into explorer.exe](/img/fig3.png)\n\
                    The loader injects its payload into explorer.exe.";
        let labels: Vec<bool> = c.sentences(text).iter().map(|s| s.label).collect();
        assert_eq!(labels, [true, false]);
    }

    #[test]
    fn labels_headers_and_names_alone_are_labels() {
        for label in [
            "Name",
            "API",
            "HTTP",
            "Description",
            "Process Injection",
            "Name | API | Description",
            "Technique\tTactic\tProcedure",
        ] {
            assert!(is_label(label), "{label}");
        }
        for not in [
            "whoami /all",
            "T1055 | Process Injection",
            "The loader injects its payload.",
            "net group \"domain admins\" /domain",
            "The operators moved laterally with PsExec and then dumped LSASS memory",
            "Moved laterally using PsExec",
        ] {
            assert!(!is_label(not), "{not}");
        }
    }

    #[test]
    fn a_negation_or_hedge_carries_across_and_then() {
        let c = cues();
        let s = "It does not appear to execute once and then delete itself from the disk.";
        let at = s.find("delete").unwrap();
        assert_eq!(c.polarity_at(s, &(at..at + 6)), Polarity::Negated);
        let s = "The loader could fetch a module and then inject it into explorer.exe.";
        let at = s.find("inject").unwrap();
        assert_eq!(c.polarity_at(s, &(at..at + 6)), Polarity::Hedged);
        // A contrast still starts a claim of its own.
        let s = "The loader did not use PowerShell, but it created a scheduled task.";
        let at = s.find("scheduled").unwrap();
        assert_eq!(c.polarity_at(s, &(at..at + 9)), Polarity::Asserted);
        // And a new asserted clause after an asserted one stays asserted.
        let s = "It copied the file and then deleted itself.";
        assert_eq!(c.sentences(s)[0].polarity, Polarity::Asserted);
    }

    #[test]
    fn navigation_headings_before_the_story_do_not_cut_it() {
        let c = cues();
        let story = "The operators sent spearphishing emails with a macro document to the finance staff of the company.\nThe macro downloaded a loader from a compromised WordPress site and ran it with rundll32 on the host.\n";
        for nav in ["Subscribe", "Contact Us", "Tags:", "Share this article"] {
            let text = format!("Home\nResearch\n{nav}\nRansomware returns\n{story}");
            let sents = c.sentences(&text);
            let last = sents.last().unwrap();
            assert!(last.in_scope, "{nav}: {:?}", &text[last.range.clone()]);
            // The same heading after the story is a trailer and still ends it.
            let text = format!(
                "{story}{nav}\nWe use cookies to improve this site, and you can read about them.\n"
            );
            let sents = c.sentences(&text);
            assert!(
                sents[0].in_scope && !sents.last().unwrap().in_scope,
                "{nav}"
            );
        }
    }

    #[test]
    fn many_dropped_sections_stay_linear() {
        let c = cues();
        let text = "Mitigations\nBlock macros.\nTimeline\nThe actor ran schtasks.\n".repeat(5_000);
        let sents = c.sentences(&text);
        let kept = sents.iter().filter(|s| s.in_scope).count();
        // Per block: the "Timeline" heading and the actor's sentence.
        assert_eq!(kept, 2 * 5_000);
    }

    #[test]
    fn dropped_sections_and_reference_lines() {
        let c = cues();
        let text = "Attack\nThe actor ran schtasks to persist.\nMitigations\nMonitor schtasks /create events on hosts.\nBlock macros from the internet.\nTimeline\nThe actor returned in May.\nReferences\n[1] https://example.com/report";
        let scope: Vec<(bool, &str)> = c
            .sentences(text)
            .into_iter()
            .map(|s| (s.in_scope, &text[s.range]))
            .collect();
        let kept: Vec<&str> = scope.iter().filter(|x| x.0).map(|x| x.1).collect();
        assert_eq!(
            kept,
            [
                "Attack",
                "The actor ran schtasks to persist.",
                "Timeline",
                "The actor returned in May."
            ]
        );
    }
}
