//! Sigma rules (YAML), valid against the Sigma JSON schema. The internal representation
//! is Sigma's detection model, so this is the reference rendering: SPL and KQL are
//! translations of it. Values are Sigma strings (`*`, `?` and a backslash before them
//! escaped) inside YAML single quotes (a quote doubled); text from an article appears
//! only inside such quotes.

use std::fmt::Write;

use sha2::{Digest, Sha256};

use super::{Fill, LoweredRule, Meta, Notes, has_unsafe, lower};
use crate::hunts::backends::Backends;
use crate::hunts::ir::{CondWords, Match, Piece, Rule};
use crate::hunts::render::Lowered;
use crate::model::{Backend, Confidence};

const WORDS: CondWords = CondWords {
    and: "and",
    or: "or",
    not_parens: false,
    not: "not ",
    t: "",
    f: "",
};

/// Longest title the schema allows.
const MAX_TITLE: usize = 256;

pub fn render(rules: &[Rule], meta: &Meta<'_>, b: &Backends, fill: &Fill<'_>) -> Option<String> {
    let mut notes = Notes::default();
    let mut docs = Vec::new();
    for rule in rules {
        if !b.sigma.contains_key(&rule.logsource.key()) {
            continue;
        }
        let ok = |_: &Match, v: &Lowered| match v {
            Lowered::Str(p) => !has_unsafe(p),
            _ => true,
        };
        if let Some(l) = lower(rule, None, Backend::Sigma, fill, &ok, &mut notes) {
            docs.push(document(&l, meta, rules.len() > 1));
        }
    }
    if docs.is_empty() {
        return None;
    }
    let mut out = String::new();
    for n in &notes.0 {
        let _ = writeln!(out, "# huntbrief: {n}");
    }
    out.push_str(&docs.join("---\n"));
    Some(out.trim_end().to_owned())
}

fn document(l: &LoweredRule<'_>, meta: &Meta<'_>, several: bool) -> String {
    let rule = l.rule;
    let mut y = String::new();
    let title = if several {
        format!("{} ({})", meta.title, rule.name.replace('_', " "))
    } else {
        meta.title.to_owned()
    };
    let _ = writeln!(
        y,
        "title: {}",
        quote_text(&truncate(&collapse(&title), MAX_TITLE))
    );
    let _ = writeln!(y, "id: {}", uuid(&format!("{}/{}", meta.key, rule.name)));
    let name = slug(&format!("{}_{}", meta.key, rule.name));
    if rule.aggregate.is_some() {
        let _ = writeln!(y, "name: {name}");
    }
    y.push_str("status: experimental\n");
    let _ = writeln!(y, "description: {}", quote_text(meta.description));
    y.push_str("author: huntbrief\n");
    let tags: Vec<String> = meta
        .techniques
        .iter()
        .map(|t| format!("attack.{}", t.to_ascii_lowercase()))
        .filter(|t| valid_tag(t))
        .collect();
    if !tags.is_empty() {
        y.push_str("tags:\n");
        for t in dedup(tags) {
            let _ = writeln!(y, "    - {t}");
        }
    }
    y.push_str("logsource:\n");
    for (k, v) in [
        ("category", &rule.logsource.category),
        ("product", &rule.logsource.product),
        ("service", &rule.logsource.service),
    ] {
        if let Some(v) = v {
            let _ = writeln!(y, "    {k}: {v}");
        }
    }
    y.push_str("detection:\n");
    let mut used = Vec::new();
    l.condition.selections(&mut used);
    for (name, matches) in &l.selections {
        if !used.contains(name) {
            continue;
        }
        let _ = writeln!(y, "    {name}:");
        for lm in matches {
            let m = lm.m;
            let mut key = m.field.clone();
            if let Some(modifier) = m.op.modifier() {
                key.push('|');
                key.push_str(modifier);
            }
            if m.all {
                key.push_str("|all");
            }
            let _ = writeln!(y, "        {}:", quote(&key));
            for v in &lm.values {
                let s = match v {
                    Lowered::Int(i) => i.to_string(),
                    Lowered::Placeholder(p) => quote(&format!("{{{{{p}}}}}")),
                    Lowered::Str(p) => quote(&sigma_string(p)),
                };
                let _ = writeln!(y, "            - {s}");
            }
        }
    }
    let condition = l.condition.render(&WORDS, &mut |s| s.to_owned());
    let _ = writeln!(y, "    condition: {}", quote(&condition));
    if !rule.fields.is_empty() {
        y.push_str("fields:\n");
        for f in dedup(rule.fields.clone()) {
            let _ = writeln!(y, "    - {}", quote(&f));
        }
    }
    let fps: Vec<String> = meta
        .falsepositives
        .iter()
        .map(|f| collapse(f))
        .filter(|f| f.chars().count() >= 2)
        .collect();
    if !fps.is_empty() {
        y.push_str("falsepositives:\n");
        for f in dedup(fps) {
            let _ = writeln!(y, "    - {}", quote_text(&f));
        }
    }
    let _ = writeln!(y, "level: {}", level(meta.confidence));
    if let Some(a) = &rule.aggregate {
        y.push_str("---\n");
        let _ = writeln!(
            y,
            "title: {}",
            quote_text(&truncate(
                &collapse(&format!("{title} (threshold)")),
                MAX_TITLE
            ))
        );
        let _ = writeln!(
            y,
            "id: {}",
            uuid(&format!("{}/{}/correlation", meta.key, rule.name))
        );
        y.push_str("status: experimental\n");
        let kind = if a.distinct.is_some() {
            "value_count"
        } else {
            "event_count"
        };
        let _ = writeln!(
            y,
            "correlation:\n    type: {kind}\n    rules:\n        - {name}"
        );
        y.push_str("    group-by:\n");
        for f in &a.by {
            let _ = writeln!(y, "        - {}", quote(f));
        }
        let _ = writeln!(y, "    timespan: {}", a.window);
        let _ = writeln!(y, "    condition:\n        gte: {}", a.min);
        if let Some(d) = &a.distinct {
            let _ = writeln!(y, "        field: {}", quote(d));
        }
        let _ = writeln!(y, "level: {}", level(meta.confidence));
    }
    y
}

