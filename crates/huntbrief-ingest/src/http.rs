//! The HTTP client policy every source and page fetch goes through: bounded time, size,
//! redirects and concurrency, polite per host, conditional GET, retries that honour
//! `Retry-After`, and the outbound policy ([`crate::outbound`]) on every hop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
    RETRY_AFTER,
};
use thiserror::Error;
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep, sleep_until};

use crate::outbound::{Guard, Outbound, Refusal, Resolver};

/// Limits of the client. The defaults suit a pipeline polling ~30 sources.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Whole request, body included: a slow-loris server cannot hold a task longer.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_redirects: usize,
    /// Retries after the first attempt, for 429/5xx and connection failures.
    pub retries: u32,
    /// First backoff; doubled on each retry when the server gives no `Retry-After`.
    pub backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the source is retried later.
    pub max_retry_wait: Duration,
    /// Requests in flight overall and per host.
    pub concurrency: usize,
    pub per_host: usize,
    /// Minimum gap between two requests to the same host.
    pub politeness: Duration,
    pub user_agent: String,
    /// Non-public destinations that may be fetched (configured sources, allowed hosts).
    pub outbound: Outbound,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_redirects: 5,
            retries: 2,
            backoff: Duration::from_secs(1),
            max_retry_wait: Duration::from_secs(60),
            concurrency: 8,
            per_host: 2,
            politeness: Duration::from_millis(500),
            user_agent: format!(
                "huntbrief/{} (+https://github.com/huntbrief/huntbrief; security briefing bot)",
                env!("CARGO_PKG_VERSION")
            ),
            outbound: Outbound::default(),
        }
    }
}

#[derive(Debug, Error)]
pub enum FetchError {
    #[error("invalid URL {0}")]
    BadUrl(String),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("rate limited; retry after {0:?}")]
    RateLimited(Duration),
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    #[error("request timed out")]
    Timeout,
    #[error("too many redirects")]
    Redirects,
    /// The outbound policy refused the destination (a private address, a non-HTTP scheme).
    #[error("refused: {0}")]
    Refused(String),
    #[error("network error: {0}")]
    Network(String),
}

impl FetchError {
    /// How long the server asked us to stay away, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited(d) => Some(*d),
            _ => None,
        }
    }
}

/// A response body with what we need to know about it.
#[derive(Debug, Clone)]
pub struct Page {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// URL after redirects.
    pub final_url: String,
}

#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: the validators still hold.
    NotModified,
    Page(Page),
}

/// Validators from the last successful fetch, for conditional GET.
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditional<'a> {
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
}

struct HostGate {
    slots: Semaphore,
    next_start: tokio::sync::Mutex<Instant>,
}

