//! The client policy against a hostile local server on 127.0.0.1.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use huntbrief_ingest::http::{Conditional, FetchError, Fetched, Fetcher, Policy};

#[derive(Default)]
struct Counters {
    flaky: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

async fn serve() -> (String, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    let app = Router::new()
        .route("/feed", get(etagged))
        .route("/flaky", get(flaky))
        .route(
            "/limited",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "3600")],
                    "slow down",
                )
            }),
        )
        .route("/gone", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/loop",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]) }),
        )
        .route("/redirect", get(redirect))
        .route("/huge", get(huge))
        .route("/slow", get(slow))
        .route("/gzip", get(gzip))
        .route("/busy", get(busy))
        .with_state(counters.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, counters)
}

async fn etagged(headers: HeaderMap) -> Response {
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == "\"v1\"")
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::ETAG, "\"v1\""),
            (header::CONTENT_TYPE, "application/rss+xml"),
        ],
        "<rss/>",
    )
        .into_response()
}

async fn flaky(State(c): State<Arc<Counters>>) -> Response {
    if c.flaky.fetch_add(1, Ordering::SeqCst) < 2 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "0")],
            "",
        )
            .into_response()
    } else {
        "ok".into_response()
    }
}

/// A 302 to whatever URL the query string holds.
async fn redirect(uri: axum::http::Uri) -> Response {
    let to = uri.query().unwrap_or_default().to_owned();
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

async fn huge() -> Response {
    // An endless body, without Content-Length: only the streamed cap stops it.
    let chunk = vec![b'a'; 64 * 1024];
    let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
    Body::from_stream(stream).into_response()
}

async fn slow() -> Response {
    let stream = futures_util::stream::unfold(0u32, |n| async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some((Ok::<_, std::io::Error>(vec![b'x']), n + 1))
    });
    Body::from_stream(stream).into_response()
}

async fn gzip() -> Response {
    // "hello gzip" compressed with gzip -9 -n.
    const GZ: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
        0x57, 0x48, 0xaf, 0xca, 0x2c, 0x00, 0x00, 0x19, 0x6a, 0xd2, 0xdf, 0x0a, 0x00, 0x00, 0x00,
    ];
    ([(header::CONTENT_ENCODING, "gzip")], GZ).into_response()
}

async fn busy(State(c): State<Arc<Counters>>) -> &'static str {
    let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    c.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.in_flight.fetch_sub(1, Ordering::SeqCst);
    "done"
}

/// A quick policy with `base` (the local test server) configured as a source.
fn fast_policy(base: &str) -> Policy {
    let mut policy = Policy {
        timeout: Duration::from_secs(2),
        backoff: Duration::from_millis(10),
        max_retry_wait: Duration::from_secs(5),
        politeness: Duration::ZERO,
        ..Policy::default()
    };
    policy.outbound.allow_source(base);
    policy
}

fn body(f: Fetched) -> Vec<u8> {
    match f {
        Fetched::Page(p) => p.body,
        Fetched::NotModified => panic!("expected a body"),
    }
}

#[tokio::test]
async fn conditional_get_gets_304_with_the_etag() {
    let (base, _) = serve().await;
    let f = Fetcher::new(fast_policy(&base)).unwrap();
    let url = format!("{base}/feed");
    let Fetched::Page(page) = f.get(&url, Conditional::default(), 1024).await.unwrap() else {
        panic!("first fetch has a body")
    };
    assert_eq!(page.etag.as_deref(), Some("\"v1\""));
    assert_eq!(page.content_type.as_deref(), Some("application/rss+xml"));
    let again = f
        .get(
            &url,
            Conditional {
                etag: page.etag.as_deref(),
                last_modified: None,
            },
            1024,
        )
        .await;
    assert!(matches!(again, Ok(Fetched::NotModified)));
}

