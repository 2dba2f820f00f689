//! The Threat Profile: a clean prose summary of the article, cut at a sentence boundary,
//! without the page header a feed flattened into it (`data/profile.toml`).

use regex::Regex;
use serde::Deserialize;

use crate::kb::KbError;
use crate::text::{collapse_whitespace, sentences};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChromeFile {
    rule: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    name: String,
    pattern: String,
    needs_next: bool,
    examples: Vec<String>,
    keeps: Vec<String>,
}

#[derive(Debug)]
struct Rule {
    /// The pattern anchored at the start.
    re: Regex,
    needs_next: bool,
}

/// What may stand before the story at the start of a profile: bylines, dates, tags,
/// breadcrumbs, share bars.
#[derive(Debug)]
pub struct Chrome {
    rules: Vec<Rule>,
}

/// Between header items: "Research | Malware · By Jane Doe — Nov 20, 2026".
const SEPARATORS: [char; 6] = ['|', '·', '•', '»', '—', '–'];

impl Chrome {
    pub const FILE: &'static str = "profile.toml";

    pub fn parse(source: &str) -> Result<Self, KbError> {
        let file: ChromeFile = toml::from_str(source).map_err(|e| KbError::parse(Self::FILE, e))?;
        let invalid = |msg: String| KbError::invalid(Self::FILE, msg);
        let mut rules = Vec::new();
        for r in &file.rule {
            let re = Regex::new(&format!("^(?:{})", r.pattern))
                .map_err(|e| invalid(format!("rule {}: {e}", r.name)))?;
            rules.push(Rule {
                re,
                needs_next: r.needs_next,
            });
        }
        let chrome = Self { rules };
        for (r, rule) in file.rule.iter().zip(&chrome.rules) {
            if let Some(ex) = r
                .examples
                .iter()
                .find(|ex| rule.re.find(ex).is_none_or(|m| m.end() != ex.len()))
            {
                return Err(invalid(format!(
                    "rule {}: example {ex:?} does not match whole",
                    r.name
                )));
            }
            if let Some(keep) = r
                .keeps
                .iter()
                .find(|k| chrome.strip_leading(k) != k.as_str())
            {
                return Err(invalid(format!(
                    "rule {}: prose {keep:?} is stripped",
                    r.name
                )));
            }
        }
        Ok(chrome)
    }

    /// `text` without the header items at its start.
    pub fn strip_leading<'a>(&self, text: &'a str) -> &'a str {
        let mut rest =
            text.trim_start_matches(|c: char| c.is_whitespace() || SEPARATORS.contains(&c));
        'items: loop {
            for rule in &self.rules {
                let Some(m) = rule.re.find(rest) else {
                    continue;
                };
                let after = &rest[m.end()..];
                if m.is_empty() || (rule.needs_next && !self.item_follows(after)) {
                    continue;
                }
                rest = after
                    .trim_start_matches(|c: char| c.is_whitespace() || SEPARATORS.contains(&c));
                continue 'items;
            }
            return rest;
        }
    }

    /// Whether another header item, a separator, a line break or two spaces come next.
    fn item_follows(&self, after: &str) -> bool {
        if after.is_empty() || after.starts_with("  ") || after.starts_with('\n') {
            return true;
        }
        let next = after.trim_start();
        next.starts_with(SEPARATORS)
            || self
                .rules
                .iter()
                .any(|r| !r.needs_next && r.re.find(next).is_some_and(|m| !m.is_empty()))
    }
}

/// Whether `c` is a private-use code point: icon-font glyphs, never prose.
fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

/// Target length of the profile in characters; the cut lands on the sentence boundary
/// nearest to it within `MIN_CUT..=MAX_CUT`.
const TARGET: usize = 600;
const MIN_CUT: usize = 350;
const MAX_CUT: usize = 760;

