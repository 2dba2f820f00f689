//! Webhooks against a local receiver on 127.0.0.1: each new briefing at or above a
//! webhook's severity is posted once; a receiver that fails or hangs neither fails the run
//! nor loses a delivery, and gets each briefing exactly once when it recovers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use huntbrief_store::{Delivery, SqliteStore, Store};
use serde_json::Value;

use crate::pipeline::{Setup, assert_summary};
use crate::server::Fixture;
use crate::{stderr, stdout};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Accept,
    Fail,
    Hang,
    RateLimited,
    /// Accepts after a pause, so that a kill can land mid-request.
    Slow,
}

/// One POST as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    body: Value,
    idempotency_key: String,
}

#[derive(Default)]
struct Shared {
    mode: Mutex<Option<Mode>>,
    /// Requests answered 2xx.
    accepted: Mutex<Vec<Received>>,
    /// Every request, answered or not.
    requests: Mutex<usize>,
}

struct Receiver {
    base: String,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    fn start(mode: Mode) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let shared = Arc::new(Shared::default());
        *shared.mode.lock().unwrap() = Some(mode);
        let app = Router::new()
            .route("/hooks/{name}", post(receive))
            .with_state(shared.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base,
            shared,
            _runtime: runtime,
        }
    }

    fn set(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = Some(mode);
    }

    fn accepted(&self) -> Vec<Received> {
        self.shared.accepted.lock().unwrap().clone()
    }

    fn requests(&self) -> usize {
        *self.shared.requests.lock().unwrap()
    }

    fn url(&self, name: &str) -> String {
        format!("{}/hooks/{name}", self.base)
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    *shared.requests.lock().unwrap() += 1;
    let mode = shared.mode.lock().unwrap().unwrap_or(Mode::Accept);
    match mode {
        Mode::Fail => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        Mode::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "120")],
            "slow down",
        )
            .into_response(),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            (StatusCode::OK, "too late").into_response()
        }
        Mode::Accept | Mode::Slow => {
            if mode == Mode::Slow {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let Ok(body) = serde_json::from_slice::<Value>(&body) else {
                return (StatusCode::BAD_REQUEST, "not JSON").into_response();
            };
            let is_json = headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v == "application/json");
            if !is_json {
                return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not application/json")
                    .into_response();
            }
            let idempotency_key = headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            shared.accepted.lock().unwrap().push(Received {
                path: name,
                body,
                idempotency_key,
            });
            (StatusCode::OK, "ok").into_response()
        }
    }
}