#[tokio::test]
async fn retries_429_after_the_servers_wait() {
    let (base, counters) = serve().await;
    let f = Fetcher::new(fast_policy(&base)).unwrap();
    let got = f
        .get(&format!("{base}/flaky"), Conditional::default(), 1024)
        .await
        .unwrap();
    assert_eq!(body(got), b"ok");
    assert_eq!(counters.flaky.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_long_retry_after_is_reported_not_waited_for() {
    let (base, _) = serve().await;
    let f = Fetcher::new(fast_policy(&base)).unwrap();
    let err = f
        .get(&format!("{base}/limited"), Conditional::default(), 1024)
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn errors_are_typed() {
    let (base, _) = serve().await;
    let f = Fetcher::new(fast_policy(&base)).unwrap();
    let get = |path: &str| f.get_owned(format!("{base}{path}"));
    assert!(matches!(get("/gone").await, Err(FetchError::Status(404))));
    assert!(matches!(get("/loop").await, Err(FetchError::Redirects)));
    assert!(matches!(get("/huge").await, Err(FetchError::TooLarge(_))));
    assert!(matches!(get("/slow").await, Err(FetchError::Timeout)));
    assert!(matches!(
        f.get("file:///etc/passwd", Conditional::default(), 10)
            .await,
        Err(FetchError::BadUrl(_))
    ));
    // Port 9 of loopback is no configured source: refused before any connection.
    assert!(matches!(
        f.get("http://127.0.0.1:9/", Conditional::default(), 10)
            .await,
        Err(FetchError::Refused(_))
    ));
    // Allowed, nothing listens there.
    let mut policy = fast_policy(&base);
    policy.outbound.allow_source("http://127.0.0.1:9/");
    let allowed = Fetcher::new(policy).unwrap();
    assert!(matches!(
        allowed
            .get("http://127.0.0.1:9/", Conditional::default(), 10)
            .await,
        Err(FetchError::Network(_))
    ));
}

#[tokio::test]
async fn gzip_bodies_are_decompressed() {
    let (base, _) = serve().await;
    let f = Fetcher::new(fast_policy(&base)).unwrap();
    assert_eq!(
        body(
            f.get(&format!("{base}/gzip"), Conditional::default(), 1024)
                .await
                .unwrap()
        ),
        b"hello gzip"
    );
}

#[tokio::test]
async fn per_host_concurrency_is_bounded() {
    let (base, counters) = serve().await;
    let f = Arc::new(
        Fetcher::new(Policy {
            per_host: 2,
            ..fast_policy(&base)
        })
        .unwrap(),
    );
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (f, url) = (f.clone(), format!("{base}/busy"));
            tokio::spawn(async move { f.get(&url, Conditional::default(), 1024).await.is_ok() })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap());
    }
    let max = counters.max_in_flight.load(Ordering::SeqCst);
    assert!(
        (1..=2).contains(&max),
        "{max} requests in flight to one host"
    );
}

trait GetOwned {
    fn get_owned(&self, url: String) -> impl Future<Output = Result<Fetched, FetchError>>;
}

impl GetOwned for Fetcher {
    async fn get_owned(&self, url: String) -> Result<Fetched, FetchError> {
        self.get(&url, Conditional::default(), 1024 * 1024).await
    }
}

#[tokio::test]
async fn redirects_to_unconfigured_local_ports_are_refused_and_say_so() {
    let (base, _) = serve().await;
    let (internal, _) = serve().await;
    let f = Fetcher::new(fast_policy(&base)).unwrap();
    // Direct, and through a redirect of the configured server.
    let direct = f.get_owned(format!("{internal}/feed")).await.unwrap_err();
    assert!(
        matches!(&direct, FetchError::Refused(why) if why.contains("127.0.0.1")),
        "{direct}"
    );
    for target in [
        format!("{internal}/feed"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]/".to_owned(),
        "file:///etc/passwd".to_owned(),
    ] {
        let err = f
            .get_owned(format!("{base}/redirect?{target}"))
            .await
            .unwrap_err();
        let FetchError::Refused(why) = &err else {
            panic!("{target}: {err}")
        };
        assert!(why.starts_with("redirect to "), "{why}");
        assert!(err.to_string().starts_with("refused: "), "{err}");
    }
    // A redirect within the configured origin is followed.
    let same = f.get_owned(format!("{base}/redirect?/feed")).await.unwrap();
    assert_eq!(body(same), b"<rss/>");
}

#[tokio::test]
async fn allowed_hosts_may_be_private() {
    let (base, _) = serve().await;
    let mut policy = fast_policy("https://feeds.example/");
    policy.outbound.allow_host("127.0.0.1");
    let f = Fetcher::new(policy).unwrap();
    assert_eq!(
        body(f.get_owned(format!("{base}/feed")).await.unwrap()),
        b"<rss/>"
    );
}
