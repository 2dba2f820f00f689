//! Indicators of compromise, in four steps over the article text:
//!
//! 1. `refang`: rewrite the defanged forms authors use (`evil[.]com`, `hxxps[://]`,
//!    `me (at) evil (dot) com`, fullwidth dots...) and remember where they were;
//! 2. `scan`: one pass that finds candidates by shape (URLs at `://`, then tokens);
//! 3. `validate`: strict parsers per type (public suffix list, IDNA, dotted quads
//!    without leading zeros, digests of exact length, checksummed wallets...);
//! 4. `fidelity`: the surroundings (defanging, indicator sections and lists, cue words,
//!    allow lists, special-purpose ranges) decide high, medium, low or not an IOC.
//!
//! The knowledge (allow lists, ranges, cue words) lives in `data/iocs/*.toml`.

mod context;
mod defang;
mod fidelity;
pub mod kb;
mod ranges;
mod refang;
mod scan;
mod validate;

use std::collections::HashMap;
use std::ops::Range;

pub use defang::defang;
pub use kb::IocKb;
pub use ranges::SpecialRanges;
pub use refang::refang;
pub use validate::is_valid;

use crate::model::{Fidelity, Indicator, IocType};
use crate::text::{collapse_whitespace, sentences};

/// Longest evidence sentence kept, in characters.
const MAX_EVIDENCE: usize = 400;

/// Indicators kept per briefing by default: a real report lists hundreds at most.
pub const MAX_PER_BRIEFING: usize = 2_000;

/// Keeps at most `max` indicators, high fidelity first, in their order of appearance;
/// returns how many were left out.
pub fn cap(iocs: &mut Vec<Indicator>, max: usize) -> usize {
    if iocs.len() <= max {
        return 0;
    }
    let mut order: Vec<usize> = (0..iocs.len()).collect();
    order.sort_by_key(|&i| iocs[i].fidelity); // stable: earlier first within a fidelity
    let mut keep = vec![false; iocs.len()];
    for &i in &order[..max] {
        keep[i] = true;
    }
    let cut = iocs.len() - max;
    let mut flags = keep.into_iter();
    iocs.retain(|_| flags.next().unwrap_or(false));
    cut
}

/// Every indicator in `text`, at every fidelity, each once (at its best fidelity), in
/// order of first appearance. `article_url` marks the publisher's own site as a
/// reference.
pub fn extract(text: &str, kb: &IocKb, article_url: Option<&str>) -> Vec<Indicator> {
    let norm = refang::normalize(text);
    let cands = scan::scan(&norm, kb);
    if cands.is_empty() {
        return Vec::new();
    }
    let publisher = article_url.and_then(publisher);
    let judge = fidelity::Judge {
        t: &norm.text,
        kb,
        publisher: publisher.as_ref(),
        cues: Default::default(),
    };
    let mut ctx = context::Context::new(&norm.text, kb);
    let mut evidence = Evidence::new(text);
    // Per type, each value seen: where it was emitted, or that it failed validation.
    // Keys come from the text: keep the standard (randomly keyed) hasher here.
    let mut per_kind = [0usize; IocType::ALL.len()];
    for c in &cands {
        per_kind[c.kind as usize] += 1;
    }
    let mut seen: Vec<HashMap<String, Slot>> = per_kind
        .iter()
        .map(|&n| HashMap::with_capacity(n.min(4096)))
        .collect();
    let mut out: Vec<Indicator> = Vec::new();
    let mut prev_end = 0;
    for c in &cands {
        let floor = prev_end.min(c.span.start);
        prev_end = prev_end.max(c.span.end);
        let k = c.kind as usize;
        // A value already emitted at high fidelity cannot improve (package values are
        // rewritten by the judge, so they are looked up after it).
        match seen[k].get(c.value.as_str()) {
            Some(Slot::Rejected) => continue,
            Some(Slot::At(i))
                if out[*i].fidelity == Fidelity::High && c.kind != IocType::Package =>
            {
                continue;
            }
            _ => {}
        }
        let facts = ctx.facts(c.span.clone());
        let defanged = norm.defanged(c.span.clone());
        let Some((fidelity, rewritten, kind)) = judge.judge(c, &facts, defanged, floor) else {
            continue;
        };
        let k = kind as usize;
        let value = rewritten.as_deref().unwrap_or(&c.value);
        let offset = norm.orig_offset(c.span.start);
        match seen[k].get(value) {
            Some(Slot::Rejected) => {}
            Some(&Slot::At(i)) => {
                if fidelity < out[i].fidelity {
                    out[i].fidelity = fidelity;
                    out[i].evidence = evidence.sentence(offset);
                    out[i].offset = offset;
                }
            }
            None => {
                // Emitted values re-parse as their type and are already in plain form.
                // Values built by the scanner's own parsers re-parse by construction
                // (the property tests hold them to it); composed ones are checked.
                let composed = matches!(
                    c.kind,
                    IocType::Url
                        | IocType::Package
                        | IocType::Filepath
                        | IocType::Registry
                        | IocType::Filename
                );
                debug_assert!(composed || is_valid(kind, value), "{kind:?} {value:?}");
                if (composed && !is_valid(kind, value)) || !refang::normalize(value).unchanged() {
                    seen[k].insert(value.to_owned(), Slot::Rejected);
                    continue;
                }
                seen[k].insert(value.to_owned(), Slot::At(out.len()));
                out.push(Indicator {
                    kind,
                    defanged: defang(kind, value),
                    value: value.to_owned(),
                    fidelity,
                    evidence: evidence.sentence(offset),
                    offset,
                });
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    At(usize),
    Rejected,
}

/// The high-fidelity values by type, each list sorted: the `iocs` JSON contract.
pub fn high_fidelity_by_type(
    iocs: &[Indicator],
) -> std::collections::BTreeMap<&'static str, Vec<String>> {
    by_type(iocs.iter().filter(|i| i.fidelity == Fidelity::High))
}

/// Values by type key, each list sorted and without duplicates.
pub fn by_type<'a>(
    iocs: impl IntoIterator<Item = &'a Indicator>,
) -> std::collections::BTreeMap<&'static str, Vec<String>> {
    let mut map: std::collections::BTreeMap<&'static str, Vec<String>> = Default::default();
    for i in iocs {
        map.entry(i.kind.key()).or_default().push(i.value.clone());
    }
    for v in map.values_mut() {
        v.sort();
        v.dedup();
    }
    map
}

