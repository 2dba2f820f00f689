//! Cross-cutting tests of the hunt stage: the library against the format's table,
//! firing on evidence only, the CIM field table, and safety of every rendering against
//! hostile values.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::artifacts::{Artifact, ArtifactKind};
use super::backends::spl_field_refs;
use super::*;
use crate::model::{Backend, Confidence, Fidelity, IocType, Phase};

fn kb() -> HuntKb {
    HuntKb::embedded().unwrap()
}

/// FORMAT.md's library table: these IDs keep their meaning for good.
const FORMAT_TABLE: [(&str, &str, &str, &str, &[&str]); 20] = [
    (
        "UC_PHISH_LINK",
        "Phishing-link click correlated to endpoint execution",
        "delivery",
        "High",
        &["T1566.002", "T1204.001"],
    ),
    (
        "UC_PHISH_ATTACH",
        "Email attachment opened from external sender",
        "delivery",
        "High",
        &["T1566.001", "T1204.002"],
    ),
    (
        "UC_OFFICE_CHILD",
        "Office app spawning script/LOLBin child process",
        "exploit",
        "High",
        &["T1059.001", "T1059.005", "T1218"],
    ),
    (
        "UC_PS_OBFUSCATED",
        "PowerShell encoded / obfuscated command",
        "exploit",
        "High",
        &["T1059.001", "T1027"],
    ),
    (
        "UC_LSASS",
        "LSASS process access / dump (credential theft)",
        "actions",
        "High",
        &["T1003.001"],
    ),
    (
        "UC_BEACONING",
        "Beaconing — periodic outbound to small set of destinations",
        "c2",
        "Medium",
        &["T1071.001", "T1071.004"],
    ),
    (
        "UC_DNS_TUNNEL",
        "DNS tunneling / TXT-heavy domain queries",
        "c2",
        "Medium",
        &["T1071.004", "T1048.003"],
    ),
    (
        "UC_SCHEDULED_TASK",
        "Scheduled task created with suspicious image / encoded args",
        "install",
        "High",
        &["T1053.005"],
    ),
    (
        "UC_SERVICE_PERSIST",
        "Service install for persistence — sc.exe / new service registry write",
        "install",
        "High",
        &["T1543.003"],
    ),
    (
        "UC_RANSOM_ENCRYPT",
        "Ransomware-style mass file rename / extension change",
        "actions",
        "Medium",
        &["T1486"],
    ),
    (
        "UC_LATERAL_PSEXEC",
        "Remote service execution — PsExec / SMB lateral movement",
        "actions",
        "High",
        &["T1021.002", "T1569.002"],
    ),
    (
        "UC_OAUTH_ABUSE",
        "OAuth consent / suspicious app grant",
        "actions",
        "High",
        &["T1528", "T1098.001"],
    ),
    (
        "UC_MFA_FATIGUE",
        "MFA fatigue / push-bombing",
        "actions",
        "High",
        &["T1621"],
    ),
    (
        "UC_SUPPLY_CHAIN",
        "Trusted vendor binary / installer launching unusual children",
        "exploit",
        "Medium",
        &["T1195.002"],
    ),
    (
        "UC_FAKECAPTCHA",
        "Fake CAPTCHA / clipboard-injected PowerShell (ClickFix / FakeCaptcha)",
        "exploit",
        "High",
        &["T1204.004", "T1059.001"],
    ),
    (
        "UC_BROWSER_STEALER",
        "Infostealer — non-browser process accessing browser cookie/login DBs",
        "actions",
        "High",
        &["T1539", "T1555.003"],
    ),
    (
        "UC_TEAMS_VISHING",
        "Microsoft Teams external-tenant chat from unverified IT-helpdesk impersonator",
        "delivery",
        "High",
        &["T1566.004"],
    ),
    (
        "UC_RMM_TOOLS",
        "RMM tool installed by non-IT user — remote-access utility for hands-on-keyboard",
        "install",
        "High",
        &["T1219"],
    ),
    (
        "UC_BROWSER_EXT",
        "Suspicious browser extension installation",
        "install",
        "Medium",
        &["T1176"],
    ),
    (
        "UC_CRYPTO_WALLET",
        "Crypto-wallet file/keystore access by non-wallet process",
        "actions",
        "High",
        &["T1005"],
    ),
];

