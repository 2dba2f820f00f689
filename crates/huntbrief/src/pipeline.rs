//! One pass of the feed pipeline: poll the due sources, bring each new or changed story
//! in, analyse it, and store the briefing. Every story is stored in its own transaction
//! and a source's validators only after all its items are stored, so a killed run is
//! resumed by the next one: nothing lost, nothing duplicated.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use futures_util::{StreamExt, stream};
use huntbrief_core::identity::{canonical_url, sha256_hex};
use huntbrief_core::{Article, Body, KnowledgeBase, analyze};
use huntbrief_ingest::feed::Item;
use huntbrief_ingest::http::{Conditional, Fetcher};
use huntbrief_ingest::sources::{self, Adapter, Limits, Polled, Source};
use huntbrief_store::{DynStore, RunSummary, SourceState, StoreError, StoredArticle, Validators};

use crate::webhook::Webhooks;

/// A story whose page could not be read is retried on later runs for this long.
const PAGE_RETRY_WINDOW: i64 = 3 * 86_400;
/// Items of one source processed at once (their pages fetched in parallel).
const ITEMS_IN_FLIGHT: usize = 4;

#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Only this source (by name, case-insensitive), even if not yet due.
    pub source: Option<String>,
    /// At most this many items per source.
    pub limit: Option<usize>,
    /// Only items published on or after this day.
    pub since: Option<NaiveDate>,
}

pub struct Pipeline<'a> {
    pub store: &'a Mutex<DynStore>,
    pub fetcher: &'a Fetcher,
    /// Shared with the blocking pool, where each story is analysed.
    pub kb: &'a Arc<KnowledgeBase>,
    pub limits: Limits,
    /// Unix seconds at the start of the run: the only clock the pipeline reads.
    pub now: i64,
    /// When a source polled now is due again (`now` for `run`, whose schedule is the
    /// caller's; later for a worker).
    pub next_due: i64,
    /// Which webhooks announce a new briefing; told when one is queued.
    pub webhooks: &'a Webhooks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    New,
    Updated,
    Unchanged,
}

