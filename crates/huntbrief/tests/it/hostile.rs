//! Issue 20's acceptance run: `huntbrief run` over a set of hostile sources on 127.0.0.1
//! (SSRF by redirect and by item links, deeply nested pages and feed bodies, nested
//! tables, a run of ATT&CK IDs, a page of IOC-like tokens, a feed of 100,000 items, a
//! header charset contradicting the XML declaration, a slow but honest server) plus one
//! healthy feed. The healthy story is published, nothing internal is fetched, and the
//! run ends. With `HUNTBRIEF_TIME=1` the run goes through `/usr/bin/time -v` and the
//! test prints the summary line, wall time and peak RSS (`scripts/hostile-run.sh`).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What the internal server serves: it must never reach a briefing.
const SECRET: &str = "INTERNAL-SECRET-7f3a metadata token";
const HEALTHY_TITLE: &str = "Loader campaign abuses shortcut files";

struct Hostile {
    base: String,
    internal: String,
    internal_hits: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>T</title><link>/</link>{items}</channel></rss>"
    )
}

fn item(title: &str, link: &str, body: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{link}</link><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate><description><![CDATA[{body}]]></description></item>"
    )
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

const TEASER: &str = "A short teaser of the story&#8230;";

fn article(title: &str, text: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>{text}</article></body></html>"
    )
}

impl Hostile {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let bind = || {
            runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap()
        };
        let (outer, inner) = (bind(), bind());
        let base = format!("http://{}", outer.local_addr().unwrap());
        let internal = format!("http://{}", inner.local_addr().unwrap());
        let internal_hits = Arc::new(AtomicUsize::new(0));
        let secret_page = article("Internal wiki", &format!("<p>{}</p>", SECRET.repeat(40)));
        let secret_feed = rss(&item(SECRET, "/wiki", &SECRET.repeat(60)));
        let inside = Router::new()
            .fallback(get(
                move |State(hits): State<Arc<AtomicUsize>>, uri: Uri| {
                    let (page, feed) = (secret_page.clone(), secret_feed.clone());
                    async move {
                        hits.fetch_add(1, Ordering::SeqCst);
                        if uri.path().ends_with(".xml") {
                            xml(feed)
                        } else {
                            html(page)
                        }
                    }
                },
            ))
            .with_state(internal_hits.clone());
        let app = routes(&base, &internal);
        runtime.spawn(async move { axum::serve(outer, app).await.unwrap() });
        runtime.spawn(async move { axum::serve(inner, inside).await.unwrap() });
        Self {
            base,
            internal,
            internal_hits,
            _runtime: runtime,
        }
    }
}

