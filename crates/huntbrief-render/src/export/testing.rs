//! Test helpers of the export formats: briefings analysed from real article text, and
//! the export items of a list of them.

use chrono::{DateTime, Utc};
use huntbrief_core::{Article, Body, Briefing, KnowledgeBase, analyze};

use super::Exported;

/// The briefing huntbrief makes of `text`, published by "Lab" at `url`.
pub fn briefing(title: &str, url: Option<&str>, text: &str) -> Briefing {
    let article = Article {
        title: title.into(),
        url: url.map(str::to_owned),
        sources: vec!["Lab".into()],
        published: None,
        text: text.into(),
        body: Body::Full,
    };
    analyze(&article, &KnowledgeBase::embedded().unwrap())
}

/// A fixed time: `seconds` after 2026-10-26 07:33:20 UTC.
pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_793_000_000 + seconds, 0).unwrap()
}

/// Export items of `briefings`, all first seen and changed at `time`.
pub fn items(briefings: &[Briefing], time: DateTime<Utc>) -> Vec<Exported<'_>> {
    briefings
        .iter()
        .map(|briefing| Exported {
            briefing,
            first_seen: time,
            changed_at: time,
        })
        .collect()
}
