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
    Briefing {
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
    }
}
