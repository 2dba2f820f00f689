//! Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) to items, with feed-rs.

use chrono::NaiveDate;
use thiserror::Error;

use crate::decode::{as_utf8_xml, decode_xml};

/// Items read from one feed, newest first, at most this many.
pub const MAX_ITEMS: usize = 100;

/// A feed body shorter than this (as text) is taken for a teaser, and the page fetched.
const TEASER_CHARS: usize = 1200;

#[derive(Debug, Error)]
#[error("not a valid RSS, Atom or JSON feed: {0}")]
pub struct FeedError(String);

/// One entry of a feed, or of an advisory source, ready to become an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Link to the article (absolute).
    pub url: String,
    pub title: String,
    pub published: Option<NaiveDate>,
    /// When the source says the entry last changed.
    pub updated: Option<String>,
    /// The entry's body: HTML or plain text, full content when the feed carries it.
    pub body: String,
    /// Whether `body` is the complete article (advisory APIs) rather than feed text that
    /// may be a teaser.
    pub complete: bool,
}

impl Item {
    /// Whether the page should be fetched for the full text.
    pub fn is_teaser(&self) -> bool {
        if self.complete {
            return false;
        }
        let text = strip_tags(&self.body);
        let trimmed = text.trim_end();
        trimmed.chars().count() < TEASER_CHARS
            || trimmed.ends_with(['…'])
            || trimmed.ends_with("[...]")
            || trimmed.ends_with("[…]")
            || trimmed.to_lowercase().ends_with("read more")
            || trimmed.to_lowercase().ends_with("continue reading")
    }
}

/// Parses a feed body; `base` resolves relative links.
pub fn parse(body: &[u8], content_type: Option<&str>, base: &str) -> Result<Vec<Item>, FeedError> {
    let text = as_utf8_xml(&decode_xml(body, content_type));
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(base))
        .build()
        .parse(text.as_bytes())
        .map_err(|e| FeedError(e.to_string()))?;
    let base_url = url::Url::parse(base).ok();
    let mut items: Vec<Item> = feed
        .entries
        .into_iter()
        .filter_map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .map(|l| l.href.clone())
                .or_else(|| e.id.starts_with("http").then(|| e.id.clone()))?;
            let url = match &base_url {
                Some(b) => b.join(link.trim()).ok()?.to_string(),
                None => url::Url::parse(link.trim()).ok()?.to_string(),
            };
            let body = e
                .content
                .and_then(|c| c.body)
                .filter(|b| !b.trim().is_empty())
                .or_else(|| e.summary.map(|s| s.content))
                .unwrap_or_default();
            let when = e.published.or(e.updated);
            Some(Item {
                url,
                title: e
                    .title
                    .map(|t| t.content)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                published: when.map(|d| d.date_naive()),
                updated: e.updated.or(e.published).map(|d| d.to_rfc3339()),
                body,
                complete: false,
            })
        })
        .collect();
    items.sort_by_key(|i| std::cmp::Reverse(i.published));
    if items.len() > MAX_ITEMS {
        tracing::warn!(
            feed = base,
            items = items.len(),
            skipped = items.len() - MAX_ITEMS,
            "the feed has more items than are read; keeping the newest {MAX_ITEMS}"
        );
        items.truncate(MAX_ITEMS);
    }
    Ok(items)
}

/// Text of an HTML fragment, for length checks only.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Lab</title><link>https://lab.example/</link>
<item><title>Older post</title><link>/p/old</link><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>
<description>Short teaser of the post&#8230;</description></item>
<item><title>Newer post</title><link>https://lab.example/p/new?utm_source=rss</link>
<pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[<p>Body</p>]]></description></item>
<item><title>No link</title><description>x</description></item>
</channel></rss>"#;

    #[test]
    fn parses_rss_items_newest_first_with_absolute_links() {
        let items = parse(
            RSS.as_bytes(),
            Some("application/rss+xml"),
            "https://lab.example/feed",
        )
        .unwrap();
        assert_eq!(items.len(), 2, "the entry without a link is skipped");
        assert_eq!(items[0].title, "Newer post");
        assert_eq!(items[0].url, "https://lab.example/p/new?utm_source=rss");
        assert_eq!(items[1].url, "https://lab.example/p/old");
        assert_eq!(items[1].published, NaiveDate::from_ymd_opt(2026, 11, 2));
        assert!(items[1].is_teaser());
    }

    #[test]
    fn parses_atom_and_json_feed() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2026-11-04T00:00:00Z</updated>
