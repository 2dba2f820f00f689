//! Refanging: one left-to-right pass that rewrites the defanged forms authors use
//! (`evil[.]com`, `hxxps[://]`, `me (at) evil (dot) com`, fullwidth dots, zero-width
//! characters...) into plain indicators, keeping a map back to the original offsets and
//! remembering which spans the author defanged (a strong sign the value is an IOC).
//!
//! Every rewrite checks its surroundings (a label character on each side, a TLD after a
//! spelled-out dot...) so that prose keeps its meaning: "the dot com bubble" stays prose.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// A rewrite of `orig` (byte range of the input) into `repl`.
#[derive(Debug, Clone)]
struct Edit {
    orig: Range<usize>,
    repl: &'static str,
    defang: bool,
}

/// An applied rewrite: where it sits in the normalised text and in the original.
#[derive(Debug, Clone)]
struct Mapped {
    norm: Range<usize>,
    orig: Range<usize>,
    defang: bool,
}

/// The input with every recognised defanged form rewritten.
#[derive(Debug)]
pub struct Normalized<'a> {
    pub text: Cow<'a, str>,
    edits: Vec<Mapped>,
}

impl Normalized<'_> {
    /// Offset in the original text of byte `pos` of the normalised text.
    pub fn orig_offset(&self, pos: usize) -> usize {
        // Edits are sorted by position; find the last one starting at or before `pos`.
        let idx = self.edits.partition_point(|e| e.norm.start <= pos);
        match idx.checked_sub(1).map(|i| &self.edits[i]) {
            None => pos,
            Some(e) if pos < e.norm.end => e.orig.start,
            Some(e) => pos - e.norm.end + e.orig.end,
        }
    }

    /// Whether nothing was rewritten.
    pub fn unchanged(&self) -> bool {
        self.edits.is_empty()
    }

    /// Whether the author defanged anything inside (or at the edge of) `range`.
    pub fn defanged(&self, range: Range<usize>) -> bool {
        let first = self.edits.partition_point(|e| e.norm.end < range.start);
        self.edits[first..]
            .iter()
            .take_while(|e| e.norm.start <= range.end)
            .any(|e| e.defang)
    }
}

/// The plain form of one (possibly defanged) indicator or of a whole text.
pub fn refang(s: &str) -> String {
    normalize(s).text.into_owned()
}

/// Rewrites every recognised defanged form of `text`.
pub fn normalize(text: &str) -> Normalized<'_> {
    let edits = find_edits(text);
    if edits.is_empty() {
        return Normalized {
            text: Cow::Borrowed(text),
            edits: Vec::new(),
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut mapped = Vec::with_capacity(edits.len());
    let mut last = 0;
    for e in edits {
        out.push_str(&text[last..e.orig.start]);
        let start = out.len();
        out.push_str(e.repl);
        mapped.push(Mapped {
            norm: start..out.len(),
            orig: e.orig.clone(),
            defang: e.defang,
        });
        last = e.orig.end;
    }
    out.push_str(&text[last..]);
    Normalized {
        text: Cow::Owned(out),
        edits: mapped,
    }
}

/// The triggers, matched ASCII-case-insensitively; each names the rule that looks closer.
const TRIGGERS: &[(&str, Rule)] = &[
    ("[", Rule::Bracket),
    ("(", Rule::Bracket),
    ("{", Rule::Bracket),
    ("]", Rule::Bracket),
    (")", Rule::Bracket),
    ("}", Rule::Bracket),
    ("dot", Rule::DotWord),
    ("punto", Rule::DotWord),
    ("punkt", Rule::DotWord),
    ("at]", Rule::AtPostfix),
    ("at)", Rule::AtPostfix),
    ("at}", Rule::AtPostfix),
    ("et]", Rule::AtPostfix),
    ("et)", Rule::AtPostfix),
    ("et}", Rule::AtPostfix),
    ("arroba", Rule::AtPostfix),
    (" at ", Rule::AtSpaced),
    ("@", Rule::AtSign),
    ("http", Rule::Scheme),
    ("hxxp", Rule::Scheme),
    ("hxxt", Rule::Scheme),
    ("h**p", Rule::Scheme),
    ("h__p", Rule::Scheme),
    ("h00p", Rule::Scheme),
    ("xxxx", Rule::Scheme),
    ("sfxp", Rule::Scheme),
    ("fxp", Rule::Scheme),
    ("ftx", Rule::Scheme),
    ("sftp", Rule::Scheme),
    ("ftp", Rule::Scheme),
    ("\\.", Rule::EscapedDot),
    ("^.", Rule::EscapedDot),
    ("\\/", Rule::EscapedSlash),
    ("%3a%2f%2f", Rule::PercentScheme),
    (" . ", Rule::SpacedDot),
    ("\u{ff0e}", Rule::UnicodeDot),
    ("\u{3002}", Rule::UnicodeDot),
    ("\u{ff61}", Rule::UnicodeDot),
    ("\u{2024}", Rule::UnicodeDot),
    ("\u{ff20}", Rule::UnicodeAt),
    ("\u{2010}", Rule::UnicodeHyphen),
    ("\u{2011}", Rule::UnicodeHyphen),
    ("\u{200b}", Rule::Invisible),
    ("\u{200c}", Rule::Invisible),
    ("\u{200d}", Rule::Invisible),
    ("\u{2060}", Rule::Invisible),
    ("\u{feff}", Rule::Invisible),
    ("\u{ad}", Rule::Invisible),
];

#[derive(Debug, Clone, Copy)]
enum Rule {
    Bracket,
    DotWord,
    AtPostfix,
    AtSpaced,
    AtSign,
    Scheme,
    EscapedDot,
    EscapedSlash,
    PercentScheme,
    SpacedDot,
    UnicodeDot,
    UnicodeAt,
    UnicodeHyphen,
    Invisible,
}

static TRIGGER_AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(AhoCorasickKind::DFA))
        .build(TRIGGERS.iter().map(|(p, _)| p))
        .expect("the refang triggers are valid literals")
});

