//! The types every stage and output shares. Serialisation follows the briefing JSON
//! contract of DESIGN.md; field order here is the order in the JSON.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One article as it enters analysis: readable text (already extracted from HTML), and
/// what we know about where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub title: String,
    /// The article's URL as given; identity uses its canonical form.
    pub url: Option<String>,
    /// Names of the feeds or sites that carried the story.
    pub sources: Vec<String>,
    pub published: Option<NaiveDate>,
    pub text: String,
    pub body: Body,
}

/// How much of the article the text holds: a feed teaser, or the full page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Body {
    Summary,
    Full,
}

/// Indicator types, declared in the order the briefing lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IocType {
    Cve,
    Ipv4,
    Domain,
    Sha256,
    Sha1,
    Md5,
    Ipv6,
    Url,
    Email,
    Sha512,
    Asn,
    Btc,
    Xmr,
    Eth,
    Registry,
    Filepath,
    Filename,
    Package,
    /// An IPv4 address with the port it was written with (`203.0.113.7:3333`).
    Socket,
    /// The import hash of a PE file (an MD5 of its import table).
    Imphash,
    /// A certificate's SHA-1 thumbprint.
    #[serde(rename = "x509-sha1")]
    X509Sha1,
    /// A certificate's SHA-256 fingerprint.
    #[serde(rename = "x509-sha256")]
    X509Sha256,
}

impl IocType {
    pub const ALL: [IocType; 22] = [
        Self::Cve,
        Self::Ipv4,
        Self::Domain,
        Self::Sha256,
        Self::Sha1,
        Self::Md5,
        Self::Ipv6,
        Self::Url,
        Self::Email,
        Self::Sha512,
        Self::Asn,
        Self::Btc,
        Self::Xmr,
        Self::Eth,
        Self::Registry,
        Self::Filepath,
        Self::Filename,
        Self::Package,
        Self::Socket,
        Self::Imphash,
        Self::X509Sha1,
        Self::X509Sha256,
    ];

    /// The key used in JSON (`"ipv4"`, `"sha256"`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Self::Cve => "cve",
            Self::Ipv4 => "ipv4",
            Self::Domain => "domain",
            Self::Sha256 => "sha256",
            Self::Sha1 => "sha1",
            Self::Md5 => "md5",
            Self::Ipv6 => "ipv6",
            Self::Url => "url",
            Self::Email => "email",
            Self::Sha512 => "sha512",
            Self::Asn => "asn",
            Self::Btc => "btc",
            Self::Xmr => "xmr",
            Self::Eth => "eth",
            Self::Registry => "registry",
            Self::Filepath => "filepath",
            Self::Filename => "filename",
            Self::Package => "package",
            Self::Socket => "socket",
            Self::Imphash => "imphash",
            Self::X509Sha1 => "x509-sha1",
            Self::X509Sha256 => "x509-sha256",
        }
    }

    /// Whether the briefing shows this type defanged, so pasting it cannot open it.
    pub fn shown_defanged(self) -> bool {
        matches!(
            self,
            Self::Ipv4 | Self::Domain | Self::Ipv6 | Self::Url | Self::Email | Self::Socket
        )
    }

    /// The bold label of the briefing's IOC line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Cve => "CVE",
            Self::Ipv4 => "IPv4 (defanged)",
            Self::Domain => "Domain (defanged)",
            Self::Sha256 => "SHA256",
            Self::Sha1 => "SHA1",
            Self::Md5 => "MD5",
            Self::Ipv6 => "IPv6 (defanged)",
            Self::Url => "URL (defanged)",
            Self::Email => "Email (defanged)",
            Self::Sha512 => "SHA512",
            Self::Asn => "ASN",
            Self::Btc => "Bitcoin wallet",
            Self::Xmr => "Monero wallet",
            Self::Eth => "Ethereum wallet",
            Self::Registry => "Registry key",
            Self::Filepath => "File path",
            Self::Filename => "File name",
            Self::Package => "Package",
            Self::Socket => "IP:port (defanged)",
            Self::Imphash => "Imphash",
            Self::X509Sha1 => "Certificate SHA1",
            Self::X509Sha256 => "Certificate SHA256",
        }
    }

    pub fn is_hash(self) -> bool {
        matches!(self, Self::Md5 | Self::Sha1 | Self::Sha256 | Self::Sha512)
    }

    /// The file-hash type of the same length as this digest (an imphash is written like
    /// an MD5, a certificate thumbprint like a SHA-1 or SHA-256).
    pub fn digest_shape(self) -> Option<IocType> {
        match self {
            Self::Md5 | Self::Imphash => Some(Self::Md5),
            Self::Sha1 | Self::X509Sha1 => Some(Self::Sha1),
            Self::Sha256 | Self::X509Sha256 => Some(Self::Sha256),
            Self::Sha512 => Some(Self::Sha512),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fidelity {
    High,
    Medium,
    Low,
}

/// An indicator of compromise found in the article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    #[serde(rename = "type")]
    pub kind: IocType,
    /// Refanged, normalised value (what a SIEM searches for).
    pub value: String,
    /// Safe-to-paste form (`1.2.3[.]4`, `evil[.]com`, `hxxps://...`).
    pub defanged: String,
    pub fidelity: Fidelity,
    /// The sentence the indicator came from.
    pub evidence: String,
    /// Byte offset of the indicator in the analysed text.
    pub offset: usize,
}

/// An ATT&CK technique the article describes, with the sentences that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniqueHit {
    pub id: String,
    /// Current ATT&CK name, `Parent: Sub` for sub-techniques.
    pub name: String,
    pub tactics: Vec<String>,
    pub confidence: f32,
    pub evidence: Vec<String>,
    /// Where each evidence sentence is, which inference layer found it and how strongly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Evidence>,
}

