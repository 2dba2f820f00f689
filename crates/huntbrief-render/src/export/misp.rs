//! A MISP feed: one `{uuid}.json` event per briefing, `manifest.json` listing every event,
//! and `hashes.csv` (the MD5 of each attribute value with its event's uuid), the layout a
//! MISP instance subscribes to as a feed of type "MISP Feed".
//!
//! Indicators become attributes of MISP's own types and categories; only high-fidelity ones
//! are flagged `to_ids`, so a MISP that exports IDS rules never blocks on a guess. Hunts
//! travel as `sigma` and `kusto-query` attributes (SPL as `text`), never `to_ids`: they are
//! hunting queries, not detections tuned for alerting. Techniques and attributed actors,
//! malware and tools with ATT&CK IDs become galaxy-cluster tags.

use std::collections::{BTreeMap, BTreeSet};

use huntbrief_core::{Backend, Briefing, Fidelity, IocType, NameRole, NamedEntity, Severity};
use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::{Exported, Files, ids::uuid5};

/// Longest attribute comment: the evidence sentence is context, not a copy of the article.
const COMMENT_MAX: usize = 300;

/// The attribute value of an indicator: a composite type joins its parts with `|`
/// (`ip-dst|port` is `203.0.113.7|3333`).
pub fn attribute_value(kind: IocType, value: &str) -> std::borrow::Cow<'_, str> {
    match (kind, value.rsplit_once(':')) {
        (IocType::Socket, Some((ip, port))) => format!("{ip}|{port}").into(),
        _ => value.into(),
    }
}

/// MISP's type and category of an indicator type.
pub fn attribute_type(kind: IocType) -> (&'static str, &'static str) {
    match kind {
        IocType::Ipv4 | IocType::Ipv6 => ("ip-dst", "Network activity"),
        IocType::Domain => ("domain", "Network activity"),
        IocType::Url => ("url", "Network activity"),
        IocType::Asn => ("AS", "Network activity"),
        IocType::Email => ("email-src", "Payload delivery"),
        IocType::Md5 => ("md5", "Payload delivery"),
        IocType::Sha1 => ("sha1", "Payload delivery"),
        IocType::Sha256 => ("sha256", "Payload delivery"),
        IocType::Sha512 => ("sha512", "Payload delivery"),
        IocType::Filename | IocType::Filepath => ("filename", "Payload delivery"),
        IocType::Package => ("text", "Payload delivery"),
        IocType::Registry => ("regkey", "Persistence mechanism"),
        IocType::Cve => ("vulnerability", "External analysis"),
        IocType::Btc => ("btc", "Financial fraud"),
        IocType::Xmr => ("xmr", "Financial fraud"),
        IocType::Eth => ("text", "Financial fraud"),
        IocType::Socket => ("ip-dst|port", "Network activity"),
        IocType::Imphash => ("imphash", "Payload delivery"),
        IocType::X509Sha1 => ("x509-fingerprint-sha1", "Network activity"),
        IocType::X509Sha256 => ("x509-fingerprint-sha256", "Network activity"),
    }
}

/// MISP's type and category of a hunt query.
fn query_type(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sigma => ("sigma", "Payload installation"),
        Backend::Defender | Backend::Sentinel => ("kusto-query", "Artifacts dropped"),
        Backend::Splunk | Backend::Elastic => ("text", "Other"),
    }
}

/// MISP threat levels: 1 high, 2 medium, 3 low.
fn threat_level(severity: Severity) -> u8 {
    match severity {
        Severity::Crit | Severity::High => 1,
        Severity::Med => 2,
        Severity::Low => 3,
    }
}

fn tag(name: String) -> Value {
    let colour = if name == "tlp:clear" {
        "#ffffff"
    } else {
        "#0088cc"
    };
    json!({"colour": colour, "local": false, "name": name, "relationship_type": ""})
}

/// The galaxy-cluster value of a technique: MISP's ATT&CK clusters name a sub-technique
/// without its parent (`Spearphishing Attachment - T1566.001`).
fn technique_cluster(id: &str, name: &str) -> String {
    let short = if id.contains('.') {
        name.rsplit_once(": ").map_or(name, |(_, sub)| sub)
    } else {
        name
    };
    format!("{short} - {id}")
}