fn find_edits(text: &str) -> Vec<Edit> {
    let b = text.as_bytes();
    let mut edits: Vec<Edit> = Vec::new();
    let mut done = 0; // nothing before this offset may be rewritten again
    for m in TRIGGER_AC.find_iter(text) {
        if m.start() < done {
            continue;
        }
        let rule = TRIGGERS[m.pattern().as_usize()].1;
        let found = match rule {
            Rule::Bracket if !bracket_may_matter(b, m.start()) => None,
            Rule::Bracket => bracket(b, m.start()),
            Rule::DotWord => dot_word(b, m.start(), m.end()),
            Rule::AtPostfix => at_postfix(b, m.start(), m.end()),
            Rule::AtSpaced => at_spaced(b, m.start()),
            Rule::AtSign => at_sign(b, m.start()),
            Rule::Scheme => scheme(b, m.start(), false).map(|e| vec![e]),
            Rule::EscapedDot => messy_dot(b, m.start())
                .map(|e| vec![e])
                .or_else(|| between_labels(b, m.start(), m.end(), ".", true)),
            Rule::EscapedSlash => Some(vec![edit(m.range(), "/", false)]),
            Rule::PercentScheme => percent_url(b, m.start(), m.end()),
            Rule::SpacedDot => spaced_dot(b, m.start(), m.end()),
            Rule::UnicodeDot => unicode_sep(b, m.start(), m.end(), "."),
            Rule::UnicodeAt => unicode_sep(b, m.start(), m.end(), "@"),
            Rule::UnicodeHyphen => {
                let ok = m.start() > 0
                    && b[m.start() - 1].is_ascii_alphanumeric()
                    && b.get(m.end()).is_some_and(u8::is_ascii_alphanumeric);
                ok.then(|| vec![edit(m.range(), "-", false)])
            }
            Rule::Invisible => Some(vec![edit(m.range(), "", false)]),
        };
        if let Some(found) = found {
            // A rule that reaches back over text already rewritten is dropped whole.
            if found.first().is_some_and(|e| e.orig.start < done) {
                continue;
            }
            for e in found {
                done = e.orig.end;
                edits.push(e);
            }
        }
    }
    edits
}

fn edit(orig: Range<usize>, repl: &'static str, defang: bool) -> Edit {
    Edit { orig, repl, defang }
}

/// A byte that can be part of a domain label (non-ASCII bytes may be IDN letters).
fn is_label(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b >= 0x80
}

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_bracket(b: u8) -> bool {
    matches!(b, b'[' | b']' | b'(' | b')' | b'{' | b'}')
}

