//! A local fixture server on 127.0.0.1: 30 feeds of 11 items over 301 distinct stories (neighbouring
//! feeds share one), article pages, and hostile endpoints.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub const FEEDS: usize = 30;
pub const ITEMS_PER_FEED: usize = 11;
/// Feed n carries stories 10n ..= 10n+10, so feeds n and n+1 share story 10n+10.
pub const STORIES: usize = FEEDS * (ITEMS_PER_FEED - 1) + 1;

#[derive(Default)]
pub struct Counters {
    pub not_modified: AtomicUsize,
    pub feed_requests: AtomicUsize,
    pub page_requests: AtomicUsize,
}

struct Shared {
    versions: Mutex<HashMap<usize, usize>>,
    counters: Counters,
    page_delay: Duration,
}

pub struct Fixture {
    pub base: String,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl Fixture {
    /// Starts the server; `page_delay` slows article pages so a run can be interrupted.
    pub fn start(page_delay: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared {
            versions: Mutex::default(),
            counters: Counters::default(),
            page_delay,
        });
        let app = Router::new()
            .route("/feeds/{n}", get(feed))
            .route("/a/{id}", get(page))
            .route("/hostile/slow.xml", get(slow))
            .route("/hostile/huge.xml", get(huge))
            .route("/hostile/bomb.xml", get(|| async { BOMB }))
            .route(
                "/hostile/loop.xml",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/hostile/loop.xml")]) }),
            )
            .route(
                "/hostile/garbage.xml",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "application/rss+xml")],
                        b"\x00\xff\xfe<rss\x01\x02".to_vec(),
                    )
                }),
            )
            .route(
                "/hostile/limited.xml",
                get(|| async {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, "3600")],
                    )
                }),
            )
            .route("/latin1.xml", get(latin1))
            .route(
                "/kev.json",
                get(|| async { ([(header::CONTENT_TYPE, "application/json")], KEV) }),
            )
            .route(
                "/advisories",
                get(|| async { ([(header::CONTENT_TYPE, "application/json")], GHSA) }),
            )
            .with_state(shared.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base,
            shared,
            _runtime: runtime,
        }
    }

    /// Publishes a new version of a story: its page and feed entries change.
    pub fn bump(&self, story: usize) {
        *self
            .shared
            .versions
            .lock()
            .unwrap()
            .entry(story)
            .or_default() += 1;
    }

    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// `[[feed]]` entries for the 30 fixture feeds.
    pub fn feeds_toml(&self) -> String {
        (0..FEEDS)
            .map(|n| {
                format!(
                    "[[feed]]\nname = \"Fixture feed {n:02}\"\nurl = \"{}/feeds/{n}\"\n",
                    self.base
                )
            })
            .collect()
    }
}

fn version(shared: &Shared, story: usize) -> usize {
    shared
        .versions
        .lock()
        .unwrap()
        .get(&story)
        .copied()
        .unwrap_or(0)
}

pub fn story_title(story: usize) -> String {
    format!("Story {story:03}: loader campaign against sector {story}")
}

async fn feed(
    State(shared): State<Arc<Shared>>,
    Path(n): Path<usize>,
    headers: HeaderMap,
) -> Response {
    shared.counters.feed_requests.fetch_add(1, Ordering::SeqCst);
    if n >= FEEDS {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut items = String::new();
    for k in 0..ITEMS_PER_FEED {
        let story = n * (ITEMS_PER_FEED - 1) + k;
        let v = version(&shared, story);
        items.push_str(&format!(
            "<item><title>{}</title><link>/a/{story}?utm_source=feed{n}&amp;utm_medium=rss</link>\
             <guid>story-{story}</guid><pubDate>Mon, 02 Nov 2026 {:02}:{:02}:00 GMT</pubDate>\
             <description>Teaser of story {story}, revision {v}&#8230;</description></item>",
            story_title(story),
            story / 60,
            story % 60,
        ));
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Feed {n}</title><link>/</link>{items}</channel></rss>"
    );
    let etag = format!("\"{:x}\"", fxhash(&body));
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        shared.counters.not_modified.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_owned()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

async fn page(State(shared): State<Arc<Shared>>, Path(id): Path<usize>) -> Response {
    shared.counters.page_requests.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(shared.page_delay).await;
    let v = version(&shared, id);
    let title = story_title(id);
    let body = format!(
        "<!DOCTYPE html><html><head><title>{title} | Fixture Labs</title></head><body>\
         <nav><a href=\"/\">Home</a> <a href=\"/ransomware\">Ransomware</a></nav>\
         <article><h1>{title}</h1>\
         <p>This is revision {v} of story {id}. Since early November the operators of a loader campaign have targeted organisations in sector {id}, sending invoices as password-protected archives that hold a shortcut file.</p>\
         <p>The shortcut starts a script that downloads a second stage and creates a scheduled task so the loader survives a reboot. After a day of beaconing the operators ran discovery commands on the first victims.</p>\
         <p>Defenders should look for shortcut files in mail attachments that launch scripts, and for scheduled tasks created by processes in user-writable folders.</p>\
         </article><footer>© Fixture Labs</footer></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn slow() -> Response {
    // Slow-loris: a byte every half second, forever.
    let stream = futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Some((Ok::<_, std::io::Error>(b" ".to_vec()), ()))
    });
    Body::from_stream(stream).into_response()
}

async fn huge() -> Response {
    // An endless ("1 GB") body without Content-Length.
    let chunk = b"<rss>".repeat(16 * 1024);
    let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn latin1() -> Response {
    let mut body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Latin</title><link>/</link>\
<item><title>Caf\xe9 owners warned of card skimmer</title><link>/a/9999</link><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>\
<description>".to_vec();
    body.extend(b"A long description of the skimmer campaign. ".repeat(40));
    body.extend(b"</description></item></channel></rss>");
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

const BOMB: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><link>/</link><item><title>&lol9;</title><link>/a/8888</link><description>&lol9;</description></item></channel></rss>"#;

const KEV: &str = r#"{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.11.25","vulnerabilities":[
{"cveID":"CVE-2026-20001","vendorProject":"Acme","product":"Edge Gateway","vulnerabilityName":"Acme Edge Gateway Authentication Bypass","dateAdded":"2026-11-25","shortDescription":"Acme Edge Gateway contains an authentication bypass that allows an unauthenticated attacker to gain administrator access.","requiredAction":"Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.","dueDate":"2026-12-16","knownRansomwareCampaignUse":"Unknown","notes":"","cwes":["CWE-288"]}]}"#;

const GHSA: &str = r#"[{"ghsa_id":"GHSA-2x4m-9q7v-h3jf","cve_id":null,"url":"https://api.github.com/advisories/GHSA-2x4m-9q7v-h3jf","html_url":"https://github.com/advisories/GHSA-2x4m-9q7v-h3jf","summary":"Malicious code in fixture-colors (npm)","description":"Version 4.2.1 of fixture-colors contained a postinstall script that exfiltrated environment variables.","type":"malware","severity":"critical","published_at":"2026-11-24T08:00:00Z","updated_at":"2026-11-24T08:00:00Z","vulnerabilities":[{"package":{"ecosystem":"npm","name":"fixture-colors"},"vulnerable_version_range":"= 4.2.1","first_patched_version":null}]}]"#;

/// A small stable hash for ETags (FNV-1a).
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}
