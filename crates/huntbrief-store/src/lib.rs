//! huntbrief's state: the sources it polls, the stories it has seen with their
//! briefings, and its run history. `Store` is the seam; SQLite is the embedded
//! implementation, PostgreSQL (feature `postgres`) the shared one that many workers and
//! servers use at once.

mod model;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
pub mod testing;
#[cfg(test)]
mod tests;

pub use model::*;
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[cfg(feature = "postgres")]
    #[error("PostgreSQL error: {}", postgres::describe(.0))]
    Postgres(#[from] ::postgres::Error),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "a stored briefing is not valid JSON ({0}); the database may be from a newer huntbrief"
    )]
    Json(#[from] serde_json::Error),
    #[error(
        "the database schema is version {found}, newer than this huntbrief knows ({known}); upgrade huntbrief"
    )]
    TooNew { found: i64, known: i64 },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A store any thread may own.
pub type DynStore = Box<dyn Store + Send>;

/// Which database `db` names: a `postgres://` or `postgresql://` URL, or a SQLite file
/// (optionally written `sqlite:PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(db: &str) -> Self {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            Self::Postgres(db.to_owned())
        } else {
            Self::Sqlite(db.strip_prefix("sqlite:").unwrap_or(db).into())
        }
    }

    /// Opens the database, applying pending migrations.
    pub fn open(&self) -> Result<DynStore> {
        match self {
            Self::Sqlite(path) => Ok(Box::new(SqliteStore::open(path)?)),
            #[cfg(feature = "postgres")]
            Self::Postgres(url) => Ok(Box::new(PgStore::connect(url)?)),
            #[cfg(not(feature = "postgres"))]
            Self::Postgres(_) => Err(StoreError::Unsupported(
                "this huntbrief was built without PostgreSQL support; rebuild with the `postgres` feature".into(),
            )),
        }
    }

    /// The location without a password, for messages.
    pub fn display(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => redact(url),
        }
    }
}

/// A database URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// What the pipeline needs from its state. Every method is one transaction, so a crash
/// between calls leaves the store consistent.
pub trait Store {
    /// Makes the built-in and configured sources match `sources` (adding, updating names,
    /// disabling those no longer listed); sources added by the user are left alone.
    fn sync_sources(&mut self, origin: Origin, sources: &[SourceSpec]) -> Result<()>;
    /// Adds (or re-enables) a user source.
    fn add_source(&mut self, source: &SourceSpec) -> Result<()>;
    /// Disables a source; returns whether it existed.
    fn remove_source(&mut self, url: &str) -> Result<bool>;
    /// Every source, enabled or not, by name.
    fn sources(&self) -> Result<Vec<SourceState>>;
    /// Records a successful poll: new validators and when to poll next.
    fn source_polled(
        &mut self,
        url: &str,
        validators: &Validators,
        now: i64,
        next_due: i64,
    ) -> Result<()>;
    /// Records a failed poll; the source is retried at `next_due`.
    fn source_failed(&mut self, url: &str, error: &str, next_due: i64) -> Result<()>;

    fn article(&self, url: &str) -> Result<Option<StoredArticle>>;
    /// The hash of the story's entry as `source` last carried it.
    fn fingerprint(&self, url: &str, source: &str) -> Result<Option<String>>;
    /// Inserts or replaces a story with its briefing, and records that `source` carried
    /// it with entry hash `fingerprint`, atomically.
    fn put_article(
        &mut self,
        article: &StoredArticle,
        source: &str,
        fingerprint: &str,
    ) -> Result<()>;
    /// `put_article`, and when the story is new (stored for the first time) also queues
    /// its delivery to each of `webhooks` (URLs), in the same transaction: an update is
    /// not announced again. Returns whether the story was new.
    fn put_article_announced(
        &mut self,
        article: &StoredArticle,
        source: &str,
        fingerprint: &str,
        webhooks: &[String],
    ) -> Result<bool>;
    /// Records a new entry hash for a story whose text did not change.
    fn put_fingerprint(&mut self, url: &str, source: &str, fingerprint: &str) -> Result<()>;
    /// Every story, oldest first.
    fn articles(&self) -> Result<Vec<StoredArticle>>;

    /// Replaces the stored CISA KEV catalogue.
    fn replace_kev(&mut self, records: &[KevRecord]) -> Result<()>;
    fn kev(&self) -> Result<Vec<KevRecord>>;