fn is_close(b: u8) -> bool {
    matches!(b, b']' | b')' | b'}')
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Index of the first non-space byte at or after `i`, skipping at most `max` spaces.
fn skip_spaces(b: &[u8], mut i: usize, max: usize) -> usize {
    let stop = (i + max).min(b.len());
    while i < stop && is_space(b[i]) {
        i += 1;
    }
    i
}

/// Index just after the last non-space byte before `i`, skipping at most `max` spaces.
fn skip_spaces_back(b: &[u8], mut i: usize, max: usize) -> usize {
    let stop = i.saturating_sub(max);
    while i > stop && is_space(b[i - 1]) {
        i -= 1;
    }
    i
}

fn starts_with_ci(b: &[u8], at: usize, word: &str) -> bool {
    b.get(at..at + word.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(word.as_bytes()))
}

/// What a bracketed form holds: `[.]`, `(dot)`, `{at}`, `[:]`, `[://]`, `[/]`, `[-]`...
#[derive(Clone, Copy, PartialEq)]
enum Inner {
    Dot,
    Comma,
    At,
    Colon,
    SchemeSep,
    Slash,
    Hyphen,
    Www,
}

fn inner_at(b: &[u8], i: usize) -> Option<(Inner, usize)> {
    let c = *b.get(i)?;
    let word_end = |len: usize| {
        // A spelled-out word must end there ("(at)" yes, "(attack)" no).
        (!b.get(i + len).is_some_and(u8::is_ascii_alphabetic)).then_some(len)
    };
    Some(match c {
        b'.' => (Inner::Dot, 1),
        b',' => (Inner::Comma, 1),
        b'@' => (Inner::At, 1),
        b'-' => (Inner::Hyphen, 1),
        b'/' => (Inner::Slash, 1),
        b':' if b[i..].starts_with(b"://") => (Inner::SchemeSep, 3),
        b':' => (Inner::Colon, 1),
        _ => {
            for (w, inner) in [
                ("dot", Inner::Dot),
                ("punto", Inner::Dot),
                ("punkt", Inner::Dot),
                ("arroba", Inner::At),
                ("at", Inner::At),
                ("et", Inner::At),
                ("www", Inner::Www),
            ] {
                if starts_with_ci(b, i, w) {
                    return word_end(w.len()).map(|n| (inner, n));
                }
            }
            return None;
        }
    })
}

/// A cheap look at a bracket's neighbours: most brackets in prose ("(see above)") are
/// next to neither a dot, a space-padded form nor a spelled-out word of a defang.
fn bracket_may_matter(b: &[u8], p: usize) -> bool {
    let next = b.get(p + 1).copied().unwrap_or(b' ');
    let prev = p.checked_sub(1).map_or(b' ', |k| b[k]);
    if prev == b'.' || prev == b'\\' || next == b'.' || next == b' ' {
        return true;
    }
    matches!(b[p], b'[' | b'(' | b'{')
        && matches!(
            next.to_ascii_lowercase(),
            b',' | b'@'
                | b'-'
                | b'/'
                | b':'
                | b'd'
                | b'p'
                | b'a'
                | b'e'
                | b'w'
                | b'h'
                | b'['
                | b'('
                | b'{'
        )
}

/// `[.]`, `(.)`, `{.}`, `].[`, `[.[`, `[dot]`, `( dot )`, `[at]`, `(@)`, `[:]`, `[://]`,
/// `[/]`, `[-]`, `[,]`, `[www].`, `[http]://`.
fn bracket(b: &[u8], p: usize) -> Option<Vec<Edit>> {
    let open = b[p];
    if matches!(open, b'[' | b'(')
        && b.get(p + 1).is_some_and(|c| c.eq_ignore_ascii_case(&b'h'))
        && let Some(e) = scheme(b, p + 1, true)
    {
        return Some(vec![e]);
    }
    if let Some(edits) = bracketed_tld(b, p) {
        return Some(edits);
    }
    if let Some(e) = messy_dot(b, p) {
        return Some(vec![e]);
    }
    // "hxxp://evil.com[/gate": a stray bracket before a slash in a defanged link.
    if matches!(open, b'[' | b'(') && b.get(p + 1) == Some(&b'/') && in_defanged_link(b, p) {
        return Some(vec![edit(p..p + 1, "", true)]);
    }
    let i = skip_spaces(b, p + 1, 3);
    let (inner, len) = inner_at(b, i)?;
    let j = skip_spaces(b, i + len, 3);
    let close = *b.get(j)?;
    if !is_bracket(close) {
        return None;
    }
    let opening = matches!(open, b'[' | b'(' | b'{');
    let after = j + 1;
    match inner {
        Inner::Dot | Inner::At | Inner::Comma | Inner::Hyphen => {
            if inner != Inner::Dot && (!opening || !is_close(close)) {
                return None;
            }
            // Spaces around the form belong to it: "example [dot] com".
            let left = skip_spaces_back(b, p, 3);
            let right = skip_spaces(b, after, 3);
            let (l, r) = (left.checked_sub(1).map(|k| b[k])?, *b.get(right)?);
            let ok = match inner {
                Inner::Comma => l.is_ascii_digit() && r.is_ascii_digit(),
                Inner::At => is_local(l) && is_label(r),
                _ => is_label(l) && is_label(r),
            };
            let repl = match inner {
                Inner::At => "@",
                Inner::Hyphen => "-",
                _ => ".",
            };
            ok.then(|| vec![edit(left..right, repl, true)])
        }
        Inner::Colon | Inner::SchemeSep | Inner::Slash => {
            if !opening || !is_close(close) || i != p + 1 || j != i + len {
                return None;
            }
            let repl = match inner {
                Inner::Colon => ":",
                Inner::SchemeSep => "://",
                _ => "/",
            };
            Some(vec![edit(p..after, repl, true)])
        }
        Inner::Www => {
            let starts_token = p == 0 || !is_label(b[p - 1]);
            let ok = opening && is_close(close) && starts_token && b.get(after) == Some(&b'.');
            ok.then(|| vec![edit(p..after, "www", true)])
        }
    }
}

/// `host[.com]`, `name[@]host(.co.za)`: the last labels bracketed with their dot, a
/// known top-level domain last; the brackets go.
fn bracketed_tld(b: &[u8], p: usize) -> Option<Vec<Edit>> {
    if !matches!(b[p], b'[' | b'(') || b.get(p + 1) != Some(&b'.') || p == 0 || !is_label(b[p - 1])
    {
        return None;
    }
    let close = if b[p] == b'[' { b']' } else { b')' };
    let mut e = p + 1;
    while e < b.len() && e - p <= 64 && (b[e] == b'.' || is_label(b[e])) {
        e += 1;
    }
    let glued = |k: usize| b.get(k).is_some_and(|&c| is_label(c));
    if b.get(e) != Some(&close) || glued(e + 1) || (b.get(e + 1) == Some(&b'.') && glued(e + 2)) {
        return None;
    }
    let inner = &b[p + 1..e];
    let labels_ok = inner[1..]
        .split(|&c| c == b'.')
        .all(|l| !l.is_empty() && l.iter().all(|&c| is_label(c)));
    (labels_ok && crate::iocs::validate::domain::ends_in_suffix(&inner[1..]))
        .then(|| vec![edit(p..p + 1, "", true), edit(e..e + 1, "", true)])
}

/// A run of brackets, backslashes and exactly one dot that stands for that dot:
/// between two digits in any shape ("10.10.10.]]]10", "10[[[.]]]10", "10\\\\.10"),
/// and between labels of a link whose scheme is defanged ("hxxp://example[.com/").
/// Elsewhere a lone bracket beside a dot is punctuation ("www.[example").
fn messy_dot(b: &[u8], p: usize) -> Option<Edit> {
    let junk = |c: u8| matches!(c, b'.' | b'\\' | b'[' | b']' | b'(' | b')' | b'{' | b'}');
    let mut s = p;
    while s > 0 && junk(b[s - 1]) && p - s < 12 {
        s -= 1;
    }
    let mut e = p;
    while e < b.len() && junk(b[e]) && e - p < 12 {
        e += 1;
    }
    let run = &b[s..e];
    if run.len() < 2 || run.iter().filter(|&&c| c == b'.').count() != 1 {
        return None;
    }
    let (l, r) = (s.checked_sub(1).map(|k| b[k])?, *b.get(e)?);
    let digits = l.is_ascii_digit() && r.is_ascii_digit();
    (digits || (is_label(l) && is_label(r) && in_defanged_link(b, s)))
        .then(|| edit(s..e, ".", true))
}

/// Whether the token around `p` starts with a defanged scheme (`hxxp:`, `[http]`,
/// `hXXps[:`): the author broke the link on purpose, so stray brackets in it are too.
fn in_defanged_link(b: &[u8], p: usize) -> bool {
    let lo = p.saturating_sub(300);
    let start = b[lo..p]
        .iter()
        .rposition(u8::is_ascii_whitespace)
        .map_or(lo, |i| lo + i + 1);
    let mut i = start;
    if matches!(b.get(i), Some(b'[' | b'(')) {
        i += 1;
    }
    let w0 = i;
    while i < p && (b[i].is_ascii_alphabetic() || matches!(b[i], b'*' | b'_' | b'0')) && i - w0 <= 5
    {
        i += 1;
    }
    scheme_word(&b[w0..i]).is_some_and(|(_, obfuscated)| obfuscated)
        && matches!(b.get(i), Some(b':' | b'[' | b']' | b')'))
}

/// Words before a spelled-out " dot " that show it is prose ("the dot com bubble").
const DOT_STOPWORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "big", "by", "early", "first", "for", "from", "in", "is", "its",
    "late", "new", "of", "old", "on", "or", "polka", "red", "that", "the", "this", "to", "was",
    "with", "your",
];

