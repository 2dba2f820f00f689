//! Splunk SPL on the CIM data models: `| tstats` over the dataset, every OR group in
//! parentheses, values in double quotes with `\` and `"` escaped. SPL has no escape for
//! a literal `*` (always a wildcard) and expands macros between backticks, so values
//! holding either are left out.

use std::fmt::Write;

use super::{Fill, LoweredMatch, LoweredRule, Meta, Notes, bare_name, has_unsafe, lower};
use crate::hunts::backends::Backends;
use crate::hunts::ir::{Cond, CondWords, Match, Piece, Rule};
use crate::hunts::render::Lowered;
use crate::model::Backend;

const WORDS: CondWords = CondWords {
    and: "AND",
    or: "OR",
    not_parens: false,
    not: "NOT ",
    t: "true()",
    f: "false()",
};

pub fn render(rules: &[Rule], _meta: &Meta<'_>, b: &Backends, fill: &Fill<'_>) -> Option<String> {
    let mut notes = Notes::default();
    let mut queries = Vec::new();
    for rule in rules {
        let key = rule.logsource.key();
        let Some(target) = b.splunk.target(&key) else {
            continue;
        };
        let ok = |_: &Match, v: &Lowered| match v {
            Lowered::Str(p) => {
                !has_unsafe(p)
                    && p.0.iter().all(|piece| match piece {
                        Piece::Lit(s) => !s.contains(['*', '`']),
                        Piece::Star => true,
                    })
            }
            Lowered::Int(_) | Lowered::Placeholder(_) => true,
        };
        if let Some(l) = lower(rule, Some(target), Backend::Splunk, fill, &ok, &mut notes) {
            queries.push(query(&l));
        }
    }
    if queries.is_empty() && notes.0.is_empty() {
        return None;
    }
    let mut out = String::new();
    for n in &notes.0 {
        let _ = writeln!(out, "```huntbrief: {n}```");
    }
    if queries.is_empty() {
        // Nothing could be written safely: say so rather than leave the backend blank.
        return Some(out.trim_end().to_owned());
    }
    let mut iter = queries.into_iter();
    out.push_str(&iter.next().unwrap_or_default());
    for q in iter {
        let indented: Vec<String> = q.lines().map(|l| format!("    {l}")).collect();
        let _ = write!(out, "\n| append [\n{}\n  ]", indented.join("\n"));
    }
    Some(out)
}

fn query(l: &LoweredRule<'_>) -> String {
    let Some(t) = l.target else {
        return String::new();
    };
    let object = t.source.rsplit('.').next().unwrap_or(&t.source).to_owned();
    let field = |sigma: &str| -> String {
        let f = t.fields.get(sigma).map_or(sigma, |f| f.field.as_str());
        format!("{object}.{f}")
    };
    let mut conjuncts: Vec<String> = Vec::new();
    if let Some(filter) = &t.filter {
        conjuncts.push(filter.clone());
    }
    match &l.condition {
        Cond::And(cs) => {
            for c in cs {
                conjuncts.extend(top_level(l, c, &object, t));
            }
        }
        c => conjuncts.extend(top_level(l, c, &object, t)),
    }
    let mut by: Vec<String> = Vec::new();
    let mut push_by = |f: String| {
        if !by.contains(&f) {
            by.push(f);
        }
    };
    let mut stats = String::from("count");
    let mut threshold = None;
    if let Some(a) = &l.rule.aggregate {
        for f in &a.by {
            push_by(field(f));
        }
        if let Some(d) = &a.distinct {
            let _ = write!(stats, " dc({}) as distinct_count", field(d));
            threshold = Some(format!("distinct_count >= {}", a.min));
        } else {
            threshold = Some(format!("count >= {}", a.min));
        }
        push_by(format!("_time span={}", a.window));
    } else {
        for f in &t.show {
            push_by(format!("{object}.{f}"));
        }
        for f in &l.rule.fields {
            push_by(field(f));
        }
    }
    let mut q = format!(
        "| tstats `summariesonly` {stats} min(_time) as firstTime max(_time) as lastTime\n    from datamodel={}\n",
        t.source
    );
    if !conjuncts.is_empty() {
        let _ = writeln!(q, "    where {}", conjuncts.join("\n      AND "));
    }
    let _ = write!(
        q,
        "    by {}\n| `drop_dm_object_name({object})`",
        by.join(", ")
    );
    if let Some(th) = threshold {
        let _ = write!(q, "\n| where {th}");
    }
    q
}

