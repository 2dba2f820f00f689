//! Strict parsers, one per indicator type. The scanner only emits what these accept,
//! and `is_valid` re-parses an emitted value (the property tests hold it to that).

pub(crate) mod domain;
pub(crate) mod url;
pub(crate) mod wallet;

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::IocType;

/// Whether `value` is a well-formed indicator of type `kind`, as the extractor writes it.
pub fn is_valid(kind: IocType, value: &str) -> bool {
    match kind {
        IocType::Ipv4 => ipv4(value).is_some(),
        IocType::Ipv6 => ipv6(value).is_some_and(|ip| ip.to_string() == value),
        IocType::Domain => domain::parse(value).is_some_and(|d| d.value == value),
        IocType::Url => url::parse(value).is_some_and(|u| u.value() == value),
        IocType::Email => email(value).is_some_and(|(l, d)| format!("{l}@{}", d.value) == value),
        IocType::Md5 | IocType::Sha1 | IocType::Sha256 | IocType::Sha512 => {
            hash_kind(value) == Some(kind) && !value.bytes().any(|b| b.is_ascii_uppercase())
        }
        IocType::Imphash | IocType::X509Sha1 | IocType::X509Sha256 => {
            hash_kind(value) == kind.digest_shape()
                && !value.bytes().any(|b| b.is_ascii_uppercase())
        }
        IocType::Socket => socket(value).is_some_and(|(ip, port)| format!("{ip}:{port}") == value),
        IocType::Cve => cve(value, (1999, 2100)).is_some_and(|c| c == value),
        IocType::Asn => asn(value).is_some_and(|n| format!("AS{n}") == value),
        IocType::Btc => wallet::btc(value),
        IocType::Xmr => wallet::xmr(value),
        IocType::Eth => wallet::eth(value),
        IocType::Registry => registry(value),
        IocType::Filepath => filepath(value),
        IocType::Filename => filename(value).is_some(),
        IocType::Package => package(value),
    }
}

/// `ip:port`: a dotted quad and a port 1–65535 written without leading zeros.
pub(crate) fn socket(s: &str) -> Option<(Ipv4Addr, u16)> {
    let (ip, port) = s.rsplit_once(':')?;
    Some((ipv4(ip)?, port_number(port)?))
}

/// A port number 1–65535 in plain decimal.
pub(crate) fn port_number(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A dotted quad, strictly: four decimal octets 0–255 without leading zeros.
pub(crate) fn ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        octets[n] = part.parse().ok()?;
        n += 1;
    }
    (n == 4).then(|| Ipv4Addr::from(octets))
}

/// An IPv6 address with at least two colons (a zone suffix is dropped).
pub(crate) fn ipv6(s: &str) -> Option<Ipv6Addr> {
    let s = s.split_once('%').map_or(s, |(a, _)| a);
    if s.bytes().filter(|&b| b == b':').count() < 2 {
        return None;
    }
    s.parse().ok()
}

/// The hash type of a hex string, by length.
pub(crate) fn hash_kind(s: &str) -> Option<IocType> {
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match s.len() {
        32 => Some(IocType::Md5),
        40 => Some(IocType::Sha1),
        64 => Some(IocType::Sha256),
        128 => Some(IocType::Sha512),
        _ => None,
    }
}

/// Whether a hex string looks like data rather than a digest: all digits or one
/// repeated character. Mixed case is no sign of data: tools and authors write digests
/// capitalised or in mixed case, and other encodings (Base64, identifiers) almost never
/// stay within the hex alphabet for 32 characters or more.
pub(crate) fn implausible_hash(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().all(u8::is_ascii_digit) || b.iter().all(|&c| c == b[0])
}

/// `CVE-YYYY-NNNN…` (any case) with a year in `years`, as upper-case.
pub(crate) fn cve(s: &str, years: (u16, u16)) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 13 || b.len() > 16 || !b[..4].eq_ignore_ascii_case(b"cve-") || b[8] != b'-' {
        return None;
    }
    let (year, seq) = (&s[4..8], &s[9..]);
    if !year.bytes().all(|c| c.is_ascii_digit()) || !seq.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: u16 = year.parse().ok()?;
    (years.0..=years.1)
        .contains(&y)
        .then(|| format!("CVE-{year}-{seq}"))
}

