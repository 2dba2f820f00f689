//! `huntbrief.toml`: where state and briefings live, which sources to poll, and the
//! HTTP limits. Every key is optional; unknown keys are an error (a typo must not be
//! silently ignored).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use huntbrief_core::Severity;
use huntbrief_ingest::http::Policy;
use huntbrief_ingest::sources::{Adapter, Limits, Source};
use huntbrief_render::export::Format;
use serde::Deserialize;

use huntbrief_store::Location;

use crate::webhook::{Format as WebhookFormat, Hook};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// SQLite database file, or a `postgres://` URL of a database shared by many
    /// huntbrief processes (default: the user's data dir, `huntbrief/huntbrief.db`).
    pub db: Option<String>,
    /// Folder of published briefings (default: `./briefings`).
    pub out: Option<PathBuf>,
    /// Poll the built-in feed and advisory list (default: true).
    pub builtin_sources: Option<bool>,
    #[serde(default)]
    pub feed: Vec<FeedConfig>,
    #[serde(default)]
    pub http: HttpConfig,
    /// KEV entries added within this many days become briefings (default 14).
    pub kev_window_days: Option<i64>,
    /// Indicators kept per briefing, high-fidelity first (default 2,000).
    pub max_iocs: Option<usize>,
    /// Exports written after every run (none by default).
    #[serde(default)]
    pub export: ExportConfig,
    /// `huntbrief serve`: address and account.
    #[serde(default)]
    pub serve: ServeConfig,
    /// Webhooks told about each new briefing (none by default).
    #[serde(default)]
    pub webhook: Vec<WebhookConfig>,
}

/// `[[webhook]]`: a receiver of new briefings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Used in logs instead of the URL, which often embeds a secret (default: the host).
    pub name: Option<String>,
    pub url: String,
    /// `json` (default), `slack` or `teams`.
    #[serde(default)]
    pub format: WebhookFormat,
    /// Only new briefings of this severity or more serious (default `HIGH`).
    pub min_severity: Option<String>,
    /// Per request (default 10); a run waits at most this long at its end for deliveries.
    pub timeout_secs: Option<u64>,
    /// Wait before the first retry (default 30), four times longer after each failure.
    pub retry_secs: Option<u64>,
}

impl WebhookConfig {
    /// The webhook as the delivery loop uses it; `n` (from 1) names it in errors.
    pub fn hook(&self, n: usize) -> Result<Hook> {
        let parsed = url::Url::parse(&self.url).ok();
        let host = parsed
            .as_ref()
            .and_then(|u| u.host_str())
            .map(str::to_owned);
        let name = match (&self.name, &host) {
            (Some(name), _) => name.clone(),
            (None, Some(host)) => host.clone(),
            (None, None) => format!("#{n}"),
        };
        let web = parsed
            .as_ref()
            .is_some_and(|u| matches!(u.scheme(), "http" | "https"));
        if !web || host.is_none() {
            // The URL itself is not repeated: it may hold a token.
            bail!("webhook {name:?} needs an http(s) URL with a host");
        }
        let min_severity = self
            .min_severity
            .as_deref()
            .map_or(Ok(Severity::High), |s| {
                parse_severity(s).map_err(|e| anyhow::anyhow!("webhook {name:?}: {e}"))
            })?;
        let timeout = self.timeout_secs.unwrap_or(10);
        let retry = self.retry_secs.unwrap_or(30);
        if timeout == 0 || retry == 0 {
            bail!("webhook {name:?}: timeout_secs and retry_secs must be at least 1");
        }
        Ok(Hook {
            name,
            url: self.url.clone(),
            format: self.format,
            min_severity,
            timeout: Duration::from_secs(timeout),
            retry: Duration::from_secs(retry),
        })
    }
}

/// `[serve]`: the web service. Without a password one is generated at start and printed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub bind: Option<String>,
    /// Basic-auth user (default `huntbrief`).
    pub username: Option<String>,
    /// Basic-auth password; `$HUNTBRIEF_SERVE_PASSWORD` overrides it.
    pub password: Option<String>,
    /// How often to look for new briefings in the store (default 10 s).
    pub refresh_secs: Option<u64>,
    /// Open connections at most (default 512, and at most half the open-file limit).
    pub max_connections: Option<usize>,
    /// A request's headers must arrive within this; idle connections close after it
    /// (default 10 s).
    pub header_timeout_secs: Option<u64>,
}

