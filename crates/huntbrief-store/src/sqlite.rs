//! The SQLite store: one file, WAL journal, schema migrations embedded in the binary and
//! applied in order (tracked in `PRAGMA user_version`).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{
    Delivery, DueDelivery, Dump, Fingerprint, KevRecord, Origin, Result, RunRecord, RunSummary,
    SourceSpec, SourceState, Store, StoreError, StoredArticle, Validators,
};

/// Migrations in order; migration N brings the schema to version N.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_kev.sql"),
    include_str!("../migrations/0003_deliveries.sql"),
];

pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self> {
        Self::init(Connection::open(path)?)
    }

    /// A private in-memory database, for tests and dry runs.
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        // WAL with synchronous=NORMAL survives a killed process without losing a
        // committed transaction; the busy timeout lets a second reader wait.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn })
    }
}

fn upsert_fingerprint(conn: &Connection, url: &str, source: &str, fingerprint: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO article_sources (article_url, source, fingerprint) VALUES (?1, ?2, ?3)
         ON CONFLICT(article_url, source) DO UPDATE SET fingerprint = excluded.fingerprint",
        params![url, source, fingerprint],
    )?;
    Ok(())
}

/// Inserts a story, or replaces its briefing and text keeping `first_seen`.
fn insert_article(conn: &Connection, a: &StoredArticle) -> Result<()> {
    let b = &a.briefing;
    conn.execute(
        "INSERT INTO articles (url, id, title, published, first_seen, changed_at,
             text_hash, body, text, briefing)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(url) DO UPDATE SET id = excluded.id, title = excluded.title,
             published = excluded.published, changed_at = excluded.changed_at,
             text_hash = excluded.text_hash,
             body = excluded.body, text = excluded.text, briefing = excluded.briefing",
        params![
            a.url,
            b.id,
            b.title,
            b.published.map(|d| d.to_string()),
            a.first_seen,
            a.changed_at,
            a.text_hash,
            crate::body_name(b)?,
            a.text,
            serde_json::to_string(b)?
        ],
    )?;
    Ok(())
}

fn source_from_row(r: &Row<'_>) -> rusqlite::Result<SourceState> {
    Ok(SourceState {
        spec: SourceSpec {
            url: r.get("url")?,
            name: r.get("name")?,
            kind: r.get("kind")?,
        },
        origin: Origin::parse(&r.get::<_, String>("origin")?),
        enabled: r.get("enabled")?,
        validators: Validators {
            etag: r.get("etag")?,
            last_modified: r.get("last_modified")?,
        },
        next_due: r.get("next_due")?,
        failures: r.get("failures")?,
        last_error: r.get("last_error")?,
        last_ok: r.get("last_ok")?,
    })
}

const ARTICLE_COLUMNS: &str = "url, first_seen, changed_at, text_hash, text, briefing";

fn article_from_row(r: &Row<'_>) -> rusqlite::Result<(StoredArticleRaw, String)> {
    Ok((
        StoredArticleRaw {
            url: r.get(0)?,
            first_seen: r.get(1)?,
            changed_at: r.get(2)?,
            text_hash: r.get(3)?,
            text: r.get(4)?,
        },
        r.get(5)?,
    ))
}

struct StoredArticleRaw {
    url: String,
    first_seen: i64,
    changed_at: i64,
    text_hash: String,
    text: String,
}

impl StoredArticleRaw {
    fn with_briefing(self, json: &str) -> Result<StoredArticle> {
        Ok(StoredArticle {
            url: self.url,
            first_seen: self.first_seen,
            changed_at: self.changed_at,
            text_hash: self.text_hash,
            text: self.text,
            briefing: serde_json::from_str(json)?,
        })
    }
}

