//! Article-specific hunts for the artifacts an article names: files, paths, registry
//! keys, packages, scheduled tasks and user agents. An artifact qualifies only when it is
//! plausibly malicious in the text (`data/hunts/artifacts.toml`): `node.js` or
//! `/usr/local` never does. Hunt IDs derive from the briefing id and the artifact, so
//! the same article always gets the same IDs, whatever else the run holds.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Input;
use super::evidence::mentions;
use super::ir::{Cond, LogSource, Match, Op, Pattern, Piece, Rule, Selection, Value, Window};
use super::kb::HuntKb;
use super::render::{Fill, Meta, render_all};
use crate::kb::KbError;
use crate::model::{Confidence, Fidelity, Hunt, IocType, Phase};
use crate::text::{collapse_whitespace, sentence_at};

pub const ARTIFACTS_FILE: &str = "hunts/artifacts.toml";

/// Longest artifact value hunted for, in characters.
const MAX_VALUE: usize = 300;

#[derive(Debug)]
pub struct ArtifactRules {
    pub max_hunts: usize,
    cues: Vec<String>,
    benign_names: HashSet<String>,
    generic_paths: HashSet<String>,
    generic_keys: HashSet<String>,
    executable_extensions: HashSet<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArtifactsFile {
    max_hunts: usize,
    cues: Vec<String>,
    benign_names: Vec<String>,
    generic_paths: Vec<String>,
    generic_keys: Vec<String>,
    executable_extensions: Vec<String>,
}

impl ArtifactRules {
    pub fn parse(s: &str) -> Result<Self, KbError> {
        let f: ArtifactsFile = toml::from_str(s).map_err(|e| KbError::parse(ARTIFACTS_FILE, e))?;
        let lower = |v: Vec<String>, what: &str| -> Result<HashSet<String>, KbError> {
            let mut set = HashSet::new();
            for x in v {
                if x.is_empty() || x != x.to_lowercase() {
                    return Err(KbError::invalid(
                        ARTIFACTS_FILE,
                        format!("{what}: {x:?} must be non-empty lower case"),
                    ));
                }
                if !set.insert(x.clone()) {
                    return Err(KbError::invalid(
                        ARTIFACTS_FILE,
                        format!("{what}: {x} listed twice"),
                    ));
                }
            }
            Ok(set)
        };
        let cues = lower(f.cues, "cues")?.into_iter().collect::<Vec<_>>();
        let mut cues = cues;
        cues.sort();
        Ok(Self {
            max_hunts: f.max_hunts,
            cues,
            benign_names: lower(f.benign_names, "benign_names")?,
            generic_paths: lower(f.generic_paths, "generic_paths")?,
            generic_keys: lower(f.generic_keys, "generic_keys")?,
            executable_extensions: lower(f.executable_extensions, "executable_extensions")?,
        })
    }

    fn malicious(&self, sentence: &str) -> bool {
        self.cues.iter().any(|c| mentions(sentence, c))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArtifactKind {
    File,
    Path,
    Registry,
    Package,
    Task,
    UserAgent,
}

impl ArtifactKind {
    fn key(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Path => "path",
            Self::Registry => "registry",
            Self::Package => "package",
            Self::Task => "task",
            Self::UserAgent => "user-agent",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Path => "path",
            Self::Registry => "registry key",
            Self::Package => "package",
            Self::Task => "scheduled task",
            Self::UserAgent => "user agent",
        }
    }
}

/// A named artifact worth a hunt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub kind: ArtifactKind,
    pub value: String,
    pub evidence: String,
    /// From a high-fidelity indicator.
    pub strong: bool,
}

/// The stable hunt ID of an artifact in a briefing.
pub fn hunt_id(briefing_id: &str, kind: ArtifactKind, value: &str) -> String {
    let d = Sha256::digest(format!("{briefing_id}\0{}\0{value}", kind.key()).as_bytes());
    let hex: String = d[..6].iter().map(|b| format!("{b:02X}")).collect();
    format!("ART_{hex}")
}

static TASK_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bschtasks(?:\.exe)?\b[^\n]{0,200}?/tn\s+(?:"([^"\n]{1,100})"|'([^'\n]{1,100})'|([^\s"'/]{1,100}))"#)
        .unwrap_or_else(|_| unreachable!())
});
static TASK_NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bscheduled task (?:named|called)\s+(?:"([^"\n]{2,100})"|“([^”\n]{2,100})”|'([^'\n]{2,100})')"#)
        .unwrap_or_else(|_| unreachable!())
});
static USER_AGENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\buser[- ]agent(?: string| header)?(?:\s*[:=]|\s+of|\s+is)?\s*(?:"([^"\n]{8,300})"|“([^”\n]{8,300})”)"#)
        .unwrap_or_else(|_| unreachable!())
});

