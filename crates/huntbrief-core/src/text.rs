//! Text utilities shared by every stage: normalisation and sentence spans.

use std::ops::Range;

/// Normalises article text for analysis: HTML entities decoded (feeds often carry
/// `&amp;`, `&#8217;`), line endings unified, non-breaking spaces made plain, and
/// control characters other than newline and tab dropped. Zero-width characters stay:
/// the IOC stage needs to see them inside defanged indicators.
pub fn normalize(raw: &str) -> String {
    let decoded = htmlize::unescape(raw);
    let mut out = String::with_capacity(decoded.len());
    let mut chars = decoded.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\u{a0}' | '\u{2007}' | '\u{202f}' => out.push(' '),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Collapses every run of whitespace (newlines included) into one space and trims.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Words after which a period does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "inc", "ltd", "corp", "co", "no", "fig",
    "approx", "al", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "st", "jr", "sr",
];

/// Byte ranges of the sentences of `text`, trimmed, in order, covering every non-blank
/// character. A sentence ends at `.`, `!`, `?` or `…` followed by space and a character
/// that is not lower-case (unless the word before is an abbreviation or an initial), and
/// at a line break unless the next line continues in lower case.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let end = i + c.len_utf8();
        let boundary = match c {
            '\n' => !next_starts_lowercase(&text[end..]),
            '.' | '!' | '?' | '…' => {
                // Closing quotes and brackets belong to the sentence they close.
                let mut close = end;
                while let Some(&(j, q)) = iter.peek() {
                    if matches!(q, '"' | '\'' | '’' | '”' | ')' | ']') {
                        close = j + q.len_utf8();
                        iter.next();
                    } else {
                        break;
                    }
                }
                let followed_by_space = text[close..].starts_with(char::is_whitespace);
                let ends = followed_by_space
                    && !next_starts_lowercase(&text[close..])
                    && !(c == '.' && is_abbreviation(&text[start..i]));
                if ends {
                    push_trimmed(&mut spans, text, start, close);
                    start = close;
                }
                continue;
            }
            _ => false,
        };
        if boundary {
            push_trimmed(&mut spans, text, start, end);
            start = end;
        }
    }
    debug_assert!(start <= bytes.len());
    push_trimmed(&mut spans, text, start, text.len());
    spans
}

/// The sentence containing byte `offset`, or the empty string when none does.
pub fn sentence_at(text: &str, offset: usize) -> &str {
    sentences(text)
        .into_iter()
        .find(|r| r.contains(&offset))
        .map_or("", |r| &text[r])
}

fn push_trimmed(spans: &mut Vec<Range<usize>>, text: &str, start: usize, end: usize) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail < piece.len() {
        spans.push(start + lead..end - trail);
    }
}

fn next_starts_lowercase(rest: &str) -> bool {
    let next = rest.trim_start_matches([' ', '\t']);
    if next.starts_with('\n') {
        return false;
    }
    next.trim_start()
        .chars()
        .next()
        .is_some_and(char::is_lowercase)
}

fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let lower = word.to_lowercase();
    let single_initial = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
    single_initial || ABBREVIATIONS.contains(&lower.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn normalize_decodes_entities_and_controls() {
        assert_eq!(
            normalize("AT&amp;T&#8217;s\r\nbox&nbsp;&lt;b&gt;\u{7}"),
            "AT&T\u{2019}s\nbox <b>"
        );
    }

    #[test]
    fn splits_on_terminal_punctuation_and_lines() {
        assert_eq!(
            split("The actor used evil.com. It dropped a.exe! Why?\nNext line"),
            vec![
                "The actor used evil.com.",
                "It dropped a.exe!",
                "Why?",
                "Next line"
            ]
        );
    }

    #[test]
    fn keeps_abbreviations_initials_and_wrapped_lines_together() {
        assert_eq!(
            split("Tools, e.g. Mimikatz, were used by J. Smith at Acme Inc. in\nthe U.S. network."),
            vec!["Tools, e.g. Mimikatz, were used by J. Smith at Acme Inc. in\nthe U.S. network."]
        );
    }

    #[test]
    fn closing_quotes_stay_with_their_sentence() {
        assert_eq!(
            split("He said \u{201c}patch now.\u{201d} Then left."),
            vec!["He said \u{201c}patch now.\u{201d}", "Then left."]
        );
    }

    #[test]
    fn sentence_at_finds_the_enclosing_sentence() {
        let text = "First one. The C2 was 1.2.3.4 today. Last.";
        let off = text.find("1.2.3.4").unwrap();
        assert_eq!(sentence_at(text, off), "The C2 was 1.2.3.4 today.");
        assert_eq!(sentence_at("", 0), "");
    }
}
