//! The SQLite store: one file, WAL journal, schema migrations embedded in the binary and
//! applied in order (tracked in `PRAGMA user_version`).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{
    Delivery, DueDelivery, KevRecord, Origin, Result, RunSummary, SourceSpec, SourceState, Store,
    StoreError, StoredArticle, Validators,
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

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
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
        let json = serde_json::to_string(b)?;
        let tx = self.conn.transaction()?;
        let new = tx
            .query_row(
                "SELECT 1 FROM articles WHERE url = ?1",
                params![a.url],
                |_| Ok(()),
            )
            .optional()?
            .is_none();
        tx.execute(
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
                serde_json::to_value(b.body)?.as_str().unwrap_or("full"),
                a.text,
                json
            ],
        )?;
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
        next_try: i64,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, next_try = ?3
             WHERE webhook = ?1 AND briefing_id = ?2 AND delivered_at IS NULL",
            params![webhook, briefing_id, next_try],
        )?;
        Ok(())
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use huntbrief_core::{Article, Body, KnowledgeBase, analyze};

    fn spec(name: &str, url: &str) -> SourceSpec {
        SourceSpec {
            name: name.into(),
            url: url.into(),
            kind: "feed".into(),
        }
    }

    fn source_named(s: &SqliteStore, name: &str) -> SourceState {
        s.sources()
            .unwrap()
            .into_iter()
            .find(|x| x.spec.name == name)
            .unwrap()
    }

    fn stored(url: &str, text: &str, sources: &[&str]) -> StoredArticle {
        let article = Article {
            title: "Loader campaign".into(),
            url: Some(url.into()),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            published: None,
            text: text.into(),
            body: Body::Full,
        };
        StoredArticle {
            url: url.into(),
            first_seen: 100,
            changed_at: 100,
            text_hash: "t1".into(),
            text: text.into(),
            briefing: analyze(&article, &KnowledgeBase::embedded().unwrap()),
        }
    }

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

    #[test]
    fn articles_round_trip_with_their_briefing() {
        let mut s = SqliteStore::in_memory().unwrap();
        let a = stored(
            "https://a.example/1",
            "The actor used a loader.",
            &["A", "B"],
        );
        s.put_article(&a, "A", "f1").unwrap();
        assert_eq!(s.article("https://a.example/1").unwrap().unwrap(), a);
        assert_eq!(s.article("https://a.example/2").unwrap(), None);
        assert_eq!(
            s.fingerprint("https://a.example/1", "A")
                .unwrap()
                .as_deref(),
            Some("f1")
        );
        assert_eq!(s.fingerprint("https://a.example/1", "B").unwrap(), None);
        let mut changed = a.clone();
        changed.text_hash = "t2".into();
        changed.changed_at = 200;
        s.put_article(&changed, "B", "f2").unwrap();
        s.put_fingerprint("https://a.example/1", "A", "f3").unwrap();
        assert_eq!(
            s.fingerprint("https://a.example/1", "A")
                .unwrap()
                .as_deref(),
            Some("f3")
        );
        assert_eq!(
            s.fingerprint("https://a.example/1", "B")
                .unwrap()
                .as_deref(),
            Some("f2")
        );
        let all = s.articles().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].changed_at, 200);
        assert_eq!(all[0].first_seen, 100, "first_seen never moves");
    }

    #[test]
    fn source_lists_sync_without_touching_user_sources() {
        let mut s = SqliteStore::in_memory().unwrap();
        s.add_source(&spec("Mine", "https://mine.example/feed"))
            .unwrap();
        s.sync_sources(
            Origin::Builtin,
            &[
                spec("A", "https://a.example/feed"),
                spec("Mine too", "https://mine.example/feed"),
            ],
        )
        .unwrap();
        let all = s.sources().unwrap();
        let mine = all
            .iter()
            .find(|x| x.spec.url == "https://mine.example/feed")
            .unwrap();
        assert_eq!(
            (mine.origin, mine.spec.name.as_str()),
            (Origin::User, "Mine")
        );
        // A source dropped from the list is disabled, not deleted.
        s.sync_sources(Origin::Builtin, &[]).unwrap();
        assert!(!source_named(&s, "A").enabled);
        // A removed source stays removed when the list names it again.
        assert!(s.remove_source("https://a.example/feed").unwrap());
        s.sync_sources(Origin::Builtin, &[spec("A", "https://a.example/feed")])
            .unwrap();
        assert!(!source_named(&s, "A").enabled);
        assert!(!s.remove_source("https://none.example/").unwrap());
    }

    #[test]
    fn polls_and_failures_are_recorded() {
        let mut s = SqliteStore::in_memory().unwrap();
        s.sync_sources(Origin::Config, &[spec("A", "https://a.example/feed")])
            .unwrap();
        s.source_failed("https://a.example/feed", "timeout", 500)
            .unwrap();
        s.source_failed("https://a.example/feed", "timeout", 900)
            .unwrap();
        let a = &s.sources().unwrap()[0];
        assert_eq!(
            (a.failures, a.next_due, a.last_error.as_deref()),
            (2, 900, Some("timeout"))
        );
        let v = Validators {
            etag: Some("\"abc\"".into()),
            last_modified: None,
        };
        s.source_polled("https://a.example/feed", &v, 1000, 1900)
            .unwrap();
        let a = &s.sources().unwrap()[0];
        assert_eq!(
            (a.failures, a.next_due, a.last_ok, &a.validators),
            (0, 1900, Some(1000), &v)
        );
    }

    #[test]
    fn the_kev_catalogue_is_replaced_whole() {
        let mut s = SqliteStore::in_memory().unwrap();
        let rec = |cve: &str| KevRecord {
            cve: cve.into(),
            date_added: "2026-11-25".into(),
            name: "x".into(),
            known_ransomware: false,
        };
        s.replace_kev(&[rec("CVE-2026-1"), rec("CVE-2026-2")])
            .unwrap();
        s.replace_kev(&[rec("CVE-2026-2"), rec("CVE-2026-3")])
            .unwrap();
        let cves: Vec<String> = s.kev().unwrap().into_iter().map(|r| r.cve).collect();
        assert_eq!(cves, ["CVE-2026-2", "CVE-2026-3"]);
    }

    #[test]
    fn a_new_story_is_queued_for_its_webhooks_once_and_updates_are_not() {
        let mut s = SqliteStore::in_memory().unwrap();
        let hooks = [
            "https://hooks.example/a".to_owned(),
            "https://hooks.example/b".to_owned(),
        ];
        let a = stored("https://a.example/1", "The actor used a loader.", &["A"]);
        let id = a.briefing.id.clone();
        assert!(s.put_article_announced(&a, "A", "f1", &hooks).unwrap());
        // An update, even one carried by another source, announces nothing new.
        let mut changed = a.clone();
        changed.text_hash = "t2".into();
        changed.changed_at = 200;
        assert!(
            !s.put_article_announced(&changed, "B", "f2", &hooks)
                .unwrap()
        );
        // A story stored before a webhook existed is not queued for it later.
        let old = stored("https://a.example/2", "Another loader.", &["A"]);
        s.put_article(&old, "A", "f1").unwrap();
        let all = s.deliveries().unwrap();
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all.iter().all(|d| d.briefing_id == id
            && d.attempts == 0
            && d.next_try == Some(100)
            && d.queued_at == 100));

        let a_hook = hooks[0].as_str();
        assert!(s.due_deliveries(a_hook, 99, 10).unwrap().is_empty());
        let due = s.due_deliveries(a_hook, 100, 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            due[0].briefing, changed.briefing,
            "the current briefing is sent"
        );
        s.delivery_attempted(a_hook, &id, 130).unwrap();
        assert!(s.due_deliveries(a_hook, 120, 10).unwrap().is_empty());
        s.delivery_failed(a_hook, &id, "HTTP 500", Some(110))
            .unwrap();
        assert_eq!(s.next_delivery(a_hook).unwrap(), Some(110));
        assert_eq!(s.due_deliveries(a_hook, 110, 10).unwrap()[0].attempts, 1);
        s.delivery_attempted(a_hook, &id, 150).unwrap();
        s.delivery_succeeded(a_hook, &id, 140).unwrap();
        assert_eq!(s.next_delivery(a_hook).unwrap(), None);
        assert!(s.due_deliveries(a_hook, i64::MAX, 10).unwrap().is_empty());
        // A late answer to an earlier attempt cannot requeue a delivered briefing.
        s.delivery_failed(a_hook, &id, "timeout", Some(160))
            .unwrap();
        s.delivery_attempted(a_hook, &id, 170).unwrap();
        let b_hook = hooks[1].as_str();
        s.delivery_failed(b_hook, &id, "HTTP 404", None).unwrap();
        let all = s.deliveries().unwrap();
        assert_eq!(
            (
                all[0].attempts,
                all[0].delivered_at,
                all[0].next_try,
                all[0].last_error.as_deref()
            ),
            (2, Some(140), None, None)
        );
        assert_eq!(
            (
                all[1].delivered_at,
                all[1].next_try,
                all[1].last_error.as_deref()
            ),
            (None, None, Some("HTTP 404")),
            "given up"
        );
        assert!(s.due_deliveries(b_hook, i64::MAX, 10).unwrap().is_empty());
    }

    #[test]
    fn runs_are_recorded() {
        let mut s = SqliteStore::in_memory().unwrap();
        let run = s.start_run(10).unwrap();
        let summary = RunSummary {
            new: 3,
            updated: 1,
            unchanged: 7,
            failed: 1,
            errors: vec!["x: timeout".into()],
        };
        s.finish_run(run, 20, &summary).unwrap();
        let (new, errors): (i64, String) = s
            .conn
            .query_row("SELECT new, errors FROM runs WHERE id = ?1", [run], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((new, errors.as_str()), (3, "x: timeout"));
    }
}
