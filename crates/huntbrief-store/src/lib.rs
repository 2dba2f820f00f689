//! huntbrief's state: the sources it polls, the stories it has seen with their
//! briefings, and its run history. `Store` is the seam; SQLite is the implementation.

mod model;
mod sqlite;

pub use model::*;
pub use sqlite::SqliteStore;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
    /// the middle of a request neither loses the delivery nor retries it at once.
    fn delivery_attempted(&mut self, webhook: &str, briefing_id: &str, next_try: i64)
    -> Result<()>;
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
}
