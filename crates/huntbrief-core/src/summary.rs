//! The Threat Profile: a clean prose summary of the article, cut at a sentence boundary.

use crate::text::{collapse_whitespace, sentences};

/// Target length of the profile in characters; the cut lands on the sentence boundary
/// nearest to it within `MIN_CUT..=MAX_CUT`.
const TARGET: usize = 600;
const MIN_CUT: usize = 350;
const MAX_CUT: usize = 760;

/// Writes the profile from chrome-free article text. Headings, code fences and block
/// quotes of the source are neutralised (they would leak structure into the briefing),
/// leading lines that repeat the title or the source name are dropped, and the rest is
/// joined into one paragraph.
pub fn summarize(text: &str, title: &str, sources: &[String]) -> String {
    let profile = join_prose(text, title, sources, true);
    if profile.is_empty() {
        // Nothing but short lines: keep them rather than show an empty profile.
        return join_prose(text, title, sources, false);
    }
    profile
}

fn join_prose(text: &str, title: &str, sources: &[String], skip_labels: bool) -> String {
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
            prose.push(' ');
        }
        prose.push_str(line);
        if prose.len() > 8 * TARGET {
            break; // enough to choose a cut; the rest is never shown
        }
    }
    cut(&collapse_whitespace(&prose))
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
