//! The briefing in the Markdown format users already read (`shared/reference/FORMAT.md`):
//! seven sections, fixed labels and fallback lines, reproduced to the character.

use std::fmt::Write;

use huntbrief_core::hunts::sweeps::{Sweep, ioc_sweeps};
use huntbrief_core::{Body, Briefing, Hunt, IocType, NameRole, NamedEntity};

use crate::escape::{code_span, fence, inline, url};

/// Values shown inline in an IOC-driven sweep before ` _(+N more)_`.
const SWEEP_VALUES_SHOWN: usize = 8;

const NO_TECHNIQUES: &str = "- _Narrative-keyword inference returned no technique mappings; review article for ATT&CK relevance manually._";
/// Verbatim from FORMAT.md (only the IOC line names the text that was read).
const NO_HUNTS: &str = "_No actionable hunts can be derived from the RSS summary alone. The article may still warrant manual review — open the source link for actor attribution, IOCs in the body, and TTP detail._";
const NO_PHASES: &str = "_(none detected from narrative keywords)_";
const CLOSING: &str = "Read the full article for actor attribution, tooling details, and any defanged IOCs in the body that aren't visible in the RSS summary.";

/// Renders one briefing.
pub fn render(b: &Briefing) -> String {
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "# [{}] {}\n\n**Source:** {}\n**Published:** {}\n**Article:** {}\n\n",
        b.severity.as_str(),
        inline(&b.title),
        if b.sources.is_empty() {
            "unknown".to_owned()
        } else {
            inline(&b.sources.join(", "))
        },
        b.published.map_or_else(
            || "unknown".to_owned(),
            |d| d.format("%Y-%m-%d").to_string()
        ),
        b.url.as_deref().map_or_else(|| "unknown".to_owned(), url),
    );

    out.push_str("## Threat Profile\n\n");
    if b.summary.is_empty() {
        out.push_str("_No readable article text._\n\n");
    } else {
        let _ = write!(out, "{}\n\n", inline(&b.summary));
    }
    actors_line(&mut out, b);

    out.push_str("## Indicators of Compromise (high-fidelity only)\n\n");
    iocs(&mut out, b);

    out.push_str("## MITRE ATT&CK Techniques\n\n");
    if b.techniques.is_empty() {
        let _ = write!(out, "{NO_TECHNIQUES}\n\n");
    } else {
        for t in &b.techniques {
            let _ = writeln!(out, "- **{}** — {}", inline(&t.id), inline(&t.name));
            // The sentence that shows it, so an analyst can check the mapping at a glance.
            if let Some(e) = t
                .evidence
                .first()
                .map(|e| excerpt(e))
                .filter(|e| !e.is_empty())
            {
                let _ = writeln!(out, "  > “{}”", inline(&e));
            }
        }
        out.push('\n');
    }

    out.push_str("## Kill chain phases observed\n\n");
    if b.kill_chain.is_empty() {
        let _ = write!(out, "{NO_PHASES}\n\n");
    } else {
        let phases: Vec<&str> = b.kill_chain.iter().map(|p| p.as_str()).collect();
        let _ = write!(out, "{}\n\n", phases.join(", "));
    }

    out.push_str("## Recommended hunts\n\n");
    let sweeps = ioc_sweeps(b.high_fidelity_iocs());
    if b.hunts.is_empty() && sweeps.is_empty() {
        let _ = write!(out, "{NO_HUNTS}\n\n");
    } else {
        for hunt in &b.hunts {
            hunt_block(&mut out, hunt);
        }
        if !sweeps.is_empty() {
            sweep_block(&mut out, &sweeps);
        }
        out.push('\n');
    }

    out.push_str("## Why this matters\n\n");
    why(&mut out, b);
    out
}

/// The "Actors and tooling" line under the Threat Profile: a bold label line, as the
/// format's other labels, shown only when the article names someone or something.
fn actors_line(out: &mut String, b: &Briefing) {
    let shown = |e: &NamedEntity| match (&e.attack_id, e.source) {
        (Some(id), _) => format!("{} ({})", inline(&e.name), inline(id)),
        (None, huntbrief_core::NameSource::New) => format!("{} (new name)", inline(&e.name)),
        (None, _) => inline(&e.name),
    };
    let mut parts = Vec::new();
    for (label, list) in [
        ("Actors", &b.actors),
        ("Malware", &b.malware),
        ("Tools", &b.tools),
    ] {
        let main: Vec<String> = list
            .iter()
            .filter(|e| e.role != NameRole::Mentioned)
            .map(shown)
            .collect();
        if !main.is_empty() {
            parts.push(format!("{label}: {}.", main.join(", ")));
        }
    }
    let compared: Vec<String> = [&b.actors, &b.malware, &b.tools]
        .into_iter()
        .flatten()
        .filter(|e| e.role == NameRole::Mentioned)
        .map(shown)
        .collect();
    if !compared.is_empty() {
        parts.push(format!(
            "Mentioned for comparison: {}.",
            compared.join(", ")
        ));
    }
    if !parts.is_empty() {
        let _ = write!(out, "**Actors and tooling:** {}\n\n", parts.join(" "));
    }
}

