//! The dashboard pages.

use huntbrief_core::{NameRole, NameSource, NamedEntity};

use crate::{APT29, CAMPAIGN, Server, TUTORIAL, stored};

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

#[test]
fn actor_pages_list_the_briefings_that_name_an_actor_with_evidence() {
    let apt = stored(4, "APT29 phishes diplomats", APT29);
    let id = apt.briefing.id.clone();
    let server = Server::start(
        "dash-actors",
        &[apt, stored(1, "Loader campaign", CAMPAIGN)],
    );
    let list = server.get("/actors");
    assert_eq!(list.status, 200);
    let html = list.text();
    assert!(html.contains("<a href=\"/actors\" class=\"active\">Actors</a>"));
    for section in ["actors", "malware", "tools"] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "{section}"
        );
    }
    assert!(
        html.contains("<a href=\"/actors/G0016\">APT29</a>"),
        "{html}"
    );
    assert!(html.contains(
        "<a href=\"https://attack.mitre.org/groups/G0016/\" rel=\"noopener noreferrer\">G0016</a>"
    ));
    assert!(html.contains("https://attack.mitre.org/software/S0002/"));
    assert!(html.contains("<td>2026-11-05</td>"), "last seen: {html}");

    for key in ["G0016", "g0016"] {
        let page = server.get(&format!("/actors/{key}"));
        assert_eq!(page.status, 200, "{key}");
        let html = page.text();
        assert!(html.contains("<h1 id=\"title\">APT29</h1>"));
        assert!(html.contains("Cozy Bear"), "aliases: {html}");
        assert!(html.contains(&format!(
            "<a href=\"/briefings/{id}\">APT29 phishes diplomats</a>"
        )));
        assert!(
            html.contains(
                "<td>attributed</td><td>APT29 sent spearphishing emails with a malicious Word \
             attachment to European diplomats.</td>"
            ),
            "{html}"
        );
        assert!(!html.contains("Loader campaign"));
    }
    let emotet = server.get("/actors/S0367").text();
    assert!(emotet.contains("<td>mentioned</td>"), "{emotet}");
    assert!(emotet.contains("0 briefing(s) attribute or use it, 1 only mention it"));
    assert_eq!(server.get("/actors/G9999").status, 404);

    let briefing = server.get(&format!("/briefings/{id}")).text();
    assert!(
        briefing.contains("<a href=\"/actors/G0016\">APT29</a> (attributed)"),
        "{briefing}"
    );
    assert!(briefing.contains("<a href=\"/actors/S0002\">Mimikatz</a> (used)"));
}

#[test]
fn actor_pages_escape_names_aliases_and_evidence() {
    let mut a = stored(4, "Hostile names", APT29);
    let hostile = |name: &str, attack_id: Option<&str>| NamedEntity {
        name: name.into(),
        attack_id: attack_id.map(str::to_owned),
        aliases: vec!["<script>alert(2)</script>".into()],
        role: NameRole::Attributed,
        evidence: format!("Tracked as {name} <script>alert(3)</script>."),
        source: NameSource::New,
    };
    a.briefing.actors.push(hostile(HOSTILE, None));
    a.briefing
        .tools
        .push(hostile("Tool\"><b>x</b>", Some("S0001\"><img src=x>")));
    let id = a.briefing.id.clone();
    let server = Server::start("dash-actors-hostile", &[a]);
    let key = "/actors/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E";
    let pages = [
        server.get("/actors").text(),
        server.get(key).text(),
        server.get("/actors/S0001%22%3E%3CIMG%20SRC%3DX%3E").text(),
        server.get(&format!("/briefings/{id}")).text(),
    ];
    for html in &pages {
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>x"), "{html}");
    }
    assert!(pages[0].contains(&format!(
        "<a href=\"{key}\">&lt;img src=x onerror=alert(1)&gt;</a>"
    )));
    assert!(
        pages[0].contains("<td>S0001&quot;&gt;&lt;img src=x&gt;</td>"),
        "{}",
        pages[0]
    );
    assert!(pages[1].contains("<h1 id=\"title\">&lt;img src=x onerror=alert(1)&gt;</h1>"));
    assert!(pages[1].contains("Also known as: &lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(pages[1].contains(
        "<td>Tracked as &lt;img src=x onerror=alert(1)&gt; &lt;script&gt;alert(3)&lt;/script&gt;.</td>"
    ));
    assert!(
        pages[2].contains("<h1 id=\"title\">Tool&quot;&gt;&lt;b&gt;x&lt;/b&gt;</h1>"),
        "{}",
        pages[2]
    );
    assert!(pages[3].contains(&format!(
        "<a href=\"{key}\">&lt;img src=x onerror=alert(1)&gt;</a> (attributed)"
    )));
}
