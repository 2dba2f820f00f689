//! `huntbrief run` against the local fixture server: one briefing per story, conditional
//! GET on the second run, re-analysis of a changed story, hostile sources, and SIGKILL at
//! any point losing and duplicating nothing.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::server::{Fixture, STORIES, story_title};
use crate::{stderr, stdout};

/// A scratch folder with a config pointing at the fixture server.
pub struct Setup {
    pub dir: PathBuf,
}

impl Setup {
    /// `feeds` is appended to the config: top-level keys first, then `[[feed]]` tables.
    pub fn new(tag: &str, feeds: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hb-pipeline-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (top, tables) = feeds.split_at(feeds.find("[[feed]]").unwrap_or(feeds.len()));
        let config = format!(
            "db = \"{db}\"\nout = \"{out}\"\nbuiltin_sources = false\n{top}\
             [http]\ntimeout_secs = 3\nmax_feed_mb = 1\nper_host = 8\nconcurrency = 8\npoliteness_ms = 0\nretries = 1\n\n{tables}",
            db = dir.join("state.db").display(),
            out = dir.join("briefings").display(),
        );
        std::fs::write(dir.join("config.toml"), config).unwrap();
        Self { dir }
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_huntbrief"));
        c.args(["run", "--config"])
            .arg(self.dir.join("config.toml"));
        c.env_remove("HUNTBRIEF_DB").env_remove("HUNTBRIEF_DATA");
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    pub fn run(&self) -> Output {
        self.command().output().expect("huntbrief run starts")
    }

    pub fn out(&self) -> PathBuf {
        self.dir.join("briefings")
    }

    /// Every published file, relative path → contents.
    pub fn files(&self) -> BTreeMap<String, String> {
        let mut all = BTreeMap::new();
        collect(&self.out(), &self.out(), &mut all);
        all
    }

    pub fn briefings(&self) -> Vec<(String, String)> {
        self.files()
            .into_iter()
            .filter(|(p, _)| p.starts_with("20") && p.ends_with(".md"))
            .collect()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every file under `dir`, by path relative to `root`, into `into`.
pub fn collect(root: &Path, dir: &Path, into: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, into);
        } else {
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            into.insert(rel, std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

pub fn assert_summary(out: &Output, expected: &str) {
    let s = stdout(out);
    assert!(
        s.starts_with(expected),
        "expected {expected:?}, got {s:?}\nstderr: {}",
        stderr(out)
    );
}

const CLOSING_LINE: &str = "Severity classified as **";

fn assert_complete(files: &[(String, String)]) {
    for (path, md) in files {
        assert!(md.starts_with("# ["), "{path} is not a briefing");
        assert!(
            md.lines().any(|l| l.starts_with(CLOSING_LINE)),
            "{path} is cut short"
        );
        assert!(!path.contains(".huntbrief-tmp-"), "temp file left: {path}");
    }
}

#[test]
fn publishes_each_story_once_then_uses_conditional_get_then_updates_a_changed_story() {
    let server = Fixture::start(Duration::ZERO);
    let setup = Setup::new("main", &server.feeds_toml());

    let first = setup.run();
    assert!(first.status.success(), "{}", stderr(&first));
    assert_summary(&first, &format!("{STORIES} new, "));
    let briefings = setup.briefings();
    assert_eq!(briefings.len(), STORIES);
    assert_complete(&briefings);
    let files = setup.files();
    assert_eq!(files["briefings.jsonl"].lines().count(), STORIES);
    let ids: HashSet<&str> = files["briefings.jsonl"].lines().map(|l| &l[..40]).collect();
    assert_eq!(ids.len(), STORIES, "no story twice");
    assert!(files.contains_key("INDEX.md") && files.contains_key("_TEMPLATES.md"));
    // Story 10 came through feeds 0 and 1 (with different utm_ parameters): one briefing.
    let shared = &files["2026-11-02/story-010-loader-campaign-against-sector-10.md"];
    assert!(
        shared.contains("**Source:** Fixture feed 00, Fixture feed 01\n"),
        "{shared}"
    );
    assert!(shared.contains(&format!("**Article:** {}/a/10\n", server.base)));
    assert!(
        shared.contains("This is revision 0 of story 10."),
        "the page was read, not the teaser"
    );
    assert!(!shared.contains("Ransomware"), "page navigation stays out");

    let requests_before = server.counters().page_requests.load(Ordering::SeqCst);
    let second = setup.run();
    assert!(second.status.success());
    assert_summary(
        &second,
        "0 new, 0 updated, 0 unchanged, 0 failed source(s); 0 file(s) written, 0 removed",
    );
    assert_eq!(
        server.counters().not_modified.load(Ordering::SeqCst),
        30,
        "every feed answered 304"
    );
    assert_eq!(
        server.counters().page_requests.load(Ordering::SeqCst),
        requests_before
    );
    assert_eq!(setup.files(), files, "no file changed");

    server.bump(42);
    let third = setup.run();
    assert!(third.status.success());
    assert_summary(
        &third,
        "0 new, 1 updated, 10 unchanged, 0 failed source(s); 2 file(s) written, 0 removed",
    );
    let after = setup.files();
    let path = "2026-11-02/story-042-loader-campaign-against-sector-42.md";
    assert!(after[path].contains("This is revision 1 of story 42."));
    let changed: Vec<&String> = after.keys().filter(|k| after[*k] != files[*k]).collect();
    // The index lists titles and severities, which did not change.
    assert_eq!(
        changed,
        vec![
            "2026-11-02/story-042-loader-campaign-against-sector-42.md",
            "briefings.jsonl"
        ]
    );
    assert!(after["INDEX.md"].contains(&story_title(42)));
}

#[test]
fn hostile_sources_fail_alone_and_the_run_completes() {
    let server = Fixture::start(Duration::ZERO);
    let base = &server.base;
    let mut feeds = String::new();
    for (name, path) in [
        ("Good", "/feeds/3"),
        ("Latin-1", "/latin1.xml"),
        ("Slow loris", "/hostile/slow.xml"),
        ("Endless body", "/hostile/huge.xml"),
        ("XML bomb", "/hostile/bomb.xml"),
        ("Redirect loop", "/hostile/loop.xml"),
        ("Garbage", "/hostile/garbage.xml"),
        ("Rate limited", "/hostile/limited.xml"),
        ("Dead", "/feeds/404"),
    ] {
        feeds.push_str(&format!(
            "[[feed]]\nname = \"{name}\"\nurl = \"{base}{path}\"\n"
        ));
    }
    let setup = Setup::new("hostile", &feeds);
    let out = setup.run();
    assert_eq!(
        out.status.code(),
        Some(3),
        "some sources failed: exit 3\n{}",
        stderr(&out)
    );
    let err = stderr(&out);
    for (name, says) in [
        ("Slow loris", "timed out"),
        ("Endless body", "larger than"),
        ("Redirect loop", "redirects"),
        ("Garbage", "not a valid"),
        ("Rate limited", "rate limited"),
        ("Dead", "HTTP 404"),
    ] {
        assert!(
            err.contains(&format!("source failed: {name}: "))
                && err.lines().any(|l| l.contains(name) && l.contains(says)),
            "{name}: {says}\n{err}"
        );
    }
    // The bomb is refused or parsed without expansion; either way nothing huge is stored.
    let briefings = setup.briefings();
    assert!(briefings.iter().all(|(_, md)| md.len() < 20_000));
    assert!(
        briefings
            .iter()
            .any(|(_, md)| md.contains("# [LOW] Café owners warned of card skimmer")),
        "the Latin-1 feed is decoded"
    );
    assert!(
        briefings
            .iter()
            .filter(|(p, _)| p.contains("story-"))
            .count()
            >= 10,
        "the good feed's stories are all there"
    );
    assert!(stdout(&out).contains("failed source(s)"));
}

#[test]
fn sigkill_at_any_point_loses_and_duplicates_nothing() {
    // Slow pages make a run last long enough to be killed in the middle.
    let server = Fixture::start(Duration::from_millis(15));
    let setup = Setup::new("kill", &server.feeds_toml());
    for (i, delay) in [40u64, 150, 300, 500, 700, 900, 1200, 1600]
        .into_iter()
        .enumerate()
    {
        let mut child = setup.command().spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        if status.success() {
            eprintln!("run {i} finished before the kill");
        }
        if i == 3 {
            server.bump(7);
        }
    }
    let last = setup.run();
    assert!(last.status.success(), "{}", stderr(&last));
    let briefings = setup.briefings();
    assert_eq!(briefings.len(), STORIES, "every story, once");
    assert_complete(&briefings);
    let jsonl = &setup.files()["briefings.jsonl"];
    let ids: HashSet<&str> = jsonl.lines().map(|l| &l[..40]).collect();
    assert_eq!((jsonl.lines().count(), ids.len()), (STORIES, STORIES));
    assert!(
        setup.files()["2026-11-02/story-007-loader-campaign-against-sector-7.md"]
            .contains("revision 1 of story 7")
    );
    let again = setup.run();
    assert_summary(
        &again,
        "0 new, 0 updated, 0 unchanged, 0 failed source(s); 0 file(s) written, 0 removed",
    );
}

#[test]
fn source_limit_and_since_narrow_a_run() {
    let server = Fixture::start(Duration::ZERO);
    let setup = Setup::new("narrow", &server.feeds_toml());
    let out = setup
        .command()
        .args(["--source", "fixture FEED 05", "--limit", "3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_summary(&out, "3 new, 0 updated, 0 unchanged, 0 failed source(s)");
    let out = setup
        .command()
        .args(["--source", "Fixture feed 06", "--since", "2026-11-03"])
        .output()
        .unwrap();
    assert_summary(&out, "0 new, 0 updated, 0 unchanged, 0 failed source(s)");
    let out = setup
        .command()
        .args(["--source", "No such feed"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no enabled source named \"No such feed\""));
}

#[test]
fn feeds_are_managed_and_round_trip_through_opml() {
    let setup = Setup::new(
        "feeds",
        "[[feed]]\nname = \"From config\"\nurl = \"https://config.example/feed\"\n",
    );
    let feeds = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_huntbrief"))
            .arg("feeds")
            .arg("--config")
            .arg(setup.dir.join("config.toml"))
            .args(args)
            .output()
            .unwrap()
    };
    let opml = setup.dir.join("list.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Research">
        <outline type="rss" text="Talos" xmlUrl="https://blog.talosintelligence.com/rss/"/>
        <outline type="rss" text="A &amp; B" xmlUrl="https://ab.example/feed"/></outline></body></opml>"#,
    )
    .unwrap();
    let out = feeds(&["import", opml.to_str().unwrap()]);
    assert!(
        stdout(&out).starts_with("imported 2 feed(s)"),
        "{}",
        stderr(&out)
    );
    assert!(
        feeds(&["add", "https://www.example.org/rss.xml"])
            .status
            .success()
    );
    let list = stdout(&feeds(&["list"]));
    for line in [
        "From config\tfeed\tconfig\thttps://config.example/feed\tnot polled yet",
        "Talos\tfeed\tuser\thttps://blog.talosintelligence.com/rss/\tnot polled yet",
        "example.org\tfeed\tuser\thttps://www.example.org/rss.xml\tnot polled yet",
    ] {
        assert!(
            list.lines().any(|l| l == line),
            "missing {line:?} in\n{list}"
        );
    }
    assert!(feeds(&["remove", "talos"]).status.success());
    assert!(
        stdout(&feeds(&["list"]))
            .contains("Talos\tfeed\tuser\thttps://blog.talosintelligence.com/rss/\tdisabled")
    );
    assert_eq!(feeds(&["remove", "nothing"]).status.code(), Some(1));
    assert_eq!(feeds(&["add", "ftp://x.example/"]).status.code(), Some(1));
    let exported = stdout(&feeds(&["export"]));
    assert!(
        exported.contains(r#"text="A &amp; B" title="A &amp; B" xmlUrl="https://ab.example/feed""#),
        "{exported}"
    );
    assert!(
        !exported.contains("talos"),
        "removed feeds are not exported"
    );
}

#[test]
fn feeds_test_shows_what_a_feed_yields() {
    let server = Fixture::start(Duration::ZERO);
    let out = Command::new(env!("CARGO_BIN_EXE_huntbrief"))
        .args(["feeds", "test", &format!("{}/feeds/2", server.base)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(s.starts_with("11 item(s)\n"), "{s}");
    assert!(s.contains("teaser  Story 020: loader campaign against sector 20"));
    let bad = Command::new(env!("CARGO_BIN_EXE_huntbrief"))
        .args([
            "feeds",
            "test",
            &format!("{}/hostile/garbage.xml", server.base),
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn watch_stops_cleanly_on_sigterm() {
    let server = Fixture::start(Duration::ZERO);
    let setup = Setup::new("watch", &server.feeds_toml());
    let child = Command::new(env!("CARGO_BIN_EXE_huntbrief"))
        .args(["watch", "--every", "1h", "--config"])
        .arg(setup.dir.join("config.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first pass to publish, then ask it to stop.
    for _ in 0..600 {
        if setup.out().join("INDEX.md").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("huntbrief: stopped"));
    assert_eq!(setup.briefings().len(), STORIES);
}

#[test]
fn advisory_sources_are_briefed_through_their_adapters() {
    let server = Fixture::start(Duration::ZERO);
    let feeds = format!(
        "[[feed]]\nname = \"KEV\"\nurl = \"{0}/kev.json\"\nadapter = \"kev\"\n\
         [[feed]]\nname = \"GHSA\"\nurl = \"{0}/advisories\"\nadapter = \"ghsa\"\n",
        server.base
    );
    // Every entry counts as recent, whatever day the test runs.
    let setup = Setup::new("advisories", &format!("kev_window_days = 100000\n{feeds}"));
    let out = setup.run();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_summary(&out, "2 new, ");
    let files = setup.files();
    // The slug is cut at a dash within 60 characters.
    let kev = &files["2026-11-25/cisa-kev-cve-2026-20001-acme-edge-gateway-authentication.md"];
    assert!(kev.contains("**Article:** https://nvd.nist.gov/vuln/detail/CVE-2026-20001\n"));
    assert!(
        kev.contains("CISA added CVE-2026-20001 (Acme Edge Gateway"),
        "{kev}"
    );
    let ghsa = &files["2026-11-24/malicious-code-in-fixture-colors-npm.md"];
    assert!(
        ghsa.contains("Malware advisory GHSA-2x4m-9q7v-h3jf, severity critical"),
        "{ghsa}"
    );
}
