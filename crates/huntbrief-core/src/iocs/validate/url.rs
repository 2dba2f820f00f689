//! URLs: a scheme (or none, for `evil.com/gate.php`), an optional user, a host that is
//! a valid domain or IP address, a port, and the rest as written.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::domain::{self, Domain};

#[derive(Debug, Clone)]
pub(crate) enum Host {
    Domain(Domain),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl Host {
    /// The host as it appears in a URL value.
    fn write(&self, out: &mut String) {
        match self {
            Host::Domain(d) => out.push_str(&d.value),
            Host::V4(ip) => out.push_str(&ip.to_string()),
            Host::V6(ip) => {
                out.push('[');
                out.push_str(&ip.to_string());
                out.push(']');
            }
        }
    }
}

/// A parsed URL; borrowed parts keep the text as the author wrote it.
#[derive(Debug, Clone)]
pub(crate) struct Url<'a> {
    pub scheme: Option<String>,
    pub userinfo: Option<&'a str>,
    pub host: Host,
    pub port: Option<&'a str>,
    /// Path, query and fragment.
    pub rest: &'a str,
}

impl Url<'_> {
    /// The normalised value: lower-case scheme and host, a bare `/` path dropped.
    pub fn value(&self) -> String {
        let mut out = String::with_capacity(self.rest.len() + 32);
        if let Some(s) = &self.scheme {
            out.push_str(s);
            out.push_str("://");
        }
        if let Some(u) = self.userinfo {
            out.push_str(u);
            out.push('@');
        }
        self.host.write(&mut out);
        if let Some(p) = self.port {
            out.push(':');
            out.push_str(p);
        }
        if self.rest != "/" {
            out.push_str(self.rest);
        }
        out
    }
}

/// Length of the scheme of `s` (letters, then letters, digits, `+.-`), if `s` starts
/// with `scheme://`.
pub(crate) fn scheme_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let n = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')))?;
    (n <= 16 && s[n..].starts_with("://")).then_some(n)
}

pub(crate) fn parse(s: &str) -> Option<Url<'_>> {
    if s.len() > 4096 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, rest) = match scheme_len(s) {
        Some(n) => (Some(s[..n].to_ascii_lowercase()), &s[n + 3..]),
        None => (None, s),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (auth, tail) = rest.split_at(auth_end);
    if scheme.is_none() && (tail.len() < 2 || !tail.starts_with('/')) {
        return None;
    }
    let (userinfo, hostport) = match auth.rsplit_once('@') {
        Some((u, h)) => {
            let ok = !u.is_empty()
                && scheme.is_some()
                && u.bytes().all(|c| {
                    c.is_ascii_alphanumeric()
                        || matches!(
                            c,
                            b'-' | b'.'
                                | b'_'
                                | b'~'
                                | b'%'
                                | b'!'
                                | b'$'
                                | b'&'
                                | b'\''
                                | b'*'
                                | b'+'
                                | b','
                                | b';'
                                | b'='
                                | b':'
                        )
                });
            if !ok {
                return None;
            }
            (Some(u), h)
        }
        None => (None, auth),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (addr, after) = v6.split_once(']')?;
        let ip: Ipv6Addr = addr.parse().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (Host::V6(ip), port)
    } else {
        let (h, p) = match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        let host = match super::ipv4(h) {
            Some(ip) => Host::V4(ip),
            None => Host::Domain(
                domain::parse(h).filter(|d| !h.ends_with('.') || d.value.len() + 1 == h.len())?,
            ),
        };
        (host, p)
    };
    if let Some(p) = port {
        let ok = !p.is_empty() && p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit());
        if !ok || p.parse::<u32>().ok()? > 65535 {
            return None;
        }
    }
    Some(Url {
        scheme,
        userinfo,
        host,
        port,
        rest: tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> Option<String> {
        parse(s).map(|u| u.value())
    }

    #[test]
    fn values_keep_the_path_and_lower_the_host() {
        assert_eq!(
            value("HTTP://Evil.COM/A/B?x=Y#f").as_deref(),
            Some("http://evil.com/A/B?x=Y#f")
        );
        assert_eq!(
            value("http://example.com/").as_deref(),
            Some("http://example.com")
        );
        assert_eq!(
            value("https://myuser@some.domain.es:88/thepath?q=1").as_deref(),
            Some("https://myuser@some.domain.es:88/thepath?q=1")
        );
        assert_eq!(
            value("http://[fdc4:2581::1]:80/path").as_deref(),
            Some("http://[fdc4:2581::1]:80/path")
        );
        assert_eq!(
            value("http://192.168.0.1:80/path").as_deref(),
            Some("http://192.168.0.1:80/path")
        );
        assert_eq!(
            value("evil.com/gate.php").as_deref(),
            Some("evil.com/gate.php")
        );
    }

    #[test]
    fn invalid_hosts_and_ports_are_rejected() {
        for bad in [
            "http://example.nope/x",
            "http://192,168,0,1",
            "http://[example.com",
            "http://localhost:8080/",
            "http://evil.com:99999/",
            "http://evil.com:ab/",
            "evil.com",
            "evil.com/",
            "http://evil .com/",
            "@evil.com/x",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