/// The artifacts of `input` that qualify, in indicator order then text order.
pub fn collect(rules: &ArtifactRules, input: &Input<'_>) -> Vec<Artifact> {
    let mut out: Vec<Artifact> = Vec::new();
    let mut seen: HashSet<(ArtifactKind, String)> = HashSet::new();
    let mut push = |a: Artifact, out: &mut Vec<Artifact>| {
        if a.value.chars().count() <= MAX_VALUE
            && !a.value.chars().any(super::ir::unsafe_char)
            && seen.insert((a.kind, a.value.to_lowercase()))
        {
            out.push(a);
        }
    };
    for ioc in input.iocs {
        let kind = match ioc.kind {
            IocType::Filename => ArtifactKind::File,
            IocType::Filepath => ArtifactKind::Path,
            IocType::Registry => ArtifactKind::Registry,
            IocType::Package => ArtifactKind::Package,
            _ => continue,
        };
        let strong = ioc.fidelity == Fidelity::High;
        let plausible = match ioc.fidelity {
            Fidelity::High => true,
            // A package is an indicator only where the text says it is malicious.
            Fidelity::Medium => kind != ArtifactKind::Package && rules.malicious(&ioc.evidence),
            Fidelity::Low => false,
        };
        if plausible && !generic(rules, kind, &ioc.value) {
            push(
                Artifact {
                    kind,
                    value: ioc.value.clone(),
                    evidence: ioc.evidence.clone(),
                    strong,
                },
                &mut out,
            );
        }
    }
    let text = input.text;
    let mut named: Vec<(usize, ArtifactKind, String)> = Vec::new();
    for re in [&*TASK_FLAG, &*TASK_NAMED] {
        for c in re.captures_iter(text) {
            if let Some(m) = c.iter().skip(1).flatten().next() {
                named.push((m.start(), ArtifactKind::Task, m.as_str().trim().to_owned()));
            }
        }
    }
    for c in USER_AGENT.captures_iter(text) {
        if let Some(m) = c.iter().skip(1).flatten().next() {
            named.push((
                m.start(),
                ArtifactKind::UserAgent,
                m.as_str().trim().to_owned(),
            ));
        }
    }
    named.sort_by_key(|(at, kind, _)| (*at, *kind));
    for (at, kind, value) in named {
        let evidence = collapse_whitespace(sentence_at(text, at));
        if value.is_empty() || !rules.malicious(&evidence) {
            continue;
        }
        push(
            Artifact {
                kind,
                value,
                evidence,
                strong: false,
            },
            &mut out,
        );
    }
    out.truncate(rules.max_hunts);
    out
}

/// Names and places that are never an artifact on their own.
fn generic(rules: &ArtifactRules, kind: ArtifactKind, value: &str) -> bool {
    let lower = value.to_lowercase();
    match kind {
        ArtifactKind::File => rules.benign_names.contains(&lower),
        ArtifactKind::Path => {
            let trimmed = lower.trim_end_matches(['/', '\\']);
            let last = trimmed.rsplit(['/', '\\']).next().unwrap_or("");
            let depth = trimmed.split(['/', '\\']).filter(|s| !s.is_empty()).count();
            rules.generic_paths.contains(trimmed) || rules.benign_names.contains(last) || depth < 2
        }
        ArtifactKind::Registry => {
            let key = strip_hive(&lower);
            key.split('\\').filter(|s| !s.is_empty()).count() < 2
                || rules.generic_keys.contains(key.trim_end_matches('\\'))
        }
        ArtifactKind::Package | ArtifactKind::Task | ArtifactKind::UserAgent => false,
    }
}

