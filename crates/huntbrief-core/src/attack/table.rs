//! The ATT&CK Enterprise technique table (`data/attack/enterprise-techniques.tsv`): IDs,
//! current names, tactics, platforms, and what revoked IDs became. `huntbrief attack import`
//! writes the file; everything that shows or normalises an ID reads it from here.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::kb::KbError;

/// The 14 Enterprise tactics in kill-chain order: the fallback when an import source
/// (the compact lookup files) carries no tactic objects. Stable since ATT&CK v7.
pub const DEFAULT_TACTICS: [(&str, &str, &str); 14] = [
    ("TA0043", "reconnaissance", "Reconnaissance"),
    ("TA0042", "resource-development", "Resource Development"),
    ("TA0001", "initial-access", "Initial Access"),
    ("TA0002", "execution", "Execution"),
    ("TA0003", "persistence", "Persistence"),
    ("TA0004", "privilege-escalation", "Privilege Escalation"),
    ("TA0005", "defense-evasion", "Defense Evasion"),
    ("TA0006", "credential-access", "Credential Access"),
    ("TA0007", "discovery", "Discovery"),
    ("TA0008", "lateral-movement", "Lateral Movement"),
    ("TA0009", "collection", "Collection"),
    ("TA0011", "command-and-control", "Command and Control"),
    ("TA0010", "exfiltration", "Exfiltration"),
    ("TA0040", "impact", "Impact"),
];

/// MITRE's copyright designation, required with any copy of ATT&CK names in bulk.
pub const ATTRIBUTION: &str = "© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation. MITRE ATT&CK and ATT&CK are registered trademarks of The MITRE Corporation.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Deprecated,
    Revoked,
}

impl Status {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "deprecated" => Some(Self::Deprecated),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deprecated => "deprecated",
            Self::Revoked => "revoked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    /// `T1059` or `T1059.001`.
    pub id: String,
    /// The object's own name (`JavaScript`); see [`Table::display_name`] for `Parent: Sub`.
    pub name: String,
    /// Tactic shortnames in kill-chain order.
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub status: Status,
    /// For revoked objects: the ID that replaced it.
    pub replaced_by: Option<String>,
}

