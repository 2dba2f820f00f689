//! The JSON API.

use serde_json::Value;

use crate::{APT29, CAMPAIGN, Server, TUTORIAL, stored};

fn server(tag: &str) -> (Server, Vec<huntbrief_store::StoredArticle>) {
    let articles: Vec<_> = (0..7)
        .map(|n| {
            if n % 3 == 0 {
                stored(n, &format!("How to install Java, part {n}"), TUTORIAL)
            } else {
                stored(n, &format!("Loader campaign wave {n}"), CAMPAIGN)
            }
        })
        .collect();
    (Server::start(tag, &articles), articles)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn listing_filters_and_pages_newest_first() {
    let (server, articles) = server("api-list");
    let all = server.get("/api/briefings?limit=500").json();
    assert_eq!(all["total"], 7);
    let newest: Vec<String> = articles
        .iter()
        .rev()
        .map(|a| a.briefing.id.clone())
        .collect();
    assert_eq!(ids(&all), newest, "newest first");

    // Pages of 3 cover the list once, in order.
    let mut paged = Vec::new();
    let mut offset = Some(0);
    while let Some(o) = offset {
        let page = server
            .get(&format!("/api/briefings?limit=3&offset={o}"))
            .json();
        paged.extend(ids(&page));
        offset = page["next_offset"].as_u64();
    }
    assert_eq!(paged, newest);

    let serious = server.get("/api/briefings?severity=high").json();
    assert_eq!(serious["total"], 4, "the campaigns: {serious}");
    assert!(
        serious["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| matches!(i["severity"].as_str(), Some("CRIT" | "HIGH")))
    );
    let tutorials = server.get("/api/briefings?kind=tutorial").json();
    assert_eq!(tutorials["total"], 3);
    assert_eq!(tutorials["items"][0]["counts"]["techniques"], 0);
    let words = server.get("/api/briefings?q=PART%203").json();
    assert_eq!(words["total"], 1);
    let technique = articles[1].briefing.techniques[0].id.clone();
    let by_technique = server
        .get(&format!(
            "/api/briefings?technique={}",
            technique.to_lowercase()
        ))
        .json();
    assert_eq!(by_technique["total"], 4);
    let days = server
        .get("/api/briefings?since=2026-11-03&until=2026-11-04")
        .json();
    assert_eq!(days["total"], 2);
    for bad in ["severity=urgent", "since=yesterday", "kind=rumour"] {
        let r = server.get(&format!("/api/briefings?{bad}"));
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["error"].as_str().is_some());
    }
}

#[test]
fn one_briefing_in_each_format() {
    let (server, articles) = server("api-one");
    let b = &articles[1].briefing;
    let json = server.get(&format!("/api/briefings/{}", b.id));
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(json.json()["title"], b.title.as_str());
    let md = server.get(&format!("/api/briefings/{}?format=md", b.id));
    assert!(
        md.header("content-type")
            .unwrap()
            .starts_with("text/markdown")
    );
    assert!(
        md.text()
            .starts_with(&format!("# [{}] {}", b.severity.as_str(), b.title))
    );
    let stix = server.get(&format!("/api/briefings/{}?format=stix", b.id));
    assert_eq!(stix.status, 200);
    assert_eq!(
        stix.header("content-type"),
        Some("application/stix+json;version=2.1")
    );
    assert_eq!(stix.json()["type"], "bundle");
    assert_eq!(server.get("/api/briefings/0000000000000000").status, 404);
    assert_eq!(
        server
            .get(&format!("/api/briefings/{}?format=pdf", b.id))
            .status,
        400
    );
}

#[test]
fn indicator_and_technique_lookups() {
    let (server, _) = server("api-lookups");
    let hits = server.get("/api/iocs?value=185.220.101[.]45").json();
    let briefings = hits["briefings"].as_array().unwrap();
    assert_eq!(briefings.len(), 4);
    assert_eq!(briefings[0]["indicators"][0]["type"], "ipv4");
    assert!(
        briefings[0]["indicators"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("beacons")
    );
    assert_eq!(
        server.get("/api/iocs?value=8.8.8.8").json()["briefings"],
        serde_json::json!([])
    );
    assert_eq!(server.get("/api/iocs").status, 400);
    let t = server.get("/api/techniques").json();
    let rows = t["techniques"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["count"] == 4), "{t}");
    assert!(rows[0]["name"].as_str().is_some());
}

#[test]
fn actors_are_counted_by_attack_id_with_roles() {
    let articles = [
        stored(1, "APT29 phishes diplomats", APT29),
        stored(2, "APT29 again", APT29),
        stored(3, "Loader campaign", CAMPAIGN),
    ];
    let server = Server::start("api-actors", &articles);
    let all = server.get("/api/actors").json();
    let rows = all["actors"].as_array().unwrap();
    let apt = &rows[0];
    assert_eq!(apt["key"], "G0016", "{all}");
    assert_eq!(apt["kind"], "actor");
    assert_eq!(apt["attack_url"], "https://attack.mitre.org/groups/G0016/");
    assert_eq!(apt["count"], 2);
    assert_eq!(apt["attributed_or_used"], 2);
    assert_eq!(apt["last_seen"], "2026-11-03");
    assert_eq!(
        apt["briefings"],
        serde_json::json!([articles[1].briefing.id, articles[0].briefing.id]),
        "newest first"
    );
    let emotet = rows.iter().find(|r| r["key"] == "S0367").unwrap();
    assert_eq!(
        (&emotet["mentioned_only"], &emotet["attributed_or_used"]),
        (&serde_json::json!(2), &serde_json::json!(0))
    );
    let tools = server.get("/api/actors?kind=TOOL").json();
    let tools = tools["actors"].as_array().unwrap();
    assert!(!tools.is_empty() && tools.iter().all(|r| r["kind"] == "tool"));
    assert_eq!(server.get("/api/actors?kind=vendor").status, 400);
}

#[test]
fn the_openapi_description_covers_every_route() {
    let (server, _) = server("api-openapi");
    let doc = server.get("/api/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for route in [
        "/api/health",
        "/api/openapi.json",
        "/api/briefings",
        "/api/briefings/{id}",
        "/api/iocs",
        "/api/techniques",
        "/api/actors",
    ] {
        assert!(paths.iter().any(|p| *p == route), "{route} undocumented");
    }
    // Every documented path answers (with the parameters it requires).
    for p in paths {
        let path = p.replace("{id}", "0000000000000000");
        let status = server.get(&format!("{path}?value=x")).status;
        assert!(matches!(status, 200 | 404), "{path}: {status}");
    }
}
