//! Serving with 1,000 briefings stored: the API's listing page, the dashboard's list page,
//! a full-text search over all of them, a TAXII page, and rebuilding the in-memory view.
//! Requests go through the whole router (auth, handlers, JSON/HTML, security headers)
//! in-process; the socket is left out.
//!
//! Run: `cargo bench -p huntbrief-server --bench listing`

use std::sync::{Arc, LazyLock};

use axum::body::Body as HttpBody;
use axum::http::Request;
use base64::Engine;
use chrono::NaiveDate;
use divan::Bencher;
use http_body_util::BodyExt;
use huntbrief_core::hunts::HuntKb;
use huntbrief_core::{Article, Body, KnowledgeBase, analyze};
use huntbrief_server::{AppState, Credentials};
use huntbrief_store::{SqliteStore, Store, StoredArticle};
use tower::ServiceExt;

fn main() {
    divan::main();
}

const BRIEFINGS: i64 = 1000;

const TEXTS: [&str; 3] = [
    "The operators sent spearphishing emails with a malicious Word attachment. When opened, the macro \
     launched powershell.exe -enc SQBFAFgA to download the loader from hxxp://cdn-update[.]top/a.bin and \
     created a scheduled task with schtasks /create /tn Updater /tr C:\\Users\\Public\\upd.exe for \
     persistence. The loader beacons to 185.220.101.45 over HTTPS.",
    "Attackers exploited CVE-2024-3400, an unauthenticated remote code execution flaw rated CVSS 10.0, \
     to drop a web shell on firewalls; CISA added it to the KEV catalog.",
    "In this guide we walk through installing the JDK with Homebrew. Open Terminal and run brew install openjdk.",
];

static ARTICLES: LazyLock<Vec<StoredArticle>> = LazyLock::new(|| {
    let kb = KnowledgeBase::embedded().unwrap();
    (0..BRIEFINGS)
        .map(|n| {
            let url = format!("https://lab.example/{n}");
            let text = TEXTS[n as usize % TEXTS.len()];
            let article = Article {
                title: format!("Briefing number {n}"),
                url: Some(url.clone()),
                sources: vec![format!("Lab {}", n % 7)],
                published: NaiveDate::from_ymd_opt(2026, 1 + (n % 11) as u32, 1 + (n % 27) as u32),
                text: text.into(),
                body: Body::Full,
            };
            StoredArticle {
                url,
                first_seen: 1_793_000_000 + n,
                changed_at: 1_793_000_000 + n,
                text_hash: n.to_string(),
                text: text.into(),
                briefing: analyze(&article, &kb),
            }
        })
        .collect()
});

static STATE: LazyLock<Arc<AppState>> = LazyLock::new(|| {
    let mut store = SqliteStore::in_memory().unwrap();
    for a in ARTICLES.iter() {
        store.put_article(a, "Lab", &a.text_hash).unwrap();
    }
    let credentials = Credentials {
        username: "u".into(),
        password: "p".into(),
    };
    AppState::new(Box::new(store), credentials, HuntKb::embedded().unwrap()).unwrap()
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
});

fn get(path: &str) -> usize {
    let auth = base64::engine::general_purpose::STANDARD.encode("u:p");
    let request = Request::get(path)
        .header("authorization", format!("Basic {auth}"))
        .body(HttpBody::empty())
        .unwrap();
    RUNTIME.block_on(async {
        let response = huntbrief_server::router(STATE.clone())
            .oneshot(request)
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .len()
    })
}

#[divan::bench(args = ["/api/briefings", "/api/briefings?limit=500", "/", "/?q=powershell&severity=MED", "/api/iocs?value=185.220.101.45", "/techniques?days=3650"])]
fn request(bencher: Bencher, path: &str) {
    LazyLock::force(&STATE);
    bencher.bench(|| get(path));
}

#[divan::bench]
fn taxii_page(bencher: Bencher) {
    let collection = STATE.snapshot().taxii.collection_ids()[0].clone();
    let path = format!("/taxii2/api1/collections/{collection}/objects/?limit=100");
    bencher.bench(|| get(&path));
}

/// Rebuilding the view when the store changed: catalogue, indexes and TAXII objects.
#[divan::bench(sample_count = 10)]
fn rebuild_view(bencher: Bencher) {
    bencher.bench(|| huntbrief_server::Snapshot::new(ARTICLES.clone()));
}
