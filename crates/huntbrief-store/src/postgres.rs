//! The PostgreSQL store: one database shared by any number of workers and servers.
//! Migrations are applied at connect under an advisory lock, so processes starting at
//! once apply each migration once; workers coordinate through leases with an expiry,
//! taken with `FOR UPDATE SKIP LOCKED` and timed by the database's clock.
//!
//! The synchronous `postgres` client drives its own small runtime, which must not block
//! inside another one: called from async code, each query runs on a scoped thread.

use std::sync::Mutex;

use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row};

use crate::{
    Delivery, DueDelivery, Dump, Fingerprint, HostLease, KevRecord, Lease, Origin, Result,
    RunRecord, RunSummary, SourceSpec, SourceState, Store, StoreError, StoredArticle, Validators,
};

/// Migrations in order; migration N brings the schema to version N.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/postgres/0001_init.sql")];

/// First key of the advisory lock held while migrating (the second is the schema's hash).
const MIGRATION_LOCK: i32 = 0x6862_6d67; // "hbmg"

/// The database's clock, in unix seconds.
const DB_NOW: &str = "extract(epoch from clock_timestamp())::bigint";

pub struct PgStore {
    url: String,
    client: Mutex<Client>,
}

/// What went wrong, with the server's own message when it sent one.
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/db`, libpq's key=value
    /// parameters such as `options=-csearch_path%3Dname` allowed) and migrates.
    pub fn connect(url: &str) -> Result<Self> {
        let mut client = Client::connect(url, NoTls)?;
        migrate(&mut client)?;
        Ok(Self {
            url: url.to_owned(),
            client: Mutex::new(client),
        })
    }

    /// One statement; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        self.with(|c| Ok(c.execute(sql, params)?))
    }

    /// Runs `f` with the connection (reconnecting if the server closed it), off any
    /// async runtime.
    fn with<R: Send>(&self, f: impl FnOnce(&mut Client) -> Result<R> + Send) -> Result<R> {
        let mut guard = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let url = &self.url;
        let client: &mut Client = &mut guard;
        let run = move || {
            if client.is_closed() {
                *client = Client::connect(url, NoTls)?;
            }
            f(client)
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| match s.spawn(run).join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            })
        } else {
            run()
        }
    }
}

fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))",
        &[&MIGRATION_LOCK],
    )?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )?;
    let version = schema_version(&mut tx)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql)?;
        tx.execute(
            &format!("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, {DB_NOW})"),
            &[&(i as i32 + 1)],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn schema_version(c: &mut impl GenericClient) -> Result<i64> {
    let row = c.query_one(
        "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations",
        &[],
    )?;
    Ok(row.get(0))
}

fn db_now(c: &mut impl GenericClient) -> Result<i64> {
    Ok(c.query_one(&format!("SELECT {DB_NOW}"), &[])?.get(0))
}

/// PostgreSQL text cannot hold NUL; nothing huntbrief reads needs it.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "").into()
    } else {
        s.into()
    }
}

const SOURCE_COLUMNS: &str = "url, name, kind, origin, enabled, etag, last_modified, next_due, \
                              failures, last_error, last_ok";

fn source_from_row(r: &Row) -> SourceState {
    SourceState {
        spec: SourceSpec {
            url: r.get("url"),
            name: r.get("name"),
            kind: r.get("kind"),
        },
        origin: Origin::parse(r.get("origin")),
        enabled: r.get("enabled"),
        validators: Validators {
            etag: r.get("etag"),
            last_modified: r.get("last_modified"),
        },
        next_due: r.get("next_due"),
        failures: r.get("failures"),
        last_error: r.get("last_error"),
        last_ok: r.get("last_ok"),
    }
}

const ARTICLE_COLUMNS: &str = "url, first_seen, changed_at, text_hash, text, briefing";

fn article_from_row(r: &Row) -> Result<StoredArticle> {
    Ok(StoredArticle {
        url: r.get(0),
        first_seen: r.get(1),
        changed_at: r.get(2),
        text_hash: r.get(3),
        text: r.get(4),
        briefing: serde_json::from_str(r.get(5))?,
    })
}

fn delivery_from_row(r: &Row) -> Delivery {
    Delivery {
        webhook: r.get(0),
        briefing_id: r.get(1),
        queued_at: r.get(2),
        attempts: r.get(3),
        next_try: r.get(4),
        delivered_at: r.get(5),
        last_error: r.get(6),
    }
}

fn upsert_fingerprint(
    c: &mut impl GenericClient,
    url: &str,
    source: &str,
    fingerprint: &str,
) -> Result<()> {
    c.execute(
        "INSERT INTO article_sources (article_url, source, fingerprint) VALUES ($1, $2, $3)
         ON CONFLICT (article_url, source) DO UPDATE SET fingerprint = excluded.fingerprint",
        &[&url, &text(source), &fingerprint],
    )?;
    Ok(())
}

/// Inserts a story or replaces its briefing and text (keeping `first_seen`); true when
/// the row is new. Concurrent writers of one URL serialise on its key: exactly one of
/// them inserts.
fn upsert_article(c: &mut impl GenericClient, a: &StoredArticle) -> Result<bool> {
    let b = &a.briefing;
    let row = c.query_one(
        "INSERT INTO articles (url, id, title, published, first_seen, changed_at,
             text_hash, body, text, briefing)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (url) DO UPDATE SET id = excluded.id, title = excluded.title,
             published = excluded.published, changed_at = excluded.changed_at,
             text_hash = excluded.text_hash, body = excluded.body, text = excluded.text,
             briefing = excluded.briefing, rev = nextval('article_rev')
         RETURNING (xmax = 0)",
        &[
            &a.url,
            &b.id,
            &text(&b.title),
            &b.published.map(|d| d.to_string()),
            &a.first_seen,
            &a.changed_at,
            &a.text_hash,
            &crate::body_name(b)?,
            &text(&a.text),
            &serde_json::to_string(b)?,
        ],
    )?;
    Ok(row.get(0))
}

impl Store for PgStore {
    fn sync_sources(&mut self, origin: Origin, sources: &[SourceSpec]) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "UPDATE sources SET enabled = FALSE WHERE origin = $1",
                &[&origin.as_str()],
            )?;
            for s in sources {
                // A user's own entry for the same URL wins over a list entry.
                tx.execute(
                    "INSERT INTO sources (url, name, kind, origin, enabled)
                     VALUES ($1, $2, $3, $4, TRUE)
                     ON CONFLICT (url) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                         enabled = TRUE
                     WHERE sources.origin = excluded.origin",
                    &[&s.url, &text(&s.name), &s.kind, &origin.as_str()],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn add_source(&mut self, s: &SourceSpec) -> Result<()> {
        self.execute(
            "INSERT INTO sources (url, name, kind, origin, enabled)
                 VALUES ($1, $2, $3, 'user', TRUE)
                 ON CONFLICT (url) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                     origin = 'user', enabled = TRUE",
            &[&s.url, &text(&s.name), &s.kind],
        )
        .map(drop)
    }

    fn remove_source(&mut self, url: &str) -> Result<bool> {
        Ok(self.execute(
            "UPDATE sources SET enabled = FALSE, origin = 'user' WHERE url = $1",
            &[&url],
        )? > 0)
    }

    fn sources(&self) -> Result<Vec<SourceState>> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {SOURCE_COLUMNS} FROM sources ORDER BY name COLLATE \"C\", url COLLATE \"C\""
                ),
                &[],
            )?;
            Ok(rows.iter().map(source_from_row).collect())
        })
    }

    fn source_polled(&mut self, url: &str, v: &Validators, now: i64, next_due: i64) -> Result<()> {
        self.execute(
            "UPDATE sources SET etag = $2, last_modified = $3, last_ok = $4, next_due = $5,
                     failures = 0, last_error = NULL WHERE url = $1",
            &[&url, &v.etag, &v.last_modified, &now, &next_due],
        )
        .map(drop)
    }

    fn source_failed(&mut self, url: &str, error: &str, next_due: i64) -> Result<()> {
        self.execute(
            "UPDATE sources SET failures = failures + 1, last_error = $2, next_due = $3
                 WHERE url = $1",
            &[&url, &text(error), &next_due],
        )
        .map(drop)
    }

    fn article(&self, url: &str) -> Result<Option<StoredArticle>> {
        self.with(|c| {
            let row = c.query_opt(
                &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE url = $1"),
                &[&url],
            )?;
            row.as_ref().map(article_from_row).transpose()
        })
    }

    fn fingerprint(&self, url: &str, source: &str) -> Result<Option<String>> {
        self.with(|c| {
            let row = c.query_opt(
                "SELECT fingerprint FROM article_sources WHERE article_url = $1 AND source = $2",
                &[&url, &text(source)],
            )?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn put_article(&mut self, a: &StoredArticle, source: &str, fingerprint: &str) -> Result<()> {
        self.put_article_announced(a, source, fingerprint, &[])
            .map(drop)
    }

    fn put_article_announced(
        &mut self,
        a: &StoredArticle,
        source: &str,
        fingerprint: &str,
        webhooks: &[String],
    ) -> Result<bool> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let new = upsert_article(&mut tx, a)?;
            upsert_fingerprint(&mut tx, &a.url, source, fingerprint)?;
            if new {
                for webhook in webhooks {
                    // A briefing is announced to a webhook once, ever.
                    tx.execute(
                        "INSERT INTO deliveries (webhook, briefing_id, queued_at, next_try)
                         VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING",
                        &[webhook, &a.briefing.id, &a.changed_at],
                    )?;
                }
            }
            tx.commit()?;
            Ok(new)
        })
    }

    fn put_fingerprint(&mut self, url: &str, source: &str, fingerprint: &str) -> Result<()> {
        self.with(|c| upsert_fingerprint(c, url, source, fingerprint))
    }

    fn articles(&self) -> Result<Vec<StoredArticle>> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY first_seen, url COLLATE \"C\""
                ),
                &[],
            )?;
            rows.iter().map(article_from_row).collect()
        })
    }

    fn replace_kev(&mut self, records: &[KevRecord]) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM kev", &[])?;
            for r in records {
                insert_kev(&mut tx, r)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn kev(&self) -> Result<Vec<KevRecord>> {
        self.with(|c| {
            let rows = c.query(
                "SELECT cve, date_added, name, known_ransomware FROM kev ORDER BY cve COLLATE \"C\"",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| KevRecord {
                    cve: r.get(0),
                    date_added: r.get(1),
                    name: r.get(2),
                    known_ransomware: r.get(3),
                })
                .collect())
        })
    }

    fn due_deliveries(&self, webhook: &str, now: i64, limit: usize) -> Result<Vec<DueDelivery>> {
        self.with(|c| {
            let rows = c.query(
                "SELECT d.attempts, a.briefing FROM deliveries d JOIN articles a ON a.id = d.briefing_id
                 WHERE d.webhook = $1 AND d.next_try IS NOT NULL AND d.next_try <= $2
                 ORDER BY d.next_try, d.queued_at, d.briefing_id COLLATE \"C\" LIMIT $3",
                &[&webhook, &now, &(limit as i64)],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(DueDelivery {
                        webhook: webhook.to_owned(),
                        attempts: r.get(0),
                        briefing: serde_json::from_str(r.get(1))?,
                    })
                })
                .collect()
        })
    }

    fn next_delivery(&self, webhook: &str) -> Result<Option<i64>> {
        self.with(|c| {
            let row = c.query_one(
                "SELECT min(next_try) FROM deliveries WHERE webhook = $1 AND next_try IS NOT NULL",
                &[&webhook],
            )?;
            Ok(row.get(0))
        })
    }

    fn delivery_attempted(
        &mut self,
        webhook: &str,
        briefing_id: &str,
        attempts_seen: i64,
        next_try: i64,
    ) -> Result<bool> {
        Ok(self.execute(
            "UPDATE deliveries SET attempts = attempts + 1, next_try = $3
                 WHERE webhook = $1 AND briefing_id = $2 AND delivered_at IS NULL
                     AND next_try IS NOT NULL AND attempts = $4",
            &[&webhook, &briefing_id, &next_try, &attempts_seen],
        )? > 0)
    }

    fn delivery_succeeded(&mut self, webhook: &str, briefing_id: &str, now: i64) -> Result<()> {
        self.execute(
            "UPDATE deliveries SET delivered_at = $3, next_try = NULL, last_error = NULL
                 WHERE webhook = $1 AND briefing_id = $2",
            &[&webhook, &briefing_id, &now],
        )
        .map(drop)
    }

    fn delivery_failed(
        &mut self,
        webhook: &str,
        briefing_id: &str,
        error: &str,
        next_try: Option<i64>,
    ) -> Result<()> {
        self.execute(
            "UPDATE deliveries SET last_error = $3, next_try = $4
                 WHERE webhook = $1 AND briefing_id = $2 AND delivered_at IS NULL",
            &[&webhook, &briefing_id, &text(error), &next_try],
        )
        .map(drop)
    }

    fn deliveries(&self) -> Result<Vec<Delivery>> {
        self.with(|c| {
            let rows = c.query(
                "SELECT webhook, briefing_id, queued_at, attempts, next_try, delivered_at, last_error
                 FROM deliveries ORDER BY webhook COLLATE \"C\", queued_at, briefing_id COLLATE \"C\"",
                &[],
            )?;
            Ok(rows.iter().map(delivery_from_row).collect())
        })
    }

    fn start_run(&mut self, now: i64) -> Result<i64> {
        self.with(|c| {
            let row = c.query_one(
                "INSERT INTO runs (started) VALUES ($1) RETURNING id",
                &[&now],
            )?;
            Ok(row.get(0))
        })
    }

    fn finish_run(&mut self, run: i64, now: i64, s: &RunSummary) -> Result<()> {
        self.execute(
            "UPDATE runs SET finished = $2, new = $3, updated = $4, unchanged = $5,
                     failed = $6, errors = $7 WHERE id = $1",
            &[
                &run,
                &now,
                &(s.new as i64),
                &(s.updated as i64),
                &(s.unchanged as i64),
                &(s.failed as i64),
                &text(&s.errors.join("\n")),
            ],
        )
        .map(drop)
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn schema_version(&self) -> Result<i64> {
        self.with(schema_version)
    }

    fn article_count(&self) -> Result<i64> {
        self.with(|c| Ok(c.query_one("SELECT count(*) FROM articles", &[])?.get(0)))
    }

    fn leases(&self) -> Result<Vec<Lease>> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT 'host', host, owner, expires - {DB_NOW} FROM host_leases
                     WHERE owner IS NOT NULL AND expires > {DB_NOW}
                     UNION ALL
                     SELECT 'lease', name, owner, expires - {DB_NOW} FROM leases
                     WHERE expires > {DB_NOW}
                     ORDER BY 1, 2"
                ),
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| Lease {
                    kind: if r.get::<_, &str>(0) == "host" {
                        "host"
                    } else {
                        "lease"
                    },
                    name: r.get(1),
                    owner: r.get(2),
                    expires_in: r.get(3),
                })
                .collect())
        })
    }

    fn dump(&self) -> Result<Dump> {
        let (fingerprints, runs) = self.with(|c| {
            let fingerprints = c
                .query(
                    "SELECT article_url, source, fingerprint FROM article_sources
                     ORDER BY article_url COLLATE \"C\", source COLLATE \"C\"",
                    &[],
                )?
                .iter()
                .map(|r| Fingerprint {
                    article_url: r.get(0),
                    source: r.get(1),
                    fingerprint: r.get(2),
                })
                .collect();
            let runs = c
                .query(
                    "SELECT id, started, finished, new, updated, unchanged, failed, errors
                     FROM runs ORDER BY id",
                    &[],
                )?
                .iter()
                .map(|r| RunRecord {
                    id: r.get(0),
                    started: r.get(1),
                    finished: r.get(2),
                    summary: RunSummary {
                        new: r.get::<_, i64>(3) as u64,
                        updated: r.get::<_, i64>(4) as u64,
                        unchanged: r.get::<_, i64>(5) as u64,
                        failed: r.get::<_, i64>(6) as u64,
                        errors: crate::sqlite::split_errors(r.get(7)),
                    },
                })
                .collect();
            Ok((fingerprints, runs))
        })?;
        Ok(Dump {
            sources: self.sources()?,
            articles: self.articles()?,
            fingerprints,
            kev: self.kev()?,
            deliveries: self.deliveries()?,
            runs,
        })
    }

    fn load(&mut self, d: &Dump) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            for s in &d.sources {
                tx.execute(
                    &format!(
                        "INSERT INTO sources ({SOURCE_COLUMNS})
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                         ON CONFLICT (url) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                             origin = excluded.origin, enabled = excluded.enabled,
                             etag = excluded.etag, last_modified = excluded.last_modified,
                             next_due = excluded.next_due, failures = excluded.failures,
                             last_error = excluded.last_error, last_ok = excluded.last_ok"
                    ),
                    &[
                        &s.spec.url,
                        &text(&s.spec.name),
                        &s.spec.kind,
                        &s.origin.as_str(),
                        &s.enabled,
                        &s.validators.etag,
                        &s.validators.last_modified,
                        &s.next_due,
                        &s.failures,
                        &s.last_error.as_deref().map(text),
                        &s.last_ok,
                    ],
                )?;
            }
            for a in &d.articles {
                upsert_article(&mut tx, a)?;
                // first_seen is kept on conflict by the upsert; a copy brings the source's.
                tx.execute(
                    "UPDATE articles SET first_seen = $2 WHERE url = $1",
                    &[&a.url, &a.first_seen],
                )?;
            }
            for f in &d.fingerprints {
                upsert_fingerprint(&mut tx, &f.article_url, &f.source, &f.fingerprint)?;
            }
            for r in &d.kev {
                insert_kev(&mut tx, r)?;
            }
            for x in &d.deliveries {
                tx.execute(
                    "INSERT INTO deliveries (webhook, briefing_id, queued_at, attempts, next_try,
                         delivered_at, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (webhook, briefing_id) DO UPDATE SET queued_at = excluded.queued_at,
                         attempts = excluded.attempts, next_try = excluded.next_try,
                         delivered_at = excluded.delivered_at, last_error = excluded.last_error",
                    &[
                        &x.webhook,
                        &x.briefing_id,
                        &x.queued_at,
                        &x.attempts,
                        &x.next_try,
                        &x.delivered_at,
                        &x.last_error.as_deref().map(text),
                    ],
                )?;
            }
            for r in &d.runs {
                let s = &r.summary;
                tx.execute(
                    "INSERT INTO runs (id, started, finished, new, updated, unchanged, failed, errors)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (id) DO UPDATE SET started = excluded.started,
                         finished = excluded.finished, new = excluded.new,
                         updated = excluded.updated, unchanged = excluded.unchanged,
                         failed = excluded.failed, errors = excluded.errors",
                    &[
                        &r.id,
                        &r.started,
                        &r.finished,
                        &(s.new as i64),
                        &(s.updated as i64),
                        &(s.unchanged as i64),
                        &(s.failed as i64),
                        &text(&s.errors.join("\n")),
                    ],
                )?;
            }
            // New runs continue after the copied ones.
            tx.execute(
                "SELECT setval(pg_get_serial_sequence('runs', 'id'),
                               greatest((SELECT max(id) FROM runs), 1))",
                &[],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn lease_host(&mut self, worker: &str, lease_secs: i64) -> Result<Option<HostLease>> {
        self.with(|c| {
            // Every host with a source has a lease row (idle ones are expired).
            c.execute(
                "INSERT INTO host_leases (host)
                 SELECT DISTINCT s.host FROM sources s
                 WHERE s.enabled AND NOT EXISTS (SELECT 1 FROM host_leases h WHERE h.host = s.host)
                 ON CONFLICT DO NOTHING",
                &[],
            )?;
            let mut tx = c.transaction()?;
            let now = db_now(&mut tx)?;
            // The free host whose due sources waited longest; rows another worker is
            // taking right now are skipped, not waited for.
            let picked = tx.query_opt(
                "SELECT h.host FROM host_leases h
                 WHERE h.expires <= $1
                   AND EXISTS (SELECT 1 FROM sources s
                               WHERE s.host = h.host AND s.enabled AND s.next_due <= $1)
                 ORDER BY (SELECT min(s.next_due) FROM sources s
                           WHERE s.host = h.host AND s.enabled), h.host COLLATE \"C\"
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED",
                &[&now],
            )?;
            let Some(picked) = picked else {
                return Ok(None);
            };
            let host: String = picked.get(0);
            let expires = now + lease_secs;
            tx.execute(
                "UPDATE host_leases SET owner = $2, expires = $3 WHERE host = $1",
                &[&host, &worker, &expires],
            )?;
            let sources = tx
                .query(
                    &format!(
                        "SELECT {SOURCE_COLUMNS} FROM sources
                         WHERE host = $1 AND enabled AND next_due <= $2
                         ORDER BY next_due, url COLLATE \"C\""
                    ),
                    &[&host, &now],
                )?
                .iter()
                .map(source_from_row)
                .collect();
            tx.commit()?;
            Ok(Some(HostLease {
                host,
                now,
                expires,
                sources,
            }))
        })
    }

    fn renew_host(&mut self, worker: &str, host: &str, lease_secs: i64) -> Result<bool> {
        Ok(self.execute(
            &format!(
                "UPDATE host_leases SET expires = {DB_NOW} + $3 WHERE host = $1 AND owner = $2"
            ),
            &[&host, &worker, &lease_secs],
        )? > 0)
    }

    fn release_host(&mut self, worker: &str, host: &str) -> Result<()> {
        self.execute(
            "UPDATE host_leases SET owner = NULL, expires = 0 WHERE host = $1 AND owner = $2",
            &[&host, &worker],
        )
        .map(drop)
    }

    fn due_sources(&self) -> Result<i64> {
        self.with(|c| {
            let row = c.query_one(
                &format!("SELECT count(*) FROM sources WHERE enabled AND next_due <= {DB_NOW}"),
                &[],
            )?;
            Ok(row.get(0))
        })
    }

    fn take_lease(&mut self, name: &str, worker: &str, lease_secs: i64) -> Result<bool> {
        self.with(|c| {
            let row = c.query_opt(
                &format!(
                    "INSERT INTO leases (name, owner, expires) VALUES ($1, $2, {DB_NOW} + $3)
                     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner,
                         expires = excluded.expires
                     WHERE leases.owner = excluded.owner OR leases.expires <= {DB_NOW}
                     RETURNING name"
                ),
                &[&name, &worker, &lease_secs],
            )?;
            Ok(row.is_some())
        })
    }

    fn release_lease(&mut self, name: &str, worker: &str) -> Result<()> {
        self.execute(
            "DELETE FROM leases WHERE name = $1 AND owner = $2",
            &[&name, &worker],
        )
        .map(drop)
    }

    fn revision(&self) -> Result<i64> {
        self.with(|c| {
            let row = c.query_one("SELECT coalesce(max(rev), 0) FROM articles", &[])?;
            Ok(row.get(0))
        })
    }
}

fn insert_kev(c: &mut impl GenericClient, r: &KevRecord) -> Result<()> {
    c.execute(
        "INSERT INTO kev (cve, date_added, name, known_ransomware) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cve) DO UPDATE SET date_added = excluded.date_added,
             name = excluded.name, known_ransomware = excluded.known_ransomware",
        &[&r.cve, &r.date_added, &text(&r.name), &r.known_ransomware],
    )?;
    Ok(())
}
