//! Rendering the internal representation in each backend's language. Every backend
//! goes through the same lowering: log source and fields resolved through the field
//! map, slots filled, and each value either written safely or left out with a note;
//! a selection that loses all its values no longer matches, and the condition is
//! simplified accordingly (a rule that can no longer match is left out entirely).

pub mod kql;
pub mod sigma;
pub mod splunk;

use std::collections::BTreeMap;

use super::backends::{Backends, Target};
use super::ir::{Cond, Match, Pattern, Rule, Selection, Slot, Value, Window};
use crate::model::{Backend, Confidence};

/// What a hunt is, for the backends that carry metadata (Sigma).
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    /// Stable key the rule IDs derive from (use-case ID, or artifact hunt ID).
    pub key: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub techniques: &'a [String],
    pub confidence: Confidence,
    pub falsepositives: &'a [String],
    pub lookback: Window,
}

/// How slots are filled: with values, or left as `{{NAME}}` placeholders (templates).
pub enum Fill<'a> {
    Values(&'a dyn Fn(&Slot) -> Vec<String>),
    Placeholders,
}

impl Fill<'_> {
    pub fn none() -> Fill<'static> {
        Fill::Values(&|_| Vec::new())
    }
}

/// A value after slot filling.
#[derive(Debug, Clone, PartialEq)]
pub enum Lowered {
    Str(Pattern),
    Int(i64),
    Placeholder(String),
}

/// A rule ready for one backend: only values it can write, a simplified condition.
#[derive(Debug, Clone)]
pub struct LoweredRule<'a> {
    pub rule: &'a Rule,
    pub target: Option<&'a Target>,
    pub selections: BTreeMap<String, Vec<LoweredMatch<'a>>>,
    pub condition: Cond,
}

#[derive(Debug, Clone)]
pub struct LoweredMatch<'a> {
    pub m: &'a Match,
    pub values: Vec<Lowered>,
}

/// The notes gathered while rendering, shown as comments above the query.
#[derive(Debug, Default)]
pub struct Notes(pub Vec<String>);

impl Notes {
    pub fn push(&mut self, s: String) {
        if !self.0.contains(&s) {
            self.0.push(s);
        }
    }
}

/// Lowers `rule` for a backend whose writer accepts a value when `ok` says so.
/// Returns `None` (with a note) when the rule cannot be rendered there.
pub fn lower<'a>(
    rule: &'a Rule,
    target: Option<&'a Target>,
    backend: Backend,
    fill: &Fill<'_>,
    ok: &dyn Fn(&Match, &Lowered) -> bool,
    notes: &mut Notes,
) -> Option<LoweredRule<'a>> {
    if let Some(t) = target {
        let used = super::library::rule_fields(rule);
        if let Some(f) = used.iter().find(|f| t.unmapped.contains(**f)) {
            notes.push(format!(
                "rule {} left out: {} has no {} field for {f}",
                rule.name,
                t.source,
                backend.label()
            ));
            return None;
        }
    }
    let mut dropped = 0usize;
    let mut selections = BTreeMap::new();
    let mut known: BTreeMap<String, bool> = BTreeMap::new();
    for (name, sel) in &rule.selections {
        let lowered = lower_selection(sel, fill, ok, &mut dropped);
        // An `all` match must keep every value, any match at least one.
        let dead = lowered
            .iter()
            .zip(&sel.matches)
            .any(|(l, m)| l.values.is_empty() || (m.all && l.values.len() < expected(m, fill)));
        if dead {
            known.insert(name.clone(), false);
        }
        selections.insert(name.clone(), lowered);
    }
    if dropped > 0 {
        notes.push(format!(
            "{dropped} value(s) left out of rule {}: they cannot be written safely in {}",
            rule.name,
            backend.label()
        ));
    }
    let condition = rule.condition.simplify(&|s| known.get(s).copied());
    match condition {
        Cond::Const(false) => None,
        Cond::Const(true) => {
            // Only negations were left: the rule would match everything.
            notes.push(format!(
                "rule {} left out: nothing it selects survived",
                rule.name
            ));
            None
        }
        condition => Some(LoweredRule {
            rule,
            target,
            selections,
            condition,
        }),
    }
}