fn strip_hive(key: &str) -> &str {
    const HIVES: [&str; 10] = [
        "hkey_local_machine\\",
        "hkey_current_user\\",
        "hkey_users\\",
        "hkey_classes_root\\",
        "hkey_current_config\\",
        "hklm\\",
        "hkcu\\",
        "hku\\",
        "hkcr\\",
        "hkcc\\",
    ];
    for h in HIVES {
        if key.len() >= h.len()
            && key.is_char_boundary(h.len())
            && key[..h.len()].eq_ignore_ascii_case(h)
        {
            return &key[h.len()..];
        }
    }
    key
}

/// The hunts for the qualifying artifacts of `input`.
pub fn hunts(kb: &HuntKb, input: &Input<'_>) -> Vec<Hunt> {
    collect(&kb.artifacts, input)
        .into_iter()
        .filter_map(|a| hunt(kb, input.briefing_id, &a))
        .collect()
}

pub fn hunt(kb: &HuntKb, briefing_id: &str, a: &Artifact) -> Option<Hunt> {
    let rules = rules_for(&kb.artifacts, a);
    if rules.is_empty() {
        return None;
    }
    let id = hunt_id(briefing_id, a.kind, &a.value);
    let shown: String = a.value.chars().take(100).collect();
    let title = format!("Article artifact: {} {shown}", a.kind.noun());
    let evidence: String = a.evidence.chars().take(300).collect();
    let description = format!(
        "Hunt for the {} that the article names: {}",
        a.kind.noun(),
        evidence
    );
    let (phase, techniques) = match a.kind {
        ArtifactKind::File | ArtifactKind::Path => (Phase::Install, vec![]),
        ArtifactKind::Registry => {
            let run = a.value.to_lowercase().contains("\\currentversion\\run");
            (
                Phase::Install,
                if run {
                    vec!["T1547.001".to_owned()]
                } else {
                    vec![]
                },
            )
        }
        ArtifactKind::Package => (Phase::Delivery, vec!["T1195.002".to_owned()]),
        ArtifactKind::Task => (Phase::Install, vec!["T1053.005".to_owned()]),
        ArtifactKind::UserAgent => (Phase::C2, vec!["T1071.001".to_owned()]),
    };
    let confidence = if a.strong {
        Confidence::Medium
    } else {
        Confidence::Low
    };
    let meta = Meta {
        key: &id,
        title: &title,
        description: &description,
        techniques: &techniques,
        confidence,
        falsepositives: &[],
        lookback: Window { n: 30, unit: 'd' },
    };
    let queries = render_all(&rules, &meta, &kb.backends, &Fill::none());
    (!queries.is_empty()).then_some(Hunt {
        id,
        title,
        phase,
        confidence,
        techniques,
        queries,
    })
}

fn lit(s: &str) -> Value {
    Value::Str(Pattern::literal(s))
}

fn rule(name: &str, category: &str, selections: Vec<(&str, Vec<Match>)>, condition: Cond) -> Rule {
    Rule {
        name: name.to_owned(),
        logsource: LogSource {
            category: Some(category.to_owned()),
            product: None,
            service: None,
        },
        selections: selections
            .into_iter()
            .map(|(n, matches)| (n.to_owned(), Selection { matches }))
            .collect(),
        condition,
        fields: Vec::new(),
        aggregate: None,
    }
}

fn m(field: &str, op: Op, values: Vec<Value>) -> Match {
    Match {
        field: field.to_owned(),
        op,
        all: false,
        values,
    }
}

fn sel(name: &str) -> Cond {
    Cond::Sel(name.to_owned())
}