impl Store for SqliteStore {
    fn sync_sources(&mut self, origin: Origin, sources: &[SourceSpec]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE sources SET enabled = 0 WHERE origin = ?1",
            params![origin.as_str()],
        )?;
        for s in sources {
            // A user's own entry for the same URL wins over a list entry.
            tx.execute(
                "INSERT INTO sources (url, name, kind, origin, enabled) VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT(url) DO UPDATE SET name = excluded.name, kind = excluded.kind, enabled = 1
                 WHERE sources.origin = excluded.origin",
                params![s.url, s.name, s.kind, origin.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn add_source(&mut self, s: &SourceSpec) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sources (url, name, kind, origin, enabled) VALUES (?1, ?2, ?3, 'user', 1)
             ON CONFLICT(url) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                 origin = 'user', enabled = 1",
            params![s.url, s.name, s.kind],
        )?;
        Ok(())
    }

    fn remove_source(&mut self, url: &str) -> Result<bool> {
        // Removed sources stay as disabled user rows, so a built-in list does not revive them.
        let n = self.conn.execute(
            "UPDATE sources SET enabled = 0, origin = 'user' WHERE url = ?1",
            params![url],
        )?;
        Ok(n > 0)
    }

    fn sources(&self) -> Result<Vec<SourceState>> {
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM sources ORDER BY name, url")?;
        let rows = stmt.query_map([], source_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn source_polled(&mut self, url: &str, v: &Validators, now: i64, next_due: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE sources SET etag = ?2, last_modified = ?3, last_ok = ?4, next_due = ?5,
                 failures = 0, last_error = NULL WHERE url = ?1",
            params![url, v.etag, v.last_modified, now, next_due],
        )?;
        Ok(())
    }

    fn source_failed(&mut self, url: &str, error: &str, next_due: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE sources SET failures = failures + 1, last_error = ?2, next_due = ?3 WHERE url = ?1",
            params![url, error, next_due],
        )?;
        Ok(())
    }

    fn article(&self, url: &str) -> Result<Option<StoredArticle>> {
        let sql = format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE url = ?1");
        let row = self
            .conn
            .query_row(&sql, params![url], article_from_row)
            .optional()?;
        row.map(|(raw, json)| raw.with_briefing(&json)).transpose()
    }

    fn fingerprint(&self, url: &str, source: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT fingerprint FROM article_sources WHERE article_url = ?1 AND source = ?2",
                params![url, source],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn put_fingerprint(&mut self, url: &str, source: &str, fingerprint: &str) -> Result<()> {
        upsert_fingerprint(&self.conn, url, source, fingerprint)
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
        let b = &a.briefing;
        let tx = self.conn.transaction()?;
        let new = tx
            .query_row(
                "SELECT 1 FROM articles WHERE url = ?1",
                params![a.url],
                |_| Ok(()),
            )
            .optional()?
            .is_none();
        insert_article(&tx, a)?;
        upsert_fingerprint(&tx, &a.url, source, fingerprint)?;
        if new {
            for webhook in webhooks {
                // OR IGNORE: a briefing is announced to a webhook once, ever.
                tx.execute(
                    "INSERT OR IGNORE INTO deliveries (webhook, briefing_id, queued_at, next_try)
                     VALUES (?1, ?2, ?3, ?3)",
                    params![webhook, b.id, a.changed_at],
                )?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    fn articles(&self) -> Result<Vec<StoredArticle>> {
        let sql = format!("SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY first_seen, url");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], article_from_row)?;
        rows.map(|row| {
            let (raw, json) = row?;
            raw.with_briefing(&json)
        })
        .collect()
    }

    fn replace_kev(&mut self, records: &[KevRecord]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM kev", [])?;
        for r in records {
            tx.execute(
                "INSERT OR REPLACE INTO kev (cve, date_added, name, known_ransomware) VALUES (?1, ?2, ?3, ?4)",
                params![r.cve, r.date_added, r.name, r.known_ransomware],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn kev(&self) -> Result<Vec<KevRecord>> {
        let mut stmt = self
            .conn
            .prepare("SELECT cve, date_added, name, known_ransomware FROM kev ORDER BY cve")?;
        let rows = stmt.query_map([], |r| {
            Ok(KevRecord {
                cve: r.get(0)?,
                date_added: r.get(1)?,
                name: r.get(2)?,
                known_ransomware: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn due_deliveries(&self, webhook: &str, now: i64, limit: usize) -> Result<Vec<DueDelivery>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.attempts, a.briefing FROM deliveries d JOIN articles a ON a.id = d.briefing_id
             WHERE d.webhook = ?1 AND d.next_try IS NOT NULL AND d.next_try <= ?2
             ORDER BY d.next_try, d.queued_at, d.briefing_id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![webhook, now, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (attempts, json) = row?;
            Ok(DueDelivery {
                webhook: webhook.to_owned(),
                attempts,
                briefing: serde_json::from_str(&json)?,
            })
        })
        .collect()
    }

    fn next_delivery(&self, webhook: &str) -> Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT MIN(next_try) FROM deliveries WHERE webhook = ?1 AND next_try IS NOT NULL",
            params![webhook],
            |r| r.get(0),
        )?)
    }

    fn delivery_attempted(
        &mut self,
        webhook: &str,
        briefing_id: &str,
        attempts_seen: i64,
        next_try: i64,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, next_try = ?3
             WHERE webhook = ?1 AND briefing_id = ?2 AND delivered_at IS NULL
                 AND next_try IS NOT NULL AND attempts = ?4",
            params![webhook, briefing_id, next_try, attempts_seen],
        )?;
        Ok(n > 0)
    }

    fn delivery_succeeded(&mut self, webhook: &str, briefing_id: &str, now: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET delivered_at = ?3, next_try = NULL, last_error = NULL
             WHERE webhook = ?1 AND briefing_id = ?2",
            params![webhook, briefing_id, now],
        )?;
        Ok(())
    }

    fn delivery_failed(
        &mut self,
        webhook: &str,
        briefing_id: &str,
        error: &str,
        next_try: Option<i64>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET last_error = ?3, next_try = ?4
             WHERE webhook = ?1 AND briefing_id = ?2 AND delivered_at IS NULL",
            params![webhook, briefing_id, error, next_try],
        )?;
        Ok(())
    }

    fn deliveries(&self) -> Result<Vec<Delivery>> {
        let mut stmt = self.conn.prepare(
            "SELECT webhook, briefing_id, queued_at, attempts, next_try, delivered_at, last_error
             FROM deliveries ORDER BY webhook, queued_at, briefing_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Delivery {
                webhook: r.get(0)?,
                briefing_id: r.get(1)?,
                queued_at: r.get(2)?,
                attempts: r.get(3)?,
                next_try: r.get(4)?,
                delivered_at: r.get(5)?,
                last_error: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn start_run(&mut self, now: i64) -> Result<i64> {
        self.conn
            .execute("INSERT INTO runs (started) VALUES (?1)", params![now])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn finish_run(&mut self, run: i64, now: i64, s: &RunSummary) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET finished = ?2, new = ?3, updated = ?4, unchanged = ?5, failed = ?6,
                 errors = ?7 WHERE id = ?1",
            params![
                run,
                now,
                s.new as i64,
                s.updated as i64,
                s.unchanged as i64,
                s.failed as i64,
                s.errors.join("\n")
            ],
        )?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn article_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))?)
    }

    fn dump(&self) -> Result<Dump> {
        let fingerprints = self
            .conn
            .prepare(
                "SELECT article_url, source, fingerprint FROM article_sources
                 ORDER BY article_url, source",
            )?
            .query_map([], |r| {
                Ok(Fingerprint {
                    article_url: r.get(0)?,
                    source: r.get(1)?,
                    fingerprint: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let runs = self
            .conn
            .prepare(
                "SELECT id, started, finished, new, updated, unchanged, failed, errors
                 FROM runs ORDER BY id",
            )?
            .query_map([], |r| {
                let errors: String = r.get(7)?;
                Ok(RunRecord {
                    id: r.get(0)?,
                    started: r.get(1)?,
                    finished: r.get(2)?,
                    summary: RunSummary {
                        new: r.get::<_, i64>(3)? as u64,
                        updated: r.get::<_, i64>(4)? as u64,
                        unchanged: r.get::<_, i64>(5)? as u64,
                        failed: r.get::<_, i64>(6)? as u64,
                        errors: split_errors(&errors),
                    },
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
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
        let tx = self.conn.transaction()?;
        for s in &d.sources {
            tx.execute(
                "INSERT OR REPLACE INTO sources (url, name, kind, origin, enabled, etag,
                     last_modified, next_due, failures, last_error, last_ok)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    s.spec.url,
                    s.spec.name,
                    s.spec.kind,
                    s.origin.as_str(),
                    s.enabled,
                    s.validators.etag,
                    s.validators.last_modified,
                    s.next_due,
                    s.failures,
                    s.last_error,
                    s.last_ok
                ],
            )?;
        }
        for a in &d.articles {
            insert_article(&tx, a)?;
        }
        for f in &d.fingerprints {
            upsert_fingerprint(&tx, &f.article_url, &f.source, &f.fingerprint)?;
        }
        for r in &d.kev {
            tx.execute(
                "INSERT OR REPLACE INTO kev (cve, date_added, name, known_ransomware) VALUES (?1, ?2, ?3, ?4)",
                params![r.cve, r.date_added, r.name, r.known_ransomware],
            )?;
        }
        for x in &d.deliveries {
            tx.execute(
                "INSERT OR REPLACE INTO deliveries (webhook, briefing_id, queued_at, attempts,
                     next_try, delivered_at, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    x.webhook,
                    x.briefing_id,
                    x.queued_at,
                    x.attempts,
                    x.next_try,
                    x.delivered_at,
                    x.last_error
                ],
            )?;
        }
        for r in &d.runs {
            let s = &r.summary;
            tx.execute(
                "INSERT OR REPLACE INTO runs (id, started, finished, new, updated, unchanged,
                     failed, errors) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    r.id,
                    r.started,
                    r.finished,
                    s.new as i64,
                    s.updated as i64,
                    s.unchanged as i64,
                    s.failed as i64,
                    s.errors.join("\n")
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// The errors column holds one error per line; an empty column is no error.
pub(crate) fn split_errors(errors: &str) -> Vec<String> {
    if errors.is_empty() {
        Vec::new()
    } else {
        errors.split('\n').map(str::to_owned).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::stored;

    #[test]
    fn migrates_once_and_reopens() {
        let dir = std::env::temp_dir().join(format!("hb-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.db");
        {
            let mut s = SqliteStore::open(&path).unwrap();
            assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
            s.put_article(
                &stored("https://a.example/1", "Body one.", &["A"]),
                "A",
                "f1",
            )
            .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.articles().unwrap().len(), 1);
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_newer_schema() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            SqliteStore::init(conn),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
