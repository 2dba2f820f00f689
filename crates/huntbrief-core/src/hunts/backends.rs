//! Field maps: where each Sigma log source and field lives in each backend, and the
//! schemas they are checked against (CIM datasets, Defender/Sentinel tables, Sigma
//! taxonomy). All of it is data under `data/hunts/`; loading validates every reference.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::kb::KbError;
use crate::model::Backend;

pub const CIM_FILE: &str = "hunts/cim.toml";
pub const KQL_TABLES_FILE: &str = "hunts/kql-tables.toml";
pub const SIGMA_FILE: &str = "hunts/sigma.toml";
pub const SPLUNK_FILE: &str = "hunts/splunk.toml";
pub const DEFENDER_FILE: &str = "hunts/defender.toml";
pub const SENTINEL_FILE: &str = "hunts/sentinel.toml";

/// One backend's home for one log source.
#[derive(Debug, Clone)]
pub struct Target {
    /// `Model.Dataset` for Splunk, the table for KQL.
    pub source: String,
    /// The time column (KQL), if the table has one.
    pub time: Option<String>,
    /// A fixed predicate in the backend's language, from the data file.
    pub filter: Option<String>,
    /// Computed columns (`Name = expression`, KQL) that fields may map to.
    pub extend: Vec<String>,
    /// Columns shown (KQL) or grouped by (SPL) for every result.
    pub show: Vec<String>,
    pub fields: BTreeMap<String, FieldTarget>,
    pub unmapped: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTarget {
    pub field: String,
    /// The file-name-only field, for `endswith` on a bare `\name`.
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct FieldMap {
    pub logsources: BTreeMap<String, Target>,
}

impl FieldMap {
    pub fn target(&self, logsource: &str) -> Option<&Target> {
        self.logsources.get(logsource)
    }
}

/// Every backend's field map and the schemas behind them.
#[derive(Debug)]
pub struct Backends {
    pub splunk: FieldMap,
    pub defender: FieldMap,
    pub sentinel: FieldMap,
    /// Sigma log source key → taxonomy fields.
    pub sigma: BTreeMap<String, BTreeSet<String>>,
    /// CIM `Model.Dataset` → fields.
    pub cim: BTreeMap<String, BTreeSet<String>>,
    pub kql: KqlSchema,
}

/// Tables and typed columns per KQL backend.
#[derive(Debug, Default)]
pub struct KqlSchema {
    pub tables: BTreeMap<Backend, BTreeMap<String, BTreeMap<String, String>>>,
}

impl KqlSchema {
    pub fn column_type(&self, backend: Backend, table: &str, column: &str) -> Option<&str> {
        self.tables
            .get(&backend)?
            .get(table)?
            .get(column)
            .map(String::as_str)
    }
}

impl Backends {
    pub fn map(&self, backend: Backend) -> Option<&FieldMap> {
        match backend {
            Backend::Splunk => Some(&self.splunk),
            Backend::Defender => Some(&self.defender),
            Backend::Sentinel => Some(&self.sentinel),
            Backend::Sigma | Backend::Elastic => None,
        }
    }

    pub fn parse(source: &impl Fn(&'static str) -> String) -> Result<Self, KbError> {
        let cim = parse_cim(&source(CIM_FILE))?;
        let kql = parse_kql(&source(KQL_TABLES_FILE))?;
        let sigma = parse_sigma(&source(SIGMA_FILE))?;
        let splunk = parse_map(SPLUNK_FILE, &source(SPLUNK_FILE), None)?;
        let defender = parse_map(DEFENDER_FILE, &source(DEFENDER_FILE), None)?;
        let sentinel = parse_map(SENTINEL_FILE, &source(SENTINEL_FILE), Some(&defender))?;
        let b = Self {
            splunk,
            defender,
            sentinel,
            sigma,
            cim,
            kql,
        };
        b.validate()?;
        Ok(b)
    }

    fn validate(&self) -> Result<(), KbError> {
        for (key, t) in &self.splunk.logsources {
            let bad = |m: String| KbError::invalid(SPLUNK_FILE, format!("{key}: {m}"));
            let fields = self
                .cim
                .get(&t.source)
                .ok_or_else(|| bad(format!("{} is not a CIM dataset in cim.toml", t.source)))?;
            let check = |f: &str| {
                if fields.contains(f) {
                    Ok(())
                } else {
                    Err(bad(format!("{f} is not a field of {}", t.source)))
                }
            };
            for f in &t.show {
                check(f)?;
            }
            for ft in t.fields.values() {
                check(&ft.field)?;
                if let Some(n) = &ft.name {
                    check(n)?;
                }
            }
            if let Some(filter) = &t.filter {
                for f in spl_field_refs(filter, &t.source) {
                    check(&f)?;
                }
            }
        }
        for (backend, file, map) in [
            (Backend::Defender, DEFENDER_FILE, &self.defender),
            (Backend::Sentinel, SENTINEL_FILE, &self.sentinel),
        ] {
            for (key, t) in &map.logsources {
                let bad = |m: String| KbError::invalid(file, format!("{key}: {m}"));
                let extended: Vec<&str> = t
                    .extend
                    .iter()
                    .filter_map(|e| e.split_once('=').map(|(n, _)| n.trim()))
                    .collect();
                if extended.len() != t.extend.len() {
                    return Err(bad("extend entries are `Name = expression`".into()));
                }
                let check = |c: &str| {
                    self.kql
                        .column_type(backend, &t.source, c)
                        .map(|_| ())
                        .or_else(|| extended.contains(&c).then_some(()))
                        .ok_or_else(|| {
                            bad(format!(
                                "{c} is not a column of {} in {backend:?}",
                                t.source
                            ))
                        })
                };
                if !self
                    .kql
                    .tables
                    .get(&backend)
                    .is_some_and(|ts| ts.contains_key(&t.source))
                {
                    return Err(bad(format!(
                        "table {} is not in kql-tables.toml for {backend:?}",
                        t.source
                    )));
                }
                if let Some(time) = &t.time {
                    check(time)?;
                }
                for c in &t.show {
                    check(c)?;
                }
                for ft in t.fields.values() {
                    check(&ft.field)?;
                    if let Some(n) = &ft.name {
                        check(n)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `Model.field` references of an SPL snippet on `dataset` (`Endpoint.Processes`).
pub fn spl_field_refs(spl: &str, dataset: &str) -> Vec<String> {
    let object = dataset.rsplit('.').next().unwrap_or(dataset);
    let prefix = format!("{object}.");
    let mut out = Vec::new();
    let bytes = spl.as_bytes();
    let mut i = 0;
    while let Some(pos) = spl[i..].find(&prefix) {
        let start = i + pos;
        let boundary = start == 0 || {
            let b = bytes[start - 1];
            !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        };
        let rest = &spl[start + prefix.len()..];
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let names_model = spl[..start].ends_with("datamodel=");
        if boundary && len > 0 && !names_model && !in_string(spl, start) {
            out.push(rest[..len].to_owned());
        }
        i = start + prefix.len();
    }
    out
}

/// Whether byte `at` of `spl` sits inside a double-quoted string.
fn in_string(spl: &str, at: usize) -> bool {
    let mut inside = false;
    let mut escaped = false;
    for &b in &spl.as_bytes()[..at] {
        if escaped {
            escaped = false;
        } else if inside && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            inside = !inside;
        }
    }
    inside
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CimFile {
    base: Vec<String>,
    dataset: BTreeMap<String, CimDataset>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CimDataset {
    fields: Vec<String>,
}

fn parse_cim(s: &str) -> Result<BTreeMap<String, BTreeSet<String>>, KbError> {
    let f: CimFile = toml::from_str(s).map_err(|e| KbError::parse(CIM_FILE, e))?;
    let mut out = BTreeMap::new();
    for (name, d) in f.dataset {
        if name.split('.').count() != 2 {
            return Err(KbError::invalid(
                CIM_FILE,
                format!("{name} is not Model.Dataset"),
            ));
        }
        let mut set: BTreeSet<String> = f.base.iter().cloned().collect();
        for field in d.fields {
            if !set.insert(field.clone()) {
                return Err(KbError::invalid(
                    CIM_FILE,
                    format!("{name}: {field} listed twice"),
                ));
            }
        }
        out.insert(name, set);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KqlFile {
    sentinel_standard: Vec<String>,
    groups: BTreeMap<String, Vec<String>>,
    table: Vec<KqlTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KqlTable {
    name: String,
    backends: Vec<String>,
    #[serde(default)]
    include: Vec<String>,
    columns: Vec<String>,
}

const KQL_TYPES: [&str; 10] = [
    "string", "long", "int", "real", "datetime", "bool", "dynamic", "guid", "timespan", "decimal",
];

fn parse_kql(s: &str) -> Result<KqlSchema, KbError> {
    let f: KqlFile = toml::from_str(s).map_err(|e| KbError::parse(KQL_TABLES_FILE, e))?;
    let bad = |m: String| KbError::invalid(KQL_TABLES_FILE, m);
    let mut schema = KqlSchema::default();
    for t in &f.table {
        let mut cols: BTreeMap<String, String> = BTreeMap::new();
        let mut specs: Vec<&String> = Vec::new();
        for g in &t.include {
            specs.extend(
                f.groups
                    .get(g)
                    .ok_or_else(|| bad(format!("{}: no group {g}", t.name)))?,
            );
        }
        specs.extend(&t.columns);
        for spec in specs {
            let (name, ty) = spec
                .split_once(':')
                .ok_or_else(|| bad(format!("{}: column {spec:?} is not Name:type", t.name)))?;
            if !KQL_TYPES.contains(&ty)
                || name.is_empty()
                || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(bad(format!("{}: bad column {spec:?}", t.name)));
            }
            if cols.insert(name.to_owned(), ty.to_owned()).is_some() {
                return Err(bad(format!("{}: column {name} listed twice", t.name)));
            }
        }
        for b in &t.backends {
            let backend = match b.as_str() {
                "defender" => Backend::Defender,
                "sentinel" => Backend::Sentinel,
                other => return Err(bad(format!("{}: unknown backend {other}", t.name))),
            };
            let mut cols = cols.clone();
            if backend == Backend::Sentinel {
                for spec in &f.sentinel_standard {
                    if let Some((n, ty)) = spec.split_once(':') {
                        cols.entry(n.to_owned()).or_insert_with(|| ty.to_owned());
                    }
                }
            }
            let tables = schema.tables.entry(backend).or_default();
            if tables.insert(t.name.clone(), cols).is_some() {
                return Err(bad(format!("table {} listed twice", t.name)));
            }
        }
    }
    Ok(schema)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SigmaFile {
    logsource: BTreeMap<String, SigmaLogsource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SigmaLogsource {
    fields: Vec<String>,
}

fn parse_sigma(s: &str) -> Result<BTreeMap<String, BTreeSet<String>>, KbError> {
    let f: SigmaFile = toml::from_str(s).map_err(|e| KbError::parse(SIGMA_FILE, e))?;
    Ok(f.logsource
        .into_iter()
        .map(|(k, v)| (k, v.fields.into_iter().collect()))
        .collect())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    #[serde(default)]
    inherit: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    drop: Vec<String>,
    #[serde(default)]
    logsource: BTreeMap<String, MapEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapEntry {
    #[serde(default)]
    datamodel: Option<String>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    filter: Option<String>,
    #[serde(default)]
    extend: Vec<String>,
    #[serde(default, alias = "by")]
    show: Vec<String>,
    #[serde(default)]
    unmapped: Vec<String>,
    fields: BTreeMap<String, FieldSpec>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FieldSpec {
    Plain(String),
    Named { field: String, name: Option<String> },
}

fn parse_map(file: &'static str, s: &str, parent: Option<&FieldMap>) -> Result<FieldMap, KbError> {
    let f: MapFile = toml::from_str(s).map_err(|e| KbError::parse(file, e))?;
    let mut map = FieldMap::default();
    match (&f.inherit, parent) {
        (Some(_), Some(p)) => {
            for (k, t) in &p.logsources {
                if f.drop.contains(k) {
                    continue;
                }
                let mut t = t.clone();
                // An inherited table keeps "no time column"; otherwise it takes ours.
                if t.time.is_some() {
                    t.time = f.time.clone().or(t.time);
                }
                map.logsources.insert(k.clone(), t);
            }
        }
        (Some(name), None) => {
            return Err(KbError::invalid(
                file,
                format!("cannot inherit {name} here"),
            ));
        }
        (None, _) => {}
    }
    for (key, e) in f.logsource {
        let source = e
            .datamodel
            .or(e.table)
            .ok_or_else(|| KbError::invalid(file, format!("{key}: no datamodel or table")))?;
        let time = match e.time {
            Some(t) if t.is_empty() => None,
            Some(t) => Some(t),
            None => f.time.clone(),
        };
        let fields: BTreeMap<String, FieldTarget> = e
            .fields
            .into_iter()
            .map(|(k, v)| {
                let t = match v {
                    FieldSpec::Plain(field) => FieldTarget { field, name: None },
                    FieldSpec::Named { field, name } => FieldTarget { field, name },
                };
                (k, t)
            })
            .collect();
        let unmapped: BTreeSet<String> = e.unmapped.into_iter().collect();
        if let Some(f) = unmapped.iter().find(|f| fields.contains_key(*f)) {
            return Err(KbError::invalid(
                file,
                format!("{key}: {f} is both mapped and unmapped"),
            ));
        }
        map.logsources.insert(
            key,
            Target {
                source,
                time,
                filter: e.filter,
                extend: e.extend,
                show: e.show,
                fields,
                unmapped,
            },
        );
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunts::kb::embedded_source;

    fn backends() -> Backends {
        Backends::parse(&embedded_source).unwrap()
    }

    #[test]
    fn embedded_field_maps_load_and_reference_only_known_fields() {
        let b = backends();
        assert_eq!(
            b.splunk.target("process_creation").unwrap().source,
            "Endpoint.Processes"
        );
        let s = b.sentinel.target("process_creation").unwrap();
        assert_eq!(s.source, "DeviceProcessEvents");
        assert_eq!(s.time.as_deref(), Some("TimeGenerated"));
        assert!(b.sentinel.target("vulnerability").is_none());
        assert_eq!(
            b.defender.target("vulnerability").unwrap().time,
            None,
            "the TVM table has no time column"
        );
    }

    #[test]
    fn every_splunk_field_belongs_to_the_cim_dataset_it_names() {
        // The table test of the issue, over the field-map data itself.
        let b = backends();
        for (key, t) in &b.splunk.logsources {
            let dataset = &b.cim[&t.source];
            for ft in t.fields.values() {
                assert!(dataset.contains(&ft.field), "{key}: {}", ft.field);
                if let Some(n) = &ft.name {
                    assert!(dataset.contains(n), "{key}: {n}");
                }
            }
            for f in &t.show {
                assert!(dataset.contains(f), "{key}: {f}");
            }
        }
    }

    #[test]
    fn a_wrong_field_is_rejected_with_its_file() {
        let bad = |name: &'static str| {
            let s = embedded_source(name);
            move |n: &'static str| {
                if n == name {
                    s.replace("\"process_path\"", "\"process_pth\"")
                        .replace("\"ProcessCommandLine\"", "\"ProcessCmdLine\"")
                } else {
                    embedded_source(n)
                }
            }
        };
        let e = Backends::parse(&bad(SPLUNK_FILE)).unwrap_err();
        assert!(e.to_string().contains("process_pth"), "{e}");
        let e = Backends::parse(&bad(DEFENDER_FILE)).unwrap_err();
        assert!(e.to_string().contains("ProcessCmdLine"), "{e}");
    }

    #[test]
    fn spl_field_refs_skip_strings_and_other_objects() {
        assert_eq!(
            spl_field_refs(
                r#"from datamodel=Processes.Processes where Processes.process="*Processes.x*" AND Processes.user=1 XProcesses.y"#,
                "Endpoint.Processes"
            ),
            vec!["process", "user"]
        );
    }
}
