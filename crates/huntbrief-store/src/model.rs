//! Rows of the store, as plain data.

use huntbrief_core::Briefing;

/// Where a source comes from. Built-in and config sources follow their lists; user
/// sources are managed with `huntbrief feeds add/remove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Config,
    User,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::Config => "config",
            Self::User => "user",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "builtin" => Self::Builtin,
            "config" => Self::Config,
            _ => Self::User,
        }
    }
}

/// A source as listed: where to poll and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub name: String,
    pub url: String,
    /// `feed`, `ghsa` or `kev`.
    pub kind: String,
}

/// HTTP validators for conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    pub spec: SourceSpec,
    pub origin: Origin,
    pub enabled: bool,
    pub validators: Validators,
    pub next_due: i64,
    pub failures: i64,
    pub last_error: Option<String>,
    pub last_ok: Option<i64>,
}

/// A story: its identity, what was analysed, and the briefing.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArticle {
    /// Canonical URL.
    pub url: String,
    pub first_seen: i64,
    pub changed_at: i64,
    /// Hash of the analysed text; a change triggers a new briefing.
    pub text_hash: String,
    pub text: String,
    pub briefing: Briefing,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub errors: Vec<String>,
}

/// One entry of the CISA Known Exploited Vulnerabilities catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevRecord {
    pub cve: String,
    pub date_added: String,
    pub name: String,
    pub known_ransomware: bool,
}

/// A queued webhook delivery that is due, with the briefing to announce.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub webhook: String,
    /// Attempts made so far.
    pub attempts: i64,
    pub briefing: Briefing,
}

/// One row of the webhook outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub webhook: String,
    pub briefing_id: String,
    pub queued_at: i64,
    pub attempts: i64,
    /// When to try next; `None` once delivered or given up.
    pub next_try: Option<i64>,
    pub delivered_at: Option<i64>,
    pub last_error: Option<String>,
}

/// A host leased by a worker: only it fetches from the host until the lease expires or is
/// released, and these are the host's sources that were due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLease {
    /// Host (and port) of the sources' URLs, lower-cased.
    pub host: String,
    /// The database's clock when the lease was taken (unix seconds).
    pub now: i64,
    pub expires: i64,
    pub sources: Vec<SourceState>,
}

/// A live lease, for `huntbrief db status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// `host` or `lease` (a named one such as `publish`).
    pub kind: &'static str,
    pub name: String,
    pub owner: String,
    /// Seconds until it expires unless renewed.
    pub expires_in: i64,
}

/// Which source carried a story, with the hash of its entry there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub article_url: String,
    pub source: String,
    pub fingerprint: String,
}

/// One row of the run history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: i64,
    pub started: i64,
    pub finished: Option<i64>,
    pub summary: RunSummary,
}

/// Everything a store holds, to move an installation from one database to another.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dump {
    pub sources: Vec<SourceState>,
    pub articles: Vec<StoredArticle>,
    pub fingerprints: Vec<Fingerprint>,
    pub kev: Vec<KevRecord>,
    pub deliveries: Vec<Delivery>,
    pub runs: Vec<RunRecord>,
}

impl Dump {
    /// Row counts per table, for messages.
    pub fn counts(&self) -> String {
        format!(
            "{} source(s), {} article(s), {} source fingerprint(s), {} KEV record(s), {} webhook delivery(ies), {} run(s)",
            self.sources.len(),
            self.articles.len(),
            self.fingerprints.len(),
            self.kev.len(),
            self.deliveries.len(),
            self.runs.len()
        )
    }
}
