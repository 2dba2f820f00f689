//! The one hunt representation every backend renders, close to Sigma's detection model:
//! a log source, named selections of field/modifier/values, and a condition over them.
//! A hunt may hold several rules (on different log sources); backends union them.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::IocType;

/// One query over one log source.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Short `[a-z0-9_]` identifier, unique within its hunt.
    pub name: String,
    pub logsource: LogSource,
    /// Selections by name; each is an AND of its matches.
    pub selections: BTreeMap<String, Selection>,
    pub condition: Cond,
    /// Sigma field names worth showing next to a hit.
    pub fields: Vec<String>,
    pub aggregate: Option<Aggregate>,
}

/// Sigma's log source. The key (`category`, or `product/service`) selects the backend's
/// table or data model.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSource {
    pub category: Option<String>,
    pub product: Option<String>,
    pub service: Option<String>,
}

impl LogSource {
    pub fn key(&self) -> String {
        match (&self.category, &self.product, &self.service) {
            (Some(c), _, _) => c.clone(),
            (None, Some(p), Some(s)) => format!("{p}/{s}"),
            (None, Some(p), None) => p.clone(),
            (None, None, Some(s)) => s.clone(),
            (None, None, None) => String::new(),
        }
    }
}

/// Matches that must all hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    pub matches: Vec<Match>,
}

/// `field|op[|all]: values`: any value matches (all of them with `all`).
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub field: String,
    pub op: Op,
    pub all: bool,
    pub values: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

impl Op {
    pub fn modifier(self) -> Option<&'static str> {
        match self {
            Self::Equals => None,
            Self::Contains => Some("contains"),
            Self::StartsWith => Some("startswith"),
            Self::EndsWith => Some("endswith"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(Pattern),
    Int(i64),
    /// Filled from the briefing's indicators of these types (or shown as `{{NAME}}` in
    /// the shared templates).
    Slot(Slot),
}

/// Where a slot's values come from, and its placeholder name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub name: String,
    pub types: Vec<IocType>,
}

/// A string with wildcards. Library values use `*` as the wildcard; values from an
/// article are always literal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pattern(pub Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    Star,
}

impl Pattern {
    /// A value taken literally: `*` is just a character.
    pub fn literal(s: &str) -> Self {
        if s.is_empty() {
            Self(Vec::new())
        } else {
            Self(vec![Piece::Lit(s.to_owned())])
        }
    }

    /// A library value: `*` matches any run of characters.
    pub fn wildcard(s: &str) -> Self {
        let mut pieces = Vec::new();
        for (i, part) in s.split('*').enumerate() {
            if i > 0 {
                pieces.push(Piece::Star);
            }
            if !part.is_empty() {
                pieces.push(Piece::Lit(part.to_owned()));
            }
        }
        Self(pieces).normalized()
    }

    /// Adjacent literals merged, runs of stars collapsed.
    pub fn normalized(self) -> Self {
        let mut out: Vec<Piece> = Vec::with_capacity(self.0.len());
        for p in self.0 {
            match (out.last_mut(), p) {
                (Some(Piece::Star), Piece::Star) => {}
                (Some(Piece::Lit(a)), Piece::Lit(b)) => a.push_str(&b),
                (_, Piece::Lit(b)) if b.is_empty() => {}
                (_, p) => out.push(p),
            }
        }
        Self(out)
    }

    pub fn literal_text(&self) -> String {
        self.0
            .iter()
            .filter_map(|p| match p {
                Piece::Lit(s) => Some(s.as_str()),
                Piece::Star => None,
            })
            .collect()
    }

    pub fn is_plain(&self) -> bool {
        matches!(self.0.as_slice(), [Piece::Lit(_)])
    }

    /// The full-match glob of `op` applied to this pattern.
    pub fn glob(&self, op: Op) -> Pattern {
        let mut v = Vec::with_capacity(self.0.len() + 2);
        if matches!(op, Op::Contains | Op::EndsWith) {
            v.push(Piece::Star);
        }
        v.extend(self.0.iter().cloned());
        if matches!(op, Op::Contains | Op::StartsWith) {
            v.push(Piece::Star);
        }
        Pattern(v).normalized()
    }
}