/// Writes the profile from chrome-free article text. Headings, code fences and block
/// quotes of the source are neutralised (they would leak structure into the briefing),
/// leading lines that repeat the title or the source name are dropped, and the rest is
/// joined into one paragraph.
pub fn summarize(text: &str, title: &str, sources: &[String], chrome: &Chrome) -> String {
    let profile = join_prose(text, title, sources, true, chrome);
    if profile.is_empty() {
        // Nothing but short lines: keep them rather than show an empty profile.
        return join_prose(text, title, sources, false, chrome);
    }
    profile
}

fn join_prose(
    text: &str,
    title: &str,
    sources: &[String],
    skip_labels: bool,
    chrome: &Chrome,
) -> String {
    let mut prose = String::with_capacity(text.len().min(8 * TARGET));
    let mut in_fence = false;
    let mut seen_prose = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || line.starts_with('#') || line.is_empty() {
            continue;
        }
        let line = line.trim_start_matches(['>', ' ']);
        if skip_labels && !seen_prose && is_leading_chrome(line, title, sources) {
            continue;
        }
        seen_prose = true;
        if !prose.is_empty() {
            prose.push('\n');
        }
        prose.push_str(line);
        if prose.len() > 8 * TARGET {
            break; // enough to choose a cut; the rest is never shown
        }
    }
    // Entities a feed encoded twice survive normalisation once ("&amp;#8217;").
    let decoded = if prose.contains('&') {
        htmlize::unescape(&prose).into_owned()
    } else {
        prose
    };
    let glyphless: String = decoded.chars().filter(|c| !is_private_use(*c)).collect();
    cut(&collapse_whitespace(chrome.strip_leading(&glyphless)))
}

/// A short line before the first prose line that is the title, a source name (with an
/// optional "Blog"/"News"), or a label without sentence punctuation.
fn is_leading_chrome(line: &str, title: &str, sources: &[String]) -> bool {
    let normal = |s: &str| collapse_whitespace(s).to_lowercase();
    let l = normal(line);
    if l == normal(title) {
        return true;
    }
    if sources.iter().any(|s| {
        let s = normal(s);
        !s.is_empty()
            && l.strip_prefix(&s)
                .is_some_and(|rest| matches!(rest.trim(), "" | "blog" | "news" | "research"))
    }) {
        return true;
    }
    let words = line.split_whitespace().count();
    words <= 6 && !line.ends_with(['.', '!', '?', ':', '…', '"', '”'])
}

