//! Where fetches may go. A feed is untrusted: its links and redirects must not make us
//! read a cloud metadata service, a router or an intranet page and publish it. Addresses
//! that are not global (loopback, RFC 1918, CGNAT, link-local, ULA, multicast...; the
//! table is `data/iocs/special-ranges.toml`) are refused unless the destination is a
//! source the user configured (same scheme, host and port) or a host they allowed.
//!
//! Names are checked by the DNS resolver the client connects through, so the address
//! checked is the address connected to (no DNS-rebinding window). IP literals never reach
//! the resolver and are checked on the URL, before each request and each redirect hop.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};

use huntbrief_core::iocs::SpecialRanges;
use thiserror::Error;
use url::{Host, Url};

static RANGES: LazyLock<SpecialRanges> = LazyLock::new(|| {
    SpecialRanges::parse(include_str!("../../../data/iocs/special-ranges.toml"))
        .expect("data/iocs/special-ranges.toml is checked by its schema test")
});

/// Why a destination was refused.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Refusal(pub String);

/// The destinations allowed besides the public Internet.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    /// (scheme, host, port) of configured sources.
    origins: HashSet<(String, String, u16)>,
    /// Hosts (names or IP literals) allowed on any scheme and port.
    hosts: HashSet<String>,
}

impl Outbound {
    /// Allows the origin of a configured source's URL; other URLs are ignored.
    pub fn allow_source(&mut self, url: &str) {
        if let Some(origin) = Url::parse(url).ok().as_ref().and_then(origin) {
            self.origins.insert(origin);
        }
    }

    /// Allows a host (name or IP literal, any port), from `[http] allow_hosts`.
    pub fn allow_host(&mut self, host: &str) {
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.hosts.insert(ip.to_string());
        } else if let Ok(parsed) = Host::parse(host) {
            self.hosts.insert(host_key(&parsed));
        }
    }

    fn allows(&self, url: &Url) -> bool {
        origin(url).is_some_and(|o| self.origins.contains(&o))
            || url
                .host()
                .is_some_and(|h| self.hosts.contains(&host_key(&h)))
    }

    /// Names whose addresses the resolver does not filter: hosts of configured sources
    /// and allowed hosts. Other ports of such a name are checked in [`Guard::check`].
    fn trusted_names(&self) -> HashSet<String> {
        self.origins
            .iter()
            .map(|(_, host, _)| host.clone())
            .chain(self.hosts.iter().cloned())
            .collect()
    }
}

fn origin(url: &Url) -> Option<(String, String, u16)> {
    Some((
        url.scheme().to_owned(),
        host_key(&url.host()?),
        url.port_or_known_default()?,
    ))
}

fn host_key<S: AsRef<str>>(host: &Host<S>) -> String {
    match host {
        Host::Domain(d) => d.as_ref().trim_end_matches('.').to_ascii_lowercase(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
    }
}

/// Whether `ip` may be fetched without an allowance; the reason when not.
pub fn check_ip(ip: IpAddr) -> Result<(), Refusal> {
    match RANGES.block_name(ip) {
        (true, _) => Ok(()),
        (false, block) => Err(Refusal(format!("{ip} is not a public address ({block})"))),
    }
}

/// The policy, shared by the URL checks and the client's resolver.
#[derive(Debug)]
pub struct Guard {
    outbound: Outbound,
    trusted_names: HashSet<String>,
}

impl Guard {
    pub fn new(outbound: Outbound) -> Arc<Self> {
        Arc::new(Self {
            trusted_names: outbound.trusted_names(),
            outbound,
        })
    }

    /// Checks a URL before it is requested (the first one and every redirect target).
    pub async fn check(&self, url: &Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refusal(format!("{}: URLs are not fetched", url.scheme())));
        }
        let Some(host) = url.host() else {
            return Err(Refusal("the URL has no host".into()));
        };
        if self.outbound.allows(url) {
            return Ok(());
        }
        match host {
            Host::Ipv4(ip) => check_ip(ip.into()),
            Host::Ipv6(ip) => check_ip(ip.into()),
            Host::Domain(name) => {
                // A configured source's host on another port: the resolver lets its
                // addresses through, so they are checked here.
                if !self.trusted_names.contains(&host_key(&Host::Domain(name))) {
                    return Ok(());
                }
                let port = url.port_or_known_default().unwrap_or(80);
                let addrs = tokio::net::lookup_host((name, port))
                    .await
                    .map_err(|e| Refusal(format!("cannot resolve {name}: {e}")))?;
                for addr in addrs {
                    check_ip(addr.ip()).map_err(|r| Refusal(format!("{name}: {r}")))?;
                }
                Ok(())
            }
        }
    }
}

