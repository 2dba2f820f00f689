//! What the IOC stage knows beyond the text: special-purpose address blocks, benign
//! domains and values, file-name rules and the cue words of `data/iocs/*.toml`.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::Deserialize;

use super::ranges::SpecialRanges;
use super::validate::domain;
use crate::kb::KbError;

/// FNV-1a: the look-up keys are short words and names, where SipHash's setup costs
/// more than the hashing, and the sets are built from our own data files.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub(crate) type FastSet<T> = HashSet<T, BuildHasherDefault<Fnv>>;
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

pub const BENIGN_FILE: &str = "iocs/benign.toml";
pub const TOP_SITES_FILE: &str = "iocs/top-sites.toml";
pub const FILES_FILE: &str = "iocs/files.toml";
pub const CONTEXT_FILE: &str = "iocs/context.toml";

/// Every data file of the IOC stage, compiled for look-ups.
#[derive(Debug)]
pub struct IocKb {
    pub(crate) ranges: SpecialRanges,
    benign_domains: FastMap<String, String>,
    hosting: FastSet<String>,
    benign_ips: FastSet<IpAddr>,
    benign_hashes: FastSet<String>,
    pub(crate) files: FileRules,
    pub(crate) ctx: ContextRules,
}

#[derive(Debug)]
pub(crate) struct FileRules {
    pub payload_exts: FastSet<String>,
    /// TLD → stems (empty: any stem).
    pub ambiguous: FastMap<String, Vec<String>>,
    pub system_binaries: FastSet<String>,
    pub system_prefixes: Vec<String>,
    pub system_dirs: Vec<String>,
    pub developer_files: FastSet<String>,
}

impl FileRules {
    /// Whether a path (any case) is in a system directory.
    pub fn in_system_dir(&self, path: &str) -> bool {
        let lower = path.to_lowercase();
        self.system_dirs
            .iter()
            .any(|d| lower.starts_with(d.as_str()))
    }

    /// Whether a file name (lower-case) is an operating-system binary or library.
    pub fn is_system(&self, lower: &str) -> bool {
        self.system_binaries.contains(lower)
            || self
                .system_prefixes
                .iter()
                .any(|p| lower.starts_with(p.as_str()))
    }
}

#[derive(Debug)]
pub(crate) struct ContextRules {
    pub schemes: FastSet<String>,
    pub ioc_words: FastSet<String>,
    pub reference_words: FastSet<String>,
    pub reference_before: FastSet<String>,
    pub infrastructure_nouns: FastSet<String>,
    pub enumerating: FastSet<String>,
    pub malicious: CueSet,
    pub version_before: FastSet<String>,
    pub version_sentence: CueSet,
    pub hash_not_file: FastSet<String>,
    pub hash_checksum: FastSet<String>,
    pub hash_imphash: FastSet<String>,
    pub doc_hosts: FastSet<String>,
    pub doc_paths: FastSet<String>,
    pub asset_exts: FastSet<String>,
    pub path_sentence: CueSet,
    pub hash_certificate: FastSet<String>,
    pub commit_sentence: CueSet,
    pub role_mailboxes: FastSet<String>,
    pub contact: CueSet,
    pub code_objects: FastSet<String>,
    pub cve_years: (u16, u16),
    pub wallet_cues: CueSet,
    pub asn_cues: CueSet,
    pub package_malicious: CueSet,
    /// purl type → cues naming the ecosystem.
    pub ecosystems: Vec<(&'static str, CueSet)>,
}

/// Words and phrases matched ASCII-case-insensitively at word starts; an entry ending
/// in `*` matches any ending.
#[derive(Debug)]
pub(crate) struct CueSet {
    ac: AhoCorasick,
    stem: Vec<bool>,
}

impl CueSet {
    fn new(file: &'static str, list: &str, words: &[String]) -> Result<Self, KbError> {
        check_list(file, list, words)?;
        let mut stem = Vec::with_capacity(words.len());
        let pats: Vec<&str> = words
            .iter()
            .map(|w| {
                let s = w.strip_suffix('*');
                stem.push(s.is_some());
                s.unwrap_or(w)
            })
            .collect();
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&pats)
            .map_err(|e| KbError::invalid(file, format!("{list}: {e}")))?;
        Ok(Self { ac, stem })
    }