/// A galaxy tag for a named actor, malware or tool that ATT&CK knows, when the article
/// attributes or uses it (a comparison is no tag).
fn entity_tag(galaxy: &str, e: &NamedEntity) -> Option<String> {
    let id = e.attack_id.as_deref()?;
    if e.role == NameRole::Mentioned || e.name.contains('"') {
        return None;
    }
    Some(format!("misp-galaxy:{galaxy}=\"{} - {id}\"", e.name))
}

fn tags(b: &Briefing) -> Vec<Value> {
    let mut names = vec!["tlp:clear".to_owned()];
    let mut seen = BTreeSet::new();
    for t in &b.techniques {
        names.push(format!(
            "misp-galaxy:mitre-attack-pattern=\"{}\"",
            technique_cluster(&t.id, &t.name)
        ));
    }
    let entities = [
        ("mitre-intrusion-set", &b.actors),
        ("mitre-malware", &b.malware),
        ("mitre-tool", &b.tools),
    ];
    for (galaxy, list) in entities {
        names.extend(list.iter().filter_map(|e| entity_tag(galaxy, e)));
    }
    names.retain(|n| seen.insert(n.clone()));
    names.into_iter().map(tag).collect()
}

fn clip(text: &str) -> String {
    if text.len() <= COMMENT_MAX {
        return text.to_owned();
    }
    format!("{}…", &text[..text.floor_char_boundary(COMMENT_MAX)])
}

fn fidelity_word(f: Fidelity) -> &'static str {
    match f {
        Fidelity::High => "high",
        Fidelity::Medium => "medium",
        Fidelity::Low => "low",
    }
}

struct Event {
    uuid: String,
    json: Value,
    manifest: Value,
    values: Vec<String>,
}

fn event(item: &Exported<'_>) -> Event {
    let b = item.briefing;
    let uuid = uuid5(&format!("misp:event:{}", b.id)).to_string();
    let timestamp = item.changed_at.timestamp().max(0).to_string();
    let date = b
        .published
        .unwrap_or_else(|| item.first_seen.date_naive())
        .to_string();
    let mut attributes: Vec<Value> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |kind: (&str, &str), value: &str, to_ids: bool, comment: String| {
        let key = format!("misp:attribute:{}:{}:{value}", b.id, kind.0);
        if value.is_empty() || !seen.insert(key.clone()) {
            return;
        }
        attributes.push(json!({
            "uuid": uuid5(&key).to_string(), "type": kind.0, "category": kind.1,
            "value": value, "to_ids": to_ids, "comment": comment,
            "timestamp": timestamp, "disable_correlation": false,
        }));
    };
    if let Some(url) = &b.url {
        push(
            ("link", "External analysis"),
            url,
            false,
            "The article".into(),
        );
    }
    for ioc in &b.iocs {
        let comment = clip(&format!(
            "{} fidelity. {}",
            fidelity_word(ioc.fidelity),
            ioc.evidence
        ));
        let to_ids = ioc.fidelity == Fidelity::High && ioc.kind != IocType::Cve;
        push(
            attribute_type(ioc.kind),
            &attribute_value(ioc.kind, &ioc.value),
            to_ids,
            comment,
        );
    }
    for h in &b.hunts {
        for (backend, query) in &h.queries {
            let comment = format!("{} hunt {}: {}", backend.label(), h.id, h.title);
            push(query_type(*backend), query, false, clip(&comment));
        }
    }
    let values = attributes
        .iter()
        .map(|a| a["value"].as_str().unwrap_or_default().to_owned())
        .collect();
    let orgc = json!({"name": "huntbrief", "uuid": uuid5("misp:org:huntbrief").to_string()});
    let tags = tags(b);
    let info = if b.title.trim().is_empty() {
        format!("huntbrief briefing {}", b.id)
    } else {
        b.title.clone()
    };
    let level = threat_level(b.severity);
    let json = json!({"Event": {
        "uuid": uuid, "info": info, "date": date,
        "analysis": "2", "threat_level_id": level.to_string(),
        "published": true, "timestamp": timestamp, "publish_timestamp": timestamp,
        "Orgc": orgc, "Tag": tags, "Attribute": attributes,
    }});
    let manifest = json!({
        "Orgc": orgc, "Tag": tags, "info": info, "date": date,
        "analysis": 2, "threat_level_id": level,
        "timestamp": item.changed_at.timestamp().max(0),
    });
    Event {
        uuid,
        json,
        manifest,
        values,
    }
}