/// `AS13335` / `ASN13335` (capitals): the AS number, 1 to 4294967294.
pub(crate) fn asn(s: &str) -> Option<u32> {
    let digits = s.strip_prefix("ASN").or_else(|| s.strip_prefix("AS"))?;
    if digits.is_empty() || digits.len() > 10 || digits.starts_with('0') {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    (1..u64::from(u32::MAX)).contains(&n).then_some(n as u32)
}

/// Whether an AS number is reserved (documentation, private use, AS_TRANS).
pub(crate) fn asn_reserved(n: u32) -> bool {
    matches!(n, 23456 | 64496..=65551 | 4_200_000_000..=u32::MAX)
}

/// An e-mail address: a plain local part and a domain name.
pub(crate) fn email(s: &str) -> Option<(String, domain::Domain)> {
    let (local, dom) = s.rsplit_once('@')?;
    if !local_part_ok(local) {
        return None;
    }
    Some((local.to_ascii_lowercase(), domain::parse(dom)?))
}

/// A plain local part. `%` is legal but in practice marks URL-encoded text
/// (`autodiscover.json%3f@evil.com` in an exploit request), not a mailbox.
pub(crate) fn local_part_ok(local: &str) -> bool {
    let b = local.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0] != b'.'
        && b[b.len() - 1] != b'.'
        && !local.contains("..")
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'+' | b'-'))
}

const HIVES: &[&str] = &[
    "HKEY_LOCAL_MACHINE",
    "HKEY_CURRENT_USER",
    "HKEY_CLASSES_ROOT",
    "HKEY_USERS",
    "HKEY_CURRENT_CONFIG",
    "HKLM",
    "HKCU",
    "HKCR",
    "HKU",
    "HKCC",
];

/// The length of the hive name `s` starts with (any case), if it does.
pub(crate) fn hive_len(s: &str) -> Option<usize> {
    HIVES
        .iter()
        .find(|h| {
            s.len() > h.len()
                && s.as_bytes()[..h.len()].eq_ignore_ascii_case(h.as_bytes())
                && matches!(s.as_bytes()[h.len()], b'\\' | b'/')
        })
        .map(|h| h.len())
}

/// A registry key: a hive, then at least one `\`-separated name.
pub(crate) fn registry(s: &str) -> bool {
    let Some(h) = hive_len(s) else { return false };
    let rest = &s[h + 1..];
    !rest.is_empty()
        && !rest.ends_with('\\')
        && rest
            .split('\\')
            .all(|c| !c.is_empty() && !c.chars().any(char::is_control))
}

/// A Windows path (`C:\…`, `%APPDATA%\…`, `\\server\share\…`) or an absolute Unix
/// path, with at least two components.
pub(crate) fn filepath(s: &str) -> bool {
    // Control characters, or the wildcards and classes of a pattern ("C:\\XX\\[a-z0-9]{6}").
    if s.chars()
        .any(|c| c.is_control() || matches!(c, '*' | '?' | '{' | '}' | '|' | '<' | '>' | '"'))
        || s.ends_with(['\\', '/'])
        || s.contains("[a-")
        || s.contains("[0-")
        || s.contains("[A-")
    {
        return false;
    }
    let b = s.as_bytes();
    let win_rest = if b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
        Some(&s[3..])
    } else if b.first() == Some(&b'%') {
        s[1..].find("%\\").map(|i| &s[i + 3..])
    } else {
        s.strip_prefix("\\\\")
    };
    if let Some(rest) = win_rest {
        return !rest.is_empty() && rest.split('\\').all(|c| !c.is_empty());
    }
    let unix = s.strip_prefix("~/").or_else(|| s.strip_prefix('/'));
    unix.is_some_and(|rest| {
        rest.split('/').count() >= 2
            && rest.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'@')
                    })
            })
    })
}

/// A file name `stem.ext`: its lower-case extension.
pub(crate) fn filename(s: &str) -> Option<String> {
    let (stem, ext) = s.rsplit_once('.')?;
    let ok = !stem.is_empty()
        && stem.len() <= 200
        && !stem.starts_with('.')
        && (1..=10).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '~' | '$' | '@'));
    ok.then(|| ext.to_ascii_lowercase())
}