fn expected(m: &Match, fill: &Fill<'_>) -> usize {
    m.values
        .iter()
        .map(|v| match (v, fill) {
            (Value::Slot(s), Fill::Values(f)) => f(s).len(),
            _ => 1,
        })
        .sum()
}

fn lower_selection<'a>(
    sel: &'a Selection,
    fill: &Fill<'_>,
    ok: &dyn Fn(&Match, &Lowered) -> bool,
    dropped: &mut usize,
) -> Vec<LoweredMatch<'a>> {
    sel.matches
        .iter()
        .map(|m| {
            let mut values = Vec::new();
            for v in &m.values {
                let candidates: Vec<Lowered> = match (v, fill) {
                    (Value::Str(p), _) => vec![Lowered::Str(p.clone())],
                    (Value::Int(i), _) => vec![Lowered::Int(*i)],
                    (Value::Slot(s), Fill::Placeholders) => {
                        vec![Lowered::Placeholder(s.name.clone())]
                    }
                    (Value::Slot(s), Fill::Values(f)) => f(s)
                        .iter()
                        .map(|v| Lowered::Str(Pattern::literal(v)))
                        .collect(),
                };
                for c in candidates {
                    let empty = matches!(&c, Lowered::Str(p) if p.0.is_empty());
                    if !empty && ok(m, &c) {
                        if !values.contains(&c) {
                            values.push(c);
                        }
                    } else {
                        *dropped += 1;
                    }
                }
            }
            LoweredMatch { m, values }
        })
        .collect()
}

/// Whether the literal parts of a pattern hold anything a one-line string literal
/// cannot carry in any language here.
pub fn has_unsafe(p: &Pattern) -> bool {
    p.0.iter().any(|piece| match piece {
        super::ir::Piece::Lit(s) => s.chars().any(super::ir::unsafe_char),
        super::ir::Piece::Star => false,
    })
}

/// The file-name-only form of an `endswith` value: `\cmd.exe` or `/bash` → the bare
/// name, when the value is a literal separator plus a name without further separators.
pub fn bare_name(op: super::ir::Op, p: &Pattern) -> Option<&str> {
    if op != super::ir::Op::EndsWith {
        return None;
    }
    match p.0.as_slice() {
        [super::ir::Piece::Lit(s)] => {
            let rest = s.strip_prefix('\\').or_else(|| s.strip_prefix('/'))?;
            (!rest.is_empty() && !rest.contains(['\\', '/'])).then_some(rest)
        }
        _ => None,
    }
}

/// Renders the rules of one hunt in `backend`, or `None` when no rule can be.
pub fn render(
    backend: Backend,
    rules: &[Rule],
    meta: &Meta<'_>,
    backends: &Backends,
    fill: &Fill<'_>,
) -> Option<String> {
    match backend {
        Backend::Splunk => splunk::render(rules, meta, backends, fill),
        Backend::Defender | Backend::Sentinel => kql::render(backend, rules, meta, backends, fill),
        Backend::Sigma => sigma::render(rules, meta, backends, fill),
        Backend::Elastic => None,
    }
}

/// The backends every hunt is rendered in, in the briefing's order.
pub const BACKENDS: [Backend; 4] = [
    Backend::Splunk,
    Backend::Defender,
    Backend::Sentinel,
    Backend::Sigma,
];

/// All renderings of a hunt that exist.
pub fn render_all(
    rules: &[Rule],
    meta: &Meta<'_>,
    backends: &Backends,
    fill: &Fill<'_>,
) -> BTreeMap<Backend, String> {
    BACKENDS
        .into_iter()
        .filter_map(|b| render(b, rules, meta, backends, fill).map(|q| (b, q)))
        .collect()
}