fn publisher(url: &str) -> Option<fidelity::Publisher> {
    let n = refang::normalize(url.trim());
    let u = validate::url::parse(&n.text)?;
    let validate::url::Host::Domain(d) = u.host else {
        return None;
    };
    Some(fidelity::Publisher {
        registrable: d.registrable()?.to_owned(),
    })
}

/// The sentence each indicator came from, with the sentences of the last line cached
/// (indicators arrive in text order, often several per line).
struct Evidence<'a> {
    text: &'a str,
    line: Range<usize>,
    spans: Vec<Range<usize>>,
}

impl<'a> Evidence<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            line: 0..0,
            spans: Vec::new(),
        }
    }

    fn sentence(&mut self, offset: usize) -> String {
        let b = self.text.as_bytes();
        let offset = offset.min(b.len());
        if !(self.line.start <= offset && offset < self.line.end) {
            let mut ls = memchr::memrchr(b'\n', &b[..offset]).map_or(0, |i| i + 1);
            let mut le = memchr::memchr(b'\n', &b[offset..]).map_or(b.len(), |i| offset + i);
            // A long line (a paragraph, a minified blob) is cut to a window around the
            // value, and further to the nearest sentence ends (". ") around it, so the
            // sentence splitter reads one or two sentences, not the paragraph.
            ls = ls.max(offset.saturating_sub(300));
            le = le.min(offset + 300);
            let ends = |i: usize| matches!(b.get(i + 1), None | Some(b' ' | b'\t' | b'\n'));
            let mut k = offset;
            while let Some(i) = memchr::memrchr3(b'.', b'!', b'?', &b[ls..k]) {
                if ends(ls + i) && ls + i + 1 < offset {
                    ls = ls + i + 1;
                    break;
                }
                k = ls + i;
            }
            let mut k = offset;
            while k < le
                && let Some(i) = memchr::memchr3(b'.', b'!', b'?', &b[k..le])
            {
                if ends(k + i) {
                    le = k + i + 1;
                    break;
                }
                k = k + i + 1;
            }
            ls = self.text.ceil_char_boundary(ls);
            le = self.text.floor_char_boundary(le);
            self.line = ls..le.max(ls + 1).min(b.len().max(ls));
            self.spans = sentences(&self.text[ls..le])
                .into_iter()
                .map(|r| r.start + ls..r.end + ls)
                .collect();
        }
        let s = self
            .spans
            .iter()
            .find(|r| r.start <= offset && offset < r.end)
            .map_or("", |r| &self.text[r.clone()]);
        let s = collapse_whitespace(s);
        match s.char_indices().nth(MAX_EVIDENCE) {
            Some((cut, _)) => format!("{}…", &s[..cut]),
            None => s,
        }
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