/// How a backend without wildcards must match a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape<'a> {
    Exact(&'a str),
    Prefix(&'a str),
    Suffix(&'a str),
    Infix(&'a str),
    /// Stars in the middle: only a regular expression says it.
    Other,
}

impl Pattern {
    pub fn shape(&self) -> Shape<'_> {
        match self.0.as_slice() {
            [Piece::Lit(a)] => Shape::Exact(a),
            [Piece::Lit(a), Piece::Star] => Shape::Prefix(a),
            [Piece::Star, Piece::Lit(a)] => Shape::Suffix(a),
            [Piece::Star, Piece::Lit(a), Piece::Star] => Shape::Infix(a),
            _ => Shape::Other,
        }
    }
}

/// The condition over selection names.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Sel(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// Only after simplification: a selection that can no longer match, or a negation of one.
    Const(bool),
}

impl Cond {
    /// Parses `a and not (b or c)`: `not` binds tighter than `and`, `and` than `or`.
    pub fn parse(s: &str) -> Result<Cond, String> {
        let tokens = tokenize(s)?;
        let mut p = CondParser { t: &tokens, i: 0 };
        let c = p.or()?;
        if p.i != tokens.len() {
            return Err(format!("unexpected {:?} in condition {s:?}", tokens[p.i]));
        }
        Ok(c)
    }

    pub fn selections(&self, out: &mut Vec<String>) {
        match self {
            Self::Sel(s) => out.push(s.clone()),
            Self::Not(c) => c.selections(out),
            Self::And(cs) | Self::Or(cs) => cs.iter().for_each(|c| c.selections(out)),
            Self::Const(_) => {}
        }
    }

    /// Whether some selection is used without a negation above it, so the rule can never
    /// mean "everything except ...".
    pub fn has_positive(&self) -> bool {
        match self {
            Self::Sel(_) => true,
            Self::Not(_) | Self::Const(_) => false,
            Self::And(cs) => cs.iter().any(Cond::has_positive),
            Self::Or(cs) => cs.iter().all(Cond::has_positive),
        }
    }

    /// Replaces selections by constants where `known` says so, then folds constants away.
    pub fn simplify(&self, known: &impl Fn(&str) -> Option<bool>) -> Cond {
        match self {
            Self::Sel(s) => known(s).map_or_else(|| self.clone(), Cond::Const),
            Self::Const(b) => Cond::Const(*b),
            Self::Not(c) => match c.simplify(known) {
                Cond::Const(b) => Cond::Const(!b),
                c => Cond::Not(Box::new(c)),
            },
            Self::And(cs) => {
                let mut out = Vec::new();
                for c in cs {
                    match c.simplify(known) {
                        Cond::Const(true) => {}
                        Cond::Const(false) => return Cond::Const(false),
                        Cond::And(inner) => out.extend(inner),
                        c => out.push(c),
                    }
                }
                match out.len() {
                    0 => Cond::Const(true),
                    1 => out.pop().unwrap_or(Cond::Const(true)),
                    _ => Cond::And(out),
                }
            }
            Self::Or(cs) => {
                let mut out = Vec::new();
                for c in cs {
                    match c.simplify(known) {
                        Cond::Const(false) => {}
                        Cond::Const(true) => return Cond::Const(true),
                        Cond::Or(inner) => out.extend(inner),
                        c => out.push(c),
                    }
                }
                match out.len() {
                    0 => Cond::Const(false),
                    1 => out.pop().unwrap_or(Cond::Const(false)),
                    _ => Cond::Or(out),
                }
            }
        }
    }

    /// Renders the condition with the given operator words, parenthesising every group
    /// that sits inside another operator.
    pub fn render(&self, words: &CondWords, leaf: &mut impl FnMut(&str) -> String) -> String {
        let mut out = String::new();
        self.render_into(&mut out, words, leaf, true);
        out
    }

    fn render_into(
        &self,
        out: &mut String,
        words: &CondWords,
        leaf: &mut impl FnMut(&str) -> String,
        top: bool,
    ) {
        match self {
            Self::Sel(s) => out.push_str(&leaf(s)),
            Self::Const(b) => out.push_str(if *b { words.t } else { words.f }),
            Self::Not(c) => {
                out.push_str(words.not);
                if words.not_parens || !matches!(**c, Self::Sel(_)) {
                    out.push('(');
                    c.render_into(out, words, leaf, true);
                    out.push(')');
                } else {
                    c.render_into(out, words, leaf, false);
                }
            }
            Self::And(cs) | Self::Or(cs) => {
                let op = if matches!(self, Self::And(_)) {
                    words.and
                } else {
                    words.or
                };
                if !top {
                    out.push('(');
                }
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        let _ = write!(out, " {op} ");
                    }
                    c.render_into(out, words, leaf, false);
                }
                if !top {
                    out.push(')');
                }
            }
        }
    }
}