/// The rules that hunt one artifact, in the internal representation. Article text is
/// only ever a literal value here.
pub fn rules_for(rules: &ArtifactRules, a: &Artifact) -> Vec<Rule> {
    let v = a.value.as_str();
    match a.kind {
        ArtifactKind::File => {
            let ext = v
                .rsplit_once('.')
                .map(|(_, e)| e.to_lowercase())
                .unwrap_or_default();
            let windows = matches!(ext.as_str(), "exe" | "scr" | "com" | "pif" | "cpl" | "msi");
            let mut ends = vec![lit(&format!("\\{v}"))];
            if !windows {
                ends.push(lit(&format!("/{v}")));
            }
            file_rules(
                rules.executable_extensions.contains(&ext),
                Op::EndsWith,
                ends,
                v,
            )
        }
        ArtifactKind::Path => {
            // `%APPDATA%\x` and `~/x` name a place under some profile: match the rest.
            let rest = if let Some(stripped) = v.strip_prefix('%').and_then(|s| s.split_once('%')) {
                Some(stripped.1)
            } else {
                v.strip_prefix('~')
            };
            let (op, value) = match rest {
                Some(r) if !r.is_empty() => (Op::EndsWith, r),
                _ => (Op::Equals, v),
            };
            let name = v.rsplit(['\\', '/']).next().unwrap_or(v);
            let ext = name
                .rsplit_once('.')
                .map(|(_, e)| e.to_lowercase())
                .unwrap_or_default();
            let executable = rules.executable_extensions.contains(&ext) || !name.contains('.');
            file_rules(executable, op, vec![lit(value)], value)
        }
        ArtifactKind::Registry => {
            let key = strip_hive(v);
            vec![rule(
                "registry",
                "registry_set",
                vec![("key", vec![m("TargetObject", Op::Contains, vec![lit(key)])])],
                sel("key"),
            )]
        }
        ArtifactKind::Package => package_rules(v),
        ArtifactKind::Task => vec![
            rule(
                "task_created",
                "process_creation",
                vec![
                    (
                        "tool",
                        vec![m(
                            "Image",
                            Op::EndsWith,
                            vec![
                                lit("\\schtasks.exe"),
                                lit("\\powershell.exe"),
                                lit("\\pwsh.exe"),
                            ],
                        )],
                    ),
                    ("name", vec![m("CommandLine", Op::Contains, vec![lit(v)])]),
                ],
                Cond::And(vec![sel("tool"), sel("name")]),
            ),
            rule(
                "task_file",
                "file_event",
                vec![(
                    "file",
                    vec![m(
                        "TargetFilename",
                        Op::EndsWith,
                        vec![lit(&format!("\\System32\\Tasks\\{v}"))],
                    )],
                )],
                sel("file"),
            ),
        ],
        ArtifactKind::UserAgent => vec![rule(
            "web_requests",
            "proxy",
            vec![("agent", vec![m("c-useragent", Op::Equals, vec![lit(v)])])],
            sel("agent"),
        )],
    }
}

/// `pkg:npm/name@1.0.0`: installs of the package, and its files on disk.
/// A file that runs (an executable: its image) or is handed to a program (its name on a
/// command line), and the same file being written.
fn file_rules(executable: bool, op: Op, names: Vec<Value>, in_cmdline: &str) -> Vec<Rule> {
    let process = if executable {
        rule(
            "process",
            "process_creation",
            vec![("image", vec![m("Image", op, names.clone())])],
            sel("image"),
        )
    } else {
        rule(
            "command_line",
            "process_creation",
            vec![(
                "cmdline",
                vec![m("CommandLine", Op::Contains, vec![lit(in_cmdline)])],
            )],
            sel("cmdline"),
        )
    };
    let written = rule(
        "file_written",
        "file_event",
        vec![("file", vec![m("TargetFilename", op, names)])],
        sel("file"),
    );
    vec![process, written]
}