/// `[export]`: formats other tools ingest, rewritten after each run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// Where the exports go (default: `./exports`).
    pub dir: Option<PathBuf>,
    /// `stix`, `misp`, `sigma`, `csv`, `jsonl`, `rss`, `archive` or `all`.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Only briefings of this severity or more serious (`LOW` exports everything).
    pub min_severity: Option<String>,
}

impl ExportConfig {
    pub fn dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| PathBuf::from("exports"))
    }

    pub fn formats(&self) -> Result<Vec<Format>> {
        let mut all = Vec::new();
        for name in &self.formats {
            all.extend(parse_formats(name).map_err(anyhow::Error::msg)?);
        }
        all.sort();
        all.dedup();
        Ok(all)
    }

    pub fn min_severity(&self) -> Result<Severity> {
        self.min_severity.as_deref().map_or(Ok(Severity::Low), |s| {
            parse_severity(s).map_err(anyhow::Error::msg)
        })
    }
}

/// One format name, or `all`.
pub fn parse_formats(name: &str) -> Result<Vec<Format>, String> {
    if name.trim().eq_ignore_ascii_case("all") {
        return Ok(Format::ALL.to_vec());
    }
    Format::parse(name.trim()).map(|f| vec![f]).ok_or_else(|| {
        format!(
            "unknown export format {name:?}: use {} or all",
            Format::ALL.map(Format::as_str).join(", ")
        )
    })
}

pub fn parse_severity(name: &str) -> Result<Severity, String> {
    Severity::parse(name.trim())
        .ok_or_else(|| format!("unknown severity {name:?}: use CRIT, HIGH, MED or LOW"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    pub name: String,
    pub url: String,
    /// `feed` (default), `ghsa` or `kev`.
    pub adapter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub timeout_secs: Option<u64>,
    pub max_feed_mb: Option<usize>,
    pub max_page_mb: Option<usize>,
    pub concurrency: Option<usize>,
    pub per_host: Option<usize>,
    pub politeness_ms: Option<u64>,
    pub retries: Option<u32>,
    pub max_retry_wait_secs: Option<u64>,
    pub user_agent: Option<String>,
    /// Hosts (names or IP literals) that may be fetched although they are not public
    /// addresses, e.g. an intranet wiki that feeds link to. Configured sources always may.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
}

impl Config {
    /// Reads `path`, or the default config file when it exists, or the defaults.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let path = match path {
            Some(p) => p.to_owned(),
            None => match dirs::config_dir().map(|d| d.join("huntbrief/config.toml")) {
                Some(p) if p.exists() => p,
                _ => return Ok(Self::default()),
            },
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let config: Self = toml::from_str(&text)
            .with_context(|| format!("config {} is invalid", path.display()))?;
        for f in &config.feed {
            if !(f.url.starts_with("http://") || f.url.starts_with("https://")) {
                bail!(
                    "config {}: feed {:?} needs an http(s) URL, got {:?}",
                    path.display(),
                    f.name,
                    f.url
                );
            }
            f.adapter()?;
        }
        let invalid = || format!("config {}: [export] is invalid", path.display());
        config.export.formats().with_context(invalid)?;
        config.export.min_severity().with_context(invalid)?;
        config
            .webhooks()
            .with_context(|| format!("config {}: [[webhook]] is invalid", path.display()))?;
        Ok(config)
    }

    /// The configured webhooks; one URL may be listed once.
    pub fn webhooks(&self) -> Result<Vec<Hook>> {
        let mut hooks: Vec<Hook> = Vec::new();
        for (i, w) in self.webhook.iter().enumerate() {
            let hook = w.hook(i + 1)?;
            if let Some(same) = hooks.iter().find(|h| h.url == hook.url) {
                bail!(
                    "webhooks {:?} and {:?} have the same URL; list it once",
                    same.name,
                    hook.name
                );
            }
            hooks.push(hook);
        }
        Ok(hooks)
    }

    /// The database: `db`, else the SQLite file in the user's data dir.
    pub fn db_location(&self) -> Result<Location> {
        match &self.db {
            Some(db) => Ok(Location::parse(db)),
            None => dirs::data_dir()
                .map(|d| Location::Sqlite(d.join("huntbrief/huntbrief.db")))
                .context("no user data directory; set `db` in the config or pass --db"),
        }
    }

    pub fn out_dir(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("briefings"))
    }

    pub fn sources(&self) -> Result<Vec<Source>> {
        self.feed
            .iter()
            .map(|f| {
                Ok(Source {
                    name: f.name.clone(),
                    url: f.url.clone(),
                    adapter: f.adapter()?,
                })
            })
            .collect()
    }

    /// The client policy; the outbound allowances hold the configured feeds and
    /// `[http] allow_hosts` (sources added to the database are added by the caller).
    pub fn policy(&self) -> Policy {
        let h = &self.http;
        let d = Policy::default();
        let mut outbound = d.outbound.clone();
        for host in &h.allow_hosts {
            outbound.allow_host(host);
        }
        for f in &self.feed {
            outbound.allow_source(&f.url);
        }
        Policy {
            timeout: h.timeout_secs.map_or(d.timeout, Duration::from_secs),
            concurrency: h.concurrency.unwrap_or(d.concurrency),
            per_host: h.per_host.unwrap_or(d.per_host),
            politeness: h.politeness_ms.map_or(d.politeness, Duration::from_millis),
            retries: h.retries.unwrap_or(d.retries),
            max_retry_wait: h
                .max_retry_wait_secs
                .map_or(d.max_retry_wait, Duration::from_secs),
            user_agent: h.user_agent.clone().unwrap_or(d.user_agent.clone()),
            outbound,
            ..d
        }
    }

    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            max_feed_bytes: self.http.max_feed_mb.map_or(d.max_feed_bytes, |m| m << 20),
            max_page_bytes: self.http.max_page_mb.map_or(d.max_page_bytes, |m| m << 20),
            kev_window_days: self.kev_window_days.unwrap_or(d.kev_window_days),
        }
    }
}

