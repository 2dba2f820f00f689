//! Sigma rule files for a detection-as-code repository: one `{hunt id}.yml` per hunt that
//! has a Sigma rendering. A use-case hunt is the same rule whichever article fired it, so
//! it is written once, with every firing article in `references`; an IOC sweep belongs to
//! one briefing. The rule body is the hunt stage's own rendering (valid against the Sigma
//! schema, with its stable `id` and `attack.*` tags); the export adds `references` and
//! `date`/`modified` to each YAML document of the file.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use huntbrief_core::Backend;
use huntbrief_core::hunts::render::sigma::quote;

use super::{Exported, Files};

/// What the export adds to one hunt's rendering.
struct Rule<'a> {
    yaml: &'a str,
    references: Vec<&'a str>,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

pub fn files(items: &[Exported<'_>]) -> Files {
    let mut rules: BTreeMap<&str, Rule<'_>> = BTreeMap::new();
    for item in items {
        for hunt in &item.briefing.hunts {
            let Some(yaml) = hunt.queries.get(&Backend::Sigma) else {
                continue;
            };
            let rule = rules.entry(hunt.id.as_str()).or_insert(Rule {
                yaml,
                references: Vec::new(),
                first: item.first_seen,
                last: item.changed_at,
            });
            if let Some(url) = item.briefing.url.as_deref().filter(|u| is_web(u)) {
                rule.references.push(url);
            }
            rule.first = rule.first.min(item.first_seen);
            rule.last = rule.last.max(item.changed_at);
        }
    }
    rules
        .into_iter()
        .filter(|(id, _)| safe_file_name(id))
        .map(|(id, mut rule)| {
            rule.references.sort_unstable();
            rule.references.dedup();
            (format!("{id}.yml"), with_provenance(&rule).into_bytes())
        })
        .collect()
}

/// Hunt ids are `UC_…` or `ART_…`; anything else would not make a safe file name.
fn safe_file_name(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_web(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// Inserts `references`, `date` and `modified` after each document's `author:` line (every
/// rendered document has one; a document without it is left as it is).
fn with_provenance(rule: &Rule<'_>) -> String {
    let mut extra = String::new();
    if !rule.references.is_empty() {
        extra.push_str("references:\n");
        for r in &rule.references {
            extra.push_str("    - ");
            extra.push_str(&quote(r));
            extra.push('\n');
        }
    }
    let (first, last) = (rule.first.date_naive(), rule.last.date_naive());
    extra.push_str(&format!("date: '{}'\n", first.format("%Y-%m-%d")));
    if last > first {
        extra.push_str(&format!("modified: '{}'\n", last.format("%Y-%m-%d")));
    }
    let mut out = String::with_capacity(rule.yaml.len() + extra.len() * 2);
    for line in rule.yaml.split_inclusive('\n') {
        out.push_str(line);
        if line.trim_end() == "author: huntbrief" {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&extra);
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing;
    use huntbrief_core::Briefing;

    const CAMPAIGN: &str = "The operators sent spearphishing emails with a malicious Word attachment. \
        When opened, the macro launched powershell.exe -enc SQBFAFgA to download the loader from \
        hxxp://cdn-update[.]top/a.bin and created a scheduled task with schtasks /create /tn \"Updater\" \
        /tr C:\\Users\\Public\\upd.exe for persistence. The loader beacons to 185.220.101.45 over HTTPS.";

    fn briefing(url: Option<&str>, text: &str) -> Briefing {
        testing::briefing("Loader campaign", url, text)
    }

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_793_000_000 + days * 86_400, 0).unwrap()
    }

    #[test]
    fn one_file_per_hunt_with_every_firing_article_referenced() {
        let a = briefing(Some("https://lab.example/a"), CAMPAIGN);
        let b = briefing(Some("https://lab.example/b?x='y'"), CAMPAIGN);
        let items = [
            Exported {
                briefing: &a,
                first_seen: at(0),
                changed_at: at(0),
            },
            Exported {
                briefing: &b,
                first_seen: at(1),
                changed_at: at(2),
            },
        ];
        let files = files(&items);
        let with_sigma: Vec<&str> = a
            .hunts
            .iter()
            .filter(|h| h.queries.contains_key(&Backend::Sigma))
            .map(|h| h.id.as_str())
            .collect();
        assert!(
            with_sigma.iter().any(|id| id.starts_with("UC_")),
            "{with_sigma:?}"
        );
        for id in &with_sigma {
            let text = String::from_utf8(files[&format!("{id}.yml")].clone()).unwrap();
            let documents = text.matches("author: huntbrief\n").count();
            assert_eq!(
                text.matches("references:\n").count(),
                documents,
                "every document is referenced: {text}"
            );
            if id.starts_with("UC_") {
                assert!(text.contains(
                    "references:\n    - 'https://lab.example/a'\n    - 'https://lab.example/b?x=%27y%27'\n"
                ), "{text}");
                assert!(
                    text.contains("date: '2026-10-26'\nmodified: '2026-10-28'\n"),
                    "{text}"
                );
            }
            assert!(text.contains("\nid: "), "stable id kept");
        }
        // IOC sweeps are per briefing (their ids differ), library hunts are shared.
        let shared = files.keys().filter(|k| k.starts_with("UC_")).count();
        let sweeps = files.keys().filter(|k| k.starts_with("ART_")).count();
        assert_eq!(
            shared,
            with_sigma.iter().filter(|id| id.starts_with("UC_")).count()
        );
        assert_eq!(
            sweeps,
            2 * with_sigma
                .iter()
                .filter(|id| id.starts_with("ART_"))
                .count()
        );
    }

    #[test]
    fn articles_without_a_web_link_add_no_reference() {
        let a = briefing(None, CAMPAIGN);
        let b = briefing(Some("javascript:alert(1)"), CAMPAIGN);
        let items = [&a, &b].map(|b| Exported {
            briefing: b,
            first_seen: at(0),
            changed_at: at(0),
        });
        let files = files(&items);
        assert!(!files.is_empty());
        for text in files.values() {
            let text = String::from_utf8_lossy(text);
            assert!(!text.contains("references:"), "{text}");
            assert!(text.contains("date: '2026-10-26'\n") && !text.contains("modified:"));
        }
    }

    #[test]
    fn non_threat_articles_export_no_rules() {
        let tutorial = briefing(
            Some("https://blog.example/java"),
            "In this guide we walk through installing the JDK with Homebrew. Open Terminal and run brew install openjdk.",
        );
        let items = [Exported {
            briefing: &tutorial,
            first_seen: at(0),
            changed_at: at(0),
        }];
        assert!(files(&items).is_empty());
    }
}
