//! STIX 2.1 bundles: one per briefing (`{id}.json`) and one for the whole export
//! (`bundle.json`). Objects shared between briefings (identity, markings, attack-patterns,
//! vulnerabilities) carry fixed timestamps, so bundles never contradict each other.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use huntbrief_core::attack::table::{ATTRIBUTION, Table};
use huntbrief_core::kb::EMBEDDED;
use huntbrief_core::names::table::attack_page;
use huntbrief_core::{Backend, Briefing, Fidelity, IocType, Kind, NameRole, NamedEntity};
use serde_json::{Value, json};

use super::{Exported, Files, ids::uuid5, timestamp};

/// Timestamp of objects shared between briefings: fixed so their content never varies.
const SHARED_TIME: &str = "2025-01-01T00:00:00.000Z";
/// TLP:CLEAR, the predefined TLP v2 marking-definition of the STIX 2.1 extension.
const TLP_CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";

/// STIX wants `created`/`modified` precise to the millisecond.
fn stix_time(t: chrono::DateTime<chrono::Utc>) -> String {
    timestamp(t).replace('Z', ".000Z")
}

fn sid(kind: &str, name: &str) -> String {
    format!("{kind}--{}", uuid5(&format!("stix:{kind}:{name}")))
}

fn identity_id() -> String {
    sid("identity", "huntbrief")
}

fn mitre_marking_id() -> String {
    sid("marking-definition", "mitre-attack-copyright")
}

/// A single-quoted STIX pattern string literal: `\` and `'` are escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The STIX pattern of an indicator, where a sound object path exists.
pub fn pattern(kind: IocType, value: &str) -> Option<String> {
    let path = match kind {
        IocType::Ipv4 => "ipv4-addr:value",
        IocType::Ipv6 => "ipv6-addr:value",
        IocType::Domain => "domain-name:value",
        IocType::Url => "url:value",
        IocType::Email => "email-addr:value",
        IocType::Sha256 => "file:hashes.'SHA-256'",
        IocType::Sha1 => "file:hashes.'SHA-1'",
        IocType::Md5 => "file:hashes.MD5",
        IocType::Sha512 => "file:hashes.'SHA-512'",
        IocType::Filename => "file:name",
        IocType::Registry => "windows-registry-key:key",
        IocType::Imphash => "file:extensions.'windows-pebinary-ext'.imphash",
        IocType::X509Sha1 => "x509-certificate:hashes.'SHA-1'",
        IocType::X509Sha256 => "x509-certificate:hashes.'SHA-256'",
        IocType::Socket => {
            let (ip, port) = value.rsplit_once(':')?;
            let port: u16 = port.parse().ok()?;
            return Some(format!(
                "[network-traffic:dst_ref.type = 'ipv4-addr' AND \
                 network-traffic:dst_ref.value = {} AND network-traffic:dst_port = {port}]",
                quote(ip)
            ));
        }
        IocType::Asn => {
            let n: u64 = value
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .ok()?;
            return Some(format!("[autonomous-system:number = {n}]"));
        }
        _ => return None,
    };
    Some(format!("[{path} = {}]", quote(value)))
}

fn shared_objects() -> Vec<Value> {
    vec![
        json!({
            "type": "identity", "spec_version": "2.1", "id": identity_id(),
            "created": SHARED_TIME, "modified": SHARED_TIME,
            "name": "huntbrief", "identity_class": "system",
        }),
        json!({
            "type": "marking-definition", "spec_version": "2.1", "id": mitre_marking_id(),
            "created": SHARED_TIME, "name": "MITRE ATT&CK copyright",
            "definition_type": "statement", "definition": {"statement": ATTRIBUTION},
        }),
        json!({
            "type": "marking-definition", "spec_version": "2.1", "id": TLP_CLEAR,
            "created": "2022-10-01T00:00:00.000Z", "name": "TLP:CLEAR",
            "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
                {"extension_type": "property-extension", "tlp_2_0": "clear"}},
        }),
    ]
}

fn tactic_phase(tactic: &str) -> String {
    tactic.trim().to_ascii_lowercase().replace([' ', '_'], "-")
}

fn technique_url(id: &str) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}/",
        id.replace('.', "/")
    )
}

/// A relationship of one briefing, its id named by `name`; `times` are created, modified.
fn relationship(name: &str, kind: &str, source: &str, target: &str, times: (&str, &str)) -> Value {
    json!({
        "type": "relationship", "spec_version": "2.1", "id": sid("relationship", name),
        "created_by_ref": identity_id(), "created": times.0, "modified": times.1,
        "relationship_type": kind, "source_ref": source, "target_ref": target,
    })
}

