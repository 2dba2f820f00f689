//! Stories per second for 1, 2 and 4 `huntbrief worker` processes on one PostgreSQL
//! database, against local feed servers with the default per-host politeness (2 requests
//! at once, 500 ms between requests to a host) and teaser feeds whose article pages are
//! fetched. A benchmark, not a test: it prints figures and asserts only completeness.
//!
//!     HUNTBRIEF_TEST_PG=postgres://postgres@127.0.0.1:5432/huntbrief_test \
//!         cargo bench -p huntbrief --bench scale

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use huntbrief_store::Store;
use huntbrief_store::testing::PgSchema;

// The test farm; the benchmark needs only part of it.
#[allow(dead_code)]
#[path = "../tests/it/farm.rs"]
mod farm;

const HOSTS: usize = 16;
const FEEDS: usize = 32;
const STORIES: usize = 10;

fn main() {
    println!(
        "{HOSTS} hosts, {FEEDS} feeds x {STORIES} teaser stories (each page fetched), per host: 2 at once, 500 ms apart; 4 hosts per worker"
    );
    for workers in [1, 2, 4] {
        let Some(pg) = PgSchema::new(&format!("bench_scale_{workers}")) else {
            return;
        };
        let farm = farm::Farm::start(HOSTS, FEEDS, STORIES, true, Duration::from_millis(20));
        let dir = std::env::temp_dir().join(format!("hb-bench-scale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "db = \"{}\"\nout = \"{}\"\nbuiltin_sources = false\n\
                 [http]\nper_host = 2\npoliteness_ms = 500\nconcurrency = 8\n\n{}",
                pg.url,
                dir.join("briefings").display(),
                farm.feeds_toml()
            ),
        )
        .unwrap();
        // Migrate and register the sources before the clock starts.
        let status = Command::new(env!("CARGO_BIN_EXE_huntbrief"))
            .args(["db", "migrate", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let start = Instant::now();
        let children: Vec<_> = (0..workers)
            .map(|n| {
                Command::new(env!("CARGO_BIN_EXE_huntbrief"))
                    .args(["worker", "--until-idle", "--every", "1h", "--hosts", "4"])
                    .args(["--no-publish", "--id", &format!("bench{n}"), "--config"])
                    .arg(&config)
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        let elapsed = start.elapsed();
        let stored = pg.store().article_count().unwrap();
        assert_eq!(stored, (FEEDS * STORIES) as i64);
        println!(
            "{workers} worker(s): {stored} stories in {:.1} s = {:.1} stories/s",
            elapsed.as_secs_f64(),
            stored as f64 / elapsed.as_secs_f64()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
