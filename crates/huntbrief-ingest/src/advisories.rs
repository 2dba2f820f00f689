//! Advisory sources with their own APIs: GitHub Security Advisories (REST) and the CISA
//! Known Exploited Vulnerabilities catalogue. Each entry becomes a complete item.

use chrono::{DateTime, NaiveDate};
use serde::Deserialize;

use crate::feed::{Item, MAX_ITEMS};

#[derive(Debug, Deserialize)]
struct Advisory {
    ghsa_id: String,
    cve_id: Option<String>,
    html_url: String,
    summary: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    published_at: Option<String>,
    updated_at: Option<String>,
    #[serde(default)]
    vulnerabilities: Vec<AffectedPackage>,
    /// The advisory's CVSS (older API responses).
    #[serde(default)]
    cvss: Option<Cvss>,
    /// CVSS v3 and v4, each with its vector.
    #[serde(default)]
    cvss_severities: Option<CvssSeverities>,
    #[serde(default)]
    withdrawn_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Cvss {
    vector_string: Option<String>,
    score: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct CvssSeverities {
    cvss_v3: Option<Cvss>,
    cvss_v4: Option<Cvss>,
}

impl Advisory {
    /// The distinct stated CVSS vectors with their scores, v4 first.
    fn vectors(&self) -> Vec<(&str, Option<f64>)> {
        let mut out: Vec<(&str, Option<f64>)> = Vec::new();
        let sev = self.cvss_severities.as_ref();
        for c in [
            sev.and_then(|s| s.cvss_v4.as_ref()),
            sev.and_then(|s| s.cvss_v3.as_ref()),
            self.cvss.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            // Vectors are short ASCII; anything else is not one to quote.
            if let Some(v) = c.vector_string.as_deref().map(str::trim)
                && v.starts_with("CVSS:")
                && v.len() <= 200
                && v.bytes().all(|b| b.is_ascii_graphic())
                && !out.iter().any(|(seen, _)| *seen == v)
            {
                out.push((v, c.score.filter(|s| (0.0..=10.0).contains(s))));
            }
        }
        out
    }
}

#[derive(Debug, Deserialize)]
struct AffectedPackage {
    package: Option<Package>,
    vulnerable_version_range: Option<String>,
    first_patched_version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Package {
    ecosystem: String,
    name: String,
}

/// Items from a GitHub `/advisories` response.
pub fn parse_ghsa(body: &[u8]) -> Result<Vec<Item>, serde_json::Error> {
    let advisories: Vec<Advisory> = serde_json::from_slice(body)?;
    Ok(advisories
        .into_iter()
        .take(MAX_ITEMS)
        .map(|a| {
            let mut text = String::new();
            let label = if a.kind.as_deref() == Some("malware") {
                "Malware advisory"
            } else {
                "Security advisory"
            };
            text.push_str(&format!("{label} {}", a.ghsa_id));
            if let Some(cve) = &a.cve_id {
                text.push_str(&format!(" ({cve})"));
            }
            // The advisory's own severity, in the one form severity reads as structured
            // evidence (see data/severity.toml, factor `advisory`).
            if let Some(sev) = a
                .severity
                .as_deref()
                .filter(|s| matches!(*s, "critical" | "high" | "medium" | "moderate" | "low"))
            {
                text.push_str(&format!(", severity {sev}"));
            }
            text.push_str(&format!(": {}.\n\n", a.summary.trim_end_matches('.')));
            if let Some(when) = &a.withdrawn_at {
                text.push_str(&format!(
                    "This advisory has been withdrawn ({}).\n\n",
                    when.get(..10).unwrap_or(when)
                ));
            }
            for (vector, score) in a.vectors() {
                match score {
                    Some(score) => {
                        text.push_str(&format!("CVSS vector: {vector} (base score {score:.1}).\n"))
                    }
                    None => text.push_str(&format!("CVSS vector: {vector}.\n")),
                }
            }
            for v in &a.vulnerabilities {
                if let Some(p) = &v.package {
                    text.push_str(&format!(
                        "Affected package: {} {} ({}), versions {}",
                        p.ecosystem,
                        p.name,
                        p.ecosystem,
                        v.vulnerable_version_range.as_deref().unwrap_or("unknown")
                    ));
                    if let Some(fix) = &v.first_patched_version {
                        text.push_str(&format!(", fixed in {fix}"));
                    }
                    text.push_str(".\n");
                }
            }
            if let Some(d) = &a.description {
                text.push('\n');
                text.push_str(d);
            }
            Item {
                url: a.html_url,
                title: a.summary,
                published: a.published_at.as_deref().and_then(date_of),
                updated: a.updated_at.or(a.published_at),
                body: text,
                complete: true,
            }
        })
        .collect())
}

#[derive(Debug, Deserialize)]
struct Catalogue {
    vulnerabilities: Vec<KevEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    vulnerability_name: String,
    date_added: String,
    short_description: String,
    required_action: String,
    due_date: Option<String>,
    known_ransomware_campaign_use: Option<String>,
}

/// A catalogue entry, as stored for severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevListing {
    pub cve: String,
    pub date_added: String,
    pub name: String,
    pub known_ransomware: bool,
}

/// Every entry of a KEV catalogue.
pub fn parse_kev_catalogue(body: &[u8]) -> Result<Vec<KevListing>, serde_json::Error> {
    let catalogue: Catalogue = serde_json::from_slice(body)?;
    Ok(catalogue
        .vulnerabilities
        .into_iter()
        .filter(|v| v.cve_id.starts_with("CVE-"))
        .map(|v| KevListing {
            known_ransomware: v.known_ransomware_campaign_use.as_deref() == Some("Known"),
            cve: v.cve_id,
            date_added: v.date_added,
            name: v.vulnerability_name,
        })
        .collect())
}

/// Items for the KEV entries added in the `window_days` up to `today` (the catalogue
/// holds every entry since 2021; older ones are not news).
pub fn parse_kev(
    body: &[u8],
    today: NaiveDate,
    window_days: i64,
) -> Result<Vec<Item>, serde_json::Error> {
    let catalogue: Catalogue = serde_json::from_slice(body)?;
    let mut items: Vec<Item> = catalogue
        .vulnerabilities
        .into_iter()
        .filter_map(|v| {
            let added = NaiveDate::parse_from_str(&v.date_added, "%Y-%m-%d").ok()?;
            let age = (today - added).num_days();
            if !(0..=window_days).contains(&age) || !v.cve_id.starts_with("CVE-") {
                return None;
            }
            let mut body = format!(
                "CISA added {} ({} {}: {}) to the Known Exploited Vulnerabilities catalog on {}, based on evidence of active exploitation. {}\n\nRequired action: {}",
                v.cve_id, v.vendor_project, v.product, v.vulnerability_name, v.date_added,
                v.short_description, v.required_action
            );
            if let Some(due) = &v.due_date {
                body.push_str(&format!(" Due date for federal agencies: {due}."));
            }
            if let Some(r) = &v.known_ransomware_campaign_use {
                body.push_str(&format!("\nKnown ransomware campaign use: {r}."));
            }
            Some(Item {
                url: format!("https://nvd.nist.gov/vuln/detail/{}", v.cve_id),
                title: format!("CISA KEV: {} — {}", v.cve_id, v.vulnerability_name),
                published: Some(added),
                updated: Some(v.date_added),
                body,
                complete: true,
            })
        })
        .collect();
    items.sort_by(|a, b| b.published.cmp(&a.published).then(a.url.cmp(&b.url)));
    items.truncate(MAX_ITEMS);
    Ok(items)
}

fn date_of(rfc3339: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|d| d.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ghsa_advisories_become_complete_items() {
        let body = br#"[{"ghsa_id":"GHSA-abcd-efgh-ijkl","cve_id":null,"html_url":"https://github.com/advisories/GHSA-abcd-efgh-ijkl",
          "summary":"Malicious code in evil-pkg (npm)","description":"The package evil-pkg@1.2.3 steals credentials.","severity":"critical","type":"malware",
          "published_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-21T10:00:00Z",
          "vulnerabilities":[{"package":{"ecosystem":"npm","name":"evil-pkg"},"vulnerable_version_range":">= 0","first_patched_version":null}]}]"#;
        let items = parse_ghsa(body).unwrap();
        assert_eq!(items.len(), 1);
        let i = &items[0];
        assert!(i.complete && !i.is_teaser());
        assert_eq!(i.published, NaiveDate::from_ymd_opt(2026, 11, 20));
        assert!(i.body.starts_with("Malware advisory GHSA-abcd-efgh-ijkl, severity critical: Malicious code in evil-pkg (npm)."));
        assert!(i.body.contains("Affected package: npm evil-pkg"));
        assert!(i.body.contains("steals credentials"));
    }

