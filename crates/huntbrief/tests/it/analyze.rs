//! `huntbrief analyze` on real-looking inputs: the seed article, HTML pages with chrome.

use huntbrief_core::{KnowledgeBase, analysis_text};
use huntbrief_ingest::extract::extract_html;
use serde_json::Value;

use crate::{fixture, huntbrief, stdout};

const SEED_TITLE: &str = "When software isn’t a “supply”";
const SEED_URL: &str = "https://snyk.io/blog/when-software-isnt-a-supply/";

fn seed_args<'a>(format: &'a str, file: &'a str) -> Vec<&'a str> {
    vec![
        "analyze",
        "--title",
        SEED_TITLE,
        "--source",
        "Snyk",
        "--published",
        "2023-02-15",
        "--url",
        SEED_URL,
        "--format",
        format,
        file,
    ]
}

#[test]
fn seed_article_gives_the_format_with_fallback_lines() {
    let file = fixture("seed-profile.txt");
    let out = huntbrief(&seed_args("md", file.to_str().unwrap()), b"");
    assert!(out.status.success(), "{out:?}");
    let md = stdout(&out);
    // The seed's false T1195.002 line and its hunt must not come back.
    assert!(!md.contains("T1195"));
    assert!(!md.contains("UC_SUPPLY_CHAIN"));
    insta::assert_snapshot!(md);
}