fn routes(base: &str, internal: &str) -> Router {
    let healthy_text = "<p>Since early November the operators of a loader campaign have sent invoices as password-protected archives that hold a shortcut file.</p>\
        <p>The shortcut starts a script that downloads a second stage and creates a scheduled task so the loader survives a reboot.</p>\
        <p>Defenders should look for shortcut files in mail attachments that launch scripts.</p>";
    let healthy_page = article(HEALTHY_TITLE, healthy_text);
    let healthy = rss(&item(HEALTHY_TITLE, "/healthy/story", TEASER));

    // Defect 1: a feed redirected inside, a feed redirected to a file, and item links
    // pointing inside directly, through a 302, and at the metadata address.
    let to_inside = format!("{internal}/feed.xml");
    let links = rss(&[
        item("Direct link inside", &format!("{internal}/wiki/a"), TEASER),
        item(
            "Redirected inside",
            &format!("{base}/go?{internal}/wiki/b"),
            TEASER,
        ),
        item(
            "Metadata",
            "http://169.254.169.254/latest/meta-data/",
            TEASER,
        ),
    ]
    .concat());

    // Defect 2: deep pages (article pages and a feed body), nested tables.
    let deep_feed = rss(&[
        item("Nested 100k", "/deep/100000", TEASER),
        item("Nested 99k", "/deep/99000", TEASER),
        item("Tables", "/tables", TEASER),
    ]
    .concat());
    let deep_body = rss(&item(
        "Nested feed body",
        "/deep-body/story",
        &format!(
            "<p>The body of the deep story.</p>{}",
            "<div id=a>".repeat(500_000)
        ),
    ));

    // Defect 3 and 6: a run of IDs, a page of IOC-like tokens.
    let floods = rss(&[
        item("IDs", "/ids", TEASER),
        item("IOC flood", "/iocs", TEASER),
    ]
    .concat());
    let mut tokens = String::with_capacity(5 << 20);
    let mut n = 0u32;
    while tokens.len() < 4_900_000 {
        tokens.push_str(&format!(
            "c2-{n}.badcdn.top 45.{}.{}.{} {:032x} ",
            (n >> 16) & 0xff,
            (n >> 8) & 0xff,
            n & 0xff,
            u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ));
        n += 1;
    }
    let ioc_page = format!(
        "<html><body><p>The implant beacons to these C2 servers: {tokens}</p></body></html>"
    );

    // Defect 6: a feed of 100,000 items; a header charset contradicting the XML.
    let mut many = String::with_capacity(6 << 20);
    for i in 0..100_000 {
        many.push_str(&format!(
            "<item><title>Item {i}</title><link>/many/{i}</link></item>"
        ));
    }
    let many = rss(&many);
    let mut latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>L</title><link>/</link>\
<item><title>Caf\xe9 owners warned of card skimmer</title><link>/latin1/story</link><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate><description>"
        .to_vec();
    latin1.extend(b"A long description of the skimmer campaign. ".repeat(40));
    latin1.extend(b"</description></item></channel></rss>");

    let page = |body: String| get(move || async move { html(body) });
    let feed = |body: String| get(move || async move { xml(body) });
    Router::new()
        .route("/healthy.xml", feed(healthy))
        .route("/healthy/story", page(healthy_page))
        .route(
            "/redirect-inside.xml",
            get(move || async move { (StatusCode::FOUND, [(header::LOCATION, to_inside)]) }),
        )
        .route(
            "/redirect-file.xml",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "file:///etc/passwd")],
                )
            }),
        )
        .route("/links.xml", feed(links))
        .route(
            "/go",
            get(|uri: Uri| async move {
                let to = uri.query().unwrap_or_default().to_owned();
                (StatusCode::FOUND, [(header::LOCATION, to)])
            }),
        )
        .route("/deep.xml", feed(deep_feed))
        .route(
            "/deep/100000",
            page("<html><body>".to_owned() + &"<div>".repeat(100_000)),
        )
        .route(
            "/deep/99000",
            page("<html><body>".to_owned() + &"<div>".repeat(99_000)),
        )
        .route("/tables", page("<table><tr><td>".repeat(5_000)))
        .route("/deep-body.xml", feed(deep_body))
        .route("/floods.xml", feed(floods))
        .route(
            "/ids",
            page(format!("<p>The actor used {}</p>", "T1059.".repeat(16_000))),
        )
        .route("/iocs", page(ioc_page))
        .route("/many.xml", feed(many))
        .route("/many/{n}", page(article("Many", "<p>One of many.</p>")))
        .route(
            "/latin1.xml",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
                    latin1,
                )
            }),
        )
        .route(
            "/slow.xml",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                xml(rss(&item(
                    "Slow but honest",
                    "/slow/story",
                    &"Slow story text. ".repeat(100),
                )))
            }),
        )
}

fn collect(dir: &Path, into: &mut BTreeMap<PathBuf, String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, into);
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            into.insert(path, text);
        }
    }
}

