//! Indicators as rows for spreadsheets, SIEM lookups and scripts: `indicators.csv`
//! (RFC 4180) and `indicators.jsonl` (one JSON object a line, with the evidence). One row
//! per indicator per briefing, briefings oldest first, every fidelity (the `fidelity`
//! column says which ones the briefing lists).

use huntbrief_core::{Fidelity, Indicator};
use serde_json::json;

use super::{Exported, Files, timestamp};

pub const CSV: &str = "indicators.csv";
pub const JSONL: &str = "indicators.jsonl";

const COLUMNS: [&str; 7] = [
    "value",
    "type",
    "fidelity",
    "first_seen",
    "briefing_id",
    "article_url",
    "defanged",
];

pub fn csv(items: &[Exported<'_>]) -> Files {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for (item, ioc) in rows(items) {
        let cells = [
            ioc.value.as_str(),
            ioc.kind.key(),
            fidelity(ioc),
            &timestamp(item.first_seen),
            &item.briefing.id,
            item.briefing.url.as_deref().unwrap_or(""),
            &ioc.defanged,
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Files::from([(CSV.to_owned(), out.into_bytes())])
}

pub fn jsonl(items: &[Exported<'_>]) -> Files {
    let mut out = String::new();
    for (item, ioc) in rows(items) {
        let row = json!({
            "value": ioc.value,
            "type": ioc.kind.key(),
            "fidelity": fidelity(ioc),
            "first_seen": timestamp(item.first_seen),
            "briefing_id": item.briefing.id,
            "article_url": item.briefing.url,
            "defanged": ioc.defanged,
            "title": item.briefing.title,
            "severity": item.briefing.severity.as_str(),
            "evidence": ioc.evidence,
        });
        out.push_str(&row.to_string());
        out.push('\n');
    }
    Files::from([(JSONL.to_owned(), out.into_bytes())])
}

fn rows<'a>(items: &'a [Exported<'a>]) -> impl Iterator<Item = (&'a Exported<'a>, &'a Indicator)> {
    items
        .iter()
        .flat_map(|item| item.briefing.iocs.iter().map(move |ioc| (item, ioc)))
}

fn fidelity(ioc: &Indicator) -> &'static str {
    match ioc.fidelity {
        Fidelity::High => "high",
        _ => "low",
    }
}

/// One RFC 4180 field. A cell that a spreadsheet would run as a formula (leading `=`,
/// `+`, `-`, `@`, tab or carriage return) gets a leading `'`, as OWASP advises; indicator
/// values practically never start so, and an analyst opening the file must not run one.
fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing;
    use huntbrief_core::Briefing;

    fn briefing() -> Briefing {
        testing::briefing(
            "Loader \"campaign\", part 2",
            Some("https://lab.example/loader"),
            "The loader beacons to 185.220.101.45 and downloads from hxxps://cdn-update[.]top/a,b.bin. \
             The dropper's SHA-256 hash is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.",
        )
    }

    fn items(b: &Briefing) -> Vec<Exported<'_>> {
        testing::items(std::slice::from_ref(b), testing::at(0))
    }

    #[test]
    fn csv_has_a_row_per_indicator_with_quoting() {
        let b = briefing();
        assert!(b.iocs.len() >= 3, "{:?}", b.iocs);
        let files = csv(&items(&b));
        let text = String::from_utf8(files[CSV].clone()).unwrap();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert_eq!(
            lines[0],
            "value,type,fidelity,first_seen,briefing_id,article_url,defanged"
        );
        assert_eq!(lines.len(), b.iocs.len() + 1);
        let ip = format!(
            "185.220.101.45,ipv4,high,2026-10-26T07:33:20Z,{},https://lab.example/loader,185.220.101[.]45",
            b.id
        );
        assert!(lines.contains(&ip.as_str()), "{text}");
        assert!(
            text.contains("\"https://cdn-update.top/a,b.bin\",url,high"),
            "a comma quotes the cell: {text}"
        );
    }

    #[test]
    fn spreadsheet_formulas_and_quotes_are_neutralised() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@SUM(1)"), "'@SUM(1)");
        assert_eq!(csv_cell("a\nb"), "\"a\nb\"");
        assert_eq!(csv_cell("evil.exe"), "evil.exe");
    }

    #[test]
    fn jsonl_rows_parse_and_carry_the_evidence() {
        let b = briefing();
        let files = jsonl(&items(&b));
        let text = String::from_utf8(files[JSONL].clone()).unwrap();
        let rows: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), b.iocs.len());
        let hash = rows.iter().find(|r| r["type"] == "sha256").unwrap();
        assert_eq!(hash["briefing_id"], b.id.as_str());
        assert_eq!(hash["title"], "Loader \"campaign\", part 2");
        assert!(
            hash["evidence"].as_str().unwrap().contains("SHA-256 hash"),
            "{hash}"
        );
    }
}
