//! The store's behaviour, checked on both backends: every check runs on an in-memory
//! SQLite database and, when `HUNTBRIEF_TEST_PG` names one, on PostgreSQL in a schema of
//! its own.

use huntbrief_core::{Article, Body, KnowledgeBase, analyze};

use crate::*;

/// Runs each check once per backend.
macro_rules! on_both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $check() {
                super::$check(&mut crate::SqliteStore::in_memory().unwrap());
            })*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(#[test]
            fn $check() {
                if let Some(schema) = crate::testing::PgSchema::new(stringify!($check)) {
                    super::$check(&mut schema.store());
                }
            })*
        }
    };
}

on_both_backends!(
    articles_round_trip_with_their_briefing,
    source_lists_sync_without_touching_user_sources,
    polls_and_failures_are_recorded,
    the_kev_catalogue_is_replaced_whole,
    a_new_story_is_queued_for_its_webhooks_once_and_updates_are_not,
    runs_are_recorded,
);

pub(crate) fn spec(name: &str, url: &str) -> SourceSpec {
    SourceSpec {
        name: name.into(),
        url: url.into(),
        kind: "feed".into(),
    }
}

fn source_named(s: &dyn Store, name: &str) -> SourceState {
    s.sources()
        .unwrap()
        .into_iter()
        .find(|x| x.spec.name == name)
        .unwrap()
}

pub(crate) fn stored(url: &str, text: &str, sources: &[&str]) -> StoredArticle {
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

fn articles_round_trip_with_their_briefing(s: &mut dyn Store) {
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

fn source_lists_sync_without_touching_user_sources(s: &mut dyn Store) {
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
    assert!(!source_named(s, "A").enabled);
    // A removed source stays removed when the list names it again.
    assert!(s.remove_source("https://a.example/feed").unwrap());
    s.sync_sources(Origin::Builtin, &[spec("A", "https://a.example/feed")])
        .unwrap();
    assert!(!source_named(s, "A").enabled);
    assert!(!s.remove_source("https://none.example/").unwrap());
}

fn polls_and_failures_are_recorded(s: &mut dyn Store) {
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

fn the_kev_catalogue_is_replaced_whole(s: &mut dyn Store) {
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

fn a_new_story_is_queued_for_its_webhooks_once_and_updates_are_not(s: &mut dyn Store) {
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
    assert!(s.delivery_attempted(a_hook, &id, 0, 130).unwrap());
    // A second process that read the same row cannot claim it too.
    assert!(!s.delivery_attempted(a_hook, &id, 0, 130).unwrap());
    assert!(s.due_deliveries(a_hook, 120, 10).unwrap().is_empty());
    s.delivery_failed(a_hook, &id, "HTTP 500", Some(110))
        .unwrap();
    assert_eq!(s.next_delivery(a_hook).unwrap(), Some(110));
    assert_eq!(s.due_deliveries(a_hook, 110, 10).unwrap()[0].attempts, 1);
    assert!(s.delivery_attempted(a_hook, &id, 1, 150).unwrap());
    s.delivery_succeeded(a_hook, &id, 140).unwrap();
    assert_eq!(s.next_delivery(a_hook).unwrap(), None);
    assert!(s.due_deliveries(a_hook, i64::MAX, 10).unwrap().is_empty());
    // A late answer to an earlier attempt cannot requeue a delivered briefing.
    s.delivery_failed(a_hook, &id, "timeout", Some(160))
        .unwrap();
    assert!(!s.delivery_attempted(a_hook, &id, 2, 170).unwrap());
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

fn runs_are_recorded(s: &mut dyn Store) {
    let run = s.start_run(10).unwrap();
    let summary = RunSummary {
        new: 3,
        updated: 1,
        unchanged: 7,
        failed: 1,
        errors: vec!["x: timeout".into()],
    };
    s.finish_run(run, 20, &summary).unwrap();
    let runs = s.dump().unwrap().runs;
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].id, runs[0].started, runs[0].finished),
        (run, 10, Some(20))
    );
    assert_eq!(runs[0].summary, summary);
}

/// Leases exist on PostgreSQL only: two workers on one schema.
#[cfg(feature = "postgres")]
mod leases {
    use super::spec;
    use crate::Store;
    use crate::testing::PgSchema;

    #[test]
    fn a_host_is_leased_to_one_worker_until_released_or_expired() {
        let Some(schema) = PgSchema::new("host_leases") else {
            return;
        };
        let (mut a, mut b) = (schema.store(), schema.store());
        a.sync_sources(
            crate::Origin::Config,
            &[
                spec("One", "https://one.example/feed"),
                spec("One too", "https://ONE.example/other"),
                spec("Two", "https://two.example:8443/feed"),
            ],
        )
        .unwrap();
        let first = a.lease_host("a", 60).unwrap().unwrap();
        let second = b.lease_host("b", 60).unwrap().unwrap();
        assert_ne!(first.host, second.host, "one worker per host");
        let mut hosts = [first.host.as_str(), second.host.as_str()];
        hosts.sort();
        assert_eq!(hosts, ["one.example", "two.example:8443"]);
        let one = if first.host == "one.example" {
            &first
        } else {
            &second
        };
        assert_eq!(
            one.sources.len(),
            2,
            "a host comes with all its due sources"
        );
        assert!(a.lease_host("a", 60).unwrap().is_none(), "no host is free");
        assert_eq!(a.due_sources().unwrap(), 3);
        assert_eq!(a.leases().unwrap().len(), 2);

        // Released with the next due time: not leased again until then.
        for s in &first.sources {
            a.source_polled(
                &s.spec.url,
                &Default::default(),
                first.now,
                first.now + 3600,
            )
            .unwrap();
        }
        a.release_host("a", &first.host).unwrap();
        assert!(b.lease_host("b", 60).unwrap().is_none());

        // A worker that stops renewing loses the host once its lease expires.
        assert!(b.renew_host("b", &second.host, 0).unwrap());
        let taken = a.lease_host("a", 60).unwrap().unwrap();
        assert_eq!(taken.host, second.host, "taken over after expiry");
        assert!(
            !b.renew_host("b", &second.host, 60).unwrap(),
            "b knows it lost it"
        );
    }

    #[test]
    fn a_named_lease_has_one_holder_and_migrations_run_once() {
        let Some(schema) = PgSchema::new("named_lease") else {
            return;
        };
        // Stores opened at once all migrate under the advisory lock without failing.
        let stores: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| schema.store())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let [mut a, mut b, ..] = <[_; 4]>::try_from(stores).ok().unwrap();
        assert_eq!(a.schema_version().unwrap(), 1);
        assert!(a.take_lease("publish", "a", 60).unwrap());
        assert!(!b.take_lease("publish", "b", 60).unwrap());
        assert!(
            a.take_lease("publish", "a", 60).unwrap(),
            "the holder renews it"
        );
        a.release_lease("publish", "a").unwrap();
        assert!(b.take_lease("publish", "b", 60).unwrap());
        let r = a.revision().unwrap();
        a.put_article(
            &super::stored("https://a.example/1", "Text.", &["A"]),
            "A",
            "f",
        )
        .unwrap();
        assert!(
            a.revision().unwrap() > r,
            "a stored story moves the revision"
        );
    }
}
