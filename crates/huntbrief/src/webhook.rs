//! Webhooks: each new briefing at or above a webhook's severity is POSTed to it as
//! compact JSON, a Slack message or a Teams card.
//!
//! The store's outbox is the source of truth: a delivery is queued in the transaction
//! that first stores the briefing, counted before each attempt and marked when the
//! receiver accepts it. Delivery runs beside the pass, a few requests per webhook at a
//! time, with backoff between attempts; a run waits a bounded time at its end and what is
//! still undelivered stays queued for the next run. A failing receiver is logged and
//! never fails the run.

use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use huntbrief_core::text::collapse_whitespace;
use huntbrief_core::{Briefing, Severity};
use huntbrief_ingest::http::{Policy, client_builder, retry_after};
use huntbrief_store::DynStore;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// Requests in flight per webhook: a slow receiver does not hold the others up.
const IN_FLIGHT: usize = 4;
/// Backoff grows fourfold per attempt up to this (30 s, 2 min, 8 min, ... with the
/// default first wait): about half a day before a delivery is given up.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// A receiver's `Retry-After` is honoured up to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Characters of the summary a payload carries.
const SUMMARY_CHARS: usize = 400;
/// High-fidelity indicators a payload lists.
const SAMPLE_IOCS: usize = 5;

/// The payload a webhook receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// huntbrief's compact JSON.
    #[default]
    Json,
    /// `{"text": ...}` in Slack mrkdwn (Mattermost and Rocket.Chat read it too).
    Slack,
    /// A Teams message with an Adaptive Card (Workflows "post to a channel" webhooks).
    Teams,
}

/// One configured webhook.
#[derive(Debug, Clone)]
pub struct Hook {
    /// Shown in logs instead of the URL, which often embeds a secret.
    pub name: String,
    pub url: String,
    pub format: Format,
    pub min_severity: Severity,
    /// Per request.
    pub timeout: Duration,
    /// Wait before the first retry.
    pub retry: Duration,
}