/// A package URL `pkg:TYPE/[NAMESPACE/]NAME@VERSION` of a supported ecosystem.
pub(crate) fn package(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("pkg:") else {
        return false;
    };
    let Some((ty, rest)) = rest.split_once('/') else {
        return false;
    };
    if !matches!(
        ty,
        "npm" | "pypi" | "cargo" | "composer" | "nuget" | "maven" | "gem"
    ) {
        return false;
    }
    let Some((name, version)) = rest.rsplit_once('@') else {
        return false;
    };
    let name = name.strip_prefix("%40").unwrap_or(name);
    !name.is_empty()
        && !version.is_empty()
        && name.split('/').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'!'))
        && version.as_bytes()[0].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_is_strict() {
        assert_eq!(ipv4("8.8.8.8"), Some(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!(ipv4("0.0.0.0"), Some(Ipv4Addr::UNSPECIFIED));
        for bad in [
            "300.300.300.300",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.4 ",
            "a.b.c.d",
            "",
        ] {
            assert_eq!(ipv4(bad), None, "{bad}");
        }
    }

    #[test]
    fn ipv6_needs_two_colons() {
        assert!(ipv6("fe80::d544:e71:3c17:7710").is_some());
        assert!(ipv6("fe80::1%eth0").is_some());
        for bad in [
            "12:30:45",
            "00:1a:2b:3c:4d:5e",
            "std::vector",
            "a:b",
            "::::",
        ] {
            assert!(ipv6(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hashes_by_length_and_plausibility() {
        assert_eq!(hash_kind(&"a".repeat(32)), Some(IocType::Md5));
        assert_eq!(hash_kind(&"b".repeat(40)), Some(IocType::Sha1));
        assert_eq!(hash_kind(&"c".repeat(64)), Some(IocType::Sha256));
        assert_eq!(hash_kind(&"d".repeat(128)), Some(IocType::Sha512));
        assert_eq!(hash_kind(&"e".repeat(33)), None);
        assert_eq!(hash_kind(&"g".repeat(32)), None);
        assert!(implausible_hash(&"0".repeat(32)));
        assert!(implausible_hash("12345678901234567890123456789012"));
        // A capitalised or mixed-case digest is a digest (issue 18, class 7).
        assert!(!implausible_hash("D41d8cd98f00b204e9800998ecf8427e"));
        assert!(!implausible_hash("Ae00b0f4c1D9e8a7B6c5d4e3f2a1b0c9"));
        assert!(!implausible_hash("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!implausible_hash("D41D8CD98F00B204E9800998ECF8427E"));
    }

    #[test]
    fn cve_years_and_shape() {
        let y = (1999, 2035);
        assert_eq!(cve("cve-2021-44228", y).as_deref(), Some("CVE-2021-44228"));
        assert_eq!(cve("CVE-2016-00000", y).as_deref(), Some("CVE-2016-00000"));
        for bad in [
            "CVE-20100-0000",
            "CVE-1990-1234",
            "CVE-2077-1234",
            "CVE-2021-123",
            "CVE-2021-1234a",
        ] {
            assert_eq!(cve(bad, y), None, "{bad}");
        }
    }

    #[test]
    fn asn_numbers() {
        assert_eq!(asn("AS13335"), Some(13335));
        assert_eq!(asn("ASN15169"), Some(15169));
        for bad in [
            "AS",
            "AS0",
            "as123",
            "AS12a",
            "AS99999999999",
            "AS4294967295",
        ] {
            assert_eq!(asn(bad), None, "{bad}");
        }
        assert!(asn_reserved(64512) && asn_reserved(23456) && !asn_reserved(13335));
    }

    #[test]
    fn emails_registry_paths_files_packages() {
        assert!(email("User.Name+tag@evil.co.uk").is_some());
        assert!(email(".a@evil.com").is_none() && email("a@evil.nope").is_none());
        assert!(registry(
            "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
        ));
        assert!(registry(
            "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\evil"
        ));
        assert!(!registry("HKLM\\") && !registry("HKXX\\Software"));
        assert!(filepath("C:\\Users\\Public\\evil.exe"));
        assert!(filepath("%APPDATA%\\Roaming\\x.dll"));
        assert!(filepath("/tmp/.x/kworker"));
        assert!(!filepath("/tmp") && !filepath("C:\\") && !filepath("relative/path"));
        assert_eq!(filename("Invoice.PDF.exe").as_deref(), Some("exe"));
        assert_eq!(filename(".bashrc"), None);
        assert!(package("pkg:npm/event-stream@3.3.6"));
        assert!(package("pkg:npm/%40scope/name@1.0.0"));
        assert!(package("pkg:pypi/colourama@0.1.6"));
        assert!(!package("pkg:npm/x@") && !package("pkg:foo/x@1.0") && !package("npm/x@1"));
    }
}
