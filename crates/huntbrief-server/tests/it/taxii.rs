//! TAXII 2.1: discovery, collections, paged objects with filters, manifest.

use std::collections::HashSet;

use serde_json::Value;

use crate::{CAMPAIGN, Server, TUTORIAL, stored};

const MEDIA: &str = "application/taxii+json;version=2.1";

fn server(tag: &str) -> Server {
    Server::start(
        tag,
        &[
            stored(1, "Loader campaign", CAMPAIGN),
            stored(2, "How to install Java on macOS", TUTORIAL),
            stored(3, "Second loader wave", CAMPAIGN),
        ],
    )
}

fn collection(server: &Server, title_part: &str) -> String {
    let list = server.get("/taxii2/api1/collections/").json();
    list["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"].as_str().unwrap().contains(title_part))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn discovery_root_and_collections() {
    let server = server("taxii-discovery");
    let d = server.get("/taxii2/");
    assert_eq!(d.header("content-type"), Some(MEDIA));
    assert_eq!(d.json()["api_roots"][0], "/taxii2/api1/");
    let root = server.get("/taxii2/api1/").json();
    assert_eq!(root["versions"][0], MEDIA);
    let list = server.get("/taxii2/api1/collections/").json();
    assert_eq!(list["collections"].as_array().unwrap().len(), 4);
    let id = collection(&server, "Every briefing");
    let one = server
        .get(&format!("/taxii2/api1/collections/{id}/"))
        .json();
    assert_eq!(
        (one["can_read"].clone(), one["can_write"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
    let missing = server.get("/taxii2/api1/collections/nope/objects/");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), Some(MEDIA));
}

#[test]
fn objects_page_two_at_a_time_and_filter() {
    let server = server("taxii-objects");
    let id = collection(&server, "Every briefing");
    let base = format!("/taxii2/api1/collections/{id}/objects/");
    let everything = server.get(&format!("{base}?limit=1000")).json();
    let all: Vec<String> = everything["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(all.iter().any(|i| i.starts_with("indicator--")), "{all:?}");
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len(),
        all.len(),
        "each object once"
    );

    let mut paged = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(n) => format!("{base}?limit=2&next={n}"),
            None => format!("{base}?limit=2"),
        };
        let r = server.get(&url);
        assert_eq!(r.header("content-type"), Some(MEDIA));
        let page = r.json();
        let objects = page["objects"].as_array().unwrap();
        assert!(objects.len() <= 2);
        assert!(r.header("x-taxii-date-added-first").is_some());
        paged.extend(objects.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        if page["more"] == Value::Bool(true) {
            next = Some(page["next"].as_str().unwrap().to_owned());
        } else {
            break;
        }
    }
    assert_eq!(paged, all);

    let types = server
        .get(&format!(
            "{base}?match[type]=attack-pattern,vulnerability&limit=1000"
        ))
        .json();
    assert!(
        types["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| matches!(o["type"].as_str(), Some("attack-pattern" | "vulnerability")))
    );
    let one = &all[0];
    let by_id = server.get(&format!("{base}?match[id]={one}")).json();
    assert_eq!(by_id["objects"].as_array().unwrap().len(), 1);
    assert_eq!(
        server.get(&format!("{base}{one}/")).json()["objects"][0]["id"],
        one.as_str()
    );
    // The second wave was stored last: only its new objects come after the first's time.
    let later = server
        .get(&format!(
            "{base}?added_after=2026-10-26T10:00:00Z&limit=1000"
        ))
        .json();
    let later_n = later["objects"].as_array().unwrap().len();
    assert!(
        later_n > 0 && later_n < all.len(),
        "{later_n} of {}",
        all.len()
    );
    assert_eq!(
        server.get(&format!("{base}?added_after=yesterday")).status,
        400
    );
}

#[test]
fn manifest_and_severity_collections() {
    let server = server("taxii-manifest");
    let all = collection(&server, "Every briefing");
    let manifest = server
        .get(&format!(
            "/taxii2/api1/collections/{all}/manifest/?limit=1000"
        ))
        .json();
    let records = manifest["objects"].as_array().unwrap();
    assert!(!records.is_empty());
    assert!(
        records
            .iter()
            .all(|r| r["media_type"] == "application/stix+json;version=2.1"
                && r["version"].as_str().is_some()
                && r["date_added"].as_str().is_some_and(|d| d.ends_with('Z')))
    );
    let objects = |c: &str| {
        server
            .get(&format!("/taxii2/api1/collections/{c}/objects/?limit=1000"))
            .json()["objects"]
            .as_array()
            .unwrap()
            .len()
    };
    let high = collection(&server, "HIGH or CRIT");
    assert!(objects(&high) <= objects(&all));
    assert!(objects(&high) > 0, "the campaigns are serious");
}