impl Pipeline<'_> {
    fn today(&self) -> NaiveDate {
        chrono::DateTime::from_timestamp(self.now, 0).map_or(NaiveDate::MIN, |d| d.date_naive())
    }

    fn store(&self) -> std::sync::MutexGuard<'_, DynStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Polls every due source, `on_source_done` after each, and returns the tally.
    pub async fn run(
        &self,
        options: &Options,
        on_source_done: impl Fn(&str),
    ) -> Result<RunSummary, StoreError> {
        let due: Vec<SourceState> = self
            .store()
            .sources()?
            .into_iter()
            .filter(|s| s.enabled)
            .filter(|s| match &options.source {
                Some(name) => s.spec.name.eq_ignore_ascii_case(name),
                None => s.next_due <= self.now,
            })
            .collect();
        self.poll(due, options, on_source_done).await
    }

    /// Polls `due`, `on_source_done` after each, and returns the tally.
    pub async fn poll(
        &self,
        due: Vec<SourceState>,
        options: &Options,
        on_source_done: impl Fn(&str),
    ) -> Result<RunSummary, StoreError> {
        let concurrency = self.fetcher.policy().concurrency.max(1);
        let on_source_done = &on_source_done;
        let results: Vec<_> = stream::iter(due)
            .map(|state| async move {
                let result = self.poll_source(&state, options).await;
                on_source_done(&state.spec.name);
                (state, result)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let mut summary = RunSummary::default();
        for (state, result) in results {
            match result {
                Ok(outcomes) => {
                    for o in outcomes {
                        match o {
                            Outcome::New => summary.new += 1,
                            Outcome::Updated => summary.updated += 1,
                            Outcome::Unchanged => summary.unchanged += 1,
                        }
                    }
                }
                Err(SourceError::Store(e)) => return Err(e),
                Err(SourceError::Poll(e)) => {
                    summary.failed += 1;
                    summary.errors.push(format!("{}: {e}", state.spec.name));
                }
            }
        }
        summary.errors.sort();
        Ok(summary)
    }

    async fn poll_source(
        &self,
        state: &SourceState,
        options: &Options,
    ) -> Result<Vec<Outcome>, SourceError> {
        let spec = &state.spec;
        let source = Source {
            name: spec.name.clone(),
            url: spec.url.clone(),
            adapter: Adapter::parse(&spec.kind).unwrap_or(Adapter::Feed),
        };
        let v = &state.validators;
        let conditional = Conditional {
            etag: v.etag.as_deref(),
            last_modified: v.last_modified.as_deref(),
        };
        let polled = sources::poll(
            self.fetcher,
            &source,
            conditional,
            self.today(),
            self.limits,
        )
        .await;
        let (items, validators) = match polled {
            Ok(Polled::NotModified) => (Vec::new(), v.clone()),
            Ok(Polled::Items {
                items,
                etag,
                last_modified,
            }) => (
                items,
                Validators {
                    etag,
                    last_modified,
                },
            ),
            Err(e) => {
                let backoff = Duration::from_secs(300 << state.failures.clamp(0, 6) as u32);
                let wait = e
                    .retry_after()
                    .unwrap_or(backoff)
                    .min(Duration::from_secs(6 * 3600));
                self.store().source_failed(
                    &spec.url,
                    &e.to_string(),
                    self.now + wait.as_secs() as i64,
                )?;
                return Err(SourceError::Poll(e.to_string()));
            }
        };
        let items: Vec<Item> = items
            .into_iter()
            .filter(|i| {
                options
                    .since
                    .is_none_or(|since| i.published.is_none_or(|p| p >= since))
            })
            .take(options.limit.unwrap_or(usize::MAX))
            .collect();
        let outcomes: Vec<Result<Option<Outcome>, StoreError>> = stream::iter(&items)
            .map(|item| self.bring_in(&source, item))
            .buffer_unordered(ITEMS_IN_FLIGHT)
            .collect()
            .await;
        let mut done = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            done.extend(o?);
        }
        // Only now are the items safe in the store: a crash before this line makes the
        // next run fetch the feed in full again.
        self.store()
            .source_polled(&spec.url, &validators, self.now, self.next_due)?;
        Ok(done)
    }

    /// Brings one item in. `None` when the item has no usable URL.
    async fn bring_in(&self, source: &Source, item: &Item) -> Result<Option<Outcome>, StoreError> {
        let Some(url) = canonical_url(&item.url) else {
            tracing::debug!(url = item.url, "skipping an item without an http(s) URL");
            return Ok(None);
        };
        let fingerprint = sha256_hex(
            [
                item.title.as_str(),
                &item.body,
                item.updated.as_deref().unwrap_or(""),
            ]
            .join("\0")
            .as_bytes(),
        );
        let (existing, seen) = {
            let store = self.store();
            (store.article(&url)?, store.fingerprint(&url, &source.name)?)
        };
        let retry_page = existing.as_ref().is_some_and(|a| {
            a.briefing.body == Body::Summary && self.now - a.first_seen < PAGE_RETRY_WINDOW
        }) && item.is_teaser();
        if seen.as_deref() == Some(fingerprint.as_str()) && !retry_page {
            return Ok(Some(Outcome::Unchanged));
        }
        // A story already read in full, newly seen in another source: reuse its text.
        let (text, body) = match &existing {
            Some(a) if seen.is_none() && a.briefing.body == Body::Full => {
                (a.text.clone(), Body::Full)
            }
            _ => {
                let got = sources::full_text(self.fetcher, item, self.limits).await;
                if let Some(e) = &got.page_error {
                    tracing::info!(
                        url,
                        error = e,
                        "using the feed text: the page could not be read"
                    );
                }
                (got.text, got.body)
            }
        };
        let text_hash = sha256_hex(text.as_bytes());

        // Two sources carrying the same story in one run must not overwrite each other's
        // source names: the analysis runs without the lock (it is CPU work, off the
        // executor), and is redone if the stored story changed meanwhile.
        let (mut store, stored, existing) = loop {
            let existing = self.store().article(&url)?;
            let mut names: BTreeSet<String> = existing
                .iter()
                .flat_map(|a| a.briefing.sources.iter().cloned())
                .collect();
            let new_source = names.insert(source.name.clone());
            if let Some(a) = &existing
                && a.text_hash == text_hash
                && !new_source
            {
                self.store()
                    .put_fingerprint(&url, &source.name, &fingerprint)?;
                return Ok(Some(Outcome::Unchanged));
            }
            let title = if item.title.trim().is_empty() {
                url.clone()
            } else {
                item.title.clone()
            };
            let article = Article {
                title,
                url: Some(url.clone()),
                sources: names.into_iter().collect(),
                published: item
                    .published
                    .or(existing.as_ref().and_then(|a| a.briefing.published)),
                text: text.clone(),
                body,
            };
            // On the blocking pool: this task also drives the other sources' requests,
            // whose deadlines must not pass while one long text is analysed.
            let kb = self.kb.clone();
            let briefing = match tokio::task::spawn_blocking(move || analyze(&article, &kb)).await {
                Ok(briefing) => briefing,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            };
            let store = self.store();
            let key = |a: &StoredArticle| (a.text_hash.clone(), a.briefing.sources.clone());
            if store.article(&url)?.as_ref().map(key) != existing.as_ref().map(key) {
                continue;
            }
            let stored = StoredArticle {
                url: url.clone(),
                first_seen: existing.as_ref().map_or(self.now, |a| a.first_seen),
                changed_at: self.now,
                text_hash: text_hash.clone(),
                text: text.clone(),
                briefing,
            };
            break (store, stored, existing);
        };
        // Queued in the transaction that stores the briefing: a crash cannot separate them.
        let webhooks = self.webhooks.wanting(&stored.briefing);
        let new = store.put_article_announced(&stored, &source.name, &fingerprint, &webhooks)?;
        drop(store);
        if new && !webhooks.is_empty() {
            self.webhooks.queued();
        }
        Ok(Some(if existing.is_some() {
            Outcome::Updated
        } else {
            Outcome::New
        }))
    }
}

enum SourceError {
    Poll(String),
    Store(StoreError),
}

impl From<StoreError> for SourceError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}
