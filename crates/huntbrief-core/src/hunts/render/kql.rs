//! Kusto (KQL) for Microsoft Defender XDR advanced hunting and Microsoft Sentinel: the
//! same logic, each on its own tables and time column. Strings are `"..."` literals with
//! `\` and `"` escaped, or `@"..."` verbatim literals (quotes doubled) when they hold a
//! backslash; wildcards in the middle of a value become an anchored regular expression.

use std::fmt::Write;

use super::{Fill, LoweredMatch, LoweredRule, Meta, Notes, bare_name, has_unsafe, lower};
use crate::hunts::backends::{Backends, Target};
use crate::hunts::ir::{Cond, CondWords, Match, Pattern, Piece, Rule, Shape};
use crate::hunts::render::Lowered;
use crate::model::Backend;

const WORDS: CondWords = CondWords {
    and: "and",
    or: "or",
    not_parens: true,
    not: "not",
    t: "true",
    f: "false",
};

pub fn render(
    backend: Backend,
    rules: &[Rule],
    meta: &Meta<'_>,
    b: &Backends,
    fill: &Fill<'_>,
) -> Option<String> {
    let map = b.map(backend)?;
    let mut notes = Notes::default();
    let mut queries = Vec::new();
    for rule in rules {
        let key = rule.logsource.key();
        let Some(target) = map.target(&key) else {
            continue;
        };
        let ok = |m: &Match, v: &Lowered| {
            let col = column_of(target, m, v);
            let ty = b
                .kql
                .column_type(backend, &target.source, &col)
                .unwrap_or("string");
            match v {
                Lowered::Str(p) => ty == "string" && !has_unsafe(p),
                Lowered::Int(_) => matches!(ty, "int" | "long" | "real" | "string"),
                Lowered::Placeholder(_) => true,
            }
        };
        if let Some(l) = lower(rule, Some(target), backend, fill, &ok, &mut notes) {
            queries.push(query(&l, backend, b, meta));
        }
    }
    if queries.is_empty() && notes.0.is_empty() {
        return None;
    }
    let mut out = String::new();
    for n in &notes.0 {
        let _ = writeln!(out, "// huntbrief: {n}");
    }
    if queries.is_empty() {
        // Nothing could be written safely: say so rather than leave the backend blank.
        return Some(out.trim_end().to_owned());
    }
    if queries.len() == 1 {
        out.push_str(&queries[0]);
    } else {
        out.push_str("union\n");
        let parts: Vec<String> = queries
            .iter()
            .map(|q| {
                let inner: Vec<String> = q.lines().map(|l| format!("    {l}")).collect();
                format!("(\n{}\n)", inner.join("\n"))
            })
            .collect();
        out.push_str(&parts.join(",\n"));
    }
    Some(out)
}

/// The column a value of `m` is compared with (the file-name column for bare names).
fn column_of(t: &Target, m: &Match, v: &Lowered) -> String {
    let Some(f) = t.fields.get(&m.field) else {
        return m.field.clone();
    };
    match (v, &f.name) {
        (Lowered::Str(p), Some(name)) if bare_name(m.op, p).is_some() => name.clone(),
        _ => f.field.clone(),
    }
}

fn query(l: &LoweredRule<'_>, backend: Backend, b: &Backends, meta: &Meta<'_>) -> String {
    let Some(t) = l.target else {
        return String::new();
    };
    let mut q = t.source.clone();
    if let Some(time) = &t.time {
        let _ = write!(q, "\n| where {time} > ago({})", meta.lookback);
    }
    if let Some(filter) = &t.filter {
        let _ = write!(q, "\n| where {filter}");
    }
    for e in &t.extend {
        let _ = write!(q, "\n| extend {e}");
    }
    let cx = Cx { l, t, backend, b };
    match &l.condition {
        Cond::And(cs) => {
            for c in cs {
                for w in cx.top_level(c) {
                    let _ = write!(q, "\n| where {w}");
                }
            }
        }
        c => {
            for w in cx.top_level(c) {
                let _ = write!(q, "\n| where {w}");
            }
        }
    }
    let col = |sigma: &str| {
        t.fields
            .get(sigma)
            .map_or(sigma, |f| f.field.as_str())
            .to_owned()
    };
    if let Some(a) = &l.rule.aggregate {
        let mut by: Vec<String> = a.by.iter().map(|f| col(f)).collect();
        let mut stats = String::from("Count = count()");
        let threshold = if let Some(d) = &a.distinct {
            let _ = write!(stats, ", DistinctCount = dcount({})", col(d));
            format!("DistinctCount >= {}", a.min)
        } else {
            format!("Count >= {}", a.min)
        };
        if let Some(time) = &t.time {
            let _ = write!(stats, ", FirstSeen = min({time}), LastSeen = max({time})");
            by.push(format!("bin({time}, {})", a.window));
        }
        let _ = write!(
            q,
            "\n| summarize {stats} by {}\n| where {threshold}",
            by.join(", ")
        );
    } else {
        let mut show: Vec<String> = Vec::new();
        for c in t.time.iter().chain(&t.show) {
            if !show.contains(c) {
                show.push(c.clone());
            }
        }
        for f in &l.rule.fields {
            let c = col(f);
            if !show.contains(&c) {
                show.push(c);
            }
        }
        let _ = write!(q, "\n| project {}", show.join(", "));
    }
    q
}

