//! The pure analysis step: `Article -> Briefing`. No I/O, no clock, no randomness.

use crate::identity::{briefing_id, canonical_url};
use crate::kb::KnowledgeBase;
use crate::model::{Article, Briefing};
use crate::summary::summarize;
use crate::text::{collapse_whitespace, normalize};
use crate::{attack, hunts, iocs, killchain, severity, triage};

/// The text every stage analyses: normalised and without page chrome.
pub fn analysis_text(article: &Article, kb: &KnowledgeBase) -> String {
    kb.boilerplate.strip(&normalize(&article.text))
}

/// Analyses one article. Each stage sees the same chrome-free text; a stage that finds
/// nothing leaves its section empty, and the renderers show the format's fallback line.
pub fn analyze(article: &Article, kb: &KnowledgeBase) -> Briefing {
    let text = analysis_text(article, kb);
    let title = collapse_whitespace(&normalize(&article.title));
    let summary = summarize(&text, &title, &article.sources);
    let iocs = iocs::extract(&text, &kb.iocs, article.url.as_deref());
    let techniques = attack::infer(&text, &kb.attack);
    let kill_chain = killchain::phases(&techniques);
    let hunts = hunts::select(&techniques, &iocs);
    let kind = triage::classify(&title, &text);
    let high: Vec<_> = iocs
        .iter()
        .filter(|i| i.fidelity == crate::Fidelity::High)
        .collect();
    let (severity, severity_reasons) = severity::assess(kind, &high, &techniques, &hunts);
    Briefing {
        id: briefing_id(article.url.as_deref(), &text),
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
        severity,
        severity_reasons,
        summary,
        iocs,
        techniques,
        kill_chain,
        hunts,
    }
}