/// Lower-case hex MD5, as MISP's feed cache compares attribute values.
fn md5_hex(value: &str) -> String {
    Md5::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).unwrap_or_default();
    out.push(b'\n');
    out
}

pub fn files(items: &[Exported<'_>]) -> Files {
    let mut files = Files::new();
    let mut manifest = BTreeMap::new();
    let mut hashes = String::new();
    for item in items {
        let e = event(item);
        for v in &e.values {
            hashes.push_str(&format!("{},{}\n", md5_hex(v), e.uuid));
        }
        files.insert(format!("{}.json", e.uuid), pretty(&e.json));
        manifest.insert(e.uuid, e.manifest);
    }
    files.insert("manifest.json".into(), pretty(&json!(manifest)));
    files.insert("hashes.csv".into(), hashes.into_bytes());
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing;

    fn briefing(title: &str, text: &str) -> Briefing {
        let url = format!("https://lab.example/{}", title.len());
        testing::briefing(title, Some(&url), text)
    }

    fn export(bs: &[Briefing]) -> Files {
        files(&testing::items(bs, testing::at(0)))
    }

    const CAMPAIGN: &str = "APT29 sent spearphishing attachments to diplomats. The macro ran \
        powershell.exe -enc to download a loader from hxxps://cdn-update[.]top/a.bin. The loader \
        beacons to 185.220.101.45. Its SHA-256 is \
        0f5a8a9d3c1e2b4f6a7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c. \
        Attackers exploited CVE-2024-3400 for initial access.";

    fn event_of(files: &Files, b: &Briefing) -> Value {
        let uuid = uuid5(&format!("misp:event:{}", b.id));
        serde_json::from_slice(&files[&format!("{uuid}.json")]).unwrap()
    }

    #[test]
    fn feed_lists_every_event_with_hashes_of_every_value() {
        let a = briefing("Loader campaign", CAMPAIGN);
        let b = briefing("Second wave", "The loader beacons to 185.220.101.45 again.");
        let out = export(&[a.clone(), b.clone()]);
        assert_eq!(out, export(&[a.clone(), b.clone()]), "stable bytes");
        let manifest: Value = serde_json::from_slice(&out["manifest.json"]).unwrap();
        let listed: BTreeSet<String> = manifest.as_object().unwrap().keys().cloned().collect();
        let files: BTreeSet<String> = out
            .keys()
            .filter_map(|k| k.strip_suffix(".json"))
            .filter(|k| *k != "manifest")
            .map(str::to_owned)
            .collect();
        assert_eq!(listed, files);
        assert_eq!(listed.len(), 2);

        let hashes = String::from_utf8(out["hashes.csv"].clone()).unwrap();
        let event = event_of(&out, &a);
        let uuid = event["Event"]["uuid"].as_str().unwrap();
        assert_eq!(manifest[uuid]["info"], "Loader campaign");
        for attr in event["Event"]["Attribute"].as_array().unwrap() {
            let md5 = md5_hex(attr["value"].as_str().unwrap());
            assert!(hashes.contains(&format!("{md5},{uuid}\n")), "{attr}");
        }
        let ip_md5 = md5_hex("185.220.101.45");
        assert_eq!(
            hashes.matches(&ip_md5).count(),
            2,
            "the IP is in both events"
        );
    }

    #[test]
    fn issue_18_types_map_to_misp_attributes() {
        assert_eq!(attribute_type(IocType::Socket).0, "ip-dst|port");
        assert_eq!(
            attribute_value(IocType::Socket, "203.0.113.7:3333"),
            "203.0.113.7|3333"
        );
        assert_eq!(attribute_type(IocType::Imphash).0, "imphash");
        assert_eq!(attribute_type(IocType::X509Sha1).0, "x509-fingerprint-sha1");
        assert_eq!(
            attribute_type(IocType::X509Sha256).0,
            "x509-fingerprint-sha256"
        );
        assert_eq!(attribute_value(IocType::Md5, "ab:cd"), "ab:cd");
    }

    #[test]
    fn attributes_have_misp_types_and_only_high_fidelity_goes_to_ids() {
        let b = briefing("Loader campaign", CAMPAIGN);
        let event = event_of(&export(std::slice::from_ref(&b)), &b);
        let attrs = event["Event"]["Attribute"].as_array().unwrap();
        let find = |ty: &'static str| attrs.iter().filter(move |a| a["type"] == ty);
        let ip = find("ip-dst").next().expect("ip-dst");
        assert_eq!(ip["value"], "185.220.101.45");
        assert_eq!(ip["category"], "Network activity");
        let vuln = find("vulnerability").next().expect("vulnerability");
        assert_eq!(vuln["to_ids"], false);
        for ioc in &b.iocs {
            let (ty, _) = attribute_type(ioc.kind);
            let a = attrs
                .iter()
                .find(|a| {
                    a["type"] == ty && a["value"] == attribute_value(ioc.kind, &ioc.value).as_ref()
                })
                .unwrap_or_else(|| panic!("{ioc:?} missing"));
            let want = ioc.fidelity == Fidelity::High && ioc.kind != IocType::Cve;
            assert_eq!(a["to_ids"], want, "{a}");
        }
        assert!(!b.hunts.is_empty());
        assert!(find("sigma").count() > 0 && find("kusto-query").count() > 0);
        assert!(
            attrs
                .iter()
                .filter(|a| a["type"] == "sigma" || a["type"] == "kusto-query")
                .all(|a| a["to_ids"] == false)
        );
        assert_eq!(
            find("link").next().unwrap()["value"],
            b.url.clone().unwrap()
        );
    }

    #[test]
    fn tags_carry_tlp_techniques_and_attributed_actors() {
        let b = briefing("Loader campaign", CAMPAIGN);
        let event = event_of(&export(std::slice::from_ref(&b)), &b);
        let tags: Vec<&str> = event["Event"]["Tag"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(tags[0], "tlp:clear");
        for t in &b.techniques {
            assert!(
                tags.iter()
                    .any(|g| g.starts_with("misp-galaxy:mitre-attack-pattern=")
                        && g.ends_with(&format!(" - {}\"", t.id))),
                "{} not tagged: {tags:?}",
                t.id
            );
        }
        assert!(
            tags.contains(&"misp-galaxy:mitre-intrusion-set=\"APT29 - G0016\""),
            "{tags:?}"
        );
        assert_eq!(
            technique_cluster("T1566.001", "Phishing: Spearphishing Attachment"),
            "Spearphishing Attachment - T1566.001"
        );
        assert_eq!(
            technique_cluster("T1059", "Command and Scripting Interpreter"),
            "Command and Scripting Interpreter - T1059"
        );
    }

    #[test]
    fn hostile_titles_and_values_stay_inside_json_strings() {
        let b = briefing(
            "\"},{\"Event\": 1} </script>\n,evil",
            "The loader beacons to 185.220.101.45 and drops \"a\",b.exe.",
        );
        let out = export(std::slice::from_ref(&b));
        let event = event_of(&out, &b);
        assert_eq!(event["Event"]["info"], b.title.as_str());
        let manifest: Value = serde_json::from_slice(&out["manifest.json"]).unwrap();
        assert_eq!(manifest.as_object().unwrap().len(), 1);
        let hashes = String::from_utf8(out["hashes.csv"].clone()).unwrap();
        assert!(hashes.lines().all(|l| {
            let (h, u) = l.split_once(',').unwrap();
            h.len() == 32 && u.len() == 36
        }));
    }
}
