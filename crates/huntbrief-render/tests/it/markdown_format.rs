//! The Markdown briefing follows FORMAT.md line by line.

use huntbrief_core::{Body, Briefing, NameRole, NameSource, NamedEntity};
use huntbrief_render::markdown::render;

use crate::sample::briefing;

#[test]
fn populated_briefing_matches_the_format() {
    insta::assert_snapshot!(render(&briefing()));
}

#[test]
fn actors_and_tooling_line_sits_under_the_threat_profile_only_when_names_were_found() {
    let entity = |name: &str, id: Option<&str>, role, source| NamedEntity {
        name: name.into(),
        attack_id: id.map(Into::into),
        aliases: vec![],
        role,
        evidence: "The actor deployed it.".into(),
        source,
    };
    let b = Briefing {
        actors: vec![entity(
            "APT29",
            Some("G0016"),
            NameRole::Attributed,
            NameSource::Attack,
        )],
        malware: vec![
            entity("FIRE*STARTER", None, NameRole::Used, NameSource::New),
            entity(
                "Emotet",
                Some("S0367"),
                NameRole::Mentioned,
                NameSource::Attack,
            ),
        ],
        tools: vec![entity(
            "Mimikatz",
            Some("S0002"),
            NameRole::Used,
            NameSource::Attack,
        )],
        ..briefing()
    };
    let md = render(&b);
    let line = "**Actors and tooling:** Actors: APT29 (G0016). Malware: FIRE\\*STARTER (new name). Tools: Mimikatz (S0002). Mentioned for comparison: Emotet (S0367).";
    let profile = md.find("## Threat Profile").unwrap();
    let iocs = md.find("## Indicators of Compromise").unwrap();
    let at = md
        .find(line)
        .unwrap_or_else(|| panic!("no actors line in\n{md}"));
    assert!(profile < at && at < iocs);
    assert!(!render(&briefing()).contains("Actors and tooling"));
}

#[test]
fn empty_briefing_shows_every_fallback_line() {
    let b = Briefing {
        iocs: vec![],
        techniques: vec![],
        kill_chain: vec![],
        hunts: vec![],
        severity_reasons: vec![],
        body: Body::Summary,
        ..briefing()
    };
    let md = render(&b);
    for line in [
        "- _No high-fidelity IOCs in the RSS summary._ If the source publishes a technical write-up with defanged IOCs in the body, those would be picked up automatically on the next pipeline run.",
        "- _Narrative-keyword inference returned no technique mappings; review article for ATT&CK relevance manually._",
        "_(none detected from narrative keywords)_",
        "_No actionable hunts can be derived from the RSS summary alone. The article may still warrant manual review — open the source link for actor attribution, IOCs in the body, and TTP detail._",
        "Severity classified as **HIGH** based on: 0 use case(s) fired, 0 technique(s) inferred. Read the full article for actor attribution, tooling details, and any defanged IOCs in the body that aren't visible in the RSS summary.",
    ] {
        assert!(
            md.lines().any(|l| l == line),
            "missing line {line:?} in\n{md}"
        );
    }
    assert!(
        md.ends_with("RSS summary.\n\n- Graded from the feed's summary; the article page could not be read.\n"),
        "a teaser-only briefing says so under Why this matters:\n{md}"
    );
}

#[test]
fn a_briefing_of_the_full_article_does_not_say_it_was_teaser_only() {
    let full = render(&Briefing {
        body: Body::Full,
        ..briefing()
    });
    assert!(!full.contains("the article page could not be read"));
    let teaser = render(&Briefing {
        body: Body::Summary,
        ..briefing()
    });
    let why = teaser.find("## Why this matters").unwrap();
    let note = teaser.find("- Graded from the feed's summary").unwrap();
    assert!(why < note, "the note is under Why this matters");
}

#[test]
fn headings_come_in_the_format_order() {
    let md = render(&briefing());
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## Threat Profile",
            "## Indicators of Compromise (high-fidelity only)",
            "## MITRE ATT&CK Techniques",
            "## Kill chain phases observed",
            "## Recommended hunts",
            "## Why this matters",
        ]
    );
    assert!(md.starts_with("# [HIGH] Wiper campaign hits energy firms\n\n**Source:** Example Research, Example News\n**Published:** 2026-11-02\n**Article:** https://example.com/research/wiper\n"));
}

#[test]
fn low_fidelity_indicators_stay_out_of_the_briefing() {
    assert!(!render(&briefing()).contains("github"));
}

#[test]
fn sweep_values_are_capped_at_eight() {
    let md = render(&briefing());
    let line = md
        .lines()
        .find(|l| l.starts_with("  - IP / domain IOC(s):"))
        .unwrap();
    assert_eq!(line.matches('`').count(), 16, "{line}");
    assert!(line.ends_with(" _(+3 more)_"), "{line}");
}

#[test]
fn each_technique_line_is_followed_by_its_evidence_quoted_and_trimmed() {
    let mut b = briefing();
    let long = format!(
        "The operators  ran\nschtasks /create to persist, {} and left.",
        "then they waited for the next beacon ".repeat(12)
    );
    b.techniques[0].evidence = vec![long, "A second sentence.".into()];
    let md = render(&b);
    let lines: Vec<&str> = md.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&format!("- **{}** — ", b.techniques[0].id)))
        .unwrap();
    let quote = lines[at + 1];
    assert!(quote.starts_with("  > “The operators ran schtasks /create to persist, then"));
    assert!(quote.ends_with("…”"), "{quote}");
    assert!(quote.chars().count() < 260, "{quote}");
    assert!(!md.contains("A second sentence"));
    // No evidence, no quote line.
    b.techniques[0].evidence.clear();
    let md = render(&b);
    assert!(!md.contains("  > “"));
}