#[test]
fn library_keeps_every_format_id_with_its_meaning_and_grows_beyond() {
    let kb = kb();
    for (id, title, phase, confidence, techniques) in FORMAT_TABLE {
        let u = kb.use_case(id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(u.title, title, "{id}");
        assert_eq!(u.phase.as_str(), phase, "{id}");
        assert_eq!(u.confidence.as_str(), confidence, "{id}");
        assert_eq!(u.techniques, techniques, "{id}");
    }
    assert!(kb.library.len() >= 40, "{} use cases", kb.library.len());
    for topic in [
        "UC_CREDENTIAL_HIVES",
        "UC_RUN_KEY",
        "UC_CERTUTIL",
        "UC_MSHTA",
        "UC_RUNDLL32",
        "UC_REGSVR32",
        "UC_SHADOW_COPY_DELETE",
        "UC_WEBSHELL",
        "UC_WEB_SERVER_CHILD",
        "UC_PKG_INSTALL_SCRIPT",
    ] {
        assert!(kb.use_case(topic).is_some(), "{topic}");
    }
}

#[test]
fn every_use_case_renders_in_splunk_or_defender_and_in_sigma_where_it_has_a_taxonomy() {
    let kb = kb();
    for u in &kb.library {
        let h = use_case_hunt(&kb, u);
        assert!(
            h.queries.contains_key(&Backend::Splunk) || h.queries.contains_key(&Backend::Defender),
            "{}",
            u.id
        );
        let sigma_logsource = u
            .rules
            .iter()
            .any(|r| kb.backends.sigma.contains_key(&r.logsource.key()));
        assert_eq!(
            h.queries.contains_key(&Backend::Sigma),
            sigma_logsource,
            "{}",
            u.id
        );
    }
}

/// The CIM table test over rendered queries: every `Object.field` an SPL query uses is a
/// field of the data model it names.
fn check_spl_fields(kb: &HuntKb, spl: &str, what: &str) {
    let mut datasets = Vec::new();
    for part in spl.split("from datamodel=").skip(1) {
        let ds: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        datasets.push(ds);
    }
    assert!(!datasets.is_empty(), "{what}: no data model\n{spl}");
    // Each `| tstats` block is checked against its own data model.
    let blocks: Vec<&str> = spl.split("| tstats").skip(1).collect();
    assert_eq!(blocks.len(), datasets.len(), "{what}");
    for (block, ds) in blocks.iter().zip(&datasets) {
        let fields = kb
            .backends
            .cim
            .get(ds)
            .unwrap_or_else(|| panic!("{what}: {ds} is not a CIM dataset"));
        for f in spl_field_refs(block, ds) {
            assert!(
                fields.contains(&f),
                "{what}: {f} is not a field of {ds}\n{spl}"
            );
        }
        let object = ds.rsplit('.').next().unwrap_or_default();
        assert!(
            block.contains(&format!("`drop_dm_object_name({object})`")),
            "{what}"
        );
    }
}

#[test]
fn every_spl_query_uses_only_fields_of_the_cim_data_model_it_names() {
    let kb = kb();
    for u in &kb.library {
        if let Some(spl) = use_case_hunt(&kb, u).queries.get(&Backend::Splunk) {
            check_spl_fields(&kb, spl, &u.id);
        }
    }
    for t in sweeps::Template::ALL {
        if let Some(spl) = sweeps::template_queries(&kb, t).get(&Backend::Splunk) {
            check_spl_fields(&kb, spl, t.anchor());
        }
    }
}

// ------------------------------------------------------------------ firing

fn hit(id: &str, confidence: f32, evidence: &[&str]) -> TechniqueHit {
    // Through serde, so fields the ATT&CK stage adds later keep their defaults.
    serde_json::from_value(serde_json::json!({
        "id": id,
        "name": "",
        "tactics": [],
        "confidence": confidence,
        "evidence": evidence,
    }))
    .unwrap()
}

fn ioc(kind: IocType, value: &str, fidelity: Fidelity, evidence: &str) -> Indicator {
    Indicator {
        kind,
        value: value.into(),
        defanged: value.into(),
        fidelity,
        evidence: evidence.into(),
        offset: 0,
    }
}

fn fired(kb: &HuntKb, kind: Kind, text: &str, t: &[TechniqueHit], i: &[Indicator]) -> Vec<String> {
    select(
        kb,
        &Input {
            briefing_id: "0123456789abcdef",
            kind,
            text,
            techniques: t,
            iocs: i,
        },
    )
    .into_iter()
    .map(|h| h.id)
    .collect()
}

/// The seed article: an essay on the term "supply chain security".
const SEED: &str = "Editor's note: The following think piece examines the origin of the term \
    \u{201c}supply chain security\u{201d} and whether it's a good fit for today's open source \
    software development process. When it comes to software, there is no supply.";

#[test]
fn the_seed_essay_fires_no_supply_chain_hunt() {
    let kb = kb();
    // Even if inference attached T1195.002 to the essay's theme sentence...
    let theme = [hit(
        "T1195.002",
        0.9,
        &["examines the origin of the term \u{201c}supply chain security\u{201d}"],
    )];
    // ...a commentary gets no behavioural hunt at all,
    assert!(fired(&kb, Kind::Commentary, SEED, &theme, &[]).is_empty());
    // and even unclassified, the theme sentence is not evidence of a compromise.
    assert!(fired(&kb, Kind::Other, SEED, &theme, &[]).is_empty());
    // Nor does the bare word anywhere in the text, without any technique.
    assert!(fired(&kb, Kind::Other, SEED, &[], &[]).is_empty());
}

#[test]
fn supply_chain_fires_on_a_described_compromise() {
    let kb = kb();
    let t = [hit(
        "T1195.002",
        0.8,
        &["The attackers pushed a trojanized installer through the vendor's update server."],
    )];
    assert_eq!(
        fired(&kb, Kind::Campaign, "x", &t, &[]),
        vec!["UC_SUPPLY_CHAIN"]
    );
}

#[test]
fn non_threat_kinds_fire_nothing_whatever_the_evidence() {
    let kb = kb();
    let t = [
        hit("T1003.001", 0.9, &["Mimikatz dumped LSASS memory."]),
        hit("T1053.005", 0.9, &["schtasks created a task."]),
    ];
    let i = [ioc(
        IocType::Filename,
        "evil.exe",
        Fidelity::High,
        "The malware drops evil.exe.",
    )];
    for kind in [
        Kind::Commentary,
        Kind::Product,
        Kind::Tutorial,
        Kind::Withdrawn,
    ] {
        assert!(fired(&kb, kind, "x", &t, &i).is_empty(), "{kind:?}");
    }
    let all = fired(&kb, Kind::Campaign, "x", &t, &i);
    assert!(all.contains(&"UC_LSASS".to_owned()), "{all:?}");
    assert!(all.contains(&"UC_SCHEDULED_TASK".to_owned()), "{all:?}");
    assert!(all.iter().any(|id| id.starts_with("ART_")), "{all:?}");
}

#[test]
fn keywords_without_evidence_fire_nothing() {
    let kb = kb();
    let text =
        "Related: ransomware, extortion, LSASS, PsExec, mimikatz, AnyDesk, phishing, beacon.";
    assert!(fired(&kb, Kind::Breach, text, &[], &[]).is_empty());
    // A technique without evidence sentences, or below the confidence bar, is not enough.
    let weak = [
        hit("T1003.001", 0.9, &[]),
        hit("T1486", 0.2, &["files were encrypted"]),
    ];
    assert!(fired(&kb, Kind::Breach, text, &weak, &[]).is_empty());
}

#[test]
fn mentions_count_only_inside_evidence_sentences() {
    let kb = kb();
    // T1219 is not inferred; AnyDesk appears in the evidence of another technique.
    let t = [hit(
        "T1133",
        0.7,
        &["The operators installed AnyDesk for remote access."],
    )];
    assert_eq!(
        fired(&kb, Kind::Campaign, "x", &t, &[]),
        vec!["UC_RMM_TOOLS"]
    );
    // The same word only in the page text does nothing.
    let t = [hit("T1133", 0.7, &["The operators used VPN credentials."])];
    assert!(fired(&kb, Kind::Campaign, "AnyDesk AnyDesk", &t, &[]).is_empty());
}

#[test]
fn artifacts_must_be_plausibly_malicious() {
    let kb = kb();
    let iocs = [
        ioc(
            IocType::Filename,
            "node.js",
            Fidelity::High,
            "Install node.js first.",
        ),
        ioc(
            IocType::Filepath,
            "/dev/null",
            Fidelity::High,
            "Output goes to /dev/null.",
        ),
        ioc(
            IocType::Filepath,
            "/usr/local",
            Fidelity::Medium,
            "The malware copies itself to /usr/local.",
        ),
        ioc(
            IocType::Filename,
            "helper.dll",
            Fidelity::Medium,
            "The documentation mentions helper.dll.",
        ),
        ioc(
            IocType::Filename,
            "cmd.exe",
            Fidelity::Low,
            "The loader runs cmd.exe.",
        ),
        ioc(
            IocType::Filename,
            "upd4te.exe",
            Fidelity::Medium,
            "The loader drops upd4te.exe in Temp.",
        ),
        ioc(
            IocType::Registry,
            r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run\upd4te",
            Fidelity::High,
            "",
        ),
    ];
    let ids = fired(&kb, Kind::Campaign, "x", &[], &iocs);
    assert_eq!(ids.len(), 2, "{ids:?}");
    let again = fired(&kb, Kind::Campaign, "x", &[], &iocs);
    assert_eq!(ids, again, "IDs are stable across runs");
    let input = Input {
        briefing_id: "0123456789abcdef",
        kind: Kind::Campaign,
        text: "x",
        techniques: &[],
        iocs: &iocs,
    };
    let hunts = select(&kb, &input);
    assert!(hunts[0].title.ends_with("upd4te.exe"), "{}", hunts[0].title);
    assert_eq!(hunts[0].confidence, Confidence::Low);
    assert_eq!(hunts[1].confidence, Confidence::Medium);
    assert_eq!(hunts[1].techniques, vec!["T1547.001"]);
    assert_eq!(hunts[1].phase, Phase::Install);
}

// ------------------------------------------------------------------ snapshots

#[test]
fn rendered_queries_snapshot() {
    let kb = kb();
    let mut out = String::new();
    for id in ["UC_OFFICE_CHILD", "UC_MFA_FATIGUE", "UC_BROWSER_STEALER"] {
        let h = use_case_hunt(&kb, kb.use_case(id).unwrap());
        for (b, q) in &h.queries {
            out.push_str(&format!("===== {id} {b:?}\n{q}\n"));
        }
    }
    insta::assert_snapshot!(out);
}

#[test]
fn artifact_hunt_snapshot() {
    let kb = kb();
    let a = Artifact {
        kind: ArtifactKind::Path,
        value: r#"%APPDATA%\Micro"soft\up*d.exe"#.into(),
        evidence: "The loader copies itself there.".into(),
        strong: true,
    };
    let h = artifacts::hunt(&kb, "0123456789abcdef", &a).unwrap();
    let mut out = format!("{} {}\n", h.id, h.title);
    for (b, q) in &h.queries {
        out.push_str(&format!("===== {b:?}\n{q}\n"));
    }
    insta::assert_snapshot!(out);
}

// ------------------------------------------------------------------ safety

/// A query with every string literal replaced by `S`, and the literals' decoded contents.
/// `None` when a literal is left open: the text would have escaped it.
fn skeleton(backend: Backend, q: &str) -> Option<(String, Vec<String>)> {
    let chars: Vec<char> = q.chars().collect();
    let mut sk = String::new();
    let mut lits = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match backend {
            Backend::Defender | Backend::Sentinel => {
                if c == '/' && chars.get(i + 1) == Some(&'/') {
                    // A note: runs to the end of the line.
                    while i < chars.len() && chars[i] != '\n' {
                        sk.push(chars[i]);
                        i += 1;
                    }
                    continue;
                }
                if c == '@' && chars.get(i + 1) == Some(&'"') {
                    let mut s = String::new();
                    i += 2;
                    loop {
                        match chars.get(i) {
                            None | Some('\n') => return None,
                            Some('"') if chars.get(i + 1) == Some(&'"') => {
                                s.push('"');
                                i += 2;
                            }
                            Some('"') => break,
                            Some(&ch) => {
                                s.push(ch);
                                i += 1;
                            }
                        }
                    }
                    lits.push(s);
                    sk.push('S');
                    i += 1;
                    continue;
                }
                if c == '"' {
                    let mut s = String::new();
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None | Some('\n') => return None,
                            Some('\\') => {
                                s.push(*chars.get(i + 1)?);
                                i += 2;
                            }
                            Some('"') => break,
                            Some(&ch) => {
                                s.push(ch);
                                i += 1;
                            }
                        }
                    }
                    lits.push(s);
                    sk.push('S');
                    i += 1;
                    continue;
                }
            }
            Backend::Splunk => {
                if c == '`' && chars.get(i + 1) == Some(&'`') && chars.get(i + 2) == Some(&'`') {
                    // A note comment: ```...```
                    let rest: String = chars[i + 3..].iter().collect();
                    let end = rest.find("```")?;
                    sk.push_str("```note```");
                    i += 3 + rest[..end].chars().count() + 3;
                    continue;
                }
                if c == '"' {
                    let mut s = String::new();
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None | Some('\n') => return None,
                            Some('\\') => {
                                s.push(*chars.get(i + 1)?);
                                i += 2;
                            }
                            Some('"') => break,
                            Some(&ch) => {
                                s.push(ch);
                                i += 1;
                            }
                        }
                    }
                    lits.push(s);
                    sk.push('S');
                    i += 1;
                    continue;
                }
            }
            Backend::Sigma | Backend::Elastic => {
                if c == '\'' {
                    let mut s = String::new();
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None | Some('\n') => return None,
                            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                                s.push('\'');
                                i += 2;
                            }
                            Some('\'') => break,
                            Some(&ch) => {
                                s.push(ch);
                                i += 1;
                            }
                        }
                    }
                    lits.push(s);
                    sk.push('S');
                    i += 1;
                    continue;
                }
            }
        }
        sk.push(c);
        i += 1;
    }
    // Rule IDs derive from the hunt ID, which derives from the value.
    let sk = sk
        .lines()
        .map(|l| {
            if l.starts_with("id: ") {
                "id: <uuid>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some((sk, lits))
}

/// A value of the same shape with harmless characters: what decides how a value is
/// matched (separators, `%VAR%`, the extension) is kept, everything else is an `x`.
fn benign(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "\\/.%~-_:".contains(c) {
                c
            } else {
                'x'
            }
        })
        .collect()
}