/// Operator spellings of one query language.
pub struct CondWords {
    pub and: &'static str,
    pub or: &'static str,
    /// Written before the negated operand.
    pub not: &'static str,
    /// Whether the operand is always parenthesised (KQL's `not()` is a function).
    pub not_parens: bool,
    pub t: &'static str,
    pub f: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    And,
    Or,
    Not,
    Open,
    Close,
    Name(String),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            chars.next();
            out.push(Tok::Open);
        } else if c == ')' {
            chars.next();
            out.push(Tok::Close);
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let mut w = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    w.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(match w.as_str() {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                _ => Tok::Name(w),
            });
        } else {
            return Err(format!("unexpected character {c:?} in condition {s:?}"));
        }
    }
    Ok(out)
}

struct CondParser<'a> {
    t: &'a [Tok],
    i: usize,
}

impl CondParser<'_> {
    fn eat(&mut self, tok: &Tok) -> bool {
        if self.t.get(self.i) == Some(tok) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut v = vec![self.and()?];
        while self.eat(&Tok::Or) {
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Cond::Or(v)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut v = vec![self.not()?];
        while self.eat(&Tok::And) {
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Cond::And(v)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.eat(&Tok::Not) {
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        if self.eat(&Tok::Open) {
            let c = self.or()?;
            if !self.eat(&Tok::Close) {
                return Err("missing ')'".into());
            }
            return Ok(c);
        }
        match self.t.get(self.i) {
            Some(Tok::Name(n)) => {
                self.i += 1;
                Ok(Cond::Sel(n.clone()))
            }
            other => Err(format!("expected a selection name, found {other:?}")),
        }
    }
}

/// Counting over the matches of a rule: more than `min` events (or distinct values of
/// `distinct`) for one group within `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    pub distinct: Option<String>,
    pub by: Vec<String>,
    pub window: Window,
    pub min: u32,
}

/// A time span: a count of minutes, hours or days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub n: u32,
    pub unit: char,
}

impl Window {
    pub fn parse(s: &str) -> Option<Window> {
        let unit = s.chars().last()?;
        if !matches!(unit, 'm' | 'h' | 'd') {
            return None;
        }
        let n: u32 = s[..s.len() - 1].parse().ok()?;
        (n > 0).then_some(Window { n, unit })
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.n, self.unit)
    }
}

/// Characters that no query language here can hold safely inside a string literal on
/// one line: control characters and Unicode line/paragraph separators.
pub fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: CondWords = CondWords {
        and: "and",
        or: "or",
        not: "not",
        not_parens: true,
        t: "true",
        f: "false",
    };

    fn show(c: &Cond) -> String {
        c.render(&W, &mut |s| s.to_owned())
    }

    #[test]
    fn condition_parses_with_precedence_and_renders_every_group_parenthesised() {
        let c = Cond::parse("a and not b or c and (d or e)").unwrap();
        assert_eq!(show(&c), "(a and not(b)) or (c and (d or e))");
        assert_eq!(show(&Cond::parse("a").unwrap()), "a");
        assert!(Cond::parse("a and").is_err());
        assert!(Cond::parse("a | b").is_err());
        assert!(Cond::parse("(a or b").is_err());
    }

    #[test]
    fn simplify_folds_dropped_selections() {
        let c = Cond::parse("sel and not filter").unwrap();
        let known = |s: &str| (s == "filter").then_some(false);
        assert_eq!(c.simplify(&known), Cond::Sel("sel".into()));
        let known = |s: &str| (s == "sel").then_some(false);
        assert_eq!(c.simplify(&known), Cond::Const(false));
        let c = Cond::parse("a or b").unwrap();
        let known = |s: &str| (s == "a").then_some(false);
        assert_eq!(c.simplify(&known), Cond::Sel("b".into()));
    }

    #[test]
    fn positive_selection_is_required() {
        assert!(Cond::parse("a and not b").unwrap().has_positive());
        assert!(!Cond::parse("not b").unwrap().has_positive());
        assert!(!Cond::parse("a or not b").unwrap().has_positive());
    }

    #[test]
    fn patterns_normalise_and_classify() {
        let p = Pattern::wildcard("**a*");
        assert_eq!(p.0, vec![Piece::Star, Piece::Lit("a".into()), Piece::Star]);
        assert_eq!(p.shape(), Shape::Infix("a"));
        assert_eq!(
            Pattern::literal("x*y").glob(Op::EndsWith).shape(),
            Shape::Suffix("x*y")
        );
        assert_eq!(
            Pattern::wildcard("a*b").glob(Op::Equals).shape(),
            Shape::Other
        );
        assert_eq!(
            Pattern::wildcard("a*").glob(Op::Contains).shape(),
            Shape::Infix("a")
        );
    }

    #[test]
    fn windows_parse() {
        assert_eq!(Window::parse("15m"), Some(Window { n: 15, unit: 'm' }));
        assert_eq!(Window::parse("0h"), None);
        assert_eq!(Window::parse("1y"), None);
        assert_eq!(Window::parse(""), None);
    }
}
