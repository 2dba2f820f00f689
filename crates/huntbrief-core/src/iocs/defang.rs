//! Defanging: the safe-to-paste form of a value, which `refang` turns back into it.

use crate::model::IocType;

/// `1.2.3[.]4`, `evil[.]com`, `hxxps://evil[.]com/a`, `bob[@]evil[.]com`,
/// `2001[:]db8[:][:]1`; types that are not links are returned as they are.
pub fn defang(kind: IocType, value: &str) -> String {
    match kind {
        IocType::Ipv4 | IocType::Domain | IocType::Socket => last_dot(value),
        IocType::Ipv6 => value.replace(':', "[:]"),
        IocType::Email => match value.rsplit_once('@') {
            Some((local, dom)) => format!("{local}[@]{}", last_dot(dom)),
            None => value.to_owned(),
        },
        IocType::Url => url(value),
        _ => value.to_owned(),
    }
}

fn last_dot(s: &str) -> String {
    match s.rfind('.') {
        Some(i) => format!("{}[.]{}", &s[..i], &s[i + 1..]),
        None => s.to_owned(),
    }
}

fn url(value: &str) -> String {
    let (scheme, rest) = match value.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, value),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (auth, tail) = rest.split_at(auth_end);
    let (user, hostport) = match auth.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, auth),
    };
    let mut out = String::with_capacity(value.len() + 8);
    if let Some(s) = scheme {
        out.push_str(match s {
            "http" => "hxxp",
            "https" => "hxxps",
            "ftp" => "fxp",
            "ftps" => "fxps",
            "sftp" => "sfxp",
            other => other,
        });
        out.push_str("://");
    }
    if let Some(u) = user {
        out.push_str(u);
        out.push('@');
    }
    if hostport.starts_with('[') {
        out.push_str(hostport);
    } else {
        let (host, port) = match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        out.push_str(&last_dot(host));
        if let Some(p) = port {
            out.push(':');
            out.push_str(p);
        }
    }
    out.push_str(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iocs::refang::refang;

    #[test]
    fn defanged_forms_refang_to_the_value() {
        for (kind, value, want) in [
            (IocType::Ipv4, "1.2.3.4", "1.2.3[.]4"),
            (IocType::Domain, "sub.evil.co.uk", "sub.evil.co[.]uk"),
            (
                IocType::Url,
                "https://evil.com/a.php?x=1",
                "hxxps://evil[.]com/a.php?x=1",
            ),
            (
                IocType::Url,
                "ftp://user@1.2.3.4:21/x",
                "fxp://user@1.2.3[.]4:21/x",
            ),
            (IocType::Url, "tcp://evil.com:80", "tcp://evil[.]com:80"),
            (IocType::Url, "evil.com/gate.php", "evil[.]com/gate.php"),
            (
                IocType::Url,
                "http://[2001:db8::1]/x",
                "hxxp://[2001:db8::1]/x",
            ),
            (IocType::Email, "bob@evil.com", "bob[@]evil[.]com"),
            (IocType::Ipv6, "2001:db8::1", "2001[:]db8[:][:]1"),
            (IocType::Sha256, "ab", "ab"),
        ] {
            assert_eq!(defang(kind, value), want);
            assert_eq!(refang(want), value, "{want}");
        }
    }
}