/// The part of an artifact value that its hunts search for verbatim.
fn searched(kind: ArtifactKind, v: &str) -> String {
    match kind {
        ArtifactKind::Path => match v.strip_prefix('%').and_then(|s| s.split_once('%')) {
            Some((_, rest)) if !rest.is_empty() => rest.to_owned(),
            _ => v
                .strip_prefix('~')
                .filter(|r| !r.is_empty())
                .unwrap_or(v)
                .to_owned(),
        },
        ArtifactKind::Registry => {
            let lower = v.to_ascii_lowercase();
            [
                "hkey_local_machine\\",
                "hkey_current_user\\",
                "hklm\\",
                "hkcu\\",
            ]
            .iter()
            .find(|h| lower.starts_with(*h))
            .map_or_else(|| v.to_owned(), |h| v[h.len()..].to_owned())
        }
        _ => v.to_owned(),
    }
}

fn artifact_queries(kb: &HuntKb, kind: ArtifactKind, value: &str) -> BTreeMap<Backend, String> {
    let a = Artifact {
        kind,
        value: value.into(),
        evidence: "The malware drops it.".into(),
        strong: true,
    };
    artifacts::hunt(kb, "0123456789abcdef", &a)
        .map(|h| h.queries)
        .unwrap_or_default()
}