/// `foodot]com`, `fooDOTcom`, `bad-dot-com`, `example dot com`, `bar DOT com`.
fn dot_word(b: &[u8], p: usize, end: usize) -> Option<Vec<Edit>> {
    let word = &b[p..end];
    let prev = p.checked_sub(1).map(|k| b[k]);
    let next = b.get(end).copied();
    // Postfix only: "foodot]com" (the bracketed forms are the bracket rule's).
    if prev.is_some_and(|c| c.is_ascii_alphanumeric()) && next.is_some_and(is_close) {
        let r = *b.get(end + 1)?;
        return is_label(r).then(|| vec![edit(p..end + 1, ".", true)]);
    }
    // "hxxp://example[dotcom": an unclosed bracketed dot inside a defanged link.
    if prev.is_some_and(|c| c == b'[' || c == b'(')
        && next.is_some_and(is_label)
        && p >= 2
        && is_label(b[p - 2])
        && in_defanged_link(b, p - 1)
    {
        return Some(vec![edit(p - 1..end, ".", true)]);
    }
    // Glued capitals between lower-case labels: "fooDOTcom".
    if word == b"DOT"
        && prev.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && next.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return domain_continues(b, end).then(|| vec![edit(p..end, ".", true)]);
    }
    // Hyphenated: "bad-dot-com".
    if prev == Some(b'-') && next == Some(b'-') {
        let before = p.checked_sub(2).map(|k| b[k])?;
        if before.is_ascii_alphanumeric()
            && !stopword_before(b, p - 1)
            && domain_continues(b, end + 1)
        {
            return Some(vec![edit(p - 1..end + 1, ".", true)]);
        }
        return None;
    }
    // Spaced: "example dot com", "bar DOT com".
    if prev.is_some_and(is_space) && next.is_some_and(is_space) {
        let left = skip_spaces_back(b, p, 3);
        let right = skip_spaces(b, end, 3);
        let l = left.checked_sub(1).map(|k| b[k])?;
        if !l.is_ascii_alphanumeric() || stopword_before(b, left) {
            return None;
        }
        return domain_continues(b, right).then(|| vec![edit(left..right, ".", true)]);
    }
    None
}