fn level(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

fn valid_tag(t: &str) -> bool {
    let Some((a, b)) = t.split_once('.') else {
        return false;
    };
    let ok = |s: &str, dot: bool| {
        !s.is_empty()
            && s.bytes().all(|c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || c == b'_'
                    || c == b'-'
                    || (dot && c == b'.')
            })
    };
    ok(a, false) && ok(b, true)
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn collapse(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || super::super::ir::unsafe_char(c))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A YAML single-quoted scalar holding `s` exactly (a quote doubled). The caller has
/// ruled out line breaks and control characters, which YAML would fold or reject.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Prose (titles, descriptions) as a one-line YAML scalar: whitespace runs, line breaks
/// included, become one space and control characters go.
pub fn quote_text(s: &str) -> String {
    quote(&collapse(s))
}

/// A Sigma string for the pattern: stars as wildcards, a literal `*` or `?` escaped, and
/// a literal backslash doubled where it would otherwise escape what follows.
pub fn sigma_string(p: &crate::hunts::ir::Pattern) -> String {
    // The output characters, each marked literal or wildcard, then escaped in one pass.
    let mut chars: Vec<(char, bool)> = Vec::new();
    for piece in &p.0 {
        match piece {
            Piece::Star => chars.push(('*', true)),
            Piece::Lit(s) => chars.extend(s.chars().map(|c| (c, false))),
        }
    }
    let mut out = String::with_capacity(chars.len() + 4);
    for (i, &(c, wild)) in chars.iter().enumerate() {
        if wild {
            out.push('*');
            continue;
        }
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => {
                let next = chars.get(i + 1).map(|(n, _)| *n);
                out.push('\\');
                if next.is_none_or(|n| matches!(n, '*' | '?' | '\\')) {
                    out.push('\\');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Reads a Sigma string back into a pattern (the inverse of `sigma_string`).
pub fn parse_sigma_string(s: &str) -> crate::hunts::ir::Pattern {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                pieces.push(Piece::Star);
            }
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            c => lit.push(c),
        }
    }
    pieces.push(Piece::Lit(lit));
    crate::hunts::ir::Pattern(pieces).normalized()
}

/// A stable UUID (version 8, RFC 9562 "custom") derived from `key`.
pub fn uuid(key: &str) -> String {
    let d = Sha256::digest(format!("huntbrief:{key}").as_bytes());
    let mut b: [u8; 16] = [0; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunts::ir::Pattern;

    #[test]
    fn sigma_strings_escape_wildcards_and_round_trip() {
        for (p, s) in [
            (Pattern::literal(r"C:\Windows\x.exe"), r"C:\Windows\x.exe"),
            (Pattern::literal("a*b?c"), r"a\*b\?c"),
            (Pattern::literal(r"ends\"), r"ends\\"),
            (Pattern::literal(r"a\\b"), r"a\\\b"),
            (Pattern::wildcard(r"\Temp\*"), r"\Temp\\*"),
        ] {
            assert_eq!(sigma_string(&p), s);
            assert_eq!(parse_sigma_string(s), p.clone().normalized(), "{s}");
        }
    }

    #[test]
    fn yaml_quotes_double_quotes_and_flatten_lines() {
        assert_eq!(quote_text("it's\n# x"), "'it''s # x'");
        assert_eq!(quote("a  b'"), "'a  b'''");
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let u = uuid("UC_LSASS/dump");
        assert_eq!(u, uuid("UC_LSASS/dump"));
        assert_ne!(u, uuid("UC_LSASS/other"));
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "8");
    }
}