impl FeedConfig {
    fn adapter(&self) -> Result<Adapter> {
        let name = self.adapter.as_deref().unwrap_or("feed");
        Adapter::parse(name).with_context(|| {
            format!(
                "feed {:?}: unknown adapter {name:?} (use feed, ghsa or kev)",
                self.name
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config> {
        let dir =
            std::env::temp_dir().join(format!("hb-config-{}-{}", std::process::id(), s.len()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("c.toml");
        std::fs::write(&path, s)?;
        let c = Config::load(Some(&path));
        std::fs::remove_dir_all(&dir)?;
        c
    }

    #[test]
    fn reads_a_full_config() {
        let c = parse(
            "db = '/tmp/x.db'\nout = 'out'\nbuiltin_sources = false\nkev_window_days = 3\n\
             [http]\ntimeout_secs = 5\nmax_page_mb = 1\n\
             [[feed]]\nname = 'Lab'\nurl = 'https://lab.example/feed'\n\
             [[feed]]\nname = 'KEV'\nurl = 'https://kev.example/k.json'\nadapter = 'kev'\n",
        )
        .unwrap();
        assert_eq!(c.out_dir(), PathBuf::from("out"));
        assert_eq!(c.policy().timeout, Duration::from_secs(5));
        assert_eq!(c.limits().max_page_bytes, 1 << 20);
        assert_eq!(c.limits().kev_window_days, 3);
        let s = c.sources().unwrap();
        assert_eq!((s[0].adapter, s[1].adapter), (Adapter::Feed, Adapter::Kev));
        assert!(
            c.export.formats().unwrap().is_empty(),
            "no exports unless asked"
        );
    }

    #[test]
    fn reads_exports() {
        let c = parse(
            "[export]\ndir = 'x'\nformats = ['stix', 'MISP', 'stix']\nmin_severity = 'high'\n",
        )
        .unwrap();
        assert_eq!(c.export.dir(), PathBuf::from("x"));
        assert_eq!(
            c.export.formats().unwrap(),
            vec![Format::Stix, Format::Misp]
        );
        assert_eq!(c.export.min_severity().unwrap(), Severity::High);
        let all = parse("[export]\nformats = ['all']\n").unwrap();
        assert_eq!(all.export.formats().unwrap(), Format::ALL.to_vec());
        let e = parse("[export]\nformats = ['pdf']\n").unwrap_err();
        assert!(
            format!("{e:#}").contains("unknown export format \"pdf\""),
            "{e:#}"
        );
        assert!(parse("[export]\nmin_severity = 'urgent'\n").is_err());
        assert!(parse("[export]\nformat = ['stix']\n").is_err(), "typo");
    }

    #[test]
    fn reads_webhooks_with_defaults() {
        let c = parse(
            "[[webhook]]\nurl = 'https://hooks.example/T0/B0/secret'\n\
             [[webhook]]\nname = 'SOC'\nurl = 'http://127.0.0.1:9/hook'\nformat = 'slack'\n\
             min_severity = 'med'\ntimeout_secs = 2\nretry_secs = 5\n\
             [[webhook]]\nname = 'Teams'\nurl = 'https://teams.example/w'\nformat = 'teams'\n",
        )
        .unwrap();
        let hooks = c.webhooks().unwrap();
        let h = &hooks[0];
        assert_eq!(
            (
                h.name.as_str(),
                h.format,
                h.min_severity,
                h.timeout,
                h.retry
            ),
            (
                "hooks.example",
                WebhookFormat::Json,
                Severity::High,
                Duration::from_secs(10),
                Duration::from_secs(30)
            )
        );
        let h = &hooks[1];
        assert_eq!(
            (
                h.name.as_str(),
                h.format,
                h.min_severity,
                h.timeout,
                h.retry
            ),
            (
                "SOC",
                WebhookFormat::Slack,
                Severity::Med,
                Duration::from_secs(2),
                Duration::from_secs(5)
            )
        );
        assert_eq!(hooks[2].format, WebhookFormat::Teams);
        assert!(parse("").unwrap().webhooks().unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_webhooks_without_echoing_their_url() {
        for (bad, says) in [
            (
                "url = 'ftp://files.example/secret-token'",
                "needs an http(s) URL",
            ),
            ("url = 'http://'", "needs an http(s) URL"),
            ("url = 'not a url secret-token'", "needs an http(s) URL"),
            (
                "url = 'https://h.example/secret-token'\nformat = 'xml'",
                "unknown variant",
            ),
            (
                "url = 'https://h.example/secret-token'\nmin_severity = 'urgent'",
                "unknown severity",
            ),
            (
                "url = 'https://h.example/secret-token'\ntimeout_secs = 0",
                "at least 1",
            ),
            (
                "url = 'https://h.example/secret-token'\nretries = 3",
                "unknown field",
            ),
            ("name = 'x'", "missing field `url`"),
        ] {
            let e = format!("{:#}", parse(&format!("[[webhook]]\n{bad}\n")).unwrap_err());
            assert!(e.contains(says), "{bad}: {e}");
            assert!(
                !e.contains("secret-token") || says == "unknown variant" || says == "unknown field",
                "{bad}: {e}"
            );
        }
        let twice = "[[webhook]]\nname = 'a'\nurl = 'https://h.example/x'\n\
                     [[webhook]]\nname = 'b'\nurl = 'https://h.example/x'\n";
        let e = format!("{:#}", parse(twice).unwrap_err());
        assert!(
            e.contains("webhooks \"a\" and \"b\" have the same URL"),
            "{e}"
        );
    }

    #[test]
    fn rejects_typos_bad_urls_and_adapters() {
        assert!(parse("outt = 'x'").is_err());
        assert!(parse("[http]\ntimeout = 5").is_err());
        assert!(parse("[[feed]]\nname = 'x'\nurl = 'ftp://x'").is_err());
        assert!(parse("[[feed]]\nname = 'x'\nurl = 'https://x'\nadapter = 'gopher'").is_err());
    }
}