/// The `attack-pattern` of a technique: shared by every briefing (fixed timestamps).
fn attack_pattern(id: &str, name: &str, tactics: &[String]) -> Value {
    let mut o = json!({
        "type": "attack-pattern", "spec_version": "2.1", "id": sid("attack-pattern", id),
        "created_by_ref": identity_id(), "created": SHARED_TIME, "modified": SHARED_TIME,
        "name": name,
        "external_references": [{"source_name": "mitre-attack", "external_id": id, "url": technique_url(id)}],
        "object_marking_refs": [TLP_CLEAR, mitre_marking_id()],
    });
    if !tactics.is_empty() {
        o["kill_chain_phases"] = tactics
            .iter()
            .map(|tac| json!({"kill_chain_name": "mitre-attack", "phase_name": tactic_phase(tac)}))
            .collect();
    }
    o
}

/// The display name and tactics of a technique, from the embedded ATT&CK table (parsed
/// once), as the analysis names its hits.
fn technique_named(id: &str) -> Option<(String, Vec<String>)> {
    static TABLE: OnceLock<Option<Table>> = OnceLock::new();
    let table = TABLE
        .get_or_init(|| {
            Table::parse(
                EMBEDDED.get(Table::FILE)?,
                EMBEDDED.get(Table::TACTICS_FILE)?,
            )
            .ok()
        })
        .as_ref()?;
    let t = table.get(id)?;
    Some((table.display_name(id)?, t.tactics.clone()))
}

/// All objects of one briefing, shared ones included, in a stable order.
fn briefing_objects(item: &Exported<'_>) -> Vec<Value> {
    let b: &Briefing = item.briefing;
    let created = stix_time(item.first_seen);
    let modified = stix_time(item.changed_at);
    let per = |kind: &str, name: &str| sid(kind, &format!("{}:{name}", b.id));
    let mut objects: Vec<Value> = Vec::new();
    let mut attack_ids: BTreeMap<String, String> = BTreeMap::new();

    for t in &b.techniques {
        let o = attack_pattern(&t.id, &t.name, &t.tactics);
        attack_ids.insert(
            t.id.clone(),
            o["id"].as_str().unwrap_or_default().to_owned(),
        );
        objects.push(o);
    }
    for ioc in &b.iocs {
        if ioc.kind == IocType::Cve {
            let name = ioc.value.to_ascii_uppercase();
            objects.push(json!({
                "type": "vulnerability", "spec_version": "2.1", "id": sid("vulnerability", &name),
                "created_by_ref": identity_id(), "created": SHARED_TIME, "modified": SHARED_TIME,
                "name": name,
                "external_references": [{"source_name": "cve", "external_id": name}],
            }));
            continue;
        }
        if ioc.fidelity != Fidelity::High {
            continue;
        }
        let Some(p) = pattern(ioc.kind, &ioc.value) else {
            continue;
        };
        objects.push(json!({
            "type": "indicator", "spec_version": "2.1",
            "id": per("indicator", &format!("{}:{}", ioc.kind.key(), ioc.value)),
            "created_by_ref": identity_id(), "created": created, "modified": modified,
            "name": format!("{}: {}", ioc.kind.label(), ioc.defanged),
            "indicator_types": ["malicious-activity"],
            "pattern": p, "pattern_type": "stix", "valid_from": created,
            "object_marking_refs": [TLP_CLEAR],
        }));
    }
    let mut relationships = Vec::new();
    entity_objects(b, &created, &modified, &mut objects, &mut relationships);
    for h in &b.hunts {
        let (ptype, query) = if let Some(q) = h.queries.get(&Backend::Sigma) {
            ("sigma", q)
        } else if let Some(q) = h.queries.get(&Backend::Splunk) {
            ("spl", q)
        } else if let Some(q) = h
            .queries
            .get(&Backend::Sentinel)
            .or_else(|| h.queries.get(&Backend::Defender))
        {
            ("kql", q)
        } else {
            continue;
        };
        let id = per("indicator", &format!("hunt:{}", h.id));
        objects.push(json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created_by_ref": identity_id(), "created": created, "modified": modified,
            "name": h.title, "description": format!("Hunt {}", h.id),
            "indicator_types": ["malicious-activity"],
            "pattern": query, "pattern_type": ptype, "valid_from": created,
            "object_marking_refs": [TLP_CLEAR],
        }));
        for t in &h.techniques {
            let target = attack_ids
                .entry(t.clone())
                .or_insert_with(|| sid("attack-pattern", t))
                .clone();
            if !objects.iter().any(|o| o["id"] == target.as_str()) {
                // A hunt technique the article's own hits lack: named from the ATT&CK
                // table, so it is the same object as in a briefing whose article has it.
                let Some((name, tactics)) = technique_named(t) else {
                    continue;
                };
                objects.push(attack_pattern(t, &name, &tactics));
            }
            let name = format!("{}:{}:indicates:{t}", b.id, h.id);
            let times = (created.as_str(), modified.as_str());
            relationships.push(relationship(&name, "indicates", &id, &target, times));
        }
    }
    objects.extend(relationships);
    dedup(&mut objects);

    let mut refs: Vec<Value> = objects.iter().map(|o| o["id"].clone()).collect();
    refs.insert(0, Value::String(identity_id()));
    let published = b
        .published
        .map(|d| format!("{d}T00:00:00.000Z"))
        .unwrap_or_else(|| created.clone());
    let report_type = match b.kind {
        Kind::Vulnerability => "vulnerability",
        Kind::Campaign => "campaign",
        _ => "threat-report",
    };
    let mut report = json!({
        "type": "report", "spec_version": "2.1", "id": sid("report", &b.id),
        "created_by_ref": identity_id(), "created": created, "modified": modified,
        "name": b.title, "description": b.summary, "published": published,
        "report_types": [report_type], "labels": [format!("severity-{}", b.severity.as_str().to_ascii_lowercase())],
        "object_refs": refs, "object_marking_refs": [TLP_CLEAR],
    });
    if let Some(url) = &b.url {
        report["external_references"] = json!([{"source_name": "article", "url": url}]);
    }
    let mut all = shared_objects();
    all.push(report);
    all.extend(objects);
    all
}

