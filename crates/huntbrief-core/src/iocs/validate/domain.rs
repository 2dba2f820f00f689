//! Domain names: LDH labels, IDNA, and a known suffix of the public suffix list.

use std::borrow::Cow;

/// Longest host name we look at (RFC 1035).
const MAX_LEN: usize = 253;

/// Whether `label` (ASCII, any case) is a top-level domain of the public suffix list.
pub(crate) fn is_tld(label: &[u8]) -> bool {
    if label.is_empty() || label.len() > 63 || label.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut buf = [0u8; 66];
    buf[0] = b'x';
    buf[1] = b'.';
    for (d, s) in buf[2..].iter_mut().zip(label) {
        if !(s.is_ascii_alphanumeric() || *s == b'-') {
            return false;
        }
        *d = s.to_ascii_lowercase();
    }
    let name = &buf[..2 + label.len()];
    // A wildcard rule ("*.ck") makes "x.ck" the suffix; the label is a TLD either way.
    psl::suffix(name).is_some_and(|s| s.is_known() && s.as_bytes().ends_with(&name[2..]))
}

/// Whether the dotted `name` (ASCII, any case) ends in a known public suffix: its last
/// label is a TLD, or its last labels are a suffix whose TLD the list leaves out
/// (`co.za`, `com.bd`: the list names only the second-level suffixes there).
pub(crate) fn ends_in_suffix(name: &[u8]) -> bool {
    let tld = name.rsplit(|&c| c == b'.').next().unwrap_or(b"");
    if is_tld(tld) {
        return true;
    }
    let mut dots = name.iter().enumerate().rev().filter(|(_, c)| **c == b'.');
    let Some((_, _)) = dots.next() else {
        return false;
    };
    // The last two labels, lower-cased, after a dummy label.
    let start = dots.next().map_or(0, |(i, _)| i + 1);
    let two = &name[start..];
    let mut buf = [0u8; 130];
    if two.len() + 2 > buf.len() {
        return false;
    }
    buf[..2].copy_from_slice(b"x.");
    for (d, s) in buf[2..].iter_mut().zip(two) {
        if !(s.is_ascii_alphanumeric() || *s == b'-' || *s == b'.') {
            return false;
        }
        *d = s.to_ascii_lowercase();
    }
    let full = &buf[..2 + two.len()];
    psl::suffix(full).is_some_and(|s| s.is_known() && s.as_bytes() == &full[2..])
}

/// A validated domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Domain {
    /// Lower-case, in the script it was written in (Unicode labels stay Unicode).
    pub value: String,
    /// The ASCII (punycode) form, for suffix and allow-list look-ups.
    pub ascii: String,
}

impl Domain {
    /// The registrable domain (public suffix plus one label) of the ASCII form.
    pub fn registrable(&self) -> Option<&str> {
        registrable(&self.ascii)
    }

    /// Number of labels.
    pub fn labels(&self) -> usize {
        self.value.split('.').count()
    }
}

/// The registrable domain of a lower-case ASCII host name.
pub(crate) fn registrable(ascii: &str) -> Option<&str> {
    let d = psl::domain(ascii.as_bytes())?;
    std::str::from_utf8(d.as_bytes()).ok()
}

/// Parses `host` as a domain name: at least two labels, each 1–63 letters, digits or
/// hyphens (not at either end), a known public suffix with a label before it, and a
/// top-level label that is not all digits. Unicode names must pass IDNA.
pub(crate) fn parse(host: &str) -> Option<Domain> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.len() > MAX_LEN * 4 {
        return None;
    }
    // Most dotted tokens are not names ("1.2.3", "e.g", "T1059.001", "cmd.exe"): an
    // ASCII name must end in a top-level domain, checked before anything allocates.
    if host.is_ascii() {
        let tld = host.rsplit('.').next().unwrap_or("");
        if !host.contains('.')
            || !(tld.len() >= 4 && tld[..4].eq_ignore_ascii_case("xn--")
                || ends_in_suffix(host.as_bytes()))
        {
            return None;
        }
    }
    let needs_idna = !host.is_ascii()
        || host
            .split('.')
            .any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case("xn--"));
    let ascii: Cow<str> = if needs_idna {
        Cow::Owned(idna::domain_to_ascii_strict(host).ok()?)
    } else if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    };
    if ascii.len() > MAX_LEN || !ascii_labels_ok(&ascii) {
        return None;
    }
    let suffix = psl::suffix(ascii.as_bytes())?;
    if !suffix.is_known() || psl::domain(ascii.as_bytes()).is_none() {
        return None;
    }
    let value = if needs_idna {
        let (unicode, res) = idna::domain_to_unicode(&ascii);
        res.ok()?;
        unicode
    } else {
        ascii.clone().into_owned()
    };
    Some(Domain {
        value,
        ascii: ascii.into_owned(),
    })
}

fn ascii_labels_ok(ascii: &str) -> bool {
    let mut n = 0;
    for label in ascii.split('.') {
        n += 1;
        let b = label.as_bytes();
        if b.is_empty()
            || b.len() > 63
            || b[0] == b'-'
            || b[b.len() - 1] == b'-'
            || !b
                .iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        {
            return false;
        }
    }
    n >= 2
        && !ascii
            .rsplit('.')
            .next()
            .is_some_and(|t| t.bytes().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_suffixes_only() {
        for ok in [
            "example.com",
            "EVIL.COM",
            "ikstrade.co.kr",
            "rev.opentransfer.com.59.247.18.71.in-addr.arpa",
            "static-94-108-135-78.sadecehosting.net",
            "13343225565.com",
            "xn--80ak6aa92e.com",
            "домен.рф",
        ] {
            assert!(parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "example.nope",
            "example.pumpkin",
            "domain.like.iandom",
            "tooshor.t",
            "x.x.x.x",
            "co.uk",
            "com",
            "o_o.lgms.nl",
            "-evil.com",
            "evil-.com",
            "1.2.3.4",
            "cmd.exe",
            "node.js",
            "evil..com",
            "",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn values_are_lower_case_and_unicode_stays_unicode() {
        assert_eq!(parse("Evil.COM.").unwrap().value, "evil.com");
        let d = parse("ДОМЕН.рф").unwrap();
        assert_eq!(d.value, "домен.рф");
        assert!(d.ascii.starts_with("xn--"));
        assert_eq!(
            parse("a.b.evil.co.uk").unwrap().registrable(),
            Some("evil.co.uk")
        );
    }

    #[test]
    fn tld_lookup() {
        assert!(is_tld(b"com"));
        assert!(is_tld(b"CO"));
        assert!(is_tld(b"md"));
        assert!(!is_tld(b"exe"));
        assert!(!is_tld(b"js"));
        assert!(!is_tld(b"123"));
        assert!(!is_tld(b""));
        assert!(is_tld(b"ck"), "a wildcard-only TLD");
        assert!(parse("www.gov.ck").is_some() || parse("evil.co.ck").is_some());
    }
}