/// The shared client. Cheap to share behind an `Arc`.
pub struct Fetcher {
    client: reqwest::Client,
    policy: Policy,
    guard: Arc<Guard>,
    slots: Semaphore,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

static CRYPTO: Once = Once::new();

impl Fetcher {
    pub fn new(policy: Policy) -> Result<Self, FetchError> {
        let guard = Guard::new(policy.outbound.clone());
        // Redirects are followed by hand so that each hop's URL is checked first.
        let client = client_builder(&policy)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Resolver(guard.clone()))
            .build()
            .map_err(|e| FetchError::Network(e.to_string()))?;
        Ok(Self {
            client,
            guard,
            slots: Semaphore::new(policy.concurrency.max(1)),
            policy,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// GETs `url`, reading at most `max_bytes` of (decompressed) body.
    pub async fn get(
        &self,
        url: &str,
        conditional: Conditional<'_>,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::BadUrl(url.to_owned()));
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let mut attempt = 0;
        loop {
            let result = self.attempt(&host, &parsed, conditional, max_bytes).await;
            let wait = match &result {
                Err(Attempt::Retry(wait)) if attempt < self.policy.retries => {
                    wait.unwrap_or(self.policy.backoff * 2u32.pow(attempt))
                }
                _ => return result.map_err(Attempt::into_error),
            };
            if wait > self.policy.max_retry_wait {
                return Err(FetchError::RateLimited(wait));
            }
            tracing::debug!(url, ?wait, "retrying");
            sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        host: &str,
        url: &url::Url,
        conditional: Conditional<'_>,
        max_bytes: usize,
    ) -> Result<Fetched, Attempt> {
        let gate = self.gate(host);
        let _host_slot = gate.slots.acquire().await.map_err(|_| Attempt::closed())?;
        {
            // Politeness: requests to one host start at least `politeness` apart.
            let mut next = gate.next_start.lock().await;
            sleep_until(*next).await;
            *next = Instant::now() + self.policy.politeness;
        }
        let _slot = self.slots.acquire().await.map_err(|_| Attempt::closed())?;
        let mut response = self.follow(url, conditional).await?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let wait = retry_after(response.headers());
            if status == StatusCode::TOO_MANY_REQUESTS
                && wait.is_some_and(|w| w > self.policy.max_retry_wait)
            {
                return Err(Attempt::Fail(FetchError::RateLimited(
                    wait.unwrap_or_default(),
                )));
            }
            return Err(Attempt::Retry(wait));
        }
        if !status.is_success() {
            return Err(Attempt::Fail(FetchError::Status(status.as_u16())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > max_bytes as u64)
        {
            return Err(Attempt::Fail(FetchError::TooLarge(max_bytes)));
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (content_type, etag, last_modified) =
            (header(CONTENT_TYPE), header(ETAG), header(LAST_MODIFIED));
        let final_url = response.url().to_string();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(Attempt::from_reqwest)? {
            if body.len() + chunk.len() > max_bytes {
                return Err(Attempt::Fail(FetchError::TooLarge(max_bytes)));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Page(Page {
            body,
            content_type,
            etag,
            last_modified,
            final_url,
        }))
    }

    /// Sends the GET and follows redirects, checking every hop's URL against the
    /// outbound policy before it is requested.
    async fn follow(
        &self,
        url: &url::Url,
        conditional: Conditional<'_>,
    ) -> Result<reqwest::Response, Attempt> {
        let mut url = url.clone();
        for hop in 0..=self.policy.max_redirects {
            if let Err(Refusal(why)) = self.guard.check(&url).await {
                let why = if hop == 0 {
                    why
                } else {
                    format!("redirect to {url}: {why}")
                };
                tracing::warn!(url = %url, reason = why, "refused to fetch");
                return Err(Attempt::Fail(FetchError::Refused(why)));
            }
            let mut request = self.client.get(url.clone());
            if let Some(etag) = conditional.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = conditional.last_modified {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
            let response = request.send().await.map_err(Attempt::from_reqwest)?;
            if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED
            {
                return Ok(response);
            }
            let next = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l.trim()).ok());
            match next {
                Some(next) => url = next,
                // A 3xx without a usable Location is an answer like any other status.
                None => return Ok(response),
            }
        }
        Err(Attempt::Fail(FetchError::Redirects))
    }

    fn gate(&self, host: &str) -> Arc<HostGate> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| {
                Arc::new(HostGate {
                    slots: Semaphore::new(self.policy.per_host.max(1)),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                })
            })
            .clone()
    }
}

/// The client stack every huntbrief request uses (rustls with ring, the user agent,
/// `policy`'s timeouts and redirect limit); callers may tighten it further.
pub fn client_builder(policy: &Policy) -> reqwest::ClientBuilder {
    // rustls with the ring provider: pure Rust build, no aws-lc toolchain needed.
    CRYPTO.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .user_agent(policy.user_agent.clone())
        .timeout(policy.timeout)
        .connect_timeout(policy.connect_timeout)
        .redirect(reqwest::redirect::Policy::limited(policy.max_redirects))
}

/// The outcome of one attempt: retry (after the server's wait, if it gave one) or fail.
enum Attempt {
    Retry(Option<Duration>),
    Fail(FetchError),
}

impl Attempt {
    fn closed() -> Self {
        Self::Fail(FetchError::Network("client shut down".into()))
    }

    fn from_reqwest(e: reqwest::Error) -> Self {
        if let Some(refusal) = find_refusal(&e) {
            tracing::warn!(
                url = e.url().map(|u| u.as_str()),
                reason = refusal.0,
                "refused to fetch"
            );
            Self::Fail(FetchError::Refused(refusal.0.clone()))
        } else if e.is_timeout() {
            Self::Fail(FetchError::Timeout)
        } else if e.is_redirect() {
            Self::Fail(FetchError::Redirects)
        } else if e.is_connect() {
            Self::Retry(None)
        } else {
            Self::Fail(FetchError::Network(error_chain(&e)))
        }
    }

    fn into_error(self) -> FetchError {
        match self {
            Self::Fail(e) => e,
            Self::Retry(Some(wait)) => FetchError::RateLimited(wait),
            Self::Retry(None) => FetchError::Network("server unavailable after retries".into()),
        }
    }
}

/// The resolver's refusal, somewhere down the error chain.
fn find_refusal<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refusal> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(r) = err.downcast_ref::<Refusal>() {
            return Some(r);
        }
        next = err.source();
    }
    None
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a past date means now"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
