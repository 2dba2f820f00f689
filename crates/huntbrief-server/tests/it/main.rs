//! `huntbrief serve` over real HTTP on 127.0.0.1: the JSON API, TAXII 2.1, the dashboard,
//! authentication and security headers, and picking up new briefings from the store.

mod api;
mod conn;
mod dashboard;
mod taxii;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::NaiveDate;
use huntbrief_core::hunts::HuntKb;
use huntbrief_core::{Article, Body, KnowledgeBase, analyze};
use huntbrief_server::{AppState, ConnLimits, Credentials};
use huntbrief_store::testing::PgSchema;
use huntbrief_store::{DynStore, Location, StoredArticle};

pub const USER: &str = "analyst";
pub const PASSWORD: &str = "s3cret:with colon";

pub const CAMPAIGN: &str = "The operators sent spearphishing emails with a malicious Word attachment. \
    When opened, the macro launched powershell.exe -enc SQBFAFgA to download the loader from \
    hxxp://cdn-update[.]top/a.bin and created a scheduled task with schtasks /create /tn Updater \
    /tr C:\\Users\\Public\\upd.exe for persistence. The loader beacons to 185.220.101.45 over HTTPS. \
    The attackers exploited CVE-2024-3400, a critical unauthenticated remote code execution flaw \
    rated CVSS 10.0 that CISA added to its Known Exploited Vulnerabilities catalog.";
/// Names an attributed actor (APT29, G0016), a used tool (Mimikatz, S0002) and malware
/// mentioned only for comparison (Emotet, S0367).
pub const APT29: &str = "APT29 sent spearphishing emails with a malicious Word attachment to \
    European diplomats. The operators ran Mimikatz to dump credentials. The loader is similar \
    to Emotet.";
pub const TUTORIAL: &str = "In this guide we walk through installing the JDK with Homebrew. Open Terminal and run brew install openjdk.";

pub fn stored(n: i64, title: &str, text: &str) -> StoredArticle {
    let url = format!("https://lab.example/{n}");
    let article = Article {
        title: title.into(),
        url: Some(url.clone()),
        sources: vec!["Lab".into()],
        published: NaiveDate::from_ymd_opt(2026, 11, 1 + (n % 25) as u32),
        text: text.into(),
        body: Body::Full,
    };
    StoredArticle {
        url,
        first_seen: 1_793_000_000 + n * 3600,
        changed_at: 1_793_000_000 + n * 3600,
        text_hash: n.to_string(),
        text: text.into(),
        briefing: analyze(&article, &KnowledgeBase::embedded().unwrap()),
    }
}

/// A server on 127.0.0.1 over a database, with `articles` stored: SQLite in a temp
/// folder, or with `HUNTBRIEF_TEST_BACKEND=postgres` a schema of the PostgreSQL test
/// database, so that every API and TAXII test runs on both backends.
pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    pub db: Location,
    _schema: Option<PgSchema>,
    _runtime: tokio::runtime::Runtime,
}

/// The backend the tests run on, and the schema guard when it is PostgreSQL.
fn test_database(tag: &str, dir: &std::path::Path) -> (Location, Option<PgSchema>) {
    if std::env::var("HUNTBRIEF_TEST_BACKEND").as_deref() == Ok("postgres") {
        let schema = PgSchema::new(&format!("serve_{tag}"))
            .expect("HUNTBRIEF_TEST_BACKEND=postgres needs HUNTBRIEF_TEST_PG");
        (Location::Postgres(schema.url.clone()), Some(schema))
    } else {
        (Location::Sqlite(dir.join("state.db")), None)
    }
}

impl Server {
    pub fn start(tag: &str, articles: &[StoredArticle]) -> Self {
        Self::start_with(tag, articles, ConnLimits::default())
    }

    pub fn start_with(tag: &str, articles: &[StoredArticle], limits: ConnLimits) -> Self {
        let dir = std::env::temp_dir().join(format!("hb-serve-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (db, schema) = test_database(tag, &dir);
        let mut store: DynStore = db.open().unwrap();
        for a in articles {
            store.put_article(a, "Lab", &a.text_hash).unwrap();
        }
        let credentials = Credentials {
            username: USER.into(),
            password: PASSWORD.into(),
        };
        let state = AppState::new(store, credentials, HuntKb::embedded().unwrap()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(huntbrief_server::serve_with(
            listener,
            state.clone(),
            Duration::from_secs(3600),
            limits,
            std::future::pending(),
        ));
        Self {
            addr,
            state,
            db,
            _schema: schema,
            _runtime: runtime,
        }
    }

    /// GET with the account's credentials.
    pub fn get(&self, path: &str) -> Response {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        self.request(path, Some(&format!("Basic {auth}")))
    }

    /// GET with an optional Authorization header, over a fresh connection.
    pub fn request(&self, path: &str, authorization: Option<&str>) -> Response {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(a) = authorization {
            req.push_str(&format!("Authorization: {a}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        Response::parse(&raw)
    }
}

/// A parsed HTTP/1.1 response (bodies with Content-Length or chunked).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Self {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header block");
        let head = String::from_utf8_lossy(&raw[..split]);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let rest = &raw[split + 4..];
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        let body = if chunked {
            dechunk(rest)
        } else {
            rest.to_vec()
        };
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
            return body;
        };
        let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = &rest[eol + 2 + size + 2..];
    }
}

#[test]
fn health_is_open_and_everything_else_needs_the_account() {
    let server = Server::start("auth", &[stored(1, "Loader campaign", CAMPAIGN)]);
    let health = server.request("/api/health", None);
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["briefings"], 1);
    for path in [
        "/",
        "/api/briefings",
        "/api/openapi.json",
        "/taxii2/",
        "/taxii2/api1/collections/",
        "/techniques",
        "/actors",
        "/api/actors",
    ] {
        let r = server.request(path, None);
        assert_eq!(r.status, 401, "{path}");
        assert!(
            r.header("www-authenticate")
                .unwrap()
                .starts_with("Basic realm=")
        );
        let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:nope"));
        assert_eq!(
            server.request(path, Some(&format!("Basic {wrong}"))).status,
            401
        );
        assert_eq!(server.get(path).status, 200, "{path}");
    }
    assert_eq!(
        server.request("/taxii2/", None).header("content-type"),
        Some("application/taxii+json;version=2.1")
    );
    let csp = health.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn new_briefings_in_the_store_show_after_a_refresh() {
    let server = Server::start("refresh", &[stored(1, "Loader campaign", CAMPAIGN)]);
    assert!(!server.state.refresh().unwrap(), "nothing changed yet");
    let mut writer = server.db.open().unwrap();
    let a = stored(2, "Second wave", CAMPAIGN);
    writer.put_article(&a, "Lab", "2").unwrap();
    assert!(server.state.refresh().unwrap());
    assert_eq!(server.get("/api/health").json()["briefings"], 2);
    assert_eq!(
        server
            .get(&format!("/api/briefings/{}", a.briefing.id))
            .status,
        200
    );
}
