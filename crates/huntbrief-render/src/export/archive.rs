//! The archive form of FORMAT.md: `NNN_{id}.txt`, the Markdown briefing under its ordinal
//! (oldest first, from 001) and its id.

use super::{Exported, Files};
use crate::markdown;

pub fn files(items: &[Exported<'_>]) -> Files {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            (
                format!("{:03}_{}.txt", i + 1, item.briefing.id),
                markdown::render(item.briefing).into_bytes(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use huntbrief_core::{Article, Body, KnowledgeBase, analyze};

    #[test]
    fn ordinals_follow_the_order_and_bodies_are_the_briefings() {
        let kb = KnowledgeBase::embedded().unwrap();
        let briefings: Vec<_> = (0..3)
            .map(|i| {
                analyze(
                    &Article {
                        title: format!("Story {i}"),
                        url: Some(format!("https://lab.example/{i}")),
                        sources: vec!["Lab".into()],
                        published: None,
                        text: "Attackers exploited CVE-2024-3400 in firewalls.".into(),
                        body: Body::Full,
                    },
                    &kb,
                )
            })
            .collect();
        let t = DateTime::from_timestamp(1_793_000_000, 0).unwrap();
        let items: Vec<_> = briefings
            .iter()
            .map(|b| Exported {
                briefing: b,
                first_seen: t,
                changed_at: t,
            })
            .collect();
        let files = files(&items);
        let names: Vec<&String> = files.keys().collect();
        assert_eq!(
            names,
            [0, 1, 2]
                .map(|i| format!("{:03}_{}.txt", i + 1, briefings[i].id))
                .iter()
                .collect::<Vec<_>>()
        );
        let first = String::from_utf8(files[names[0]].clone()).unwrap();
        assert_eq!(first, markdown::render(&briefings[0]));
        assert!(first.starts_with("# ["), "{first}");
    }
}
