//! The pure analysis step: `Article -> Briefing`. No I/O, no clock, no randomness.

use crate::identity::{briefing_id, canonical_url};
use crate::kb::KnowledgeBase;
use crate::model::{Article, Briefing};
use crate::severity::Facts;
use crate::summary::summarize;
use crate::text::{collapse_whitespace, normalize};
use crate::triage::is_threat;
use crate::{attack, hunts, iocs, killchain, names};

/// The text every stage analyses: normalised and without page chrome.
pub fn analysis_text(article: &Article, kb: &KnowledgeBase) -> String {
    kb.boilerplate.strip(&normalize(&article.text))
}

/// Analyses one article. Each stage sees the same chrome-free text; a stage that finds
/// nothing leaves its section empty, and the renderers show the format's fallback line.
pub fn analyze(article: &Article, kb: &KnowledgeBase) -> Briefing {
    let text = analysis_text(article, kb);
    let title = collapse_whitespace(&normalize(&article.title));
    let summary = summarize(&text, &title, &article.sources, &kb.profile);
    let classified = kb.triage.classify(&title, &text);
    let kind = classified.kind;
    let mut iocs = iocs::extract(&text, &kb.iocs, article.url.as_deref());
    // A page of IOC-like tokens must not flood the briefing, the exports and the hunts.
    let iocs_cut = iocs::cap(&mut iocs, kb.max_iocs);
    // Tutorials, product news, opinion and withdrawn advisories describe no attack of
    // their own: the techniques they mention are examples, not evidence.
    let techniques = if is_threat(kind) {
        attack::infer(&text, &kb.attack)
    } else {
        Vec::new()
    };
    // Actors and tooling likewise: a tutorial's "Mimikatz" is an example, not an attack.
    let names = if is_threat(kind) {
        names::find(&text, &kb.names, &kb.attack.cues)
    } else {
        names::Found::default()
    };
    let kill_chain = if is_threat(kind) {
        killchain::phases(&techniques, &text, &kb.attack)
    } else {
        Vec::new()
    };
    let id = briefing_id(article.url.as_deref(), &text);
    let hunts = hunts::select(
        &kb.hunts,
        &hunts::Input {
            briefing_id: &id,
            kind,
            text: &text,
            techniques: &techniques,
            iocs: &iocs,
        },
    );
    let assessment = kb.severity.assess(&Facts {
        title: &title,
        text: &text,
        kind: &classified,
        published: article.published,
        iocs: &iocs,
        techniques: &techniques,
        hunts: &hunts,
        kev: &kb.kev,
        actors: &names.actors,
    });
    let mut briefing = Briefing {
        id,
        title,
        url: article.url.as_deref().and_then(canonical_url),
        sources: article
            .sources
            .iter()
            .map(|s| collapse_whitespace(s))
            .filter(|s| !s.is_empty())
            .collect(),
        published: article.published,
        body: article.body,
        kind,
        severity: assessment.severity,
        severity_reasons: assessment.reasons,
        severity_score: assessment.score,
        severity_parts: assessment.parts,
        summary,
        iocs,
        iocs_cut,
        techniques,
        kill_chain,
        hunts,
        actors: names.actors,
        malware: names.malware,
        tools: names.tools,
    };
    bound_quotes(&mut briefing);
    briefing
}

/// Longest quotation of the text anywhere in a briefing, in bytes. A text without
/// sentence breaks (a dump of tokens) would otherwise be one enormous "sentence",
/// quoted whole by every stage and in every output.
const MAX_QUOTE: usize = 1_000;

/// Cuts every evidence quotation to [`MAX_QUOTE`]: evidence stays a prefix of the
/// sentence (so still a substring of the text); reasons, which wrap their quotation,
/// end with `…`.
fn bound_quotes(b: &mut Briefing) {
    for reason in &mut b.severity_reasons {
        if cut(reason) {
            reason.push('…');
        }
    }
    for part in &mut b.severity_parts {
        cut(&mut part.evidence);
    }
    for t in &mut b.techniques {
        t.evidence.iter_mut().for_each(|e| {
            cut(e);
        });
        for d in &mut t.details {
            cut(&mut d.sentence);
        }
    }
    for n in b
        .actors
        .iter_mut()
        .chain(&mut b.malware)
        .chain(&mut b.tools)
    {
        cut(&mut n.evidence);
    }
}

/// Truncates `s` to at most [`MAX_QUOTE`] bytes, at a space when there is one in the
/// second half; whether it cut.
fn cut(s: &mut String) -> bool {
    if s.len() <= MAX_QUOTE {
        return false;
    }
    let mut end = s.floor_char_boundary(MAX_QUOTE);
    if let Some(space) = s[..end].rfind(' ').filter(|&i| i > MAX_QUOTE / 2) {
        end = space;
    }
    s.truncate(end);
    true
}

#[cfg(test)]
mod quote_tests {
    use super::*;

    #[test]
    fn a_text_without_sentence_breaks_is_not_quoted_whole() {
        let kb = KnowledgeBase::embedded().unwrap();
        let dump: String = (0..5_000)
            .map(|i| format!("c2-{i}.badcdn.top 45.1.{}.{} ", i / 250, i % 250))
            .collect();
        let article = Article {
            title: "Ransomware loader infrastructure".into(),
            url: None,
            sources: vec![],
            published: None,
            text: format!("The ransomware loader beacons to these C2 servers: {dump}"),
            body: crate::model::Body::Full,
        };
        let b = analyze(&article, &kb);
        let json = serde_json::to_string(&b).unwrap();
        // Bounded by the indicator cap and the quotation cap, whatever the text's length.
        assert_eq!(b.iocs.len(), kb.max_iocs);
        assert!(
            json.len() < kb.max_iocs * 700 + 50_000,
            "{} bytes",
            json.len()
        );
        let quotes = b
            .severity_parts
            .iter()
            .map(|p| &p.evidence)
            .chain(b.techniques.iter().flat_map(|t| &t.evidence));
        for q in quotes {
            assert!(
                q.len() <= MAX_QUOTE && (article.text.contains(q.as_str()) || article.title == *q),
                "{q}"
            );
        }
        assert!(b.iocs.iter().all(|i| i.evidence.len() <= MAX_QUOTE));
        assert!(
            b.severity_reasons
                .iter()
                .all(|r| r.len() <= MAX_QUOTE + 200)
        );
    }

    #[test]
    fn cut_keeps_char_boundaries_and_short_strings() {
        let mut short = "short".to_owned();
        assert!(!cut(&mut short));
        let mut long = "é".repeat(MAX_QUOTE);
        assert!(cut(&mut long));
        assert!(long.len() <= MAX_QUOTE && long.chars().all(|c| c == 'é'));
    }
}
