//! A farm of local feed servers for the scale-out tests and benchmark: `hosts` servers on
//! 127.0.0.1 (one port each, so each is a host to politeness and leases), serving
//! `feeds` feeds round-robin over them, `stories` items per feed, with full text in the
//! feed or, with `teasers`, a teaser whose article page is fetched.

use std::fmt::Write;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

pub struct Farm {
    pub ports: Vec<u16>,
    pub feeds: usize,
    _runtime: tokio::runtime::Runtime,
}

#[derive(Clone)]
struct Shape {
    port: u16,
    stories: usize,
    teasers: bool,
    delay: Duration,
}

impl Farm {
    pub fn start(
        hosts: usize,
        feeds: usize,
        stories: usize,
        teasers: bool,
        delay: Duration,
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut ports = Vec::new();
        for _ in 0..hosts {
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            let port = listener.local_addr().unwrap().port();
            ports.push(port);
            let shape = Arc::new(Shape {
                port,
                stories,
                teasers,
                delay,
            });
            let app = Router::new()
                .route("/feed/{feed}", get(feed))
                .route("/story/{feed}/{story}", get(page))
                .with_state(shape);
            runtime.spawn(async move { axum::serve(listener, app).await });
        }
        Self {
            ports,
            feeds,
            _runtime: runtime,
        }
    }

    /// The feed's URL: feeds are spread over the hosts round-robin.
    pub fn feed_url(&self, feed: usize) -> String {
        let port = self.ports[feed % self.ports.len()];
        format!("http://127.0.0.1:{port}/feed/{feed}")
    }

    /// Canonical URL of a story.
    pub fn story_url(&self, feed: usize, story: usize) -> String {
        let port = self.ports[feed % self.ports.len()];
        format!("http://127.0.0.1:{port}/story/{feed}/{story}")
    }

    /// `[[feed]]` tables for a config.
    pub fn feeds_toml(&self) -> String {
        (0..self.feeds)
            .map(|f| {
                format!(
                    "[[feed]]\nname = \"Farm {f}\"\nurl = \"{}\"\n",
                    self.feed_url(f)
                )
            })
            .collect()
    }
}

fn title(feed: usize, story: usize) -> String {
    format!("Loader campaign {feed}-{story} hits logistics firms")
}

/// A short report of our own, distinct per story.
fn text(feed: usize, story: usize) -> String {
    format!(
        "Researchers tracked campaign {feed}-{story} against logistics firms. The operators sent \
         phishing emails with a malicious attachment; the macro ran powershell.exe to download \
         a loader from hxxp://cdn-{feed}-{story}[.]top/a.bin and created a scheduled task for \
         persistence. The loader beacons to 185.220.{}.{} over HTTPS.",
        feed % 250,
        story % 250 + 1
    )
}

async fn feed(State(shape): State<Arc<Shape>>, Path(feed): Path<String>) -> impl IntoResponse {
    tokio::time::sleep(shape.delay).await;
    let feed: usize = feed.parse().unwrap_or(0);
    let mut items = String::new();
    for story in 0..shape.stories {
        let link = format!("http://127.0.0.1:{}/story/{feed}/{story}", shape.port);
        let body = if shape.teasers {
            format!("<description>Campaign {feed}-{story}: read more</description>")
        } else {
            format!(
                "<description>{}</description><content:encoded><![CDATA[<p>{}</p>]]></content:encoded>",
                text(feed, story),
                text(feed, story)
            )
        };
        let _ = write!(
            items,
            "<item><title>{}</title><link>{link}</link><guid>{link}</guid>\
             <pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>{body}</item>",
            title(feed, story)
        );
    }
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" \
             xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
             <title>Farm {feed}</title><link>http://127.0.0.1:{}/</link>{items}</channel></rss>",
            shape.port
        ),
    )
}

async fn page(
    State(shape): State<Arc<Shape>>,
    Path((feed, story)): Path<(usize, usize)>,
) -> impl IntoResponse {
    tokio::time::sleep(shape.delay).await;
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!doctype html><html><head><title>{}</title></head><body><article><h1>{}</h1>\
             <p>{}</p></article></body></html>",
            title(feed, story),
            title(feed, story),
            text(feed, story)
        ),
    )
}
