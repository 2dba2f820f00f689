//! Test support for both backends: PostgreSQL when `HUNTBRIEF_TEST_PG` names a database
//! (`postgres://postgres@127.0.0.1:5432/test`), each test in a schema of its own that is
//! dropped afterwards; skipped with a message otherwise.

/// The variable naming the test database.
pub const TEST_PG: &str = "HUNTBRIEF_TEST_PG";

/// A fresh schema in the test database, dropped when this is dropped.
#[derive(Debug)]
pub struct PgSchema {
    base: String,
    pub schema: String,
    /// The database URL with `search_path` set to the schema: what a huntbrief process
    /// given `--db` uses.
    pub url: String,
}

impl PgSchema {
    /// `None` (after saying so on stderr) when `HUNTBRIEF_TEST_PG` is not set. Panics when
    /// it is set but the database cannot be reached: a configured test database that does
    /// not answer is a failure, not a skip.
    pub fn new(tag: &str) -> Option<Self> {
        let Some(base) = std::env::var(TEST_PG).ok().filter(|v| !v.is_empty()) else {
            eprintln!("skipped on PostgreSQL: set {TEST_PG} to a database URL to run it");
            return None;
        };
        let clean: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let schema = format!("hbt_{clean}_{}", std::process::id());
        let create = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}");
        if let Err(e) = admin(&base, &create) {
            panic!("{TEST_PG}={base}: cannot create the test schema {schema}: {e}");
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
        Some(Self { base, schema, url })
    }

    /// A store in the schema (migrated).
    #[cfg(feature = "postgres")]
    pub fn store(&self) -> crate::PgStore {
        crate::PgStore::connect(&self.url)
            .unwrap_or_else(|e| panic!("cannot open the test schema {}: {e}", self.schema))
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        if let Err(e) = admin(&self.base, &drop) {
            eprintln!("cannot drop the test schema {}: {e}", self.schema);
        }
    }
}

#[cfg(feature = "postgres")]
fn admin(base: &str, sql: &str) -> Result<(), String> {
    let run = || -> Result<(), postgres::Error> {
        let mut c = postgres::Client::connect(base, postgres::NoTls)?;
        c.batch_execute(sql)
    };
    let result = if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(run).join().expect("the admin thread panicked"))
    } else {
        run()
    };
    result.map_err(|e| e.to_string())
}

#[cfg(not(feature = "postgres"))]
fn admin(_base: &str, _sql: &str) -> Result<(), String> {
    Err("huntbrief-store was built without the `postgres` feature".into())
}
