//! The dashboard pages.

use crate::{CAMPAIGN, Server, TUTORIAL, stored};

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

fn server(tag: &str) -> Server {
    Server::start(
        tag,
        &[
            stored(1, "Loader campaign", CAMPAIGN),
            stored(2, "How to install Java on macOS", TUTORIAL),
            stored(3, HOSTILE, CAMPAIGN),
        ],
    )
}

#[test]
fn list_filters_and_escapes_titles() {
    let server = server("dash-list");
    let page = server.get("/?severity=HIGH");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text();
    assert!(html.contains("<form id=\"filters\" method=\"get\" action=\"/\">"));
    assert!(html.contains("<option value=\"HIGH\" selected>HIGH</option>"));
    assert_eq!(html.matches("<tr class=\"briefing\"").count(), 2, "{html}");
    assert!(!html.contains("Java"));
    assert!(!html.contains(HOSTILE));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let searched = server.get("/?q=onerror").text();
    assert_eq!(searched.matches("<tr class=\"briefing\"").count(), 1);
    assert_eq!(server.get("/?since=soon").status, 400);
}

#[test]
fn briefing_page_renders_markdown_safely_with_copy_hooks() {
    let server = server("dash-one");
    let id = server.get("/api/briefings?q=onerror").json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let html = server.get(&format!("/briefings/{id}")).text();
    assert!(html.contains("<h1 id=\"title\">&lt;img src=x onerror=alert(1)&gt;</h1>"));
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("<code class=\"language-spl\">"), "{html}");
    assert!(html.contains("<script src=\"/static/app.js\" defer></script>"));
    assert!(!html.contains("<script>"), "no inline script");
    let js = server.request("/static/app.js", None);
    assert_eq!(js.status, 200);
    assert!(js.text().contains("Copy "));
    assert_eq!(server.get("/briefings/ffffffffffffffff").status, 404);
}

#[test]
fn heat_map_indicator_search_and_use_cases() {
    let server = server("dash-other");
    let map = server.get("/techniques?days=3650").text();
    assert!(map.contains("<h2>Execution</h2>"));
    assert!(map.contains("class=\"heat-5\""), "{map}");
    let iocs = server.get("/iocs?value=185.220.101.45").text();
    assert!(
        iocs.contains("<p id=\"count\">2 briefing(s) name 185.220.101.45</p>"),
        "{iocs}"
    );
    let cases = server.get("/use-cases").text();
    assert!(cases.contains("UC_PHISH_ATTACH"));
}
