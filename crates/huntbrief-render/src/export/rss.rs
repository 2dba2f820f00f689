//! `briefings.atom`: an Atom 1.0 feed of the briefings, newest first, for feed readers and
//! chat integrations (Slack's and Teams' RSS apps read Atom). Each entry links to the
//! article and carries the severity, the Threat Profile and the reasons as plain text.

use std::fmt::Write;

use huntbrief_core::Briefing;

use super::ids::uuid5;
use super::{Exported, Files, timestamp};
use crate::escape::markup as text;

pub const FILE: &str = "briefings.atom";
/// Feed readers show the newest entries; older ones stay in the other exports.
const MAX_ENTRIES: usize = 100;

pub fn files(items: &[Exported<'_>]) -> Files {
    let mut newest: Vec<&Exported<'_>> = items.iter().collect();
    newest.sort_by(|a, b| (b.changed_at, &b.briefing.id).cmp(&(a.changed_at, &a.briefing.id)));
    newest.truncate(MAX_ENTRIES);
    let updated = newest.first().map(|i| i.changed_at).unwrap_or_default();

    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(x, "  <id>urn:uuid:{}</id>", uuid5("atom:feed"));
    x.push_str("  <title>huntbrief briefings</title>\n");
    let _ = writeln!(x, "  <updated>{}</updated>", timestamp(updated));
    x.push_str("  <author><name>huntbrief</name></author>\n");
    x.push_str("  <generator>huntbrief</generator>\n");
    for item in newest {
        entry(&mut x, item);
    }
    x.push_str("</feed>\n");
    Files::from([(FILE.to_owned(), x.into_bytes())])
}

fn entry(x: &mut String, item: &Exported<'_>) {
    let b = item.briefing;
    x.push_str("  <entry>\n");
    let _ = writeln!(
        x,
        "    <id>urn:uuid:{}</id>",
        uuid5(&format!("atom:entry:{}", b.id))
    );
    let _ = writeln!(
        x,
        "    <title>[{}] {}</title>",
        b.severity.as_str(),
        text(&b.title)
    );
    let _ = writeln!(
        x,
        "    <published>{}</published>",
        timestamp(item.first_seen)
    );
    let _ = writeln!(x, "    <updated>{}</updated>", timestamp(item.changed_at));
    if let Some(url) = b
        .url
        .as_deref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        let _ = writeln!(x, "    <link rel=\"alternate\" href=\"{}\"/>", text(url));
    }
    let _ = writeln!(x, "    <category term=\"{}\"/>", b.severity.as_str());
    let _ = writeln!(x, "    <category term=\"{}\"/>", b.kind.as_str());
    let _ = writeln!(
        x,
        "    <summary type=\"text\">{}</summary>",
        text(&b.summary)
    );
    let _ = writeln!(
        x,
        "    <content type=\"text\">{}</content>",
        text(&content(b))
    );
    x.push_str("  </entry>\n");
}

/// The plain-text body: what an analyst needs to decide whether to open the briefing.
fn content(b: &Briefing) -> String {
    let mut c = format!("Severity {}", b.severity.as_str());
    for r in &b.severity_reasons {
        c.push_str("\n- ");
        c.push_str(r);
    }
    let iocs = b.high_fidelity_iocs().count();
    if iocs > 0 {
        let _ = write!(c, "\nIndicators: {iocs}");
    }
    if !b.techniques.is_empty() {
        let ids: Vec<&str> = b.techniques.iter().map(|t| t.id.as_str()).collect();
        let _ = write!(c, "\nATT&CK: {}", ids.join(", "));
    }
    if !b.hunts.is_empty() {
        let ids: Vec<&str> = b.hunts.iter().map(|h| h.id.as_str()).collect();
        let _ = write!(c, "\nHunts: {}", ids.join(", "));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing;
    use chrono::DateTime;

    fn briefing(title: &str, url: &str) -> Briefing {
        testing::briefing(
            title,
            Some(url),
            "Attackers exploited CVE-2024-3400 to run commands on firewalls and beaconed to 185.220.101.45.",
        )
    }

    #[test]
    fn hostile_titles_stay_text_and_entries_are_newest_first() {
        let old = briefing("Old story", "https://lab.example/old");
        let hostile = briefing(
            "</title><script>alert(1)</script> & \"quotes\" \u{1}\u{7}",
            "https://lab.example/new?a=1&b=<2>",
        );
        let t = |s: i64| DateTime::from_timestamp(1_793_000_000 + s, 0).unwrap();
        let items = [
            Exported {
                briefing: &old,
                first_seen: t(0),
                changed_at: t(0),
            },
            Exported {
                briefing: &hostile,
                first_seen: t(60),
                changed_at: t(120),
            },
        ];
        let xml = String::from_utf8(files(&items)[FILE].clone()).unwrap();
        assert!(!xml.contains("<script>"), "{xml}");
        assert!(xml.contains("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;</title>"), "{xml}");
        assert!(!xml.contains('\u{1}') && !xml.contains('\u{7}'));
        assert!(xml.find("lab.example/new").unwrap() < xml.find("lab.example/old").unwrap());
        assert!(xml.contains("<updated>2026-10-26T07:35:20Z</updated>\n  <author>"));
        assert!(xml.contains("Hunts: ") || hostile.hunts.is_empty());
    }

    #[test]
    fn the_same_briefings_give_the_same_bytes() {
        let b = briefing("Story", "https://lab.example/s");
        let t = DateTime::from_timestamp(1_793_000_000, 0).unwrap();
        let items = [Exported {
            briefing: &b,
            first_seen: t,
            changed_at: t,
        }];
        assert_eq!(files(&items), files(&items));
        let xml = String::from_utf8(files(&items)[FILE].clone()).unwrap();
        assert_eq!(xml.matches("<entry>").count(), 1);
        assert!(xml.contains(&format!(
            "<id>urn:uuid:{}</id>",
            uuid5(&format!("atom:entry:{}", b.id))
        )));
    }
}