const KINDS: [ArtifactKind; 5] = [
    ArtifactKind::File,
    ArtifactKind::Path,
    ArtifactKind::Registry,
    ArtifactKind::Task,
    ArtifactKind::UserAgent,
];

/// Checks that `value` only ever lands inside string literals: the query around the
/// literals is exactly the one a harmless value of the same shape gets, and some literal
/// holds the value verbatim (it still means only what it should).
fn assert_contained(kb: &HuntKb, kind: ArtifactKind, value: &str) {
    let hostile = artifact_queries(kb, kind, value);
    let harmless = artifact_queries(kb, kind, &benign(value));
    let wanted = searched(kind, value);
    for (backend, q) in &hostile {
        let (sk, lits) = skeleton(*backend, q)
            .unwrap_or_else(|| panic!("{backend:?}: a literal was left open\n{q}"));
        if q.contains("huntbrief:") {
            // Left out with a note; what remains must still be well formed (checked above).
            continue;
        }
        let h = harmless
            .get(backend)
            .unwrap_or_else(|| panic!("{backend:?} exists only for the hostile value\n{q}"));
        let (hsk, _) = skeleton(*backend, h).unwrap();
        assert_eq!(sk, hsk, "{backend:?}: structure changed\n{q}\n---\n{h}");
        let decoded: Vec<String> = match backend {
            Backend::Sigma => lits
                .iter()
                .map(|l| render::sigma::parse_sigma_string(l).literal_text())
                .collect(),
            _ => lits,
        };
        // An `endswith \name` value may be searched as the bare file name (see `bare_name`).
        let bare = wanted
            .strip_prefix(['\\', '/'])
            .filter(|r| !r.is_empty() && !r.contains(['\\', '/']));
        assert!(
            decoded
                .iter()
                .any(|l| l.contains(&wanted) || Some(l.as_str()) == bare),
            "{backend:?}: no literal holds {wanted:?}\n{q}"
        );
    }
}