fn package_rules(purl: &str) -> Vec<Rule> {
    let Some(rest) = purl.strip_prefix("pkg:") else {
        return Vec::new();
    };
    let Some((ty, name_ver)) = rest.split_once('/') else {
        return Vec::new();
    };
    let name = name_ver.rsplit_once('@').map_or(name_ver, |(n, _)| n);
    let name = name
        .replace("%40", "@")
        .replace("%2F", "/")
        .replace("%2f", "/");
    let leaf = name.rsplit('/').next().unwrap_or(&name).to_owned();
    if leaf.is_empty() {
        return Vec::new();
    }
    let install = rule(
        "install",
        "process_creation",
        vec![
            (
                "package",
                vec![m("CommandLine", Op::Contains, vec![lit(&name)])],
            ),
            (
                "verb",
                vec![m(
                    "CommandLine",
                    Op::Contains,
                    vec![lit(" install"), lit(" add "), lit(" i ")],
                )],
            ),
        ],
        Cond::And(vec![sel("package"), sel("verb")]),
    );
    let dir = match ty {
        "npm" => Some(format!("node_modules{}{}{}", '\u{0}', name, '\u{0}')),
        "pypi" => Some(format!(
            "site-packages{}{}",
            '\u{0}',
            leaf.replace('-', "_")
        )),
        _ => None,
    };
    let mut rules = vec![install];
    if let Some(dir) = dir {
        // Both separators: the same package lands on Windows and on Unix hosts.
        let win = dir.replace(['\u{0}', '/'], "\\");
        let unix = dir.replace(['\u{0}', '\\'], "/");
        rules.push(rule(
            "package_files",
            "file_event",
            vec![(
                "dir",
                vec![m(
                    "TargetFilename",
                    Op::Contains,
                    vec![
                        Value::Str(Pattern(vec![Piece::Lit(win)])),
                        Value::Str(Pattern(vec![Piece::Lit(unix)])),
                    ],
                )],
            )],
            sel("dir"),
        ));
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> ArtifactRules {
        ArtifactRules::parse(&super::super::kb::embedded_source(ARTIFACTS_FILE)).unwrap()
    }

    #[test]
    fn generic_names_paths_and_keys_never_qualify() {
        let r = rules();
        assert!(generic(&r, ArtifactKind::File, "node.js"));
        assert!(generic(&r, ArtifactKind::File, "Next.js"));
        assert!(generic(&r, ArtifactKind::Path, "/dev/null"));
        assert!(generic(&r, ArtifactKind::Path, "/usr/local/"));
        assert!(generic(&r, ArtifactKind::Path, "C:\\Windows\\System32"));
        assert!(!generic(&r, ArtifactKind::Path, "/tmp/.x/kworkerd"));
        assert!(generic(
            &r,
            ArtifactKind::Registry,
            "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
        ));
        assert!(!generic(
            &r,
            ArtifactKind::Registry,
            "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater"
        ));
    }

    #[test]
    fn ids_derive_from_briefing_and_artifact_only() {
        let a = hunt_id("0123456789abcdef", ArtifactKind::File, "evil.exe");
        assert_eq!(
            a,
            hunt_id("0123456789abcdef", ArtifactKind::File, "evil.exe")
        );
        assert_ne!(
            a,
            hunt_id("0123456789abcdee", ArtifactKind::File, "evil.exe")
        );
        assert_ne!(
            a,
            hunt_id("0123456789abcdef", ArtifactKind::Path, "evil.exe")
        );
        assert!(a.starts_with("ART_") && a.len() == 16);
    }

    #[test]
    fn task_names_and_user_agents_are_read_from_malicious_sentences_only() {
        let r = rules();
        let text = "The malware creates persistence with schtasks /create /tn \"OneDrive Sync\" /tr x.exe. \
                    Our admins use schtasks /create /tn Backup for backups. \
                    The beacon uses the user agent \"Mozilla/5.0 (Windows NT 10.0; Win64) EvilBot\" for C2.";
        let input = Input {
            briefing_id: "x",
            kind: crate::model::Kind::Campaign,
            text,
            techniques: &[],
            iocs: &[],
        };
        let found: Vec<(ArtifactKind, String)> = collect(&r, &input)
            .into_iter()
            .map(|a| (a.kind, a.value))
            .collect();
        assert_eq!(
            found,
            vec![
                (ArtifactKind::Task, "OneDrive Sync".to_owned()),
                (
                    ArtifactKind::UserAgent,
                    "Mozilla/5.0 (Windows NT 10.0; Win64) EvilBot".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn packages_hunt_installs_and_module_folders() {
        let rs = package_rules("pkg:npm/%40evil/colors-x@1.4.4");
        assert_eq!(rs.len(), 2);
        let Value::Str(p) = &rs[1].selections["dir"].matches[0].values[1] else {
            panic!()
        };
        assert_eq!(p.literal_text(), "node_modules/@evil/colors-x/");
    }
}