    /// Undelivered deliveries to `webhook` whose `next_try` is at most `now`, oldest
    /// first, at most `limit` of them.
    fn due_deliveries(&self, webhook: &str, now: i64, limit: usize) -> Result<Vec<DueDelivery>>;
    /// The earliest `next_try` of the deliveries still pending for `webhook`.
    fn next_delivery(&self, webhook: &str) -> Result<Option<i64>>;
    /// Counts an attempt before it is made, and moves `next_try` past it, so a crash in
    /// the middle of a request neither loses the delivery nor retries it at once. It is
    /// also the claim among processes sharing the database: it succeeds (true) only if
    /// the delivery is still undelivered with `attempts_seen` attempts, as it was read.
    fn delivery_attempted(
        &mut self,
        webhook: &str,
        briefing_id: &str,
        attempts_seen: i64,
        next_try: i64,
    ) -> Result<bool>;
    fn delivery_succeeded(&mut self, webhook: &str, briefing_id: &str, now: i64) -> Result<()>;
    /// Records a failed attempt; `next_try: None` gives the delivery up.
    fn delivery_failed(
        &mut self,
        webhook: &str,
        briefing_id: &str,
        error: &str,
        next_try: Option<i64>,
    ) -> Result<()>;
    /// The whole outbox, by webhook and queue time.
    fn deliveries(&self) -> Result<Vec<Delivery>>;

    fn start_run(&mut self, now: i64) -> Result<i64>;
    fn finish_run(&mut self, run: i64, now: i64, summary: &RunSummary) -> Result<()>;

    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// The schema version the database is at (the number of migrations applied).
    fn schema_version(&self) -> Result<i64>;
    /// How many stories (briefings) are stored.
    fn article_count(&self) -> Result<i64>;
    /// Every row, for `huntbrief db copy`.
    fn dump(&self) -> Result<Dump>;
    /// Writes every row of `dump`, replacing rows with the same key, in one transaction.
    fn load(&mut self, dump: &Dump) -> Result<()>;

    // Coordination of workers sharing one database. Only shared databases have it.

    /// Leases the host whose due sources have waited longest and that no live lease
    /// holds, for `lease_secs` by the database's clock; `None` when no host is free.
    fn lease_host(&mut self, _worker: &str, _lease_secs: i64) -> Result<Option<HostLease>> {
        Err(unsupported(self.backend()))
    }
    /// Extends `worker`'s lease on `host`; false when the lease was lost (it expired and
    /// another worker took the host).
    fn renew_host(&mut self, _worker: &str, _host: &str, _lease_secs: i64) -> Result<bool> {
        Err(unsupported(self.backend()))
    }
    /// Gives the host back before its lease expires.
    fn release_host(&mut self, _worker: &str, _host: &str) -> Result<()> {
        Err(unsupported(self.backend()))
    }
    /// How many enabled sources are due now by the database's clock, leased or not.
    fn due_sources(&self) -> Result<i64> {
        Err(unsupported(self.backend()))
    }
    /// Takes or extends the named lease (`publish`...) for `worker`; false while another
    /// worker holds it.
    fn take_lease(&mut self, _name: &str, _worker: &str, _lease_secs: i64) -> Result<bool> {
        Err(unsupported(self.backend()))
    }
    /// Gives a named lease back.
    fn release_lease(&mut self, _name: &str, _worker: &str) -> Result<()> {
        Err(unsupported(self.backend()))
    }
    /// The live leases, hosts and named ones (none on a store without leases).
    fn leases(&self) -> Result<Vec<Lease>> {
        Ok(Vec::new())
    }
    /// A number that grows whenever a story is stored or changed.
    fn revision(&self) -> Result<i64> {
        Err(unsupported(self.backend()))
    }
}

/// The `body` column: `summary` or `full`.
pub(crate) fn body_name(b: &huntbrief_core::Briefing) -> Result<String> {
    Ok(serde_json::to_value(b.body)?
        .as_str()
        .unwrap_or("full")
        .to_owned())
}

fn unsupported(backend: &str) -> StoreError {
    StoreError::Unsupported(format!(
        "leases need a shared PostgreSQL database (db = \"postgres://...\"), not {backend}"
    ))
}