impl Hook {
    /// How long to wait after the `attempts`-th failed attempt.
    fn backoff(&self, attempts: i64) -> Duration {
        let factor = 4u32.saturating_pow(attempts.clamp(1, 16) as u32 - 1);
        self.retry.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// The webhooks of a pass: which want which briefing, and the delivery loop.
pub struct Webhooks {
    hooks: Vec<Hook>,
    client: Option<reqwest::Client>,
    /// Rung when the pipeline queues a delivery, so it goes out at once.
    queued: Notify,
}

impl Webhooks {
    /// Without a client (it could not be built) deliveries are still queued, and sent by
    /// a later run.
    pub fn new(hooks: Vec<Hook>, policy: &Policy) -> Self {
        let client = if hooks.is_empty() {
            None
        } else {
            // No redirects: a 301/302 would turn the POST into a GET and "succeed"
            // without delivering, and a webhook must not be sent to another host.
            client_builder(policy)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .inspect_err(|e| {
                    tracing::warn!(
                        error = %e,
                        "cannot build the HTTP client for webhooks; deliveries stay queued"
                    );
                })
                .ok()
        };
        Self {
            hooks,
            client,
            queued: Notify::new(),
        }
    }

    /// URLs of the webhooks that announce `briefing`.
    pub fn wanting(&self, briefing: &Briefing) -> Vec<String> {
        self.hooks
            .iter()
            .filter(|h| briefing.severity.at_least(h.min_severity))
            .map(|h| h.url.clone())
            .collect()
    }

    /// Tells the delivery loop that the store queued something.
    pub fn queued(&self) {
        self.queued.notify_one();
    }

    /// Delivers queued briefings until `finished` resolves (the pass is over), then for
    /// at most the longest webhook timeout more. Never fails: problems are logged and
    /// leave the deliveries queued.
    pub async fn deliver(&self, store: &Mutex<DynStore>, finished: impl Future<Output = ()>) {
        let Some(client) = &self.client else {
            return;
        };
        // A request started before the pass ended answers or times out within its
        // timeout; the margin lets it record that itself rather than be cut off.
        let grace = self
            .hooks
            .iter()
            .map(|h| h.timeout)
            .max()
            .unwrap_or_default()
            + Duration::from_millis(250);
        let mut finished = pin!(finished);
        let mut deadline: Option<Instant> = None;
        let mut in_flight: JoinSet<Attempted> = JoinSet::new();
        let mut busy: Vec<HashSet<String>> = vec![HashSet::new(); self.hooks.len()];
        let mut store_ok = true;
        let mut warned = vec![false; self.hooks.len()];
        loop {
            let mut next = None;
            if store_ok {
                let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
                match self.start_due(&mut lock(), client, &mut in_flight, &mut busy) {
                    Ok(n) => next = n,
                    Err(e) => {
                        tracing::warn!(
                            error = %e,
                            "webhook deliveries stopped for this run: the outbox cannot be read"
                        );
                        store_ok = false;
                    }
                }
            }
            let now = Instant::now();
            // After the pass: finish what is in flight or due now, within the deadline;
            // later retries are left to the next run.
            if let Some(end) = deadline {
                let idle = in_flight.is_empty() && next.is_none_or(|t| t > now);
                if idle || now >= end {
                    break;
                }
            }
            // Wake for the next due retry (a little later when it is due but waiting
            // for a slot, which a finished request frees).
            let wake = next
                .unwrap_or(now + Duration::from_secs(3600))
                .max(now + Duration::from_millis(50))
                .min(deadline.unwrap_or(now + Duration::from_secs(3600)));
            tokio::select! {
                Some(done) = in_flight.join_next(), if !in_flight.is_empty() => match done {
                    Ok(done) => {
                        busy[done.hook].remove(&done.briefing_id);
                        if store_ok {
                            let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                            if let Err(e) = self.record(&mut store, done, &mut warned) {
                                tracing::warn!(error = %e, "cannot record a webhook delivery");
                                store_ok = false;
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "a webhook delivery task failed"),
                },
                _ = self.queued.notified() => {}
                _ = sleep_until(wake) => {}
                _ = &mut finished, if deadline.is_none() => {
                    deadline = Some(Instant::now() + grace);
                }
            }
        }
        if !in_flight.is_empty() {
            tracing::info!(
                n = in_flight.len(),
                "webhook deliveries still in flight at the end of the run; retried on the next run"
            );
        }
        in_flight.abort_all();
        if store_ok {
            self.report(&store.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }

    /// Starts every due delivery a slot is free for; returns when the next one is due.
    fn start_due(
        &self,
        store: &mut DynStore,
        client: &reqwest::Client,
        in_flight: &mut JoinSet<Attempted>,
        busy: &mut [HashSet<String>],
    ) -> huntbrief_store::Result<Option<Instant>> {
        let now = unix_now();
        let mut next: Option<i64> = None;
        for (i, hook) in self.hooks.iter().enumerate() {
            let free = IN_FLIGHT.saturating_sub(busy[i].len());
            if free > 0 {
                for due in store.due_deliveries(&hook.url, now, free + busy[i].len())? {
                    let id = due.briefing.id.clone();
                    if busy[i].len() >= IN_FLIGHT || busy[i].contains(&id) {
                        continue;
                    }
                    let attempts = due.attempts + 1;
                    // Should the process die mid-request, the next run retries after
                    // this attempt's timeout and backoff.
                    let resume = unix_after(hook.timeout + hook.backoff(attempts));
                    if !store.delivery_attempted(&hook.url, &id, due.attempts, resume)? {
                        // Another process sharing the database claimed it first.
                        continue;
                    }
                    let body = payload(hook.format, &due.briefing).to_string();
                    tracing::debug!(webhook = hook.name, briefing = id, attempts, "posting");
                    in_flight.spawn(post(
                        client.clone(),
                        hook.url.clone(),
                        hook.timeout,
                        body,
                        Attempted {
                            hook: i,
                            briefing_id: id.clone(),
                            attempts,
                            result: Ok(()),
                        },
                    ));
                    busy[i].insert(id);
                }
            }
            // A webhook with every slot taken wakes the loop when a request finishes.
            if busy[i].len() < IN_FLIGHT
                && let Some(t) = store.next_delivery(&hook.url)?
            {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        // The store counts whole seconds; map back to the monotonic clock.
        Ok(next.map(|t| {
            let ahead = Duration::from_millis(((t * 1000) - unix_now_ms()).max(0) as u64);
            Instant::now() + ahead
        }))
    }

    fn record(
        &self,
        store: &mut DynStore,
        done: Attempted,
        warned: &mut [bool],
    ) -> huntbrief_store::Result<()> {
        let hook = &self.hooks[done.hook];
        let id = &done.briefing_id;
        match done.result {
            Ok(()) => {
                tracing::info!(webhook = hook.name, briefing = id, "delivered");
                store.delivery_succeeded(&hook.url, id, unix_now())
            }
            Err(failure) if done.attempts >= MAX_ATTEMPTS => {
                tracing::warn!(
                    webhook = hook.name,
                    briefing = id,
                    error = failure.error,
                    "webhook delivery given up after {MAX_ATTEMPTS} attempts"
                );
                let error = format!("{} (given up after {MAX_ATTEMPTS} attempts)", failure.error);
                store.delivery_failed(&hook.url, id, &error, None)
            }
            Err(failure) => {
                let wait = failure
                    .retry_after
                    .map(|w| w.min(MAX_RETRY_AFTER))
                    .unwrap_or_default()
                    .max(hook.backoff(done.attempts));
                // The first failure of a webhook in a run is a warning; the rest would
                // only repeat it (the run ends with a line saying what is still queued).
                if std::mem::replace(&mut warned[done.hook], true) {
                    tracing::info!(
                        webhook = hook.name,
                        briefing = id,
                        attempt = done.attempts,
                        error = failure.error,
                        ?wait,
                        "webhook delivery failed; it stays queued"
                    );
                } else {
                    tracing::warn!(
                        webhook = hook.name,
                        briefing = id,
                        attempt = done.attempts,
                        error = failure.error,
                        ?wait,
                        "webhook delivery failed; it stays queued"
                    );
                }
                store.delivery_failed(&hook.url, id, &failure.error, Some(unix_after(wait)))
            }
        }
    }

    /// One line per webhook with deliveries left for a later run.
    fn report(&self, store: &DynStore) {
        let Ok(all) = store.deliveries() else {
            return;
        };
        for hook in &self.hooks {
            let pending: Vec<_> = all
                .iter()
                .filter(|d| d.webhook == hook.url && d.next_try.is_some())
                .collect();
            if pending.is_empty() {
                continue;
            }
            let last = pending
                .iter()
                .filter_map(|d| d.last_error.as_deref())
                .next_back()
                .map_or(String::new(), |e| format!(" (last error: {e})"));
            eprintln!(
                "huntbrief: webhook {}: {} delivery(ies) still queued{last}; retried on the next run",
                hook.name,
                pending.len()
            );
        }
    }
}

/// The outcome of one POST, with what it was for.
struct Attempted {
    hook: usize,
    briefing_id: String,
    /// Attempts made, this one included.
    attempts: i64,
    result: Result<(), Failure>,
}

struct Failure {
    /// Says what failed; never holds the URL (it may embed a secret).
    error: String,
    retry_after: Option<Duration>,
}

async fn post(
    client: reqwest::Client,
    url: String,
    timeout: Duration,
    body: String,
    mut attempted: Attempted,
) -> Attempted {
    attempted.result = send(&client, &url, timeout, body, &attempted.briefing_id).await;
    attempted
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
    body: String,
    briefing_id: &str,
) -> Result<(), Failure> {
    let failed = |error: String| Failure {
        error,
        retry_after: None,
    };
    let response = client
        .post(url)
        .timeout(timeout)
        .header(CONTENT_TYPE, "application/json")
        // Lets a receiver drop a repeat (a crash between its answer and our record).
        .header("Idempotency-Key", format!("huntbrief-{briefing_id}"))
        .body(body)
        .send()
        .await
        .map_err(|e| failed(describe(&e.without_url(), timeout)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    )
    .then(|| retry_after(response.headers()))
    .flatten();
    let error = if status.is_redirection() {
        format!(
            "HTTP {}: redirects are not followed; configure the final URL",
            status.as_u16()
        )
    } else {
        let said = first_words(response).await;
        if said.is_empty() {
            format!("HTTP {}", status.as_u16())
        } else {
            format!("HTTP {}: {said}", status.as_u16())
        }
    };
    Err(Failure { error, retry_after })
}

/// The start of an error response (Slack answers `invalid_payload`, `no_service`, ...),
/// printable characters only.
async fn first_words(mut response: reqwest::Response) -> String {
    let Ok(Some(chunk)) = response.chunk().await else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&chunk[..chunk.len().min(200)]).into_owned();
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    collapse_whitespace(&text).chars().take(120).collect()
}

fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {}s", timeout.as_secs_f32());
    }
    let mut s = if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn unix_now() -> i64 {
    unix_now_ms() / 1000
}

/// Unix seconds `wait` from now, rounded up: a retry is never earlier than its wait.
fn unix_after(wait: Duration) -> i64 {
    (unix_now_ms() + wait.as_millis() as i64 + 999) / 1000
}

/// The body a webhook of `format` receives for `b`.
pub fn payload(format: Format, b: &Briefing) -> Value {
    match format {
        Format::Json => compact_json(b),
        Format::Slack => slack(b),
        Format::Teams => teams(b),
    }
}

fn compact_json(b: &Briefing) -> Value {
    let sample: Vec<Value> = b
        .high_fidelity_iocs()
        .take(SAMPLE_IOCS)
        .map(|i| json!({"type": i.kind.key(), "value": i.value, "defanged": i.defanged}))
        .collect();
    json!({
        "id": b.id,
        "title": b.title,
        "url": b.url,
        "severity": b.severity.as_str(),
        "kind": b.kind.as_str(),
        "published": b.published.map(|d| d.to_string()),
        "sources": b.sources,
        "summary": short(&b.summary),
        "reasons": b.severity_reasons,
        "techniques": b.techniques.iter().map(|t| &t.id).collect::<Vec<_>>(),
        "iocs": {
            "total": b.iocs.len(),
            "high_fidelity": b.high_fidelity_iocs().count(),
            "sample": sample,
        },
        "hunts": b.hunts.iter().map(|h| &h.id).collect::<Vec<_>>(),
    })
}

/// The article's URL when it is one a reader may open.
fn web_url(b: &Briefing) -> Option<url::Url> {
    let url = url::Url::parse(b.url.as_deref()?).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// The summary on one line, cut at a word within `SUMMARY_CHARS`.
fn short(text: &str) -> String {
    let text = collapse_whitespace(text);
    if text.chars().count() <= SUMMARY_CHARS {
        return text;
    }
    let cut: String = text.chars().take(SUMMARY_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}

/// Slack's control characters as entities, which is all the escaping Slack defines.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack(b: &Briefing) -> Value {
    let title = slack_escape(&collapse_whitespace(&b.title));
    let mut text = format!("[{}] ", b.severity.as_str());
    match web_url(b) {
        // In `<url|label>` a `|` ends the URL, so none may remain in either part.
        Some(url) => text.push_str(&format!(
            "<{}|{}>",
            slack_escape(url.as_str()).replace('|', "%7C"),
            title.replace('|', "¦")
        )),
        None => text.push_str(&title),
    }
    let mut line = vec![b.kind.as_str().to_owned()];
    line.extend(b.published.map(|d| d.to_string()));
    if !b.sources.is_empty() {
        line.push(b.sources.join(", "));
    }
    text.push('\n');
    text.push_str(&slack_escape(&line.join(" · ")));
    let summary = short(&b.summary);
    if !summary.is_empty() {
        text.push('\n');
        text.push_str(&slack_escape(&summary));
    }
    for reason in &b.severity_reasons {
        text.push_str("\n• ");
        text.push_str(&slack_escape(&collapse_whitespace(reason)));
    }
    for (label, items) in chat_lists(b) {
        text.push_str(&format!(
            "\n*{}:* {}",
            slack_escape(label),
            slack_escape(&items)
        ));
    }
    json!({"text": text, "unfurl_links": false, "unfurl_media": false})
}

/// The labelled lists a chat message ends with.
fn chat_lists(b: &Briefing) -> Vec<(&'static str, String)> {
    let mut lists = Vec::new();
    if !b.techniques.is_empty() {
        let ids: Vec<&str> = b.techniques.iter().map(|t| t.id.as_str()).collect();
        lists.push(("ATT&CK", ids.join(", ")));
    }
    let hf: Vec<&str> = b
        .high_fidelity_iocs()
        .map(|i| i.defanged.as_str())
        .collect();
    if !hf.is_empty() {
        let mut s = hf[..hf.len().min(SAMPLE_IOCS)].join(", ");
        if hf.len() > SAMPLE_IOCS {
            s.push_str(&format!(" and {} more", hf.len() - SAMPLE_IOCS));
        }
        lists.push(("IOCs", s));
    }
    if !b.hunts.is_empty() {
        let ids: Vec<&str> = b.hunts.iter().map(|h| h.id.as_str()).collect();
        lists.push(("Hunts", ids.join(", ")));
    }
    lists
}

/// Article text as an Adaptive Card text run, which is never read as Markdown (a
/// TextBlock would be).
fn plain(text: &str, emphasis: bool) -> Value {
    let mut run = json!({"type": "TextRun", "text": text});
    if emphasis {
        run["weight"] = json!("Bolder");
        run["size"] = json!("Medium");
    }
    json!({"type": "RichTextBlock", "inlines": [run]})
}

fn teams(b: &Briefing) -> Value {
    let mut body = vec![plain(
        &format!(
            "[{}] {}",
            b.severity.as_str(),
            collapse_whitespace(&b.title)
        ),
        true,
    )];
    let mut facts = vec![
        json!({"title": "Severity", "value": b.severity.as_str()}),
        json!({"title": "Kind", "value": b.kind.as_str()}),
    ];
    if let Some(d) = b.published {
        facts.push(json!({"title": "Published", "value": d.to_string()}));
    }
    body.push(json!({"type": "FactSet", "facts": facts}));
    if !b.sources.is_empty() {
        body.push(plain(&format!("Sources: {}", b.sources.join(", ")), false));
    }
    let summary = short(&b.summary);
    if !summary.is_empty() {
        body.push(plain(&summary, false));
    }
    for reason in &b.severity_reasons {
        body.push(plain(&format!("• {}", collapse_whitespace(reason)), false));
    }
    for (label, items) in chat_lists(b) {
        body.push(plain(&format!("{label}: {items}"), false));
    }
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    });
    if let Some(url) = web_url(b) {
        card["actions"] =
            json!([{"type": "Action.OpenUrl", "title": "Read the article", "url": url.as_str()}]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use huntbrief_core::{Article, Body, KnowledgeBase, analyze};

    const HOSTILE: &str = "\"Quoted\" <script>alert(1)</script> | *bold* _it_ `code` [x](http://evil.example) <!channel> <@U123> & co\nline two";

    fn briefing(url: &str) -> Briefing {
        let text = "The operators of the loader sent invoices as password-protected archives \
                    holding a shortcut file that runs a PowerShell script. The script downloads \
                    a second stage from https://evil-cdn.example/payload.bin and creates a \
                    scheduled task for persistence. The loader beacons to 203.0.113.7.";
        let mut b = analyze(
            &Article {
                title: "Loader campaign".into(),
                url: Some(url.into()),
                sources: vec!["Lab <feed>".into()],
                published: None,
                text: text.into(),
                body: Body::Full,
            },
            &KnowledgeBase::embedded().unwrap(),
        );
        b.title = HOSTILE.into();
        b.summary = format!("{HOSTILE}\n> quoted line");
        b.url = Some(url.into());
        b
    }

    /// `text` with the known-good link and entities removed holds no Slack control
    /// character.
    fn assert_inert_slack(text: &str) {
        let rest = text
            .replace("&amp;", "")
            .replace("&lt;", "")
            .replace("&gt;", "");
        assert!(!rest.contains(['&', '<', '>']), "{text}");
    }

    #[test]
    fn json_carries_the_title_unchanged_and_stays_compact() {
        let b = briefing("https://lab.example/post?a=1&b=2");
        let body = payload(Format::Json, &b).to_string();
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["title"], HOSTILE);
        assert_eq!(v["id"], b.id.as_str());
        assert_eq!(v["url"], "https://lab.example/post?a=1&b=2");
        assert_eq!(v["severity"], b.severity.as_str());
        assert_eq!(v["kind"], b.kind.as_str());
        assert_eq!(v["sources"], json!(["Lab <feed>"]));
        assert!(!v["summary"].as_str().unwrap().contains('\n'));
        assert_eq!(v["iocs"]["total"], b.iocs.len());
        assert!(v["iocs"]["sample"].as_array().unwrap().len() <= SAMPLE_IOCS);
        let techniques: Vec<&str> = b.techniques.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(v["techniques"], json!(techniques));
        assert!(!techniques.is_empty(), "the fixture text names techniques");
        assert!(
            !body.contains("\"evidence\""),
            "compact: no evidence sentences"
        );
    }

    #[test]
    fn slack_escapes_article_text_and_links_only_web_urls() {
        let b = briefing("https://lab.example/a|b?x=1&y=<2>");
        let v = payload(Format::Slack, &b);
        let text = v["text"].as_str().unwrap();
        let (head, rest) = text.split_once('\n').unwrap();
        let link_start = head.find('<').unwrap();
        let link = &head[link_start..];
        assert!(
            link.ends_with('>') && link.matches('<').count() == 1,
            "{head}"
        );
        let (target, label) = link[1..link.len() - 1].split_once('|').unwrap();
        assert_eq!(target, "https://lab.example/a%7Cb?x=1&amp;y=%3C2%3E");
        assert!(!label.contains('|') && !label.contains('\n'), "{label}");
        assert!(label.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(label.contains("&lt;!channel&gt; &lt;@U123&gt; &amp; co line two"));
        assert_inert_slack(&head[..link_start]);
        assert_inert_slack(label);
        assert_inert_slack(rest);
        assert!(rest.contains("Lab &lt;feed&gt;"), "{rest}");
        assert!(rest.contains("*ATT&amp;CK:* T"), "{rest}");

        let mut other = b.clone();
        other.url = Some("javascript:alert(1)".into());
        let text = payload(Format::Slack, &other)["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(!text.contains("javascript"), "{text}");
        assert_inert_slack(&text);
    }

    #[test]
    fn teams_gets_an_adaptive_card_with_article_text_as_plain_runs() {
        let b = briefing("https://lab.example/post");
        let v = payload(Format::Teams, &b);
        assert_eq!(v["type"], "message");
        let attachment = &v["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = &attachment["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        let body = card["body"].as_array().unwrap();
        assert_eq!(
            body[0]["inlines"][0]["text"],
            format!(
                "[{}] {}",
                b.severity.as_str(),
                "\"Quoted\" <script>alert(1)</script> | *bold* _it_ `code` [x](http://evil.example) <!channel> <@U123> & co line two"
            )
        );
        // Markdown is only read in TextBlocks: article text never goes in one.
        for element in body {
            assert_ne!(element["type"], "TextBlock", "{element}");
            if element["type"] == "FactSet" {
                assert!(!element.to_string().contains("script"));
            }
        }
        assert_eq!(card["actions"][0]["url"], "https://lab.example/post");
        let mut other = b.clone();
        other.url = Some("javascript:alert(1)".into());
        let v = payload(Format::Teams, &other);
        assert!(v["attachments"][0]["content"].get("actions").is_none());
    }

    #[test]
    fn backoff_grows_to_a_cap() {
        let hook = Hook {
            name: "x".into(),
            url: "https://x.example/".into(),
            format: Format::Json,
            min_severity: Severity::High,
            timeout: Duration::from_secs(10),
            retry: Duration::from_secs(30),
        };
        assert_eq!(hook.backoff(1), Duration::from_secs(30));
        assert_eq!(hook.backoff(2), Duration::from_secs(120));
        assert_eq!(hook.backoff(7), MAX_BACKOFF);
        assert_eq!(hook.backoff(100), MAX_BACKOFF);
    }

    #[test]
    fn failures_back_off_honour_retry_after_within_a_cap_and_give_up() {
        let hook = Hook {
            name: "x".into(),
            url: "https://x.example/".into(),
            format: Format::Json,
            min_severity: Severity::Low,
            timeout: Duration::from_secs(10),
            retry: Duration::from_secs(30),
        };
        let webhooks = Webhooks::new(vec![hook.clone()], &Policy::default());
        let mut store: DynStore = Box::new(huntbrief_store::SqliteStore::in_memory().unwrap());
        let b = briefing("https://lab.example/post");
        let article = huntbrief_store::StoredArticle {
            url: "https://lab.example/post".into(),
            first_seen: 1,
            changed_at: 1,
            text_hash: "h".into(),
            text: "t".into(),
            briefing: b.clone(),
        };
        let wanted = webhooks.wanting(&b);
        assert_eq!(wanted, std::slice::from_ref(&hook.url));
        store
            .put_article_announced(&article, "Lab", "f", &wanted)
            .unwrap();
        let mut warned = [false];
        let fail = |attempts, retry_after| Attempted {
            hook: 0,
            briefing_id: b.id.clone(),
            attempts,
            result: Err(Failure {
                error: "HTTP 503".into(),
                retry_after,
            }),
        };
        let next_try = |store: &DynStore| store.deliveries().unwrap()[0].next_try;
        let now = unix_now();
        webhooks
            .record(&mut store, fail(1, None), &mut warned)
            .unwrap();
        let t = next_try(&store).unwrap();
        assert!((now + 30..=now + 32).contains(&t), "backoff: {t} vs {now}");
        webhooks
            .record(
                &mut store,
                fail(2, Some(Duration::from_secs(86_400))),
                &mut warned,
            )
            .unwrap();
        let t = next_try(&store).unwrap();
        assert!(
            (now + 3600..=now + 3602).contains(&t),
            "Retry-After capped: {t}"
        );
        webhooks
            .record(&mut store, fail(MAX_ATTEMPTS, None), &mut warned)
            .unwrap();
        let d = &store.deliveries().unwrap()[0];
        assert_eq!(d.next_try, None);
        assert_eq!(
            d.last_error.as_deref(),
            Some("HTTP 503 (given up after 8 attempts)")
        );
        assert!(warned[0]);
    }

    #[test]
    fn summaries_are_cut_at_a_word() {
        let long = "word ".repeat(200);
        let s = short(&long);
        assert!(
            s.ends_with("word…") && s.chars().count() <= SUMMARY_CHARS + 1,
            "{s}"
        );
        assert_eq!(short(" a\n b "), "a b");
    }
}