/// The STIX object of a named actor, malware family or tool. Names ATT&CK knows share one
/// object across briefings (keyed by their G/S ID, with the ATT&CK reference); new names are
/// keyed by their exact spelling, so one id never carries two spellings.
fn entity_object(kind: &str, e: &NamedEntity) -> Value {
    let key = e.attack_id.clone().unwrap_or_else(|| e.name.clone());
    let mut o = json!({
        "type": kind, "spec_version": "2.1", "id": sid(kind, &key),
        "created_by_ref": identity_id(), "created": SHARED_TIME, "modified": SHARED_TIME,
        "name": e.name,
    });
    if kind == "malware" {
        o["is_family"] = Value::Bool(true);
    }
    let aliases: Vec<&String> = e.aliases.iter().filter(|a| **a != e.name).collect();
    if !aliases.is_empty() {
        o["aliases"] = json!(aliases);
    }
    if let Some(id) = &e.attack_id {
        let mut reference = json!({"source_name": "mitre-attack", "external_id": id});
        if let Some(url) = attack_page(id) {
            reference["url"] = Value::String(url);
        }
        o["external_references"] = json!([reference]);
        o["object_marking_refs"] = json!([TLP_CLEAR, mitre_marking_id()]);
    } else {
        o["object_marking_refs"] = json!([TLP_CLEAR]);
    }
    o
}

/// Attributed actors, and the malware and tools the attacker used (names mentioned only for
/// comparison are left out), with `uses` relationships from each actor to each of them.
fn entity_objects(
    b: &Briefing,
    created: &str,
    modified: &str,
    objects: &mut Vec<Value>,
    relationships: &mut Vec<Value>,
) {
    let active = |list: &'_ [NamedEntity]| -> Vec<NamedEntity> {
        list.iter()
            .filter(|e| e.role != NameRole::Mentioned)
            .cloned()
            .collect()
    };
    let actors: Vec<Value> = active(&b.actors)
        .iter()
        .map(|e| entity_object("threat-actor", e))
        .collect();
    let used: Vec<Value> = active(&b.malware)
        .iter()
        .map(|e| entity_object("malware", e))
        .chain(active(&b.tools).iter().map(|e| entity_object("tool", e)))
        .collect();
    for actor in &actors {
        for target in &used {
            let (a, t) = (
                actor["id"].as_str().unwrap_or_default(),
                target["id"].as_str().unwrap_or_default(),
            );
            let name = format!("{}:{a}:uses:{t}", b.id);
            relationships.push(relationship(&name, "uses", a, t, (created, modified)));
        }
    }
    objects.extend(actors);
    objects.extend(used);
}