/// A top-level conjunct: a selection's matches each become their own conjunct.
fn top_level(
    l: &LoweredRule<'_>,
    c: &Cond,
    object: &str,
    t: &crate::hunts::backends::Target,
) -> Vec<String> {
    if let Cond::Sel(name) = c
        && let Some(ms) = l.selections.get(name)
    {
        return ms.iter().map(|m| matcher(m, object, t)).collect();
    }
    vec![c.render(&WORDS, &mut |name| selection(l, name, object, t))]
}

fn selection(
    l: &LoweredRule<'_>,
    name: &str,
    object: &str,
    t: &crate::hunts::backends::Target,
) -> String {
    let Some(ms) = l.selections.get(name) else {
        return WORDS.f.to_owned();
    };
    let parts: Vec<String> = ms.iter().map(|m| matcher(m, object, t)).collect();
    if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        format!("({})", parts.join(" AND "))
    }
}

/// One match as an atomic SPL expression (parenthesised when it holds an OR or AND).
fn matcher(lm: &LoweredMatch<'_>, object: &str, t: &crate::hunts::backends::Target) -> String {
    let m = lm.m;
    let target = t.fields.get(&m.field);
    let path_field = format!(
        "{object}.{}",
        target.map_or(m.field.as_str(), |f| f.field.as_str())
    );
    let name_field = target
        .and_then(|f| f.name.as_ref())
        .map(|n| format!("{object}.{n}"));
    let mut names: Vec<String> = Vec::new();
    let mut terms: Vec<String> = Vec::new();
    let mut ints: Vec<String> = Vec::new();
    let mut placeholders: Vec<String> = Vec::new();
    for v in &lm.values {
        match v {
            Lowered::Int(i) => ints.push(i.to_string()),
            Lowered::Placeholder(p) => placeholders.push(format!("{{{{{p}}}}}")),
            Lowered::Str(p) => match (&name_field, bare_name(m.op, p)) {
                (Some(_), Some(n)) => names.push(quote(n)),
                _ => {
                    let glob = p.glob(m.op);
                    let mut s = String::new();
                    for piece in &glob.0 {
                        match piece {
                            Piece::Star => s.push('*'),
                            Piece::Lit(x) => s.push_str(x),
                        }
                    }
                    terms.push(format!("{path_field}={}", quote(&s)));
                }
            },
        }
    }
    let joiner = if m.all { " AND " } else { " OR " };
    let mut parts: Vec<String> = Vec::new();
    if m.all {
        parts.extend(
            names
                .iter()
                .map(|n| format!("{}={n}", name_field.as_deref().unwrap_or(""))),
        );
        parts.extend(ints.iter().map(|i| format!("{path_field}={i}")));
    } else {
        if let Some(nf) = &name_field {
            parts.extend(in_list(nf, &names));
        }
        parts.extend(in_list(&path_field, &ints));
    }
    parts.extend(terms);
    if !placeholders.is_empty() {
        parts.push(format!("{path_field} IN ({})", placeholders.join(", ")));
    }
    if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        format!("({})", parts.join(joiner))
    }
}

fn in_list(field: &str, values: &[String]) -> Option<String> {
    match values {
        [] => None,
        [one] => Some(format!("{field}={one}")),
        many => Some(format!("{field} IN ({})", many.join(", "))),
    }
}

/// A double-quoted SPL string; the caller has ruled out what SPL cannot hold.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}