/// The contract fields of DESIGN.md, with their JSON types.
fn assert_contract(v: &Value) {
    let id = v["id"].as_str().expect("id");
    assert_eq!(id.len(), 16);
    assert!(id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
    assert!(v["title"].is_string());
    assert!(v["url"].is_string() || v["url"].is_null());
    assert!(
        v["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .all(Value::is_string)
    );
    assert!(v["published"].is_string() || v["published"].is_null());
    let kind = v["kind"].as_str().expect("kind");
    assert!(
        [
            "campaign",
            "vulnerability",
            "breach",
            "law-enforcement",
            "commentary",
            "product",
            "tutorial",
            "withdrawn",
            "other"
        ]
        .contains(&kind)
    );
    assert!(["CRIT", "HIGH", "MED", "LOW"].contains(&v["severity"].as_str().expect("severity")));
    assert!(
        !v["severity_reasons"]
            .as_array()
            .expect("reasons")
            .is_empty()
    );
    for key in ["iocs", "techniques", "kill_chain", "hunts"] {
        assert!(v[key].is_array(), "{key} is not an array");
    }
}

#[test]
fn json_output_carries_every_contract_field_for_text() {
    let file = fixture("seed-profile.txt");
    let out = huntbrief(&seed_args("json", file.to_str().unwrap()), b"");
    assert!(out.status.success());
    let v: Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_contract(&v);
    // sha256("https://snyk.io/blog/when-software-isnt-a-supply/"), first 16 hex digits.
    assert_eq!(v["id"], "72c5fbeeabf5fad3");
    assert_eq!(v["title"], SEED_TITLE);
    assert_eq!(v["url"], SEED_URL);
    assert_eq!(v["sources"], serde_json::json!(["Snyk"]));
    assert_eq!(v["published"], "2023-02-15");
}

#[test]
fn json_output_carries_every_contract_field_for_html_from_stdin() {
    let html = std::fs::read(fixture("chrome-page.html")).unwrap();
    let out = huntbrief(
        &[
            "analyze",
            "--format",
            "json",
            "--url",
            "https://labs.example.com/p/loader?utm_source=x#top",
            "-",
        ],
        &html,
    );
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_contract(&v);
    assert_eq!(v["title"], "Loader campaign targets logistics firms");
    assert_eq!(v["url"], "https://labs.example.com/p/loader");
    assert_eq!(v["sources"], serde_json::json!(["labs.example.com"]));
    assert!(v["published"].is_null());
}

#[test]
fn page_chrome_is_not_in_the_profile_or_the_analysis_text() {
    let html = std::fs::read_to_string(fixture("chrome-page.html")).unwrap();
    let page = extract_html(&html, Some("https://labs.example.com/p/loader")).unwrap();
    let article = huntbrief_core::Article {
        title: page.title.clone().unwrap(),
        url: None,
        sources: vec![],
        published: None,
        text: page.text,
        body: huntbrief_core::Body::Full,
    };
    let kb = KnowledgeBase::embedded().unwrap();
    let text = analysis_text(&article, &kb);
    let briefing = huntbrief_core::analyze(&article, &kb);
    for chrome in [
        "ransomware",
        "Ransomware",
        "supply chain",
        "Supply",
        "LockBit",
        "Share on",
        "Subscribe",
        "cookies",
        "Research",
        "About us",
        "min read",
        "Tags:",
        "Related",
        "Popular",
        "©",
        "By Jane Analyst",
        "November 20, 2026",
    ] {
        assert!(
            !text.contains(chrome),
            "analysis text keeps {chrome:?}:\n{text}"
        );
        assert!(
            !briefing.summary.contains(chrome),
            "profile keeps {chrome:?}"
        );
    }
    // The article itself is all there, paragraph by paragraph.
    for prose in [
        "Since early November",
        "FreightSync",
        "nltest",
        "Defenders should look",
    ] {
        assert!(
            text.contains(prose),
            "analysis text lost {prose:?}:\n{text}"
        );
    }
    assert!(
        briefing
            .summary
            .starts_with("Since early November we have tracked a loader campaign")
    );
    assert!(briefing.summary.ends_with('…'), "{}", briefing.summary);
    assert!(briefing.summary.chars().count() <= 760);
}

#[test]
fn title_comes_from_the_page_when_not_given() {
    let html = std::fs::read(fixture("chrome-page.html")).unwrap();
    let out = huntbrief(&["analyze"], &html);
    assert!(stdout(&out).starts_with("# ["));
    assert!(
        stdout(&out)
            .lines()
            .next()
            .unwrap()
            .ends_with("] Loader campaign targets logistics firms")
    );
}

#[test]
fn plain_text_title_defaults_to_its_first_line() {
    let out = huntbrief(
        &["analyze"],
        b"Patch Tuesday roundup\n\nMicrosoft fixed 60 flaws this month.\n",
    );
    let md = stdout(&out);
    assert!(md.starts_with("# [LOW] Patch Tuesday roundup\n"), "{md}");
    assert!(
        md.contains("\n\nMicrosoft fixed 60 flaws this month.\n\n"),
        "{md}"
    );
    assert!(md.contains("**Source:** unknown\n**Published:** unknown\n**Article:** unknown\n"));
}

#[test]
fn templates_command_prints_the_three_shared_hunts() {
    let out = huntbrief(&["templates"], b"");
    assert!(out.status.success());
    let md = stdout(&out);
    for heading in [
        "\n## Asset exposure\n",
        "\n## Network IOC\n",
        "\n## Hash IOC\n",
    ] {
        assert!(md.contains(heading), "missing {heading:?}");
    }
}

#[test]
fn a_cve_listed_in_the_stored_kev_catalogue_raises_severity() {
    let dir = std::env::temp_dir().join(format!("hb-kev-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("state.db");
    let db = db.to_str().unwrap();
    let catalogue = fixture("kev-catalogue.json");
    let out = huntbrief(
        &[
            "kev",
            "--db",
            db,
            "update",
            "--from",
            catalogue.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", crate::stderr(&out));
    assert_eq!(stdout(&out), "stored 2 KEV entries\n");
    let text = b"Acme has released an update for its Edge Gateway appliance. The update fixes CVE-2026-20001, an authentication flaw in the management interface.";
    let without = stdout(&huntbrief(
        &[
            "analyze",
            "--title",
            "Acme fixes Edge Gateway flaw",
            "--format",
            "json",
        ],
        text,
    ));
    let with = stdout(&huntbrief(
        &[
            "analyze",
            "--db",
            db,
            "--title",
            "Acme fixes Edge Gateway flaw",
            "--format",
            "json",
        ],
        text,
    ));
    std::fs::remove_dir_all(&dir).unwrap();
    let (without, with): (Value, Value) = (
        serde_json::from_str(&without).unwrap(),
        serde_json::from_str(&with).unwrap(),
    );
    assert_eq!(without["severity"], "LOW");
    assert_eq!(with["severity"], "HIGH", "{with:#}");
    let reasons = with["severity_reasons"].to_string();
    assert!(
        reasons.contains(
            "CISA Known Exploited Vulnerabilities catalogue (CVE-2026-20001), in the body: “The update fixes CVE-2026-20001"
        ),
        "{reasons}"
    );
    assert!(
        with["severity_parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["factor"] == "kev" && p["points"] == 40)
    );
}