/// How the fallback lines name the text that was analysed.
fn body_words(body: Body) -> &'static str {
    match body {
        Body::Summary => "RSS summary",
        Body::Full => "article",
    }
}

fn iocs(out: &mut String, b: &Briefing) {
    if b.iocs_cut > 0 {
        let _ = writeln!(
            out,
            "- _{} further indicators were cut: a briefing keeps at most {} (high-fidelity first)._",
            b.iocs_cut,
            b.iocs.len()
        );
    }
    let mut shown: Vec<_> = b.high_fidelity_iocs().collect();
    if shown.is_empty() {
        let _ = write!(
            out,
            "- _No high-fidelity IOCs in the {}._ If the source publishes a technical write-up with defanged IOCs in the body, those would be picked up automatically on the next pipeline run.\n\n",
            body_words(b.body)
        );
        return;
    }
    // Stable: type order of the format, then order of appearance.
    shown.sort_by_key(|i| i.kind);
    for ioc in shown {
        let value = if ioc.kind.shown_defanged() {
            &ioc.defanged
        } else {
            &ioc.value
        };
        let _ = writeln!(out, "- **{}:** {}", ioc.kind.label(), code_span(value));
    }
    out.push('\n');
}

fn hunt_block(out: &mut String, hunt: &Hunt) {
    let _ = write!(
        out,
        "### {}\n\n{} · phase: **{}** · confidence: **{}**\n\n",
        inline(&hunt.title),
        code_span(&hunt.id),
        hunt.phase.as_str(),
        hunt.confidence.as_str(),
    );
    for (backend, query) in &hunt.queries {
        let _ = write!(
            out,
            "**{}:**\n{}\n",
            backend.label(),
            fence(backend.fence_lang(), query)
        );
    }
}

fn sweep_block(out: &mut String, sweeps: &[Sweep]) {
    out.push_str("### IOC-driven hunts (use shared templates)\n\nThese are standard IOC-substitution hunts — the canonical SPL and KQL live once in [`_TEMPLATES.md`](../_TEMPLATES.md), so we don't repeat the same boilerplate on every CVE / hash / network-IOC briefing.\n\n");
    for sweep in sweeps {
        let t = sweep.template;
        let values: Vec<String> = sweep
            .values
            .iter()
            .take(SWEEP_VALUES_SHOWN)
            .map(|v| code_span(v))
            .collect();
        let hidden = sweep.values.len().saturating_sub(SWEEP_VALUES_SHOWN);
        let mut list = values.join(", ");
        if hidden > 0 {
            let _ = write!(list, " _(+{hidden} more)_");
        }
        let _ = write!(
            out,
            "- **{}** ([template](../_TEMPLATES.md#{})) — phase: **{}**, confidence: **{}**\n  - {}: {}\n\n",
            t.title(),
            t.anchor(),
            t.phase().as_str(),
            t.confidence().as_str(),
            t.values_label(),
            list,
        );
    }
}

fn why(out: &mut String, b: &Briefing) {
    let high: Vec<_> = b.high_fidelity_iocs().collect();
    let mut basis = String::new();
    if high.iter().any(|i| i.kind == IocType::Cve) {
        basis.push_str("CVE present, ");
    }
    if high.iter().any(|i| i.kind != IocType::Cve) {
        basis.push_str("IOCs present, ");
    }
    let _ = writeln!(
        out,
        "Severity classified as **{}** based on: {basis}{} use case(s) fired, {} technique(s) inferred. {CLOSING}",
        b.severity.as_str(),
        b.hunts.len(),
        b.techniques.len(),
    );
    if b.body == Body::Summary || !b.severity_reasons.is_empty() {
        out.push('\n');
    }
    if b.body == Body::Summary {
        // The grade rests on a headline and a teaser: the reader should know.
        let _ = writeln!(out, "- {TEASER_ONLY}");
    }
    for reason in &b.severity_reasons {
        let _ = writeln!(out, "- {}", inline(reason));
    }
}

/// The first reason of a briefing whose article page could not be read.
pub const TEASER_ONLY: &str = "Graded from the feed's summary; the article page could not be read.";

/// Evidence shown under a technique is cut to this many characters.
const EVIDENCE_CHARS: usize = 240;

/// `sentence` with whitespace collapsed, cut at a word boundary to [`EVIDENCE_CHARS`].
fn excerpt(sentence: &str) -> String {
    let flat = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EVIDENCE_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(EVIDENCE_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > EVIDENCE_CHARS / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}