/// A setup polling `feeds` of the fixture server, with `webhooks` appended.
fn setup(tag: &str, server: &Fixture, feeds: &[&str], webhooks: &str) -> Setup {
    let toml: String = feeds
        .iter()
        .map(|path| {
            let adapter = match *path {
                "/kev.json" => "kev",
                "/advisories" => "ghsa",
                _ => "feed",
            };
            format!(
                "[[feed]]\nname = \"Fixture {path}\"\nurl = \"{}{path}\"\nadapter = \"{adapter}\"\n",
                server.base
            )
        })
        .collect();
    // Every KEV entry counts as recent, whatever day the test runs.
    let setup = Setup::new(
        &format!("webhook-{tag}"),
        &format!("kev_window_days = 100000\n{toml}"),
    );
    let path = setup.dir.join("config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(webhooks);
    std::fs::write(&path, config).unwrap();
    setup
}

fn webhook(name: &str, url: &str, extra: &str) -> String {
    format!(
        "\n[[webhook]]\nname = \"{name}\"\nurl = \"{url}\"\ntimeout_secs = 1\nretry_secs = 1\n{extra}"
    )
}

/// Briefing id → severity of every published briefing.
fn published(setup: &Setup) -> BTreeMap<String, String> {
    setup.files()["briefings.jsonl"]
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_owned(),
                v["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn deliveries(setup: &Setup) -> Vec<Delivery> {
    SqliteStore::open(&setup.dir.join("state.db"))
        .unwrap()
        .deliveries()
        .unwrap()
}

/// Sleeps until every queued delivery may be tried again: what the next scheduled run
/// would see.
fn wait_until_due(setup: &Setup) {
    let latest = deliveries(setup)
        .iter()
        .filter_map(|d| d.next_try)
        .max()
        .unwrap_or(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let due = Duration::from_secs(latest.max(0) as u64);
    if due > now {
        std::thread::sleep(due - now + Duration::from_millis(50));
    }
}

/// The briefing ids behind Teams cards (their idempotency keys), checking each is a card.
fn ids_of_cards(received: &[Received]) -> Vec<String> {
    let mut ids: Vec<String> = received
        .iter()
        .map(|r| {
            assert_eq!(r.body["type"], "message");
            let card = &r.body["attachments"][0]["content"];
            assert_eq!(card["type"], "AdaptiveCard", "{card}");
            r.idempotency_key
                .trim_start_matches("huntbrief-")
                .to_owned()
        })
        .collect();
    ids.sort();
    ids
}

fn ids(received: &[Received]) -> Vec<String> {
    let mut ids: Vec<String> = received
        .iter()
        .map(|r| r.body["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn each_new_briefing_at_or_above_the_threshold_is_posted_once() {
    let server = Fixture::start(Duration::ZERO);
    let receiver = Receiver::start(Mode::Accept);
    let hooks = [
        webhook("MED", &receiver.url("med"), "min_severity = \"MED\"\n"),
        webhook(
            "Default HIGH",
            &receiver.url("high"),
            "format = \"slack\"\n",
        ),
        webhook(
            "Teams LOW",
            &receiver.url("low"),
            "format = \"teams\"\nmin_severity = \"LOW\"\n",
        ),
    ];
    let setup = setup(
        "once",
        &server,
        &["/feeds/3", "/feeds/4", "/latin1.xml", "/advisories"],
        &hooks.concat(),
    );
    let first = setup.run();
    assert!(first.status.success(), "{}", stderr(&first));
    // Feeds 3 and 4 share one story (the second feed updates it with its name); the
    // Latin-1 feed and the advisory add one each.
    assert_summary(&first, "23 new, 1 updated, 0 unchanged, 0 failed source(s)");
    assert!(
        !stderr(&first).contains("webhook"),
        "nothing left queued: {}",
        stderr(&first)
    );
    let briefings = published(&setup);
    assert_eq!(briefings.len(), 23);
    let with = |severities: &[&str]| -> Vec<String> {
        briefings
            .iter()
            .filter(|(_, sev)| severities.contains(&sev.as_str()))
            .map(|(id, _)| id.clone())
            .collect()
    };
    // The loader stories are MED and the Latin-1 skimmer story LOW; the npm malware
    // advisory (a malicious package version, GHSA severity critical) is CRIT.
    let med = with(&["CRIT", "HIGH", "MED"]);
    assert_eq!((med.len(), with(&["LOW"]).len()), (22, 1), "{briefings:?}");
    let crit = with(&["CRIT", "HIGH"]);
    assert_eq!(crit.len(), 1, "{briefings:?}");

    let received = receiver.accepted();
    let on = |path: &str| -> Vec<Received> {
        received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    };
    assert_eq!(ids(&on("med")), med, "once each, LOW left out");
    for r in on("med") {
        let b = &r.body;
        let id = b["id"].as_str().unwrap();
        assert_eq!(r.idempotency_key, format!("huntbrief-{id}"));
        assert_eq!(b["severity"], briefings[id].as_str());
        if crit.iter().any(|c| c == id) {
            continue; // the advisory: checked on the HIGH hook below
        }
        assert!(
            b["title"].as_str().is_some_and(|t| t.starts_with("Story ")),
            "{b}"
        );
        assert!(
            b["url"]
                .as_str()
                .is_some_and(|u| u.starts_with(&server.base)),
            "{b}"
        );
        assert!(
            b["sources"].as_array().is_some_and(|s| !s.is_empty()),
            "{b}"
        );
        assert!(b["iocs"]["total"].is_u64() && b["hunts"].is_array(), "{b}");
        assert!(
            b["techniques"].as_array().is_some_and(|t| !t.is_empty()),
            "{b}"
        );
    }
    assert_eq!(
        on("high").len(),
        1,
        "only the CRIT advisory reaches the default HIGH threshold"
    );
    let all: Vec<String> = briefings.keys().cloned().collect();
    assert_eq!(
        ids_of_cards(&on("low")),
        all,
        "LOW takes everything, once each"
    );
    assert!(deliveries(&setup).iter().all(|d| d.delivered_at.is_some()));

    // Nothing new: nothing posted. A changed story is updated, not announced again.
    let requests = receiver.requests();
    let second = setup.run();
    assert!(second.status.success(), "{}", stderr(&second));
    // (The Latin-1 feed and the advisories have no validators: their items come back.)
    assert_summary(&second, "0 new, 0 updated, 2 unchanged, 0 failed source(s)");
    server.bump(31);
    let third = setup.run();
    assert!(third.status.success(), "{}", stderr(&third));
    assert_summary(&third, "0 new, 1 updated, ");
    assert_eq!(receiver.requests(), requests, "no second announcement");
}

#[test]
fn webhooks_added_later_do_not_announce_old_briefings() {
    let server = Fixture::start(Duration::ZERO);
    let receiver = Receiver::start(Mode::Accept);
    let setup = setup("later", &server, &["/feeds/5"], "");
    assert_summary(&setup.run(), "11 new, ");
    let path = setup.dir.join("config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(&webhook(
        "Late",
        &receiver.url("late"),
        "min_severity = \"LOW\"\n",
    ));
    std::fs::write(&path, config).unwrap();
    server.bump(52);
    let out = setup.run();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_summary(&out, "0 new, 1 updated, ");
    assert_eq!(receiver.requests(), 0);
    assert!(deliveries(&setup).is_empty());
}

/// A receiver in `failing` mode for a first run: the run succeeds with its usual summary,
/// the deliveries stay queued with the error, and a run after the receiver recovers
/// delivers each once.
fn recovers_from(failing: Mode, says: &str) {
    let server = Fixture::start(Duration::ZERO);
    let receiver = Receiver::start(failing);
    let tag = format!("{failing:?}").to_lowercase();
    let setup = setup(
        &tag,
        &server,
        &["/feeds/6"],
        &webhook("Flaky", &receiver.url("flaky"), "min_severity = \"MED\"\n"),
    );
    let first = setup.run();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_summary(
        &first,
        "11 new, 0 updated, 0 unchanged, 0 failed source(s); ",
    );
    assert_eq!(stdout(&first).lines().count(), 1, "{}", stdout(&first));
    let err = stderr(&first);
    assert!(
        err.contains("huntbrief: webhook Flaky: 11 delivery(ies) still queued (last error: ")
            && err.contains(says),
        "{err}"
    );
    assert!(
        !err.contains(&receiver.base),
        "the URL stays out of logs: {err}"
    );
    assert!(receiver.requests() >= 1);
    assert!(receiver.accepted().is_empty());
    let queued = deliveries(&setup);
    assert_eq!(queued.len(), 11);
    assert!(
        queued
            .iter()
            .all(|d| d.delivered_at.is_none() && d.next_try.is_some()),
        "{queued:?}"
    );
    assert!(
        queued
            .iter()
            .any(|d| d.attempts >= 1 && d.last_error.as_deref().is_some_and(|e| e.contains(says))),
        "{queued:?}"
    );

    receiver.set(Mode::Accept);
    wait_until_due(&setup);
    let second = setup.run();
    assert!(second.status.success(), "{}", stderr(&second));
    assert_summary(&second, "0 new, 0 updated, 0 unchanged, 0 failed source(s)");
    let expected: Vec<String> = published(&setup).into_keys().collect();
    assert_eq!(
        ids(&receiver.accepted()),
        expected,
        "each briefing exactly once"
    );
    assert!(deliveries(&setup).iter().all(|d| d.delivered_at.is_some()));

    let requests = receiver.requests();
    let third = setup.run();
    assert!(third.status.success());
    assert_eq!(receiver.requests(), requests, "nothing is sent twice");
}

#[test]
fn a_receiver_answering_500_gets_everything_once_it_recovers() {
    recovers_from(Mode::Fail, "HTTP 500: boom");
}

#[test]
fn a_receiver_that_hangs_gets_everything_once_it_recovers() {
    recovers_from(Mode::Hang, "no answer within 1s");
}

#[test]
fn a_receivers_retry_after_holds_its_deliveries_across_runs() {
    let server = Fixture::start(Duration::ZERO);
    let receiver = Receiver::start(Mode::RateLimited);
    let setup = setup(
        "limited",
        &server,
        &["/feeds/7"],
        &webhook(
            "Limited",
            &receiver.url("limited"),
            "min_severity = \"MED\"\n",
        ),
    );
    let started = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let first = setup.run();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("(last error: HTTP 429: slow down)"),
        "{}",
        stderr(&first)
    );
    let requests = receiver.requests();
    assert!(
        (1..=11).contains(&requests),
        "one attempt each at most: {requests}"
    );
    let queued = deliveries(&setup);
    assert!(
        queued
            .iter()
            .filter(|d| d.attempts > 0)
            .all(|d| d.next_try.is_some_and(|t| t >= started + 120)),
        "{queued:?}"
    );
    receiver.set(Mode::Accept);
    let second = setup.run();
    assert!(second.status.success());
    assert_eq!(
        receiver.requests() - requests,
        11 - requests,
        "only untried ones are sent"
    );
}

#[test]
fn sigkill_during_runs_loses_no_delivery() {
    // Slow pages make a run last long enough to be killed in the middle.
    let server = Fixture::start(Duration::from_millis(100));
    let receiver = Receiver::start(Mode::Slow);
    let setup = setup(
        "kill",
        &server,
        &["/feeds/0", "/feeds/1", "/feeds/2", "/feeds/3"],
        // A generous timeout: the last run must deliver everything before it ends.
        &format!(
            "\n[[webhook]]\nname = \"Receiver\"\nurl = \"{}\"\nmin_severity = \"LOW\"\n\
             timeout_secs = 2\nretry_secs = 1\n",
            receiver.url("all")
        ),
    );
    let delays = [60u64, 200, 350, 500, 700];
    for delay in delays {
        let mut child = setup.command().spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
    }
    // A delivery killed mid-request waits out its timeout and backoff, as a crashed
    // run's would.
    wait_until_due(&setup);
    let last = setup.run();
    assert!(last.status.success(), "{}", stderr(&last));
    let expected: Vec<String> = published(&setup).into_keys().collect();
    assert_eq!(expected.len(), 41);
    let mut got = ids(&receiver.accepted());
    // A kill between the receiver's answer and the record of it may repeat that one
    // delivery (the receiver can drop it by its Idempotency-Key); nothing is lost.
    let total = got.len();
    got.dedup();
    assert_eq!(got, expected);
    assert!(total - got.len() <= delays.len(), "{total} posts");
    assert!(deliveries(&setup).iter().all(|d| d.delivered_at.is_some()));
}