/// Whether the word ending at `end` is one after which " dot " is prose.
fn stopword_before(b: &[u8], end: usize) -> bool {
    let mut start = end;
    while start > 0 && b[start - 1].is_ascii_alphanumeric() && end - start < 12 {
        start -= 1;
    }
    let w = &b[start..end];
    DOT_STOPWORDS
        .iter()
        .any(|s| w.eq_ignore_ascii_case(s.as_bytes()))
}

/// Whether the label starting at `i` ends a domain (a known TLD) or is followed by
/// another dot, so a spelled-out dot before it really separates labels.
fn domain_continues(b: &[u8], i: usize) -> bool {
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') && j - i < 64 {
        j += 1;
    }
    if j == i {
        return false;
    }
    if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
        return true;
    }
    // Another spelled-out or bracketed dot follows: "example dot co dot uk".
    let k = skip_spaces(b, j, 3);
    if k < b.len() && (starts_with_ci(b, k, "dot") || is_bracket(b[k])) && k > j {
        return true;
    }
    crate::iocs::validate::domain::is_tld(&b[i..j])
}

/// `fooat]bar.com`, `fooET)bar.com`, `fooarroba}bar.com`, `me arroba example.com`.
fn at_postfix(b: &[u8], p: usize, end: usize) -> Option<Vec<Edit>> {
    let prev = p.checked_sub(1).map(|k| b[k])?;
    let (word_end, close) = if is_close(b[end - 1]) {
        (end - 1, true)
    } else {
        (end, false)
    };
    if close {
        if !prev.is_ascii_alphanumeric() || !token_has_dot(b, end) {
            return None;
        }
        return is_label(*b.get(end)?).then(|| vec![edit(p..end, "@", true)]);
    }
    // "arroba" glued to a closing bracket or spaced.
    match b.get(word_end) {
        Some(&c) if is_close(c) && prev.is_ascii_alphanumeric() => {
            let r = *b.get(word_end + 1)?;
            (is_label(r) && token_has_dot(b, word_end + 1))
                .then(|| vec![edit(p..word_end + 1, "@", true)])
        }
        Some(&c) if is_space(c) && is_space(prev) => {
            let left = skip_spaces_back(b, p, 3);
            let right = skip_spaces(b, word_end, 3);
            let ok = left > 0 && is_local(b[left - 1]) && token_has_dot(b, right);
            ok.then(|| vec![edit(left..right, "@", true)])
        }
        _ => None,
    }
}

/// Whether the token starting at `i` (up to white space) holds a dot or a defanged dot.
fn token_has_dot(b: &[u8], i: usize) -> bool {
    b[i.min(b.len())..]
        .iter()
        .take(256)
        .take_while(|c| !c.is_ascii_whitespace())
        .any(|&c| c == b'.' || is_bracket(c))
        || {
            // "bar DOT com" after an at-sign form.
            let j = b[i.min(b.len())..]
                .iter()
                .take(64)
                .position(|c| c.is_ascii_whitespace())
                .map_or(b.len(), |k| i + k);
            let k = skip_spaces(b, j, 3);
            k > j && starts_with_ci(b, k, "dot")
        }
}

/// "bob AT example.com" (capitals only: " at " is an English word).
fn at_spaced(b: &[u8], p: usize) -> Option<Vec<Edit>> {
    if &b[p + 1..p + 3] != b"AT" {
        return None;
    }
    let left = skip_spaces_back(b, p + 1, 4);
    let right = skip_spaces(b, p + 3, 4);
    let ok = left > 0 && is_local(b[left - 1]) && right < b.len() && is_label(b[right]);
    (ok && token_has_dot(b, right)).then(|| vec![edit(left..right, "@", true)])
}

/// "foo @ bar.com": an at-sign with spaces around it.
fn at_sign(b: &[u8], p: usize) -> Option<Vec<Edit>> {
    let left = skip_spaces_back(b, p, 3);
    let right = skip_spaces(b, p + 1, 3);
    if left == p && right == p + 1 {
        return None;
    }
    let ok = left > 0 && is_local(b[left - 1]) && right < b.len() && is_label(b[right]);
    (ok && token_has_dot(b, right)).then(|| vec![edit(left..right, "@", true)])
}

