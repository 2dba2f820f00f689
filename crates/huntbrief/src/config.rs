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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// SQLite database (default: the user's data dir, `huntbrief/huntbrief.db`).
    pub db: Option<PathBuf>,
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
    /// Exports written after every run (none by default).
    #[serde(default)]
    pub export: ExportConfig,
    /// `huntbrief serve`: address and account.
    #[serde(default)]
    pub serve: ServeConfig,
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
        Ok(config)
    }

    pub fn db_path(&self) -> Result<PathBuf> {
        match &self.db {
            Some(p) => Ok(p.clone()),
            None => dirs::data_dir()
                .map(|d| d.join("huntbrief/huntbrief.db"))
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

    pub fn policy(&self) -> Policy {
        let h = &self.http;
        let d = Policy::default();
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
    fn rejects_typos_bad_urls_and_adapters() {
        assert!(parse("outt = 'x'").is_err());
        assert!(parse("[http]\ntimeout = 5").is_err());
        assert!(parse("[[feed]]\nname = 'x'\nurl = 'ftp://x'").is_err());
        assert!(parse("[[feed]]\nname = 'x'\nurl = 'https://x'\nadapter = 'gopher'").is_err());
    }
}