fn dedup(objects: &mut Vec<Value>) {
    let mut seen = std::collections::BTreeSet::new();
    objects.retain(|o| seen.insert(o["id"].as_str().unwrap_or_default().to_string()));
}

fn bundle(name: &str, mut objects: Vec<Value>) -> Vec<u8> {
    dedup(&mut objects);
    let b = json!({"type": "bundle", "id": sid("bundle", name), "objects": objects});
    let mut out = serde_json::to_vec_pretty(&b).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The objects of one briefing's bundle, each once: what a TAXII server serves of it.
pub fn objects(item: &Exported<'_>) -> Vec<Value> {
    let mut objects = briefing_objects(item);
    dedup(&mut objects);
    objects
}

/// One briefing's bundle, as `{id}.json` of [`files`] holds it.
pub fn briefing_bundle(item: &Exported<'_>) -> Vec<u8> {
    bundle_of(item, briefing_objects(item))
}

fn bundle_of(item: &Exported<'_>, objects: Vec<Value>) -> Vec<u8> {
    bundle(&format!("briefing:{}", item.briefing.id), objects)
}

pub fn files(items: &[Exported<'_>]) -> Files {
    let mut files = Files::new();
    let mut everything = Vec::new();
    for item in items {
        // Built once: the briefing's own bundle and the export-wide one both hold them.
        let objects = briefing_objects(item);
        files.insert(
            format!("{}.json", item.briefing.id),
            bundle_of(item, objects.clone()),
        );
        everything.extend(objects);
    }
    files.insert("bundle.json".into(), bundle("export", everything));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::testing;

    fn briefing(title: &str, text: &str) -> Briefing {
        testing::briefing(title, Some("https://lab.example/post"), text)
    }

    fn export(bs: &[Briefing]) -> Files {
        files(&testing::items(bs, testing::at(0)))
    }

    #[test]
    fn bundles_are_stable_unique_and_refs_resolve() {
        let a = briefing(
            "Loader campaign",
            "Attackers exploited CVE-2024-3400 and ran powershell.exe -enc to download a payload. \
             The loader beacons to 185.220.101.45 and cdn-update[.]top.",
        );
        let b = briefing(
            "Second wave",
            "The same loader beacons to 185.220.101.45 again.",
        );
        let first = export(&[a.clone(), b.clone()]);
        assert_eq!(first, export(&[a.clone(), b]));
        assert!(first.contains_key(&format!("{}.json", a.id)));
        let all: Value = serde_json::from_slice(&first["bundle.json"]).unwrap();
        let objects = all["objects"].as_array().unwrap();
        let ids: Vec<&str> = objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
        let unique: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len(), "one object per id");
        for report in objects.iter().filter(|o| o["type"] == "report") {
            for r in report["object_refs"].as_array().unwrap() {
                assert!(ids.contains(&r.as_str().unwrap()), "{r} unresolved");
            }
        }
        assert!(
            objects
                .iter()
                .any(|o| o["type"] == "vulnerability" && o["name"] == "CVE-2024-3400")
        );
        assert!(
            objects
                .iter()
                .any(|o| o["pattern"] == "[ipv4-addr:value = '185.220.101.45']")
        );
    }

    #[test]
    fn pattern_literals_escape_backslash_and_quote() {
        assert_eq!(
            pattern(IocType::Filename, r"a'b\c.exe").unwrap(),
            r"[file:name = 'a\'b\\c.exe']"
        );
        assert_eq!(
            pattern(IocType::Sha256, "ab").unwrap(),
            "[file:hashes.'SHA-256' = 'ab']"
        );
        assert_eq!(pattern(IocType::Btc, "x"), None);
        // Issue 18's types: certificate hashes, import hashes, address and port.
        assert_eq!(
            pattern(IocType::X509Sha1, "aa11").unwrap(),
            "[x509-certificate:hashes.'SHA-1' = 'aa11']"
        );
        assert_eq!(
            pattern(IocType::X509Sha256, "bb22").unwrap(),
            "[x509-certificate:hashes.'SHA-256' = 'bb22']"
        );
        assert_eq!(
            pattern(IocType::Imphash, "cc33").unwrap(),
            "[file:extensions.'windows-pebinary-ext'.imphash = 'cc33']"
        );
        assert_eq!(
            pattern(IocType::Socket, "203.0.113.7:3333").unwrap(),
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = \
             '203.0.113.7' AND network-traffic:dst_port = 3333]"
        );
        assert_eq!(pattern(IocType::Socket, "203.0.113.7"), None);
        assert_eq!(pattern(IocType::Cve, "CVE-2024-1"), None);
    }

    #[test]
    fn only_high_fidelity_iocs_become_pattern_indicators() {
        let b = briefing(
            "Loader campaign",
            "The loader beacons to 185.220.101.45 and downloads from hxxps://cdn-update[.]top/a.bin.",
        );
        let high: Vec<String> = b
            .iocs
            .iter()
            .filter(|i| i.fidelity == Fidelity::High)
            .filter_map(|i| pattern(i.kind, &i.value))
            .collect();
        let out = export(std::slice::from_ref(&b));
        let bundle: Value = serde_json::from_slice(&out[&format!("{}.json", b.id)]).unwrap();
        let stix: Vec<&Value> = bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["pattern_type"] == "stix")
            .collect();
        assert_eq!(stix.len(), high.len());
        for o in stix {
            assert!(high.iter().any(|p| o["pattern"] == p.as_str()), "{o}");
        }
    }

    #[test]
    fn attributed_actors_and_used_software_become_objects_with_uses() {
        let b = briefing(
            "APT29 campaign",
            "APT29 sent spearphishing attachments to diplomats. The actor used Mimikatz to \
             dump credentials and deployed Cobalt Strike beacons.",
        );
        let out = export(std::slice::from_ref(&b));
        let bundle: Value = serde_json::from_slice(&out[&format!("{}.json", b.id)]).unwrap();
        let objects = bundle["objects"].as_array().unwrap();
        let actor = objects
            .iter()
            .find(|o| o["type"] == "threat-actor")
            .expect("a threat-actor");
        assert_eq!(actor["name"], "APT29");
        assert_eq!(actor["external_references"][0]["external_id"], "G0016");
        assert_eq!(actor["id"], sid("threat-actor", "G0016"));
        let software: Vec<&Value> = objects
            .iter()
            .filter(|o| o["type"] == "tool" || o["type"] == "malware")
            .collect();
        assert!(!software.is_empty(), "{objects:?}");
        for s in &software {
            if s["type"] == "malware" {
                assert_eq!(s["is_family"], true);
            }
            assert!(
                objects.iter().any(|r| r["relationship_type"] == "uses"
                    && r["source_ref"] == actor["id"]
                    && r["target_ref"] == s["id"]),
                "no uses relationship to {}",
                s["name"]
            );
        }
        let report = objects.iter().find(|o| o["type"] == "report").unwrap();
        assert!(
            report["object_refs"]
                .as_array()
                .unwrap()
                .contains(&actor["id"])
        );
    }

    #[test]
    fn briefing_bundle_snapshot() {
        let b = briefing(
            "Loader beacons home",
            "The loader ran powershell.exe -enc and beacons to 185.220.101.45. \
             Attackers exploited CVE-2024-3400.",
        );
        let out = export(std::slice::from_ref(&b));
        insta::assert_snapshot!(String::from_utf8(out[&format!("{}.json", b.id)].clone()).unwrap());
    }

    #[test]
    fn hostile_titles_stay_inside_json_strings() {
        let title = "\"}]} </script><img src=x onerror=alert(1)> ' OR [x:y = 'z']";
        let b = briefing(title, "The loader beacons to 185.220.101.45.");
        let out = export(std::slice::from_ref(&b));
        let bundle: Value = serde_json::from_slice(&out[&format!("{}.json", b.id)]).unwrap();
        let report = bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["type"] == "report")
            .unwrap();
        assert_eq!(report["name"], title);
        assert_eq!(bundle["type"], "bundle");
    }

    #[test]
    fn hunt_techniques_are_named_from_the_attack_table() {
        let (name, tactics) = technique_named("T1059.001").unwrap();
        assert_eq!(name, "Command and Scripting Interpreter: PowerShell");
        assert_eq!(tactics, ["execution"]);
        assert_eq!(technique_named("T9999"), None);
        // Every attack-pattern of a bundle is a named technique, never a bare ID.
        let b = briefing(
            "Loader campaign",
            "The macro launched powershell.exe -enc SQBFAFgA and created a scheduled task with \
             schtasks /create /tn Updater for persistence.",
        );
        let bundle: Value =
            serde_json::from_slice(&export(std::slice::from_ref(&b))["bundle.json"]).unwrap();
        for o in bundle["objects"].as_array().unwrap() {
            if o["type"] == "attack-pattern" {
                let id = o["external_references"][0]["external_id"].as_str().unwrap();
                assert_ne!(o["name"], id);
                assert_eq!(o["id"], sid("attack-pattern", id));
            }
        }
    }
}
