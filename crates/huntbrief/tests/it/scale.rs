//! Scaling out on PostgreSQL (skipped with a message unless `HUNTBRIEF_TEST_PG` names a
//! database): workers sharing one database brief every story exactly once even when one
//! is killed; `db copy` moves a SQLite installation without losing a row; `serve` on a
//! second process picks up what a worker stored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use huntbrief_store::Store;
use huntbrief_store::testing::PgSchema;

use crate::farm::Farm;
use crate::{stderr, stdout};

/// A scratch folder with a config over the farm's feeds.
struct Setup {
    dir: PathBuf,
}

impl Setup {
    fn new(tag: &str, db: &str, farm: &Farm) -> Self {
        let dir = std::env::temp_dir().join(format!("hb-scale-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = format!(
            "db = \"{db}\"\nout = \"{out}\"\nbuiltin_sources = false\n\
             [http]\ntimeout_secs = 30\nper_host = 2\nconcurrency = 8\npoliteness_ms = 0\nretries = 1\n\n{feeds}",
            out = dir.join("briefings").display(),
            feeds = farm.feeds_toml(),
        );
        std::fs::write(dir.join("config.toml"), config).unwrap();
        Self { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = bare(args);
        c.arg("--config").arg(self.dir.join("config.toml"));
        c
    }

    fn out(&self) -> PathBuf {
        self.dir.join("briefings")
    }
}

/// The binary without a config.
fn bare(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_huntbrief"));
    c.args(args)
        .env_remove("HUNTBRIEF_CONFIG")
        .env_remove("HUNTBRIEF_DB")
        .env_remove("HUNTBRIEF_DATA")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Published files by relative path.
fn files(root: &Path) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    crate::pipeline::collect(root, root, &mut all);
    all
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn finish(child: Child, timeout: Duration) -> std::process::Output {
    let pid = child.id();
    let start = Instant::now();
    let mut child = child;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "worker {pid} did not finish in {timeout:?}\nstdout: {}\nstderr: {}",
                stdout(&out),
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn three_workers_brief_every_story_once_and_take_over_from_a_killed_one() {
    let Some(pg) = PgSchema::new("three_workers") else {
        return;
    };
    const FEEDS: usize = 50;
    const STORIES: usize = 20;
    // Five hosts: leases spread the feeds over the workers; a slow feed keeps a pass
    // long enough to kill a worker in the middle of it.
    let farm = Farm::start(5, FEEDS, STORIES, false, Duration::from_millis(300));
    let setup = Setup::new("workers", &pg.url, &farm);
    let store = pg.store();
    let worker = |n: usize| {
        setup
            .command(&[
                "worker",
                "--id",
                &format!("w{n}"),
                "--lease",
                "3s",
                "--every",
                "1h",
                "--hosts",
                "2",
                "--publish-every",
                "1s",
                "--until-idle",
            ])
            .spawn()
            .expect("huntbrief worker starts")
    };
    // The first worker migrates the schema and registers the sources.
    let mut doomed = worker(0);
    wait_until("the first stories", Duration::from_secs(120), || {
        store.article_count().unwrap_or(0) >= 40
    });
    let others = [worker(1), worker(2)];
    wait_until(
        "the doomed worker to hold a host",
        Duration::from_secs(60),
        || {
            store
                .leases()
                .unwrap()
                .iter()
                .any(|l| l.kind == "host" && l.owner == "w0")
        },
    );
    let held: Vec<String> = store
        .leases()
        .unwrap()
        .into_iter()
        .filter(|l| l.kind == "host" && l.owner == "w0")
        .map(|l| l.name)
        .collect();
    doomed.kill().unwrap(); // SIGKILL
    doomed.wait().unwrap();
    let killed_at = store.article_count().unwrap();
    assert!(
        killed_at < (FEEDS * STORIES) as i64,
        "the kill came after the pass ended ({killed_at} stories); slow the farm down"
    );
    for w in others {
        let out = finish(w, Duration::from_secs(600));
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).starts_with("worker w"), "{}", stdout(&out));
    }

    // In the database: every story once, each put exactly once (the revision sequence
    // counts every insert or update of a story, conflicting ones included), every
    // source polled, the killed worker's hosts finished by the others.
    let articles = store.articles().unwrap();
    let urls: BTreeSet<String> = articles.iter().map(|a| a.url.clone()).collect();
    let expected: BTreeSet<String> = (0..FEEDS)
        .flat_map(|f| (0..STORIES).map(move |s| (f, s)))
        .map(|(f, s)| farm.story_url(f, s))
        .collect();
    assert_eq!(urls, expected, "every story is stored");
    assert_eq!(articles.len(), FEEDS * STORIES, "and once");
    let puts = store.revision().unwrap();
    assert_eq!(
        puts,
        (FEEDS * STORIES) as i64,
        "each story was briefed and stored exactly once"
    );
    for a in &articles {
        assert_eq!(a.briefing.sources.len(), 1, "{}", a.url);
    }
    let sources = store.sources().unwrap();
    assert_eq!(sources.len(), FEEDS);
    for s in &sources {
        assert!(
            s.last_ok.is_some() && s.failures == 0,
            "{} not polled: {:?}",
            s.spec.url,
            s.last_error
        );
    }
    assert_eq!(store.due_sources().unwrap(), 0);
    assert!(
        !held.is_empty() && store.leases().unwrap().iter().all(|l| l.owner != "w0"),
        "the killed worker's hosts {held:?} were taken over"
    );

    // In the published folder: one briefing per story, nothing twice.
    let published = files(&setup.out());
    let briefings: Vec<&String> = published
        .keys()
        .filter(|p| p.starts_with("20") && p.ends_with(".md"))
        .collect();
    assert_eq!(briefings.len(), FEEDS * STORIES);
    let jsonl = &published["briefings.jsonl"];
    let ids: BTreeSet<String> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(
        (jsonl.lines().count(), ids.len()),
        (FEEDS * STORIES, FEEDS * STORIES)
    );
    let stored_ids: BTreeSet<String> = articles
        .iter()
        .map(|a| serde_json::Value::String(a.briefing.id.clone()).to_string())
        .collect();
    assert_eq!(ids, stored_ids, "the folder is the database's");
}

#[test]
fn db_copy_moves_a_sqlite_installation_to_postgres_without_losing_anything() {
    let Some(pg) = PgSchema::new("db_copy") else {
        return;
    };
    let farm = Farm::start(2, 4, 3, false, Duration::ZERO);
    let dir = std::env::temp_dir().join(format!("hb-scale-copy-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let sqlite = dir.join("state.db");
    let setup = Setup::new("copy", &sqlite.display().to_string(), &farm);
    let run = setup.command(&["run"]).output().unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).starts_with("12 new"), "{}", stdout(&run));
    let before = files(&setup.out());

    let from = format!("sqlite:{}", sqlite.display());
    let copy = bare(&["db", "copy", "--from", &from, "--to", &pg.url])
        .output()
        .unwrap();
    assert!(copy.status.success(), "{}", stderr(&copy));
    assert!(
        stdout(&copy).contains("12 article(s)") && stdout(&copy).contains("read back identical"),
        "{}",
        stdout(&copy)
    );
    // A second copy would mix two installations: refused.
    let again = bare(&["db", "copy", "--from", &from, "--to", &pg.url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already holds briefings"),
        "{}",
        stderr(&again)
    );

    let status = setup
        .command(&["db", "status", "--db", &pg.url])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    let status = stdout(&status);
    assert!(
        status.contains("(postgres)") && status.contains("briefings: 12"),
        "{status}"
    );
    let migrate = setup
        .command(&["db", "migrate", "--db", &pg.url])
        .output()
        .unwrap();
    assert!(
        stdout(&migrate).contains("schema version 1"),
        "{}",
        stdout(&migrate)
    );

    // Published from PostgreSQL, the folder is the same, byte for byte; a run against
    // it finds every story unchanged (validators and fingerprints came along).
    let moved = dir.join("from-postgres");
    let publish = setup
        .command(&[
            "publish",
            "--db",
            &pg.url,
            "--out",
            &moved.display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(publish.status.success(), "{}", stderr(&publish));
    assert_eq!(files(&moved), before);
    let rerun = setup.command(&["run", "--db", &pg.url]).output().unwrap();
    assert!(
        stdout(&rerun).starts_with("0 new, 0 updated, 12 unchanged"),
        "{}\n{}",
        stdout(&rerun),
        stderr(&rerun)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_on_a_second_process_sees_what_a_worker_stored() {
    let Some(pg) = PgSchema::new("serve_sees") else {
        return;
    };
    let farm = Farm::start(1, 2, 2, false, Duration::ZERO);
    let setup = Setup::new("serve", &pg.url, &farm);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // The server starts first, on an empty database, and refreshes every second.
    std::fs::write(
        setup.dir.join("config.toml"),
        std::fs::read_to_string(setup.dir.join("config.toml"))
            .unwrap()
            .replacen(
                "[http]",
                "[serve]\nusername = \"u\"\npassword = \"p\"\nrefresh_secs = 1\n\n[http]",
                1,
            ),
    )
    .unwrap();
    let mut server = setup
        .command(&["serve", "--bind", &format!("127.0.0.1:{port}")])
        .spawn()
        .unwrap();
    let health = || -> Option<serde_json::Value> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        serde_json::from_str(text.split("\r\n\r\n").nth(1)?).ok()
    };
    wait_until("the server", Duration::from_secs(60), || health().is_some());
    assert_eq!(health().unwrap()["briefings"], 0);
    let worker = setup
        .command(&["worker", "--until-idle", "--every", "1h"])
        .output()
        .unwrap();
    assert!(worker.status.success(), "{}", stderr(&worker));
    let stored_at = Instant::now();
    wait_until(
        "the server to see 4 briefings",
        Duration::from_secs(10),
        || health().is_some_and(|h| h["briefings"] == 4),
    );
    // Within its refresh interval (1 s) and a little scheduling slack.
    assert!(stored_at.elapsed() < Duration::from_secs(5));
    let _ = server.kill();
    let _ = server.wait();
}