impl Technique {
    pub fn is_subtechnique(&self) -> bool {
        self.id.contains('.')
    }
    pub fn parent_id(&self) -> &str {
        parent_of(&self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tactic {
    pub id: String,
    pub shortname: String,
    pub name: String,
}

/// The technique and tactic tables, indexed by ID.
#[derive(Debug, Clone)]
pub struct Table {
    /// The ATT&CK release the table was built from (`18.1`).
    pub version: String,
    /// Where the table came from (file and package), for provenance.
    pub source: String,
    techniques: Vec<Technique>,
    by_id: HashMap<String, usize>,
    tactics: Vec<Tactic>,
}

/// `T1059.001` -> `T1059`; a technique is its own parent.
pub fn parent_of(id: &str) -> &str {
    id.split_once('.').map_or(id, |(p, _)| p)
}

/// Whether `s` is shaped like an Enterprise technique ID (`T1234` or `T1234.567`).
pub fn is_technique_id(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

impl Table {
    pub const FILE: &'static str = "attack/enterprise-techniques.tsv";
    pub const TACTICS_FILE: &'static str = "attack/enterprise-tactics.tsv";

    pub fn new(
        version: String,
        source: String,
        techniques: Vec<Technique>,
        tactics: Vec<Tactic>,
    ) -> Result<Self, String> {
        let mut by_id = HashMap::with_capacity(techniques.len());
        for (i, t) in techniques.iter().enumerate() {
            if by_id.insert(t.id.clone(), i).is_some() {
                return Err(format!("technique {} listed twice", t.id));
            }
        }
        let table = Self {
            version,
            source,
            techniques,
            by_id,
            tactics,
        };
        table.check()?;
        Ok(table)
    }

    /// Parses the two TSV files (the format [`Table::to_tsv`] writes).
    pub fn parse(techniques_tsv: &str, tactics_tsv: &str) -> Result<Self, KbError> {
        let tactics = parse_tactics(tactics_tsv)?;
        let bad =
            |line: usize, m: String| KbError::invalid(Self::FILE, format!("line {line}: {m}"));
        let mut version = String::new();
        let mut source = String::new();
        let mut techniques = Vec::new();
        let mut header_seen = false;
        for (n, line) in techniques_tsv.lines().enumerate() {
            let n = n + 1;
            if let Some(comment) = line.strip_prefix('#') {
                let comment = comment.trim();
                if let Some(v) = comment.strip_prefix("version:") {
                    version = v.trim().to_owned();
                } else if let Some(s) = comment.strip_prefix("source:") {
                    source = s.trim().to_owned();
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if !header_seen {
                if cols != TECHNIQUE_COLUMNS {
                    return Err(bad(n, format!("header must be {TECHNIQUE_COLUMNS:?}")));
                }
                header_seen = true;
                continue;
            }
            if cols.len() != TECHNIQUE_COLUMNS.len() {
                return Err(bad(n, format!("{} columns, want 6", cols.len())));
            }
            let list = |s: &str| -> Vec<String> {
                s.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            let status =
                Status::parse(cols[4]).ok_or_else(|| bad(n, format!("status {:?}", cols[4])))?;
            techniques.push(Technique {
                id: cols[0].to_owned(),
                name: cols[1].to_owned(),
                tactics: list(cols[2]),
                platforms: list(cols[3]),
                status,
                replaced_by: (!cols[5].is_empty()).then(|| cols[5].to_owned()),
            });
        }
        if version.is_empty() {
            return Err(KbError::invalid(Self::FILE, "no `# version:` line".into()));
        }
        Self::new(version, source, techniques, tactics).map_err(|m| KbError::invalid(Self::FILE, m))
    }

    /// Consistency rules every table must satisfy (also checked on import).
    fn check(&self) -> Result<(), String> {
        if self.tactics.is_empty() {
            return Err("no tactics".into());
        }
        for t in &self.techniques {
            if !is_technique_id(&t.id) {
                return Err(format!("{:?} is not a technique ID", t.id));
            }
            if t.name.trim().is_empty() || t.name.contains(['\t', '\n']) {
                return Err(format!("{}: bad name {:?}", t.id, t.name));
            }
            if t.is_subtechnique() && !self.by_id.contains_key(t.parent_id()) {
                return Err(format!("{}: parent {} missing", t.id, t.parent_id()));
            }
            for tactic in &t.tactics {
                if self.tactic(tactic).is_none() {
                    return Err(format!("{}: unknown tactic {tactic}", t.id));
                }
            }
            match (&t.status, &t.replaced_by) {
                (Status::Active, Some(_)) | (Status::Deprecated, Some(_)) => {
                    return Err(format!("{}: only revoked IDs have a replacement", t.id));
                }
                (Status::Active, None) if t.tactics.is_empty() => {
                    return Err(format!("{}: active technique without tactics", t.id));
                }
                (_, Some(r)) if !self.by_id.contains_key(r) => {
                    return Err(format!("{}: replacement {r} missing", t.id));
                }
                _ => {}
            }
        }
        // Every revoked chain must end at an active technique.
        for t in &self.techniques {
            if t.status == Status::Revoked && self.current(&t.id).is_none() {
                return Err(format!("{}: revoked with no active replacement", t.id));
            }
        }
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Technique> {
        self.by_id.get(id).map(|&i| &self.techniques[i])
    }

    pub fn techniques(&self) -> &[Technique] {
        &self.techniques
    }

    pub fn tactics(&self) -> &[Tactic] {
        &self.tactics
    }

    pub fn tactic(&self, shortname: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.shortname == shortname)
    }

    /// The active technique an ID stands for today: itself, or where its revocation
    /// chain leads. Deprecated and unknown IDs have none.
    pub fn current(&self, id: &str) -> Option<&Technique> {
        let mut t = self.get(id)?;
        for _ in 0..8 {
            match t.status {
                Status::Active => return Some(t),
                Status::Deprecated => return None,
                Status::Revoked => t = self.get(t.replaced_by.as_deref()?)?,
            }
        }
        None
    }

    /// The current ID for `id` (after revocations), or `None` when it names nothing active.
    pub fn normalize(&self, id: &str) -> Option<&str> {
        self.current(id).map(|t| t.id.as_str())
    }

    /// `Parent: Sub` for sub-techniques, the plain name otherwise.
    pub fn display_name(&self, id: &str) -> Option<String> {
        let t = self.get(id)?;
        if t.is_subtechnique() {
            let parent = self.get(t.parent_id())?;
            Some(format!("{}: {}", parent.name, t.name))
        } else {
            Some(t.name.clone())
        }
    }

    /// The technique file in the format [`Table::parse`] reads, MITRE's notice included.
    pub fn to_tsv(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# MITRE ATT&CK Enterprise techniques (huntbrief table)."
        );
        let _ = writeln!(out, "# version: {}", self.version);
        let _ = writeln!(out, "# source: {}", self.source);
        let _ = writeln!(
            out,
            "# Regenerate with `huntbrief attack import FILE` (see data/attack/README.md)."
        );
        write_notice(&mut out);
        out.push_str(&TECHNIQUE_COLUMNS.join("\t"));
        out.push('\n');
        let mut sorted: Vec<&Technique> = self.techniques.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        for t in sorted {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}",
                t.id,
                t.name,
                t.tactics.join(","),
                t.platforms.join(","),
                t.status.as_str(),
                t.replaced_by.as_deref().unwrap_or("")
            );
        }
        out
    }

    /// The tactic file, in kill-chain order.
    pub fn tactics_tsv(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# MITRE ATT&CK Enterprise tactics in kill-chain order."
        );
        let _ = writeln!(out, "# version: {}", self.version);
        write_notice(&mut out);
        out.push_str("id\tshortname\tname\n");
        for t in &self.tactics {
            let _ = writeln!(out, "{}\t{}\t{}", t.id, t.shortname, t.name);
        }
        out
    }
}

const TECHNIQUE_COLUMNS: [&str; 6] = [
    "id",
    "name",
    "tactics",
    "platforms",
    "status",
    "replaced_by",
];

pub(crate) fn write_notice(out: &mut String) {
    let _ = writeln!(out, "# {ATTRIBUTION}");
    let _ = writeln!(
        out,
        "# LICENSE: The MITRE Corporation (MITRE) hereby grants you a non-exclusive, royalty-free license to use ATT&CK® for research, development, and commercial purposes. Any copy you make for such purposes is authorized provided that you reproduce MITRE's copyright designation and this license in any such copy. (https://attack.mitre.org/resources/terms-of-use/)"
    );
}

fn parse_tactics(tsv: &str) -> Result<Vec<Tactic>, KbError> {
    let bad = |m: String| KbError::invalid(Table::TACTICS_FILE, m);
    let mut out: Vec<Tactic> = Vec::new();
    let mut header_seen = false;
    for line in tsv.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if !header_seen {
            if cols != ["id", "shortname", "name"] {
                return Err(bad("header must be id, shortname, name".into()));
            }
            header_seen = true;
            continue;
        }
        let [id, shortname, name] = cols[..] else {
            return Err(bad(format!("want 3 columns: {line:?}")));
        };
        let well_formed = id.len() == 6
            && id.starts_with("TA")
            && id[2..].bytes().all(|b| b.is_ascii_digit())
            && !shortname.is_empty()
            && shortname
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-')
            && !name.trim().is_empty();
        if !well_formed {
            return Err(bad(format!("malformed tactic {line:?}")));
        }
        if out.iter().any(|t| t.id == id || t.shortname == shortname) {
            return Err(bad(format!("tactic {id} listed twice")));
        }
        out.push(Tactic {
            id: id.to_owned(),
            shortname: shortname.to_owned(),
            name: name.to_owned(),
        });
    }
    if out.is_empty() {
        return Err(bad("no tactics".into()));
    }
    Ok(out)
}

pub fn default_tactics() -> Vec<Tactic> {
    DEFAULT_TACTICS
        .iter()
        .map(|(id, s, n)| Tactic {
            id: (*id).to_owned(),
            shortname: (*s).to_owned(),
            name: (*n).to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::EMBEDDED;

    fn embedded() -> Table {
        Table::parse(
            EMBEDDED.get(Table::FILE).unwrap(),
            EMBEDDED.get(Table::TACTICS_FILE).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn embedded_table_is_v18_1_and_complete() {
        let t = embedded();
        assert_eq!(t.version, "18.1");
        let active = t
            .techniques()
            .iter()
            .filter(|x| x.status == Status::Active)
            .count();
        assert!(active > 650, "{active} active techniques");
        assert_eq!(t.tactics().len(), 14);
        assert_eq!(t.tactics()[0].shortname, "reconnaissance");
        assert_eq!(t.tactics()[13].shortname, "impact");
    }

    #[test]
    fn names_are_parent_colon_sub() {
        let t = embedded();
        assert_eq!(
            t.display_name("T1059.007").as_deref(),
            Some("Command and Scripting Interpreter: JavaScript")
        );
        assert_eq!(
            t.display_name("T1195.002").as_deref(),
            Some("Supply Chain Compromise: Compromise Software Supply Chain")
        );
        assert_eq!(
            t.display_name("T1486").as_deref(),
            Some("Data Encrypted for Impact")
        );
        assert_eq!(t.display_name("T9999"), None);
    }

    #[test]
    fn revoked_ids_map_to_their_replacement() {
        let t = embedded();
        // DLL side-loading was folded into DLL hijacking (now "DLL") in v17/18.
        assert_eq!(t.get("T1574.002").unwrap().status, Status::Revoked);
        assert_eq!(t.normalize("T1574.002"), Some("T1574.001"));
        assert_eq!(t.normalize("T1059.001"), Some("T1059.001"));
        assert_eq!(t.normalize("T1234.999"), None);
    }

    #[test]
    fn tsv_round_trips() {
        let t = embedded();
        let again = Table::parse(&t.to_tsv(), &t.tactics_tsv()).unwrap();
        assert_eq!(again.techniques(), t.techniques());
        assert_eq!(again.tactics(), t.tactics());
        assert_eq!(again.version, t.version);
        assert!(t.to_tsv().contains("The MITRE Corporation"));
    }

    #[test]
    fn schema_rejects_inconsistent_tables() {
        let tactics = default_tactics();
        let tac = Table::new("1".into(), String::new(), Vec::new(), tactics.clone())
            .unwrap()
            .tactics_tsv();
        let head = "# version: 1\nid\tname\ttactics\tplatforms\tstatus\treplaced_by\n";
        let ok = format!("{head}T1001\tX\texecution\tLinux\tactive\t\n");
        assert!(Table::parse(&ok, &tac).is_ok());
        for bad in [
            // orphan sub-technique
            format!("{head}T1002.001\tX\texecution\t\tactive\t\n"),
            // unknown tactic
            format!("{head}T1001\tX\tbrewing\t\tactive\t\n"),
            // revoked without a live replacement
            format!("{head}T1001\tX\t\t\trevoked\tT1003\n"),
            // bad id, bad status, duplicate, short row
            format!("{head}X1001\tX\texecution\t\tactive\t\n"),
            format!("{head}T1001\tX\texecution\t\tgone\t\n"),
            format!("{head}T1001\tX\texecution\t\tactive\t\nT1001\tY\texecution\t\tactive\t\n"),
            format!("{head}T1001\tX\n"),
        ] {
            assert!(Table::parse(&bad, &tac).is_err(), "{bad}");
        }
        assert!(Table::parse(&ok.replace("# version: 1\n", ""), &tac).is_err());
        assert!(Table::parse(&ok, "id\tshortname\tname\nTA1\tx\tX\n").is_err());
    }

    #[test]
    fn technique_id_shape() {
        assert!(is_technique_id("T1059"));
        assert!(is_technique_id("T1059.001"));
        for bad in [
            "T105",
            "T10599",
            "t1059",
            "T1059.01",
            "T1059-001",
            "T１０５９",
        ] {
            assert!(!is_technique_id(bad), "{bad}");
        }
        assert_eq!(parent_of("T1059.001"), "T1059");
    }
}
