//! Property tests over hostile markup: HTML extraction, feed text and feed parsing never
//! panic, and their work is bounded: what they return is no bigger than what they read.

use proptest::prelude::*;

use crate::extract::{extract_html, fragment_text};
use crate::feed;
use crate::shape;

/// Pieces of markup that hostile pages and feeds are made of.
const TOKENS: &[&str] = &[
    "<div>",
    "</div>",
    "<p>",
    "</p>",
    "<table>",
    "<tr>",
    "<td>",
    "</table>",
    "<b>",
    "<i>",
    "<script>",
    "</script>",
    "<style>",
    "<!--",
    "-->",
    "<!DOCTYPE html>",
    "<html>",
    "<body>",
    "<nav>",
    "</nav>",
    "<article>",
    "</article>",
    "<a href='/x'>",
    "</a>",
    "<br/>",
    "<img src=x>",
    "&amp;",
    "&#x1F600;",
    "&lt;",
    "&bogus;",
    "<",
    ">",
    "/>",
    "\"",
    "'",
    " ",
    "\n",
    "é",
    "\u{0}",
    "The loader beacons to 185.220.101.45. ",
    "<![CDATA[",
    "]]>",
    "<?xml version='1.0'?>",
    "<rss version=\"2.0\">",
    "<channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<link>https://a.example/1</link>",
    "<description>",
    "</description>",
    "<entry>",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    "<!ENTITY x \"xx\">",
    "&x;",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS), 1usize..4), 0..300).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(t, n)| t.repeat(n))
            .collect::<String>()
    })
}

/// One token repeated many times: the shape of nesting and repetition attacks.
fn repetition() -> impl Strategy<Value = String> {
    (prop::sample::select(TOKENS), 1usize..20_000).prop_map(|(t, n)| t.repeat(n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn html_extraction_is_bounded(html in prop_oneof![soup(), repetition()]) {
        if let Ok(page) = extract_html(&html, Some("https://a.example/p")) {
            prop_assert!(page.text.len() <= html.len());
        }
        prop_assert!(fragment_text(&html).len() <= html.len());
    }

    #[test]
    fn the_prescan_refuses_what_is_too_deep(token in prop::sample::select(&["<div>", "<span>", "<table><tr><td>", "<b><i>", "<section class=x>"][..]), extra in 1usize..5_000) {
        let html = token.repeat(shape::MAX_DEPTH + extra);
        prop_assert!(shape::check(&html).is_err());
        // Refused pages give their text at once, without parsing.
        prop_assert!(extract_html(&html, None).is_err());
    }

    #[test]
    fn feed_parsing_is_bounded(xml in prop_oneof![soup(), repetition()]) {
        if let Ok(items) = feed::parse(xml.as_bytes(), Some("application/rss+xml"), "https://a.example/feed") {
            prop_assert!(items.len() <= feed::MAX_ITEMS);
            for item in items {
                prop_assert!(item.body.len() + item.title.len() <= xml.len());
            }
        }
    }
}