/// The client's resolver: the system's, keeping only public addresses for any name that
/// is not trusted.
pub(crate) struct Resolver(pub(crate) Arc<Guard>);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if guard
                .trusted_names
                .contains(&name.trim_end_matches('.').to_ascii_lowercase())
            {
                return Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs);
            }
            let mut refused = None;
            let public: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match check_ip(a.ip()) {
                    Ok(()) => true,
                    Err(r) => {
                        refused.get_or_insert(r);
                        false
                    }
                })
                .collect();
            match refused {
                Some(r) if public.is_empty() => Err(Box::new(Refusal(format!("{name}: {r}")))
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn non_global_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(check_ip(ip).is_err(), "{ip} should be refused");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert_eq!(check_ip(ip.parse().unwrap()), Ok(()), "{ip}");
        }
    }

    #[tokio::test]
    async fn configured_origins_and_hosts_are_allowed_and_nothing_else() {
        let mut out = Outbound::default();
        out.allow_source("http://127.0.0.1:8001/feed.xml");
        out.allow_host("10.0.0.5");
        out.allow_host("[fd00::7]");
        let guard = Guard::new(out);
        let ok = |s: &str| {
            let guard = guard.clone();
            let u = url(s);
            async move { guard.check(&u).await }
        };
        assert_eq!(ok("http://127.0.0.1:8001/other/page").await, Ok(()));
        assert_eq!(ok("http://10.0.0.5:9999/wiki").await, Ok(()));
        assert_eq!(ok("https://[fd00::7]/x").await, Ok(()));
        assert_eq!(ok("https://93.184.216.34/x").await, Ok(()));
        for refused in [
            "http://127.0.0.1:8002/admin",
            "https://127.0.0.1:8001/feed.xml",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:8001/",
            "http://10.0.0.6/",
            "file:///etc/passwd",
            "ftp://93.184.216.34/x",
        ] {
            let err = ok(refused).await.unwrap_err();
            assert!(!err.0.is_empty(), "{refused}");
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_private_addresses_of_untrusted_names() {
        use reqwest::dns::Resolve;
        let guard = Guard::new(Outbound::default());
        let err = Resolver(guard)
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost resolves only to loopback");
        let refusal = err.downcast_ref::<Refusal>().expect("a refusal");
        assert!(refusal.0.contains("not a public address"), "{refusal}");

        let mut out = Outbound::default();
        out.allow_source("http://localhost:8001/feed");
        let Ok(addrs) = Resolver(Guard::new(out))
            .resolve("localhost".parse().unwrap())
            .await
        else {
            panic!("a configured name resolves")
        };
        let addrs: Vec<_> = addrs.collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }

    #[tokio::test]
    async fn other_ports_of_a_configured_name_must_be_public() {
        let mut out = Outbound::default();
        out.allow_source("http://localhost:8001/feed");
        let guard = Guard::new(out);
        assert_eq!(guard.check(&url("http://localhost:8001/a")).await, Ok(()));
        assert!(guard.check(&url("http://localhost:8002/a")).await.is_err());
    }
}