    /// Analyses an item as the pipeline does: its complete body is the article text.
    fn graded(item: &Item, kev: &[&str]) -> huntbrief_core::Briefing {
        let mut kb = huntbrief_core::KnowledgeBase::embedded().unwrap();
        kb.kev = kev.iter().map(|s| s.to_string()).collect();
        huntbrief_core::analyze(
            &huntbrief_core::Article {
                title: item.title.clone(),
                url: Some(item.url.clone()),
                sources: vec!["GitHub".into()],
                published: item.published,
                text: item.body.clone(),
                body: huntbrief_core::Body::Full,
            },
            &kb,
        )
    }

    #[test]
    fn ghsa_severity_and_cvss_vectors_are_structured_evidence() {
        let body = br#"[{"ghsa_id":"GHSA-2x4r-8q7m-pp3c","cve_id":"CVE-2026-41001","html_url":"https://github.com/advisories/GHSA-2x4r-8q7m-pp3c",
          "summary":"Template rendering in ledger-web evaluates user input","description":"Crafted invoice notes reach the template engine.","severity":"critical","type":"reviewed",
          "published_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-21T10:00:00Z",
          "cvss":{"vector_string":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","score":9.8},
          "cvss_severities":{"cvss_v3":{"vector_string":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","score":9.8},
                             "cvss_v4":{"vector_string":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N","score":9.3}},
          "vulnerabilities":[{"package":{"ecosystem":"pip","name":"ledger-web"},"vulnerable_version_range":"< 2.3.1","first_patched_version":"2.3.1"}]}]"#;
        let items = parse_ghsa(body).unwrap();
        let text = &items[0].body;
        assert!(text.contains("CVSS vector: CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N (base score 9.3).\n"));
        assert_eq!(
            text.matches("CVSS:3.1/").count(),
            1,
            "one line per distinct vector"
        );
        let b = graded(&items[0], &[]);
        assert_eq!(
            b.severity,
            huntbrief_core::Severity::Crit,
            "{:?}",
            b.severity_reasons
        );
        let advisory = b
            .severity_parts
            .iter()
            .find(|p| p.factor == "advisory")
            .unwrap();
        assert_eq!(advisory.source, "advisory");
        assert!(b.severity_parts.iter().any(|p| p.factor == "cvss-vector"));
        // A hostile vector is not quoted; an unknown severity word is not written.
        let hostile = String::from_utf8_lossy(body)
            .replace("\"critical\"", "\"catastrophic\"")
            .replace("CVSS:4.0/AV:N", "CVSS:4.0/AV:N <script>");
        let items = parse_ghsa(hostile.as_bytes()).unwrap();
        assert!(!items[0].body.contains("<script>") && !items[0].body.contains("catastrophic"));
    }

    #[test]
    fn a_withdrawn_ghsa_advisory_says_so_and_stays_low() {
        let body = br#"[{"ghsa_id":"GHSA-9c8v-3j2k-wq5r","cve_id":null,"html_url":"https://github.com/advisories/GHSA-9c8v-3j2k-wq5r",
          "summary":"Remote code execution in sheet-tools","description":"Duplicate of an earlier advisory.","severity":"high","type":"reviewed",
          "published_at":"2026-11-02T10:00:00Z","updated_at":"2026-11-21T10:00:00Z","withdrawn_at":"2026-11-21T09:00:00Z","vulnerabilities":[]}]"#;
        let items = parse_ghsa(body).unwrap();
        assert!(
            items[0]
                .body
                .contains("This advisory has been withdrawn (2026-11-21).")
        );
        let b = graded(&items[0], &[]);
        assert_eq!(b.kind, huntbrief_core::Kind::Withdrawn);
        assert_eq!(b.severity, huntbrief_core::Severity::Low);
        assert!(b.hunts.is_empty());
    }

