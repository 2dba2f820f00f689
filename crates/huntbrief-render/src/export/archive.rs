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
    use crate::export::testing;

    #[test]
    fn ordinals_follow_the_order_and_bodies_are_the_briefings() {
        let briefings: Vec<_> = (0..3)
            .map(|i| {
                testing::briefing(
                    &format!("Story {i}"),
                    Some(&format!("https://lab.example/{i}")),
                    "Attackers exploited CVE-2024-3400 in firewalls.",
                )
            })
            .collect();
        let items = testing::items(&briefings, testing::at(0));
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