/// The scheme a (possibly obfuscated) scheme word stands for, and whether it was.
fn scheme_word(w: &[u8]) -> Option<(&'static str, bool)> {
    let lower: Vec<u8> = w.iter().map(u8::to_ascii_lowercase).collect();
    let plain = match lower.as_slice() {
        b"http" => Some("http"),
        b"https" => Some("https"),
        b"ftp" => Some("ftp"),
        b"ftps" => Some("ftps"),
        b"sftp" => Some("sftp"),
        _ => None,
    };
    if let Some(s) = plain {
        return Some((s, false));
    }
    let s = match lower.as_slice() {
        b"xxxx" => "http",
        b"xxxxx" | b"xxxxs" => "https",
        b"fxp" | b"ftx" => "ftp",
        b"fxps" => "ftps",
        b"sfxp" => "sftp",
        [b'h', m1, m2, b'p', rest @ ..] if m1 == m2 && matches!(m1, b'x' | b'*' | b'_' | b'0') => {
            match rest {
                [] => "http",
                [b's'] => "https",
                _ => return None,
            }
        }
        // "hxxt://", "hXXts[:]//": the p dropped with the t's.
        [b'h', m1, m2, b't', rest @ ..] if m1 == m2 && *m1 == b'x' => match rest {
            [] => "http",
            [b's'] => "https",
            _ => return None,
        },
        [b'h', b't', b'x', b'p', rest @ ..] | [b'h', b'x', b't', b'p', rest @ ..] => match rest {
            [] => "http",
            [b's'] => "https",
            _ => return None,
        },
        _ => return None,
    };
    Some((s, true))
}

fn scheme_prefix(s: &str) -> &'static str {
    match s {
        "https" => "https://",
        "ftp" => "ftp://",
        "ftps" => "ftps://",
        "sftp" => "sftp://",
        _ => "http://",
    }
}