fn cut(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= MAX_CUT {
        return text.to_owned();
    }
    // Char index of each sentence end, choosing the one nearest TARGET in range.
    let best = sentences(text)
        .into_iter()
        .map(|r| (r.end, text[..r.end].chars().count()))
        .filter(|&(_, n)| (MIN_CUT..=MAX_CUT).contains(&n) && n < chars)
        .min_by_key(|&(_, n)| n.abs_diff(TARGET));
    let end = match best {
        Some((byte, _)) => byte,
        None => {
            // No sentence boundary in range: cut at the last word boundary before TARGET.
            let limit = text
                .char_indices()
                .nth(TARGET)
                .map_or(text.len(), |(i, _)| i);
            text[..limit].rfind(' ').unwrap_or(limit)
        }
    };
    format!("{}…", text[..end].trim_end_matches([' ', ',', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::EMBEDDED;

    fn chrome() -> Chrome {
        Chrome::parse(EMBEDDED.get(Chrome::FILE).unwrap()).unwrap()
    }

    fn summarize(text: &str, title: &str, sources: &[String]) -> String {
        super::summarize(text, title, sources, &chrome())
    }

    #[test]
    fn schema_checks_examples_and_keeps() {
        let rule = |pattern: &str, example: &str, keep: &str| {
            format!(
                "[[rule]]\nname = 'r'\npattern = '{pattern}'\nneeds_next = false\nexamples = ['{example}']\nkeeps = ['{keep}']\n"
            )
        };
        assert!(Chrome::parse(&rule("Share", "Share", "Sharks bite")).is_ok());
        assert!(
            Chrome::parse(&rule("Share", "Shared", "Sharks bite")).is_err(),
            "example not whole"
        );
        assert!(
            Chrome::parse(&rule("Shar", "Shar", "Sharks bite")).is_err(),
            "keep stripped"
        );
        assert!(Chrome::parse(&rule("(", "(", "x")).is_err());
        assert!(Chrome::parse(&format!("{}colour = 1\n", rule("Share", "Share", "x"))).is_err());
    }

    #[test]
    fn the_profile_starts_at_the_story() {
        for (text, start) in [
            (
                "Threat Research | Malware  By Jane Doe  November 20, 2026  Share  Attackers wiped the servers.",
                "Attackers wiped",
            ),
            (
                "By Jane Doe | Nov 20, 2026 | 5 min read\nA loader spreads through fake updates.",
                "A loader spreads",
            ),
            (
                "Home » News » Security » The group deployed a wiper.",
                "The group deployed",
            ),
            (
                "Tags: Malware, Ransomware | Posted by Li Wei — 2026-11-20\nThe gang encrypted hosts.",
                "The gang encrypted",
            ),
            (
                "Share on: Facebook Twitter LinkedIn Email\nThe flaw is exploited.",
                "The flaw is",
            ),
            (
                "\u{f099}\u{f09a} \u{e0b0} The backdoor beacons hourly.",
                "The backdoor beacons",
            ),
            (
                "By Monday, attackers had encrypted the servers.",
                "By Monday, attackers",
            ),
            (
                "Share prices fell after the breach was disclosed.",
                "Share prices fell",
            ),
        ] {
            let p = summarize(text, "", &[]);
            assert!(p.starts_with(start), "{text:?} -> {p:?}");
        }
    }

    #[test]
    fn entities_encoded_twice_and_icon_glyphs_are_cleaned() {
        // The text arrives normalised (entities decoded once): what is left was encoded twice.
        let p = summarize(
            "The actor&#8217;s loader \u{f0e0}uses &quot;update&quot; lures.",
            "",
            &[],
        );
        assert_eq!(p, "The actor’s loader uses \"update\" lures.");
    }

    #[test]
    fn short_text_is_kept_whole_as_one_paragraph() {
        assert_eq!(
            summarize("Line one of the story.\nLine two.", "T", &[]),
            "Line one of the story. Line two."
        );
    }

    #[test]
    fn drops_headings_fences_and_leading_labels() {
        let text = "Snyk Blog\nMy Title\n## Summary\nThe actor exploited the flaw.\n```\nrm -rf /\n```\n> Quoted advice here.";
        assert_eq!(
            summarize(text, "My Title", &["Snyk".into()]),
            "The actor exploited the flaw. Quoted advice here."
        );
    }

    #[test]
    fn text_of_short_lines_only_is_still_summarised() {
        assert_eq!(
            summarize(
                "Patch now
All versions",
                "",
                &[]
            ),
            "Patch now All versions"
        );
    }

    #[test]
    fn long_text_is_cut_at_a_sentence_boundary_near_600_chars() {
        let sentence = "The group deployed a new loader against several hospitals in the region. ";
        let text = sentence.repeat(30);
        let profile = summarize(&text, "", &[]);
        let n = profile.chars().count();
        assert!(profile.ends_with(".…"), "{profile}");
        assert!((MIN_CUT..=MAX_CUT + 1).contains(&n), "{n}");
        assert!(n.abs_diff(TARGET) <= sentence.len(), "{n}");
    }

    #[test]
    fn text_without_boundaries_is_cut_at_a_word() {
        let text = "word ".repeat(400);
        let profile = summarize(&text, "", &[]);
        assert!(profile.ends_with("word…"));
        assert!(profile.chars().count() <= TARGET + 1);
    }
}
