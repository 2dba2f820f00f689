//! Sources and how to read them: the built-in lists (`data/feeds.toml`,
//! `data/advisory-sources.toml`), polling one source into items, and getting an item's
//! full text.

use std::sync::LazyLock;

use chrono::NaiveDate;
use huntbrief_core::Body;
use serde::Deserialize;
use thiserror::Error;

use crate::advisories::{parse_ghsa, parse_kev};
use crate::decode::decode;
use crate::extract::{extract_html, fragment_text, looks_like_html};
use crate::feed::{self, Item};
use crate::http::{Conditional, FetchError, Fetched, Fetcher, Page};

/// How a source is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Adapter {
    /// RSS, Atom or JSON Feed.
    Feed,
    /// GitHub Security Advisories REST API.
    Ghsa,
    /// CISA Known Exploited Vulnerabilities catalogue.
    Kev,
}

impl Adapter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Feed => "feed",
            Self::Ghsa => "ghsa",
            Self::Kev => "kev",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "feed" => Some(Self::Feed),
            "ghsa" => Some(Self::Ghsa),
            "kev" => Some(Self::Kev),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub url: String,
    pub adapter: Adapter,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedList {
    feed: Vec<FeedEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // site, kind and seen_in document the list; only name and url are read
struct FeedEntry {
    name: String,
    url: String,
    site: String,
    kind: String,
    seen_in: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvisoryList {
    source: Vec<AdvisoryEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvisoryEntry {
    name: String,
    url: String,
    adapter: Adapter,
}

static BUILTIN: LazyLock<Vec<Source>> = LazyLock::new(|| {
    let feeds: FeedList = toml::from_str(include_str!("../../../data/feeds.toml"))
        .expect("data/feeds.toml is checked by its schema test");
    let advisories: AdvisoryList =
        toml::from_str(include_str!("../../../data/advisory-sources.toml"))
            .expect("data/advisory-sources.toml is checked by its schema test");
    feeds
        .feed
        .into_iter()
        .map(|f| Source {
            name: f.name,
            url: f.url,
            adapter: Adapter::Feed,
        })
        .chain(advisories.source.into_iter().map(|a| Source {
            name: a.name,
            url: a.url,
            adapter: a.adapter,
        }))
        .collect()
});

/// The built-in sources: curated feeds, then advisory APIs.
pub fn builtin() -> &'static [Source] {
    &BUILTIN
}

/// Size limits of what a poll reads.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_feed_bytes: usize,
    pub max_page_bytes: usize,
    /// KEV entries added within this many days are news.
    pub kev_window_days: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_feed_bytes: 8 << 20,
            max_page_bytes: 5 << 20,
            kev_window_days: 14,
        }
    }
}

#[derive(Debug, Error)]
pub enum PollError {
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Feed(#[from] feed::FeedError),
    #[error("invalid advisory JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl PollError {
    /// How long the server asked us to stay away, if it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Fetch(e) => e.retry_after(),
            _ => None,
        }
    }
}

/// A source's current items.
#[derive(Debug)]
pub enum Polled {
    NotModified,
    Items {
        items: Vec<Item>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// Fetches a source (conditionally) and reads its items.
pub async fn poll(
    fetcher: &Fetcher,
    source: &Source,
    conditional: Conditional<'_>,
    today: NaiveDate,
    limits: Limits,
) -> Result<Polled, PollError> {
    let page = match fetcher
        .get(&source.url, conditional, limits.max_feed_bytes)
        .await?
    {
        Fetched::NotModified => return Ok(Polled::NotModified),
        Fetched::Page(page) => page,
    };
    let adapter = source.adapter;
    let (body, content_type, base) = (page.body, page.content_type, page.final_url);
    // Parsing is CPU work: off the async executor, so other sources' timers keep running.
    let items = off_executor(move || -> Result<Vec<Item>, PollError> {
        Ok(match adapter {
            Adapter::Feed => feed::parse(&body, content_type.as_deref(), &base)?,
            Adapter::Ghsa => parse_ghsa(&body)?,
            Adapter::Kev => parse_kev(&body, today, limits.kev_window_days)?,
        })
    })
    .await?;
    Ok(Polled::Items {
        items,
        etag: page.etag,
        last_modified: page.last_modified,
    })
}

/// The text to analyse for an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleText {
    pub text: String,
    pub body: Body,
    /// Why the page could not be used, when the feed text stands in for it.
    pub page_error: Option<String>,
}

/// The item's full text: its own body when complete, else the article page's readable
/// text, falling back to the feed text (as a summary) when the page cannot be used.
pub async fn full_text(fetcher: &Fetcher, item: &Item, limits: Limits) -> ArticleText {
    let feed_body = item.body.clone();
    let feed_text = off_executor(move || fragment_text(&feed_body)).await;
    if !item.is_teaser() {
        return ArticleText {
            text: feed_text,
            body: Body::Full,
            page_error: None,
        };
    }
    let page_error = match fetcher
        .get(&item.url, Conditional::default(), limits.max_page_bytes)
        .await
    {
        Ok(Fetched::Page(page)) => match off_executor(move || page_text(&page)).await {
            Ok(text) if text.len() >= feed_text.len() => {
                return ArticleText {
                    text,
                    body: Body::Full,
                    page_error: None,
                };
            }
            Ok(_) => "page has less text than the feed".to_owned(),
            Err(e) => e,
        },
        Ok(Fetched::NotModified) => "unexpected 304".to_owned(),
        Err(e) => e.to_string(),
    };
    ArticleText {
        text: feed_text,
        body: Body::Summary,
        page_error: Some(page_error),
    }
}

/// The readable text of a fetched page (CPU work: call it off the executor).
fn page_text(page: &Page) -> Result<String, String> {
    let html = decode(&page.body, page.content_type.as_deref());
    if looks_like_html(&html) {
        extract_html(&html, Some(&page.final_url))
            .map(|e| e.text)
            .map_err(|e| e.to_string())
    } else if html.trim().is_empty() {
        Err("empty page".to_owned())
    } else {
        Ok(html)
    }
}

/// Runs CPU-bound `work` on the blocking pool, so that a hostile page cannot stall the
/// executor's timers (other sources' deadlines) while it is parsed.
async fn off_executor<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_parse_with_unique_names_and_https_urls() {
        let all = builtin();
        assert!(all.iter().any(|s| s.adapter == Adapter::Feed));
        assert_eq!(all.iter().filter(|s| s.adapter == Adapter::Kev).count(), 1);
        for s in all {
            assert!(s.url.starts_with("https://"), "{}", s.url);
            assert!(url::Url::parse(&s.url).is_ok(), "{}", s.url);
            assert!(!s.name.trim().is_empty());
            assert_eq!(
                all.iter().filter(|o| o.name == s.name).count(),
                1,
                "duplicate name {}",
                s.name
            );
            assert_eq!(
                all.iter().filter(|o| o.url == s.url).count(),
                1,
                "duplicate url {}",
                s.url
            );
        }
    }

    #[test]
    fn adapters_round_trip_their_names() {
        for a in [Adapter::Feed, Adapter::Ghsa, Adapter::Kev] {
            assert_eq!(Adapter::parse(a.as_str()), Some(a));
        }
        assert_eq!(Adapter::parse("gopher"), None);
    }
}