    #[test]
    fn a_kev_entry_is_graded_as_exploited() {
        let body = br#"{"vulnerabilities":[
          {"cveID":"CVE-2026-1111","vendorProject":"Acme","product":"Gateway","vulnerabilityName":"Acme Gateway Improper Access Control","dateAdded":"2026-11-25","shortDescription":"Acme Gateway contains an improper access control flaw in its admin API.","requiredAction":"Apply mitigations.","dueDate":"2026-12-16","knownRansomwareCampaignUse":"Unknown","notes":""}]}"#;
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let items = parse_kev(body, today, 14).unwrap();
        let b = graded(&items[0], &["CVE-2026-1111"]);
        assert!(
            b.severity.at_least(huntbrief_core::Severity::High),
            "{:?}",
            b.severity_reasons
        );
        let kev = b.severity_parts.iter().find(|p| p.factor == "kev").unwrap();
        assert!(kev.reason.contains("CVE-2026-1111"));
    }

    #[test]
    fn kev_keeps_recent_entries_only() {
        let body = br#"{"title":"CISA KEV","vulnerabilities":[
          {"cveID":"CVE-2026-1111","vendorProject":"Acme","product":"Gateway","vulnerabilityName":"Acme Gateway Auth Bypass","dateAdded":"2026-11-25","shortDescription":"Acme Gateway allows unauthenticated access.","requiredAction":"Apply mitigations.","dueDate":"2026-12-16","knownRansomwareCampaignUse":"Known","notes":""},
          {"cveID":"CVE-2021-2222","vendorProject":"Old","product":"Thing","vulnerabilityName":"Old Thing RCE","dateAdded":"2021-11-03","shortDescription":"Old.","requiredAction":"Patch.","dueDate":"2021-11-17","knownRansomwareCampaignUse":"Unknown","notes":""}]}"#;
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let items = parse_kev(body, today, 14).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].url,
            "https://nvd.nist.gov/vuln/detail/CVE-2026-1111"
        );
        assert!(
            items[0]
                .body
                .contains("Known ransomware campaign use: Known.")
        );
        assert!(parse_kev(b"{}", today, 14).is_err());
        let all = parse_kev_catalogue(body).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[0].known_ransomware && !all[1].known_ransomware);
    }
}