/// The inference layer behind a piece of technique evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The article wrote the technique ID.
    Id,
    /// A curated phrase or command-line pattern.
    Pattern,
    /// The linear sentence model.
    Model,
}

/// One evidence sentence of a technique.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub sentence: String,
    /// Byte range of the sentence in the analysed text.
    pub start: usize,
    pub end: usize,
    pub layer: Layer,
    pub score: f32,
    /// The matched text (pattern and ID layers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
}

/// Lockheed Martin kill-chain phases, declared in chain order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Recon,
    Weapon,
    Delivery,
    Exploit,
    Install,
    C2,
    Actions,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recon => "recon",
            Self::Weapon => "weapon",
            Self::Delivery => "delivery",
            Self::Exploit => "exploit",
            Self::Install => "install",
            Self::C2 => "c2",
            Self::Actions => "actions",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Confidence {
    High,
    Medium,
    Low,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "High",
            Self::Medium => "Medium",
            Self::Low => "Low",
        }
    }
}

/// Query languages a hunt is rendered in, in the order the briefing shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Splunk,
    Defender,
    Sentinel,
    Sigma,
    Elastic,
}

impl Backend {
    /// The bold label above the query block in the briefing.
    pub fn label(self) -> &'static str {
        match self {
            Self::Splunk => "Splunk SPL (CIM)",
            Self::Defender => "Defender KQL",
            Self::Sentinel => "Sentinel KQL",
            Self::Sigma => "Sigma",
            Self::Elastic => "Elastic ES|QL",
        }
    }

    /// The info string of the fenced code block.
    pub fn fence_lang(self) -> &'static str {
        match self {
            Self::Splunk => "spl",
            Self::Defender | Self::Sentinel => "kql",
            Self::Sigma => "yaml",
            Self::Elastic => "esql",
        }
    }
}

/// A hunt from the use-case library that the article's evidence fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunt {
    /// Stable use-case ID, e.g. `UC_SUPPLY_CHAIN`.
    pub id: String,
    pub title: String,
    pub phase: Phase,
    pub confidence: Confidence,
    pub techniques: Vec<String>,
    pub queries: BTreeMap<Backend, String>,
}

/// What kind of article this is; non-threat kinds get no hunts and low severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Campaign,
    Vulnerability,
    Breach,
    LawEnforcement,
    Commentary,
    Product,
    Tutorial,
    Withdrawn,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Self::Campaign,
        Self::Vulnerability,
        Self::Breach,
        Self::LawEnforcement,
        Self::Commentary,
        Self::Product,
        Self::Tutorial,
        Self::Withdrawn,
        Self::Other,
    ];

    /// The name used in JSON and data files (`law-enforcement`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Campaign => "campaign",
            Self::Vulnerability => "vulnerability",
            Self::Breach => "breach",
            Self::LawEnforcement => "law-enforcement",
            Self::Commentary => "commentary",
            Self::Product => "product",
            Self::Tutorial => "tutorial",
            Self::Withdrawn => "withdrawn",
            Self::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    #[serde(rename = "CRIT")]
    Crit,
    #[serde(rename = "HIGH")]
    High,
    #[serde(rename = "MED")]
    Med,
    #[serde(rename = "LOW")]
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crit => "CRIT",
            Self::High => "HIGH",
            Self::Med => "MED",
            Self::Low => "LOW",
        }
    }

    /// `CRIT`, `HIGH`, `MED` or `LOW`, in any case (`critical` and `medium` too).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "CRIT" | "CRITICAL" => Some(Self::Crit),
            "HIGH" => Some(Self::High),
            "MED" | "MEDIUM" => Some(Self::Med),
            "LOW" => Some(Self::Low),
            _ => None,
        }
    }

    /// Whether this severity is `floor` or more serious.
    pub fn at_least(self, floor: Severity) -> bool {
        // Declared most serious first.
        self <= floor
    }
}