    /// Whether any cue occurs in `hay` as a word (or word start, for stems). The
    /// longest cue at each position is tried; a shorter one there could only match
    /// where the longer one failed its word boundary, which the lists avoid.
    pub fn any_in(&self, hay: &str) -> bool {
        let b = hay.as_bytes();
        self.ac.find_iter(hay).any(|m| {
            let starts = m.start() == 0 || !b[m.start() - 1].is_ascii_alphanumeric();
            let ends = self.stem[m.pattern().as_usize()]
                || m.end() == b.len()
                || !b[m.end()].is_ascii_alphanumeric();
            starts && ends
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BenignSpec {
    hosting: Vec<String>,
    group: Vec<GroupSpec>,
    ip: Vec<ValueSpec>,
    hash: Vec<ValueSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    name: String,
    why: String,
    domains: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueSpec {
    value: String,
    why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopSitesSpec {
    source: String,
    domains: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilesSpec {
    payload_extensions: Vec<String>,
    ambiguous: Vec<AmbiguousSpec>,
    system_binaries: Vec<String>,
    system_prefixes: Vec<String>,
    system_dirs: Vec<String>,
    developer_files: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AmbiguousSpec {
    tld: String,
    why: String,
    #[serde(default)]
    stems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextSpec {
    schemes: Vec<String>,
    sections: SectionsSpec,
    cues: CuesSpec,
    urls: UrlsSpec,
    hashes: HashesSpec,
    emails: EmailsSpec,
    domains: DomainsSpec,
    cve: CveSpec,
    wallets: CueListSpec,
    asn: CueListSpec,
    packages: PackagesSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionsSpec {
    ioc_words: Vec<String>,
    reference_words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CuesSpec {
    malicious: Vec<String>,
    infrastructure_nouns: Vec<String>,
    enumerating: Vec<String>,
    reference_before: Vec<String>,
    version_before: Vec<String>,
    version_sentence: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlsSpec {
    documentation_hosts: Vec<String>,
    documentation_paths: Vec<String>,
    asset_extensions: Vec<String>,
    path_sentence: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HashesSpec {
    not_file: Vec<String>,
    checksum: Vec<String>,
    imphash: Vec<String>,
    certificate: Vec<String>,
    commit_sentence: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailsSpec {
    role_mailboxes: Vec<String>,
    contact: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainsSpec {
    code_objects: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CveSpec {
    min_year: u16,
    max_year: u16,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CueListSpec {
    cues: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackagesSpec {
    malicious: Vec<String>,
    npm: Vec<String>,
    pypi: Vec<String>,
    cargo: Vec<String>,
    composer: Vec<String>,
    nuget: Vec<String>,
    maven: Vec<String>,
    gem: Vec<String>,
}

/// Entries must be non-empty, trimmed, lower-case and listed once.
fn check_list(file: &'static str, list: &str, items: &[String]) -> Result<(), KbError> {
    if items.is_empty() {
        return Err(KbError::invalid(file, format!("{list} is empty")));
    }
    let mut seen = FastSet::default();
    for it in items {
        if it.is_empty() || it.trim() != it || it.to_lowercase() != *it {
            return Err(KbError::invalid(
                file,
                format!("{list}: {it:?} must be trimmed, non-empty and lower-case"),
            ));
        }
        if !seen.insert(it.as_str()) {
            return Err(KbError::invalid(
                file,
                format!("{list}: {it:?} is listed twice"),
            ));
        }
    }
    Ok(())
}

fn set(file: &'static str, list: &str, items: Vec<String>) -> Result<FastSet<String>, KbError> {
    check_list(file, list, &items)?;
    Ok(items.into_iter().collect())
}

/// A benign-list entry must be a valid, lower-case domain name that is not a public
/// suffix; a hosting entry may be one (`netlify.app`).
fn check_domain(file: &'static str, list: &str, d: &str, registrable: bool) -> Result<(), KbError> {
    let is_suffix =
        psl::suffix(d.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes() == d.as_bytes());
    let ok = if is_suffix {
        !registrable && d.contains('.')
    } else {
        domain::parse(d).is_some_and(|p| p.ascii == d)
    };
    if ok {
        Ok(())
    } else {
        Err(KbError::invalid(
            file,
            format!("{list}: {d:?} is not a lower-case registrable domain name"),
        ))
    }
}

impl IocKb {
    /// Every file of the IOC knowledge base, by name.
    pub const FILES: [&'static str; 5] = [
        SpecialRanges::FILE,
        BENIGN_FILE,
        TOP_SITES_FILE,
        FILES_FILE,
        CONTEXT_FILE,
    ];

    /// Builds the knowledge base from the five files' contents (`source(name)`).
    pub fn parse(source: impl Fn(&'static str) -> String) -> Result<Self, KbError> {
        let ranges = SpecialRanges::parse(&source(SpecialRanges::FILE))?;

        let b: BenignSpec =
            toml::from_str(&source(BENIGN_FILE)).map_err(|e| KbError::parse(BENIGN_FILE, e))?;
        let mut benign_domains = FastMap::default();
        for g in b.group {
            if g.name.trim().is_empty() || g.why.trim().is_empty() {
                return Err(KbError::invalid(
                    BENIGN_FILE,
                    "a group needs a name and why".into(),
                ));
            }
            check_list(BENIGN_FILE, &g.name, &g.domains)?;
            for d in g.domains {
                check_domain(BENIGN_FILE, &g.name, &d, true)?;
                if benign_domains.insert(d.clone(), g.name.clone()).is_some() {
                    return Err(KbError::invalid(
                        BENIGN_FILE,
                        format!("{d:?} is in two groups"),
                    ));
                }
            }
        }
        check_list(BENIGN_FILE, "hosting", &b.hosting)?;
        for d in &b.hosting {
            check_domain(BENIGN_FILE, "hosting", d, false)?;
        }
        let hosting = b.hosting.into_iter().collect();
        let mut benign_ips = FastSet::default();
        for v in b.ip {
            let ip: IpAddr = v.value.parse().map_err(|_| {
                KbError::invalid(BENIGN_FILE, format!("{:?} is not an IP address", v.value))
            })?;
            if v.why.trim().is_empty() || !benign_ips.insert(ip) {
                return Err(KbError::invalid(
                    BENIGN_FILE,
                    format!("ip {} needs a why, once", v.value),
                ));
            }
        }
        let mut benign_hashes = FastSet::default();
        for v in b.hash {
            let ok = matches!(v.value.len(), 32 | 40 | 64 | 128)
                && v.value
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
            if !ok || v.why.trim().is_empty() || !benign_hashes.insert(v.value.clone()) {
                return Err(KbError::invalid(
                    BENIGN_FILE,
                    format!(
                        "hash {:?} must be lower-case hex of a hash length, with a why, once",
                        v.value
                    ),
                ));
            }
        }

        let t: TopSitesSpec = toml::from_str(&source(TOP_SITES_FILE))
            .map_err(|e| KbError::parse(TOP_SITES_FILE, e))?;
        if t.source.trim().is_empty() {
            return Err(KbError::invalid(
                TOP_SITES_FILE,
                "source must say where the list came from".into(),
            ));
        }
        check_list(TOP_SITES_FILE, "domains", &t.domains)?;
        for d in t.domains {
            check_domain(TOP_SITES_FILE, "domains", &d, true)?;
            benign_domains
                .entry(d)
                .or_insert_with(|| "popular-sites".to_owned());
        }

        let f: FilesSpec =
            toml::from_str(&source(FILES_FILE)).map_err(|e| KbError::parse(FILES_FILE, e))?;
        check_list(FILES_FILE, "payload_extensions", &f.payload_extensions)?;
        for ext in &f.payload_extensions {
            if domain::is_tld(ext.as_bytes()) || !ext.bytes().all(|c| c.is_ascii_alphanumeric()) {
                return Err(KbError::invalid(
                    FILES_FILE,
                    format!(
                        "payload extension {ext:?} is a TLD or not alphanumeric: list it under [[ambiguous]]"
                    ),
                ));
            }
        }
        let mut ambiguous = FastMap::default();
        for a in f.ambiguous {
            if !domain::is_tld(a.tld.as_bytes()) || a.why.trim().is_empty() {
                return Err(KbError::invalid(
                    FILES_FILE,
                    format!(
                        "ambiguous {:?} must be a top-level domain, with a why",
                        a.tld
                    ),
                ));
            }
            if !a.stems.is_empty() {
                check_list(FILES_FILE, &a.tld, &a.stems)?;
            }
            if ambiguous.insert(a.tld.clone(), a.stems).is_some() {
                return Err(KbError::invalid(
                    FILES_FILE,
                    format!("{:?} is listed twice", a.tld),
                ));
            }
        }
        let files = FileRules {
            payload_exts: f.payload_extensions.into_iter().collect(),
            ambiguous,
            system_binaries: set(FILES_FILE, "system_binaries", f.system_binaries)?,
            system_prefixes: {
                check_list(FILES_FILE, "system_prefixes", &f.system_prefixes)?;
                f.system_prefixes
            },
            system_dirs: {
                check_list(FILES_FILE, "system_dirs", &f.system_dirs)?;
                f.system_dirs
            },
            developer_files: set(FILES_FILE, "developer_files", f.developer_files)?,
        };

        let c: ContextSpec =
            toml::from_str(&source(CONTEXT_FILE)).map_err(|e| KbError::parse(CONTEXT_FILE, e))?;
        const F: &str = CONTEXT_FILE;
        if c.cve.min_year < 1999 || c.cve.max_year < c.cve.min_year || c.cve.max_year > 2100 {
            return Err(KbError::invalid(
                F,
                "cve years must satisfy 1999 <= min <= max <= 2100".into(),
            ));
        }
        let p = c.packages;
        let ctx = ContextRules {
            schemes: set(F, "schemes", c.schemes)?,
            ioc_words: set(F, "sections.ioc_words", c.sections.ioc_words)?,
            reference_words: set(F, "sections.reference_words", c.sections.reference_words)?,
            reference_before: set(F, "cues.reference_before", c.cues.reference_before)?,
            infrastructure_nouns: set(F, "cues.infrastructure_nouns", c.cues.infrastructure_nouns)?,
            enumerating: set(F, "cues.enumerating", c.cues.enumerating)?,
            malicious: CueSet::new(F, "cues.malicious", &c.cues.malicious)?,
            version_before: set(F, "cues.version_before", c.cues.version_before)?,
            version_sentence: CueSet::new(F, "cues.version_sentence", &c.cues.version_sentence)?,
            hash_not_file: set(F, "hashes.not_file", c.hashes.not_file)?,
            hash_checksum: set(F, "hashes.checksum", c.hashes.checksum)?,
            hash_imphash: set(F, "hashes.imphash", c.hashes.imphash)?,
            doc_hosts: set(F, "urls.documentation_hosts", c.urls.documentation_hosts)?,
            doc_paths: set(F, "urls.documentation_paths", c.urls.documentation_paths)?,
            asset_exts: set(F, "urls.asset_extensions", c.urls.asset_extensions)?,
            path_sentence: CueSet::new(F, "urls.path_sentence", &c.urls.path_sentence)?,
            hash_certificate: set(F, "hashes.certificate", c.hashes.certificate)?,
            commit_sentence: CueSet::new(F, "hashes.commit_sentence", &c.hashes.commit_sentence)?,
            role_mailboxes: set(F, "emails.role_mailboxes", c.emails.role_mailboxes)?,
            contact: CueSet::new(F, "emails.contact", &c.emails.contact)?,
            code_objects: set(F, "domains.code_objects", c.domains.code_objects)?,
            cve_years: (c.cve.min_year, c.cve.max_year),
            wallet_cues: CueSet::new(F, "wallets.cues", &c.wallets.cues)?,
            asn_cues: CueSet::new(F, "asn.cues", &c.asn.cues)?,
            package_malicious: CueSet::new(F, "packages.malicious", &p.malicious)?,
            ecosystems: vec![
                ("npm", CueSet::new(F, "packages.npm", &p.npm)?),
                ("pypi", CueSet::new(F, "packages.pypi", &p.pypi)?),
                ("cargo", CueSet::new(F, "packages.cargo", &p.cargo)?),
                (
                    "composer",
                    CueSet::new(F, "packages.composer", &p.composer)?,
                ),
                ("nuget", CueSet::new(F, "packages.nuget", &p.nuget)?),
                ("maven", CueSet::new(F, "packages.maven", &p.maven)?),
                ("gem", CueSet::new(F, "packages.gem", &p.gem)?),
            ],
        };

        Ok(Self {
            ranges,
            benign_domains,
            hosting,
            benign_ips,
            benign_hashes,
            files,
            ctx,
        })
    }

    /// Why a host (lower-case ASCII) is a reference rather than an indicator: the name
    /// of its benign group, or `None`. A site under a hosting service is nobody's
    /// reference: only the service's own name (and www) is.
    pub fn benign_host(&self, host: &str) -> Option<&str> {
        let registrable = domain::registrable(host)?;
        let mut h = host;
        loop {
            if h != host && self.hosting.contains(h) && host.strip_prefix("www.") != Some(h) {
                return None;
            }
            if h == registrable {
                break;
            }
            h = h.split_once('.').map_or(registrable, |(_, rest)| rest);
        }
        let mut h = host;
        loop {
            if let Some(g) = self.benign_domains.get(h) {
                return Some(g);
            }
            if h == registrable {
                return None;
            }
            h = h.split_once('.').map_or(registrable, |(_, rest)| rest);
        }
    }

    /// Whether a host (lower-case ASCII) is itself a listed reference name (or its www),
    /// not merely a host under one: a well-known service named as such.
    pub fn listed_service(&self, host: &str) -> bool {
        let bare = host.strip_prefix("www.").unwrap_or(host);
        self.benign_domains.contains_key(bare) || self.hosting.contains(bare)
    }

    pub fn benign_ip(&self, ip: IpAddr) -> bool {
        self.benign_ips.contains(&ip)
    }

    pub fn benign_hash(&self, lower_hex: &str) -> bool {
        self.benign_hashes.contains(lower_hex)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kb::EMBEDDED;

    fn embedded_source(name: &'static str) -> String {
        EMBEDDED.get(name).unwrap_or_default().to_owned()
    }

    pub(crate) fn embedded() -> IocKb {
        IocKb::parse(embedded_source).unwrap()
    }

    #[test]
    fn embedded_files_pass_their_schema() {
        let kb = embedded();
        assert!(kb.files.payload_exts.contains("exe"));
        assert!(kb.files.ambiguous.contains_key("md"));
        assert!(kb.ctx.schemes.contains("https"));
    }

    #[test]
    fn benign_hosts_stop_at_hosting_services() {
        let kb = embedded();
        assert_eq!(
            kb.benign_host("attack.mitre.org"),
            Some("vulnerability-and-attack-references")
        );
        assert!(kb.benign_host("www.virustotal.com").is_some());
        assert!(kb.benign_host("docs.google.com").is_some());
        assert!(
            kb.benign_host("weebly.com").is_some() || kb.benign_host("www.weebly.com").is_some()
        );
        // Someone's site on a hosting service is judged like any domain.
        assert_eq!(kb.benign_host("evil-login.weebly.com"), None);
        assert_eq!(kb.benign_host("payload.s3.amazonaws.com"), None);
        assert_eq!(kb.benign_host("evil.github.io"), None);
        assert_eq!(kb.benign_host("evil-c2.com"), None);
    }

    #[test]
    fn schema_rejects_bad_entries() {
        let with = |name: &'static str, text: String| {
            move |n: &'static str| {
                if n == name {
                    text.clone()
                } else {
                    embedded_source(n)
                }
            }
        };
        let benign = |domains: &str, ip: &str, hash: &str| {
            format!(
                "hosting=['x.com']\n[[group]]\nname='g'\nwhy='w'\ndomains=[{domains}]\n\
                 [[ip]]\nvalue='{ip}'\nwhy='w'\n[[hash]]\nvalue='{hash}'\nwhy='w'"
            )
        };
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        let files = |ext: &str, tld: &str| {
            format!(
                "payload_extensions=['{ext}']\nsystem_binaries=['a.exe']\nsystem_prefixes=['x-']\n\
                 system_dirs=['/x/']\ndeveloper_files=['a.js']\n[[ambiguous]]\ntld='{tld}'\nwhy='w'"
            )
        };
        // Each broken file is rejected, and for the reason it was broken.
        let bad: [(&'static str, String, &str); 9] = [
            (
                BENIGN_FILE,
                benign("'Evil.com'", "1.1.1.1", md5),
                "lower-case",
            ),
            (
                BENIGN_FILE,
                benign("'co.uk'", "1.1.1.1", md5),
                "registrable",
            ),
            (BENIGN_FILE, benign("'a.com'", "1.1.1", md5), "not an IP"),
            (
                BENIGN_FILE,
                benign("'a.com'", "1.1.1.1", &md5.to_uppercase()),
                "lower-case hex",
            ),
            (
                TOP_SITES_FILE,
                "source=''\ndomains=['a.com']".into(),
                "source",
            ),
            (
                TOP_SITES_FILE,
                "source='s'\ndomains=['a.com', 'a.com']".into(),
                "twice",
            ),
            (FILES_FILE, files("com", "md"), "is a TLD"),
            (
                FILES_FILE,
                files("exe", "exe"),
                "must be a top-level domain",
            ),
            (CONTEXT_FILE, "schemes=[]".into(), "missing field"),
        ];
        for (file, text, why) in bad {
            let err = IocKb::parse(with(file, text)).unwrap_err().to_string();
            assert!(err.contains(why), "{file}: {err}");
        }
    }

    #[test]
    fn cue_sets_match_words_and_stems() {
        let kb = embedded();
        assert!(kb.ctx.malicious.any_in("The loader fetches stage two"));
        assert!(kb.ctx.malicious.any_in("data exfiltration over DNS"));
        assert!(!kb.ctx.malicious.any_in("the reloader is benign"));
        assert!(kb.ctx.malicious.any_in("C2: evil.com"));
        assert!(!kb.ctx.malicious.any_in("C2C payments"));
    }
}