#[test]
fn a_run_over_hostile_sources_publishes_the_healthy_story_and_fetches_nothing_internal() {
    let server = Hostile::start();
    let dir = std::env::temp_dir().join(format!("hb-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let feeds: String = [
        ("Healthy", "/healthy.xml"),
        ("Redirect inside", "/redirect-inside.xml"),
        ("Redirect to file", "/redirect-file.xml"),
        ("Links inside", "/links.xml"),
        ("Deep pages", "/deep.xml"),
        ("Deep feed body", "/deep-body.xml"),
        ("Floods", "/floods.xml"),
        ("Many items", "/many.xml"),
        ("Latin-1 labelled UTF-8", "/latin1.xml"),
        ("Slow", "/slow.xml"),
    ]
    .iter()
    .map(|(name, path)| {
        format!(
            "[[feed]]\nname = \"{name}\"\nurl = \"{}{path}\"\n",
            server.base
        )
    })
    .collect();
    let config = format!(
        "db = \"{db}\"\nout = \"{out}\"\nbuiltin_sources = false\n\
         [http]\ntimeout_secs = 20\nmax_feed_mb = 8\nmax_page_mb = 5\npoliteness_ms = 0\nper_host = 8\n\
         [export]\ndir = \"{exports}\"\nformats = [\"all\"]\n\n{feeds}",
        db = dir.join("state.db").display(),
        out = dir.join("briefings").display(),
        exports = dir.join("exports").display(),
    );
    std::fs::write(dir.join("config.toml"), config).unwrap();

    let timed = std::env::var_os("HUNTBRIEF_TIME").is_some();
    let bin = env!("CARGO_BIN_EXE_huntbrief");
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-v", bin]);
        c
    } else {
        Command::new(bin)
    };
    command
        .args(["run", "--config"])
        .arg(dir.join("config.toml"))
        .env_remove("HUNTBRIEF_DB")
        .env_remove("HUNTBRIEF_DATA")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command.spawn().expect("huntbrief run starts");
    // A watchdog, not a measurement: a run that hangs fails the test instead of CI.
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut out = String::new();
    let _ = stdout.read_to_string(&mut out);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("huntbrief run did not finish in 300 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = err_reader.join().unwrap();
    if timed {
        println!("summary: {}", out.trim());
        for line in err.lines().filter(|l| {
            l.contains("Elapsed (wall clock)") || l.contains("Maximum resident set size")
        }) {
            println!("{}", line.trim());
        }
    }
    assert_eq!(
        status.code(),
        Some(3),
        "some sources fail: exit 3\n{out}\n{err}"
    );

    // Nothing internal was fetched, nor published anywhere.
    assert_eq!(
        server.internal_hits.load(Ordering::SeqCst),
        0,
        "{}",
        server.internal
    );
    let mut files = BTreeMap::new();
    collect(&dir.join("briefings"), &mut files);
    collect(&dir.join("exports"), &mut files);
    for (path, text) in &files {
        assert!(
            !text.contains("INTERNAL-SECRET"),
            "{} holds the secret",
            path.display()
        );
    }
    for (name, says) in [
        ("Redirect inside", "refused: redirect to "),
        (
            "Redirect to file",
            "refused: redirect to file:///etc/passwd",
        ),
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(&format!("source failed: {name}: {says}"))),
            "{name}: {says}\n{err}"
        );
    }
    assert!(
        err.contains("refused to fetch"),
        "refusals are logged\n{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("keeping the newest 100") && l.contains("99900")),
        "the item cap says what it skipped\n{err}"
    );

    let briefings: Vec<(&PathBuf, &String)> = files
        .iter()
        .filter(|(p, _)| {
            p.extension().is_some_and(|e| e == "md")
                && p.strip_prefix(dir.join("briefings"))
                    .is_ok_and(|rel| rel.to_string_lossy().starts_with("20"))
        })
        .collect();
    let find = |title: &str| {
        briefings
            .iter()
            .find(|(_, md)| md.lines().next().is_some_and(|l| l.contains(title)))
            .map(|(_, md)| md.as_str())
    };
    let healthy =
        find(HEALTHY_TITLE).unwrap_or_else(|| panic!("healthy story missing\n{out}\n{err}"));
    assert!(
        healthy.contains("scheduled task"),
        "the healthy page was read in full"
    );
    assert!(
        find("Café owners warned of card skimmer").is_some(),
        "charset"
    );
    assert!(
        find("Slow but honest").is_some(),
        "a 5 s server is not starved"
    );
    for title in [
        "Direct link inside",
        "Redirected inside",
        "Metadata",
        "Nested 100k",
        "Nested 99k",
        "Tables",
        "Nested feed body",
    ] {
        assert!(find(title).is_some(), "{title}: briefed from its feed text");
    }
    let flood = find("IOC flood").expect("the flood page is briefed");
    assert!(
        flood.contains("further indicators were cut"),
        "the cut is noted"
    );
    // Outputs stay proportional: the flood's briefing is capped.
    let json: Vec<&String> = files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "json"))
        .map(|(_, t)| t)
        .collect();
    let biggest = files.values().map(String::len).max().unwrap_or(0);
    assert!(biggest < 8 << 20, "largest output {biggest} bytes");
    assert!(!json.is_empty());
    assert!(out.contains("failed source(s)"));
    let _ = std::fs::remove_dir_all(&dir);
}