/// What an actor, malware family or tool is doing in the article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameRole {
    /// An actor the article attributes the activity to.
    Attributed,
    /// Malware or a tool the attacker used.
    Used,
    /// Named only for comparison or history ("similar to Emotet").
    Mentioned,
}

impl NameRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attributed => "attributed",
            Self::Used => "used",
            Self::Mentioned => "mentioned",
        }
    }
}

/// Where a name is known from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameSource {
    /// ATT&CK groups or software.
    Attack,
    /// huntbrief's own list (`data/actors/extra.toml`).
    Extra,
    /// Not in the knowledge base: the article introduces it ("dubbed", "tracked as").
    New,
}

/// A threat actor, malware family or tool the article names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedEntity {
    pub name: String,
    /// ATT&CK group (`G####`) or software (`S####`) ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_id: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub role: NameRole,
    /// The sentence that shows it.
    pub evidence: String,
    #[serde(default = "default_source")]
    pub source: NameSource,
}

fn default_source() -> NameSource {
    NameSource::New
}

/// The result of analysing one article: everything a renderer needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Briefing {
    /// First 16 hex digits of sha256 of the canonical URL (or of the text without one).
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub sources: Vec<String>,
    pub published: Option<NaiveDate>,
    pub body: Body,
    pub kind: Kind,
    pub severity: Severity,
    /// One sentence per factor behind the severity, quoting its evidence.
    pub severity_reasons: Vec<String>,
    /// The total of the factors' points (see `data/severity.toml`).
    #[serde(default)]
    pub severity_score: u32,
    #[serde(default)]
    pub severity_parts: Vec<crate::severity::ScorePart>,
    /// The Threat Profile: a clean summary of the article.
    pub summary: String,
    pub iocs: Vec<Indicator>,
    /// Indicators found beyond the per-briefing cap and left out (lowest fidelity first).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub iocs_cut: usize,
    pub techniques: Vec<TechniqueHit>,
    pub kill_chain: Vec<Phase>,
    pub hunts: Vec<Hunt>,
    /// Threat actors the article names (attributed first).
    #[serde(default)]
    pub actors: Vec<NamedEntity>,
    /// Malware families the article names.
    #[serde(default)]
    pub malware: Vec<NamedEntity>,
    /// Dual-use and attacker tools the article names (never security products).
    #[serde(default)]
    pub tools: Vec<NamedEntity>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Briefing {
    /// High-fidelity indicators only: what the briefing's IOC section lists.
    pub fn high_fidelity_iocs(&self) -> impl Iterator<Item = &Indicator> + Clone {
        self.iocs.iter().filter(|i| i.fidelity == Fidelity::High)
    }

    /// The actors, malware or tools the briefing names.
    pub fn names(&self, kind: crate::names::EntryKind) -> &[NamedEntity] {
        match kind {
            crate::names::EntryKind::Actor => &self.actors,
            crate::names::EntryKind::Malware => &self.malware,
            crate::names::EntryKind::Tool => &self.tools,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_parse_and_compare_most_serious_first() {
        assert_eq!(Severity::parse("crit"), Some(Severity::Crit));
        assert_eq!(Severity::parse("Medium"), Some(Severity::Med));
        assert_eq!(Severity::parse("urgent"), None);
        assert!(Severity::Crit.at_least(Severity::High));
        assert!(Severity::High.at_least(Severity::High));
        assert!(!Severity::Med.at_least(Severity::High));
        assert!(Severity::Low.at_least(Severity::Low));
    }

    #[test]
    fn briefings_stored_before_names_existed_still_deserialize() {
        let old = r#"{"id": "0123456789abcdef", "title": "t", "url": null, "sources": [],
            "published": null, "body": "full", "kind": "campaign", "severity": "LOW",
            "severity_reasons": [], "summary": "", "iocs": [], "techniques": [],
            "kill_chain": [], "hunts": []}"#;
        let b: Briefing = serde_json::from_str(old).unwrap();
        assert!(b.actors.is_empty() && b.malware.is_empty() && b.tools.is_empty());
        let json = serde_json::to_value(&b).unwrap();
        assert_eq!(json["actors"], serde_json::json!([]));
        let e: NamedEntity = serde_json::from_str(
            r#"{"name": "APT29", "attack_id": "G0016", "role": "attributed", "evidence": "e"}"#,
        )
        .unwrap();
        assert_eq!(e.role, NameRole::Attributed);
        assert!(e.aliases.is_empty());
    }
}