struct Cx<'a> {
    l: &'a LoweredRule<'a>,
    t: &'a Target,
    backend: Backend,
    b: &'a Backends,
}

impl Cx<'_> {
    fn top_level(&self, c: &Cond) -> Vec<String> {
        if let Cond::Sel(name) = c
            && let Some(ms) = self.l.selections.get(name)
        {
            return ms.iter().map(|m| self.matcher(m)).collect();
        }
        vec![c.render(&WORDS, &mut |name| self.selection(name))]
    }

    fn selection(&self, name: &str) -> String {
        let Some(ms) = self.l.selections.get(name) else {
            return WORDS.f.to_owned();
        };
        let parts: Vec<String> = ms.iter().map(|m| self.matcher(m)).collect();
        if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            format!("({})", parts.join(" and "))
        }
    }

    fn is_string(&self, col: &str) -> bool {
        self.b
            .kql
            .column_type(self.backend, &self.t.source, col)
            .is_none_or(|ty| ty == "string")
    }

    /// One match as an atomic expression (parenthesised when it holds `or`/`and`).
    fn matcher(&self, lm: &LoweredMatch<'_>) -> String {
        let m = lm.m;
        let mut exact: Vec<(String, String)> = Vec::new();
        let mut terms: Vec<String> = Vec::new();
        let mut placeholders: Vec<(String, String)> = Vec::new();
        for v in &lm.values {
            let col = column_of(self.t, m, v);
            match v {
                Lowered::Int(i) => {
                    let lit = if self.is_string(&col) {
                        string(&i.to_string())
                    } else {
                        i.to_string()
                    };
                    exact.push((col, lit));
                }
                Lowered::Placeholder(p) => placeholders.push((col, format!("{{{{{p}}}}}"))),
                Lowered::Str(p) => {
                    if let Some(n) = bare_name(m.op, p) {
                        exact.push((col, string(n)));
                        continue;
                    }
                    let glob = p.glob(m.op);
                    match glob.shape() {
                        Shape::Exact(s) => exact.push((col, string(s))),
                        Shape::Prefix(s) => terms.push(format!("{col} startswith {}", string(s))),
                        Shape::Suffix(s) => terms.push(format!("{col} endswith {}", string(s))),
                        Shape::Infix(s) => terms.push(format!("{col} contains {}", string(s))),
                        Shape::Other => {
                            terms.push(format!("{col} matches regex {}", verbatim(&regex(&glob))))
                        }
                    }
                }
            }
        }
        let mut parts: Vec<String> = Vec::new();
        if m.all {
            for (col, lit) in &exact {
                let op = if lit.starts_with(['"', '@']) {
                    "=~"
                } else {
                    "=="
                };
                parts.push(format!("{col} {op} {lit}"));
            }
        } else {
            // Group exact values per column into one `in~` list.
            let mut cols: Vec<&String> = Vec::new();
            for (c, _) in &exact {
                if !cols.contains(&c) {
                    cols.push(c);
                }
            }
            for c in cols {
                let lits: Vec<&String> = exact
                    .iter()
                    .filter(|(x, _)| x == c)
                    .map(|(_, l)| l)
                    .collect();
                let strings = lits.iter().any(|l| l.starts_with(['"', '@']));
                let (one, many) = if strings { ("=~", "in~") } else { ("==", "in") };
                if let [lit] = lits.as_slice() {
                    parts.push(format!("{c} {one} {lit}"));
                } else {
                    let list: Vec<&str> = lits.iter().map(|s| s.as_str()).collect();
                    parts.push(format!("{c} {many} ({})", list.join(", ")));
                }
            }
        }
        parts.extend(terms);
        for (col, p) in placeholders {
            let op = if matches!(m.op, crate::hunts::ir::Op::Equals) {
                "in~"
            } else {
                "has_any"
            };
            parts.push(format!("{col} {op} ({p})"));
        }
        let joiner = if m.all { " and " } else { " or " };
        if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            format!("({})", parts.join(joiner))
        }
    }
}

/// A KQL string literal holding `s` exactly. The caller has ruled out line breaks and
/// control characters; everything else is escaped or doubled.
pub fn string(s: &str) -> String {
    if s.contains('\\') {
        return verbatim(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A verbatim `@"..."` literal: backslashes are literal, a quote is doubled.
pub fn verbatim(s: &str) -> String {
    format!("@\"{}\"", s.replace('"', "\"\""))
}

/// An anchored, case-insensitive RE2 expression for a glob.
fn regex(glob: &Pattern) -> String {
    let mut out = String::from("(?i)^");
    for piece in &glob.0 {
        match piece {
            Piece::Star => out.push_str(".*"),
            Piece::Lit(s) => {
                for c in s.chars() {
                    if "\\.+*?()|[]{}^$".contains(c) {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
        }
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_hold_quotes_and_backslashes() {
        assert_eq!(string("a\"b"), r#""a\"b""#);
        assert_eq!(string(r"C:\x"), r#"@"C:\x""#);
        assert_eq!(string(r#"C:\"x"#), r#"@"C:\""x""#);
    }

    #[test]
    fn regex_escapes_every_metacharacter() {
        let g = Pattern::wildcard("a.b*c(d)").glob(crate::hunts::ir::Op::Equals);
        assert_eq!(regex(&g), r"(?i)^a\.b.*c\(d\)$");
    }
}