<entry><title>Atom post</title><id>urn:1</id><link rel="alternate" href="https://a.example/1"/><updated>2026-11-04T00:00:00Z</updated>
<content type="html">&lt;p&gt;Full text&lt;/p&gt;</content></entry></feed>"#;
        let items = parse(atom.as_bytes(), None, "https://a.example/feed").unwrap();
        assert_eq!(
            (items[0].title.as_str(), items[0].url.as_str()),
            ("Atom post", "https://a.example/1")
        );
        assert!(items[0].body.contains("Full text"));
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://j.example/1","title":"Json post","content_text":"Plain body","date_published":"2026-11-05T00:00:00Z"}]}"#;
        let items = parse(
            json.as_bytes(),
            Some("application/feed+json"),
            "https://j.example/feed.json",
        )
        .unwrap();
        assert_eq!(
            (items[0].title.as_str(), items[0].body.as_str()),
            ("Json post", "Plain body")
        );
    }

    #[test]
    fn long_feed_bodies_are_not_teasers() {
        let item = Item {
            url: String::new(),
            title: String::new(),
            published: None,
            updated: None,
            body: "word ".repeat(400),
            complete: false,
        };
        assert!(!item.is_teaser());
        let cut = Item {
            body: format!("{} [...]", "word ".repeat(400)),
            ..item.clone()
        };
        assert!(cut.is_teaser());
    }

    #[test]
    fn a_contradicting_header_charset_does_not_lose_the_feed() {
        let mut latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>L</title>\
<item><title>Caf\xe9 skimmer</title><link>https://l.example/1</link></item></channel></rss>"
            .to_vec();
        let items = parse(
            &latin1,
            Some("application/rss+xml; charset=utf-8"),
            "https://l.example/",
        )
        .unwrap();
        assert_eq!(items[0].title, "Café skimmer");
        latin1.retain(|b| b.is_ascii());
        let items = parse(
            &latin1,
            Some("text/xml; charset=utf-16"),
            "https://l.example/",
        )
        .unwrap();
        assert_eq!(items[0].title, "Caf skimmer");
    }

    #[test]
    fn only_the_newest_items_of_a_huge_feed_are_kept() {
        let mut rss = String::from("<rss version=\"2.0\"><channel><title>Big</title>");
        for i in 0..(MAX_ITEMS + 50) {
            rss.push_str(&format!(
                "<item><title>Post {i}</title><link>https://b.example/{i}</link><pubDate>{}</pubDate></item>",
                chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap().checked_add_days(chrono::Days::new(i as u64)).unwrap().format("%a, %d %b %Y 10:00:00 GMT")
            ));
        }
        rss.push_str("</channel></rss>");
        let items = parse(rss.as_bytes(), None, "https://b.example/feed").unwrap();
        assert_eq!(items.len(), MAX_ITEMS);
        assert_eq!(items[0].title, format!("Post {}", MAX_ITEMS + 49));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(
            parse(
                b"<html><body>not a feed</body></html>",
                None,
                "https://x.example/"
            )
            .is_err()
        );
        assert!(parse(b"\x00\x01\x02", None, "https://x.example/").is_err());
    }

    #[test]
    fn xml_entity_bombs_are_not_expanded() {
        let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>https://b.example/1</link><description>&lol9;</description></item></channel></rss>"#;
        // Either refused or parsed without expansion; never a billion "lol"s.
        if let Ok(items) = parse(bomb.as_bytes(), None, "https://b.example/") {
            assert!(
                items
                    .iter()
                    .all(|i| i.title.len() < 1000 && i.body.len() < 1000)
            );
        }
    }
}
