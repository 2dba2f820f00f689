//! No article text can change a briefing's Markdown structure: whatever the title,
//! summary, sources, reasons, IOC values or queries hold, a CommonMark+GFM parser sees
//! the same blocks, no HTML, no new links, and gets the text back literally.

use huntbrief_core::{Backend, Briefing, IocType};
use huntbrief_render::markdown::render;
use proptest::prelude::*;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::sample::{briefing, ioc};

/// The dialect of GitHub and most Markdown viewers: CommonMark plus GFM extensions.
fn gfm() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM
}

/// One token per structural event: blocks, links, HTML. Text is left out.
fn skeleton(md: &str) -> Vec<String> {
    Parser::new_ext(md, gfm())
        .filter_map(|e| match e {
            Event::Start(tag) => Some(match tag {
                Tag::Link { dest_url, .. } => format!("link {dest_url}"),
                Tag::Image { .. } => "image".to_owned(),
                Tag::CodeBlock(CodeBlockKind::Fenced(lang)) => format!("fence {lang}"),
                other => format!("{other:?}")
                    .split(['(', ' ', '{'])
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            }),
            Event::End(TagEnd::Heading(l)) => Some(format!("end heading {l}")),
            Event::Html(_) | Event::InlineHtml(_) => Some("html".to_owned()),
            Event::Rule => Some("rule".to_owned()),
            Event::FootnoteReference(_) => Some("footnote".to_owned()),
            Event::TaskListMarker(_) => Some("task".to_owned()),
            _ => None,
        })
        .collect()
}

/// Plain text of the first heading of the given level.
fn heading_text(md: &str, level: pulldown_cmark::HeadingLevel) -> String {
    let mut inside = false;
    let mut text = String::new();
    for e in Parser::new_ext(md, gfm()) {
        match e {
            Event::Start(Tag::Heading { level: l, .. }) if l == level => inside = true,
            Event::End(TagEnd::Heading(l)) if l == level && inside => break,
            Event::Text(t) | Event::Code(t) if inside => text.push_str(&t),
            _ => {}
        }
    }
    text
}

/// Contents of every fenced code block, in order.
fn code_blocks(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for e in Parser::new_ext(md, gfm()) {
        match e {
            Event::Start(Tag::CodeBlock(_)) => current = Some(String::new()),
            Event::Text(t) if current.is_some() => current.as_mut().unwrap().push_str(&t),
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

fn hostile(text: &str) -> Briefing {
    // A leading word keeps every field non-empty (an empty summary has its own line).
    let text = &format!("x {text}");
    let mut b = briefing();
    b.title = text.to_owned();
    b.summary = text.to_owned();
    b.sources = vec![text.to_owned()];
    b.severity_reasons = vec![text.to_owned()];
    b.techniques[0].name = text.to_owned();
    b.techniques[0].evidence = vec![text.to_owned()];
    b.hunts[0].title = text.to_owned();
    b.iocs.push(ioc(IocType::Url, text, text));
    b.hunts[0]
        .queries
        .insert(Backend::Sentinel, text.to_owned());
    b
}

fn benign() -> Briefing {
    hostile("plain words")
}

const ATTACKS: &[&str] = &[
    "```\n# Injected heading\n```",
    "`` ` ```",
    "\n\n## Fake section\n\n- item",
    "# leading hash",
    "a | b | c\n|---|---|\n| x | y |",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "x](javascript:alert(1))",
    "![img](http://evil/x.png)",
    "<http://evil.example/>",
    "---",
    "===",
    "1. numbered",
    "> quoted",
    "    indented code",
    "[^1]\n\n[^1]: footnote",
    "- [ ] task",
    "&lt;script&gt;",
    "\\",
    "~~~\nfence\n~~~",
    "*em* __strong__ ~~strike~~",
];

#[test]
fn known_attacks_do_not_change_structure() {
    let expected = skeleton(&render(&benign()));
    for attack in ATTACKS {
        let md = render(&hostile(attack));
        assert_eq!(
            skeleton(&md),
            expected,
            "attack {attack:?} changed the structure:\n{md}"
        );
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_text_keeps_the_structure_and_reads_back_literally(
        parts in prop::collection::vec(
            prop_oneof![
                prop::sample::select(ATTACKS).prop_map(str::to_owned),
                "[\\PC\n]{0,12}",
                "[`#|<>\\[\\]()!*_~&;\\\\ \n-]{0,8}",
            ],
            0..6,
        )
    ) {
        let text: String = parts.concat();
        let md = render(&hostile(&text));
        prop_assert_eq!(skeleton(&md), skeleton(&render(&benign())));
        // The title reads back exactly (whitespace collapsed), whatever it holds.
        prop_assert_eq!(
            heading_text(&md, pulldown_cmark::HeadingLevel::H1),
            format!("[HIGH] x {}", collapse(&text)).trim_end().to_owned()
        );
        // The query text is carried literally inside its fence.
        let normalised = format!("x {text}").replace("\r\n", "\n").replace('\r', "\n");
        let query = format!("{}\n", normalised.trim_end_matches('\n'));
        prop_assert!(code_blocks(&md).contains(&query), "query not literal in\n{}", md);
    }
}