/// A scheme with its separator, in any of the forms authors use to break links:
/// `hxxps://`, `hXXp[:]//`, `hxxps[://]`, `[http]://`, `http ://`, `http:// x`,
/// `http//x`, `http:///x`, `fxp://`. `bracketed`: the word follows an opening bracket.
fn scheme(b: &[u8], p: usize, bracketed: bool) -> Option<Edit> {
    let start = if bracketed { p - 1 } else { p };
    if start > 0 && b[start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let mut i = p;
    while i < b.len() && (b[i].is_ascii_alphabetic() || matches!(b[i], b'*' | b'_' | b'0')) {
        // "http__example.com": the underscores are the separator, not the word.
        if b[i..].starts_with(b"__") && scheme_word(&b[p..i]).is_some() {
            break;
        }
        i += 1;
        if i - p > 5 {
            return None;
        }
    }
    let (scheme, obfuscated) = scheme_word(&b[p..i])?;
    let mut odd = obfuscated || bracketed;
    if bracketed || b.get(i).is_some_and(|&c| c == b']' || c == b')') {
        if !b.get(i).is_some_and(|&c| c == b']' || c == b')') {
            return None;
        }
        i += 1;
        odd = true;
    }
    let j = skip_spaces(b, i, 2);
    odd |= j != i;
    i = j;
    let mut colon = false;
    let mut slashes = 0;
    if b[i..].starts_with(b"__") || b[i..].starts_with(b":__") {
        // "http__example.com": underscores for the separator.
        i += if b[i] == b':' { 3 } else { 2 };
        colon = true;
        slashes = 2;
        odd = true;
    } else if b[i..].starts_with(b"[://]") || b[i..].starts_with(b"(://)") {
        i += 5;
        colon = true;
        slashes = 2;
        odd = true;
    } else if b[i..].starts_with(b"[:]") || b[i..].starts_with(b"(:)") || b[i..].starts_with(b"{:}")
    {
        i += 3;
        colon = true;
        odd = true;
    } else if b.get(i) == Some(&b':') {
        i += 1;
        colon = true;
    }
    if slashes == 0 {
        let j = skip_spaces(b, i, 2);
        odd |= j != i;
        i = j;
        loop {
            if b.get(i) == Some(&b'/') || b.get(i) == Some(&b'\\') {
                odd |= b[i] == b'\\';
                i += 1;
                slashes += 1;
            } else if b[i..].starts_with(b"[/]") {
                i += 3;
                slashes += 1;
                odd = true;
            } else {
                break;
            }
            if slashes > 4 {
                return None;
            }
        }
    }
    if slashes < 2 {
        return None;
    }
    odd |= !colon || slashes != 2;
    let j = skip_spaces(b, i, 2);
    odd |= j != i;
    i = j;
    let host = *b.get(i)?;
    if !(is_label(host) || host == b'[') || !odd {
        return None;
    }
    Some(edit(start..i, scheme_prefix(scheme), true))
}

/// `example\.com`, `example^.com` between label characters.
fn between_labels(
    b: &[u8],
    p: usize,
    end: usize,
    repl: &'static str,
    defang: bool,
) -> Option<Vec<Edit>> {
    let ok = p > 0 && is_label(b[p - 1]) && b.get(end).is_some_and(|&c| is_label(c));
    ok.then(|| vec![edit(p..end, repl, defang)])
}

/// "2.2.2 . 2": a dot with spaces inside a dotted quad.
fn spaced_dot(b: &[u8], p: usize, end: usize) -> Option<Vec<Edit>> {
    let ok = p > 0 && b[p - 1].is_ascii_digit() && b.get(end).is_some_and(u8::is_ascii_digit);
    ok.then(|| vec![edit(p..end, ".", true)])
}

/// Fullwidth and ideographic dots and the fullwidth at-sign between label characters,
/// one side of them ASCII (so CJK prose punctuation is left alone).
fn unicode_sep(b: &[u8], p: usize, end: usize, repl: &'static str) -> Option<Vec<Edit>> {
    let l = p.checked_sub(1).map(|k| b[k])?;
    let r = *b.get(end)?;
    let ok = is_label(l) && is_label(r) && (l.is_ascii_alphanumeric() || r.is_ascii_alphanumeric());
    ok.then(|| vec![edit(p..end, repl, true)])
}

/// Whether `s` is inside a link (its token has a `://` before it): an encoded link in
/// another's query stays encoded there, and the scanner reads it as a second link.
fn in_link(b: &[u8], s: usize) -> bool {
    let lo = s.saturating_sub(2048);
    let start = b[lo..s]
        .iter()
        .rposition(u8::is_ascii_whitespace)
        .map_or(lo, |i| lo + i + 1);
    memchr::memmem::find(&b[start..s], b"://").is_some()
}

/// `https%3A%2F%2Fevil.com%2Fpath`: a URL-encoded URL, decoded up to the end of its
/// token (or the next parameter of an enclosing URL).
fn percent_url(b: &[u8], p: usize, end: usize) -> Option<Vec<Edit>> {
    let mut s = p;
    while s > 0 && b[s - 1].is_ascii_alphabetic() && p - s <= 6 {
        s -= 1;
    }
    if p - s < 2 || in_link(b, s) {
        return None;
    }
    let mut edits = vec![edit(p..end, "://", false)];
    let mut i = end;
    while i + 2 < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || matches!(c, b'&' | b'"' | b'\'' | b'<' | b'>') {
            break;
        }
        if c == b'%' {
            let repl = match (b[i + 1].to_ascii_uppercase(), b[i + 2].to_ascii_uppercase()) {
                (b'2', b'F') => Some("/"),
                (b'2', b'E') => Some("."),
                (b'3', b'A') => Some(":"),
                (b'3', b'F') => Some("?"),
                (b'3', b'D') => Some("="),
                (b'2', b'D') => Some("-"),
                (b'5', b'F') => Some("_"),
                (b'4', b'0') => Some("@"),
                _ => None,
            };
            if let Some(r) = repl {
                edits.push(edit(i..i + 3, r, false));
                i += 3;
                continue;
            }
        }
        i += 1;
    }
    Some(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn fang(s: &str) -> String {
        refang(s)
    }

    #[test]
    fn bracketed_dots_in_every_style() {
        for s in [
            "example[.]com",
            "example(.)com",
            "example{.}com",
            "example[dot]com",
            "example(DOT)com",
            "example{Dot}com",
            "example [.] com",
            "example (punto) com",
            "example[punkt]com",
            "example].[com",
            "example[.[com",
            "example}.}com",
        ] {
            assert_eq!(fang(s), "example.com", "{s}");
        }
        assert_eq!(fang("1[.]2[.]3[.]4"), "1.2.3.4");
        assert_eq!(fang("5[,]6[,]7(,)8"), "5.6.7.8");
        assert_eq!(fang("foo[-]bar.com"), "foo-bar.com");
        assert_eq!(fang("[www].example.com"), "www.example.com");
        assert_eq!(fang("(www).example.com"), "www.example.com");
    }

    #[test]
    fn a_single_bracket_is_not_a_defang() {
        for s in [
            "www.[example.[com",
            "www.]example.]com",
            "foo[.com",
            "foo.]com",
            "www],example),com",
            "array[0].length",
            "see (at least) two",
            "(attack)",
            "f(.)",
        ] {
            assert_eq!(fang(s), s, "{s}");
        }
    }

    #[test]
    fn spelled_out_dots_need_a_domain_after_them() {
        assert_eq!(fang("bad-dot-com"), "bad.com");
        assert_eq!(fang("example-dot-ru"), "example.ru");
        assert_eq!(fang("fooDOTcom"), "foo.com");
        assert_eq!(fang("foo@bar DOT com"), "foo@bar.com");
        assert_eq!(fang("foo@bar  DOT  com"), "foo@bar.com");
        assert_eq!(fang("example dot co dot uk"), "example.co.uk");
        assert_eq!(fang("foodot]com"), "foo.com");
        assert_eq!(fang("foopunkt}com"), "foo.com");
        // Prose stays prose.
        for s in [
            "the dot com bubble",
            "a dot net developer",
            "foodotcom",
            "polka-dot-dress",
            "anecdotal evidence",
            "dotted line",
            "a dot product",
        ] {
            assert_eq!(fang(s), s, "{s}");
        }
    }

    #[test]
    fn at_sign_forms() {
        for s in [
            "bob[@]example.com",
            "bob(at)example.com",
            "bob [at] example.com",
            "bob{AT}example.com",
            "bob(ET)example.com",
            "bob AT example.com",
            "bob  AT  example.com",
            "bob @ example.com",
            "bob @example.com",
            "bobat]example.com",
            "bobET)example.com",
            "bobarroba}example.com",
            "bob\u{ff20}example.com",
        ] {
            let got = fang(s);
            assert!(got == "bob@example.com", "{s} -> {got}");
        }
        assert_eq!(fang("me (arroba) example (punto) com"), "me@example.com");
        for s in [
            "look at this",
            "meet me at example.com",
            "AT&T",
            "that]",
            "@handle said",
        ] {
            assert_eq!(fang(s), s, "{s}");
        }
    }

    #[test]
    fn scheme_forms() {
        for (s, want) in [
            ("hxxp://example.com", "http://example.com"),
            ("hXXps://example.com", "https://example.com"),
            ("h**p://example.com", "http://example.com"),
            ("hxxps[://]example[.]com", "https://example.com"),
            ("hXxps[:]//example.org", "https://example.org"),
            ("http[:]//example.org", "http://example.org"),
            ("[http]://example.com", "http://example.com"),
            ("(https)://example.com", "https://example.com"),
            ("https]://example.com", "https://example.com"),
            ("http ://example.com", "http://example.com"),
            ("http:// example.com", "http://example.com"),
            ("https :/// example.com", "https://example.com"),
            ("http//example.com", "http://example.com"),
            ("xxxx://example.com", "http://example.com"),
            ("xXxXx://example.com", "https://example.com"),
            ("fXp://example.com", "ftp://example.com"),
            ("sfXp://example.com", "sftp://example.com"),
            ("fXps://example.com", "ftps://example.com"),
            ("http://example.com[/]test", "http://example.com/test"),
            (
                "https://example.com\\/test.php",
                "https://example.com/test.php",
            ),
        ] {
            assert_eq!(fang(s), want, "{s}");
        }
        for s in [
            "http://example.com",
            "HTTP/1.1 200 OK",
            "the http protocol",
            "123howp",
            "seasharpee",
            "ftp server",
        ] {
            assert_eq!(fang(s), s, "{s}");
        }
    }

    #[test]
    fn escapes_unicode_and_invisible_characters() {
        assert_eq!(fang("example\\.com"), "example.com");
        assert_eq!(fang("www^.example^.com"), "www.example.com");
        assert_eq!(fang("evil\u{ff0e}com"), "evil.com");
        assert_eq!(fang("evil\u{3002}com"), "evil.com");
        assert_eq!(fang("ev\u{200b}il.c\u{ad}om"), "evil.com");
        assert_eq!(fang("2.2.2 . 2"), "2.2.2.2");
        assert_eq!(fang("CVE\u{2011}2024\u{2011}3094"), "CVE-2024-3094");
        // Japanese prose punctuation stays.
        assert_eq!(fang("テスト。次"), "テスト。次");
        assert_eq!(fang("end . Next"), "end . Next");
    }

    #[test]
    fn url_encoded_urls_are_decoded_to_the_end_of_their_token() {
        assert_eq!(
            fang("go to https%3A%2F%2Fevil.com%2Fa%2Fb.php now"),
            "go to https://evil.com/a/b.php now"
        );
        // Inside another link's query it stays as written: the outer link is quoted
        // as the author wrote it, and the scanner decodes the inner one on its own.
        let nested = "http://r.example/?u=https%3a%2f%2fevil.com%2Fx&y=%2F";
        assert_eq!(fang(nested), nested);
    }

    #[test]
    fn offsets_map_back_and_defanged_spans_are_known() {
        let text = "C2 at evil[.]com and 1.2.3.4";
        let n = normalize(text);
        assert_eq!(n.text, "C2 at evil.com and 1.2.3.4");
        let evil = n.text.find("evil").unwrap();
        let ip = n.text.find("1.2.3.4").unwrap();
        assert_eq!(n.orig_offset(evil), 6);
        assert_eq!(n.orig_offset(ip), text.find("1.2.3.4").unwrap());
        assert_eq!(n.orig_offset(evil + 4), 10); // the rewritten dot maps to its bracket
        assert!(n.defanged(evil..evil + 8));
        assert!(!n.defanged(ip..ip + 7));
    }

    #[test]
    fn refang_is_idempotent_on_examples() {
        for s in [
            "hxxps[://]evil[.]com/a[.]b",
            "bob[at]evil(.)com",
            "x[.[y[.[z",
        ] {
            let once = fang(s);
            assert_eq!(fang(&once), once);
        }
    }
}