#[test]
fn adversarial_artifacts_stay_inside_their_literals() {
    let kb = kb();
    for v in [
        r#"evil" OR 1=1 --.exe"#,
        r#"a\"b\\c.dll"#,
        "x.exe | delete",
        "`whoami`.ps1",
        "*.exe",
        r"C:\Users\*\AppData\evil.exe",
        r#"'; DROP TABLE x; --.exe"#,
        "```\n# heading\n```.exe",
        "a\u{2028}b.exe",
        "end\\",
        "~\\0",
        "~\\",
        r#"@"verbatim".exe"#,
        "$(rm -rf /).sh",
        "x\"\n| where true\n//.exe",
    ] {
        for kind in KINDS {
            assert_contained(&kb, kind, v);
        }
    }
}

#[test]
fn values_no_language_can_hold_are_dropped_with_a_note() {
    let kb = kb();
    let notes_only = |q: &str| {
        q.lines()
            .all(|l| l.starts_with("```huntbrief:") || l.starts_with("// huntbrief:"))
    };
    let q = artifact_queries(&kb, ArtifactKind::Registry, "Software\\Evil\nKey");
    assert!(
        !q.is_empty() && q.values().all(|s| notes_only(s)),
        "a line break has no safe form anywhere: {q:?}"
    );
    assert!(
        !q.values().any(|s| s.contains("Evil")),
        "the note names no article text"
    );
    let q = artifact_queries(&kb, ArtifactKind::File, "st*r.exe");
    assert!(
        notes_only(&q[&Backend::Splunk]),
        "SPL has no literal star: {}",
        q[&Backend::Splunk]
    );
    assert!(
        q[&Backend::Defender].contains(r#"FileName =~ "st*r.exe""#),
        "{}",
        q[&Backend::Defender]
    );
    assert!(
        q[&Backend::Sigma].contains(r"'\st\*r.exe'"),
        "{}",
        q[&Backend::Sigma]
    );
    let q = artifact_queries(&kb, ArtifactKind::File, "tick`cmd`.exe");
    assert!(notes_only(&q[&Backend::Splunk]), "SPL would expand a macro");
}

#[test]
fn sweeps_fill_values_and_templates_hold_placeholders() {
    let kb = kb();
    for t in sweeps::Template::ALL {
        let q = sweeps::template_queries(&kb, t);
        assert!(
            q.contains_key(&Backend::Splunk) && q.contains_key(&Backend::Defender),
            "{t:?}"
        );
        assert!(q.values().all(|s| s.contains("{{")), "{t:?}");
    }
    let iocs = [
        ioc(IocType::Ipv4, "203.0.113.9", Fidelity::High, ""),
        ioc(IocType::Domain, "evil.example", Fidelity::High, ""),
        ioc(IocType::Sha256, &"a".repeat(64), Fidelity::High, ""),
    ];
    let sw = sweeps::ioc_sweeps(&iocs);
    let net = sweeps::sweep_queries(&kb, &sw[0]);
    assert!(
        net[&Backend::Defender].contains(r#"RemoteIP =~ "203.0.113.9""#),
        "{}",
        net[&Backend::Defender]
    );
    assert!(net[&Backend::Defender].contains(r#"RemoteUrl endswith "evil.example""#));
    assert!(net[&Backend::Sentinel].contains("DnsEvents"));
    let hash = sweeps::sweep_queries(&kb, &sw[1]);
    // Slots without values fall away; the SHA-256 one stays.
    assert!(
        !hash[&Backend::Splunk].contains("{{"),
        "{}",
        hash[&Backend::Splunk]
    );
    assert!(hash[&Backend::Splunk].contains(&"a".repeat(64)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// No printable text, however hostile, leaves the literal it is written into.
    #[test]
    fn printable_text_stays_in_its_literals(v in r#"[a-zA-Z0-9 "'`\\/|*?$%@#&;:,.(){}\[\]<>=!~^+-]{1,40}"#) {
        let kb = kb();
        for kind in KINDS {
            assert_contained(&kb, kind, &v);
        }
    }

    /// Any text at all (control characters, line breaks, Unicode separators) either
    /// renders with every literal closed on its line, or is left out.
    #[test]
    fn any_text_is_written_safely_or_left_out(v in "\\PC{0,12}[\\x00-\\x1f\\u{2028}\\u{85}]?\\PC{0,12}") {
        let kb = kb();
        for kind in KINDS {
            for (backend, q) in artifact_queries(&kb, kind, &v) {
                prop_assert!(skeleton(backend, &q).is_some(), "{:?}\n{}", backend, q);
                for line in q.lines() {
                    prop_assert!(!line.starts_with("```") || backend == Backend::Splunk);
                }
            }
        }
    }
}

/// The renderings agree with the Sigma rule: every value of every rule a backend can
/// express appears, decoded, in one of that rendering's string literals (or as a number).
#[test]
fn every_rendering_carries_every_value_of_the_rules_it_expresses() {
    use super::ir::{Piece, Value};
    let kb = kb();
    for u in &kb.library {
        let h = use_case_hunt(&kb, u);
        for (backend, q) in &h.queries {
            let (_, lits) = skeleton(*backend, q).unwrap();
            let lits: Vec<String> = match backend {
                Backend::Sigma => lits
                    .iter()
                    .map(|l| render::sigma::parse_sigma_string(l).literal_text())
                    .collect(),
                _ => lits,
            };
            for rule in &u.rules {
                let key = rule.logsource.key();
                let expressed = match kb.backends.map(*backend) {
                    None => kb.backends.sigma.contains_key(&key),
                    Some(m) => m.target(&key).is_some_and(|t| {
                        library::rule_fields(rule)
                            .iter()
                            .all(|f| !t.unmapped.contains(*f))
                    }),
                };
                if !expressed {
                    continue;
                }
                for m in rule.selections.values().flat_map(|s| &s.matches) {
                    for v in &m.values {
                        match v {
                            Value::Str(p) => {
                                for piece in &p.0 {
                                    if let Piece::Lit(s) = piece {
                                        let s = s.trim_start_matches(['\\', '/']);
                                        assert!(
                                            lits.iter().any(|l| l.contains(s)),
                                            "{} {backend:?}: {s:?} missing\n{q}",
                                            u.id
                                        );
                                    }
                                }
                            }
                            Value::Int(i) => assert!(q.contains(&i.to_string()), "{}", u.id),
                            Value::Slot(_) => {}
                        }
                    }
                }
            }
        }
    }
}
