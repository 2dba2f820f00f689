//! Stable identities: the same article always gets the same briefing id.

use sha2::{Digest, Sha256};
use url::Url;

/// Canonical form of an article URL: scheme and host lower-cased (the `url` crate does
/// both), default port dropped, fragment and `utm_*` tracking parameters removed.
/// Returns `None` when the input is not an absolute http(s) URL.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.to_ascii_lowercase().starts_with("utm_"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else if url.query_pairs().count() != kept.len() {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.into())
}

/// Lowercase hex sha256 of `data`: content fingerprints for change detection.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The briefing id: first 16 lowercase hex digits of sha256 of the canonical URL, or of
/// the article text when there is no usable URL.
pub fn briefing_id(url: Option<&str>, text: &str) -> String {
    let key = url.and_then(canonical_url);
    let mut hex = sha256_hex(key.as_deref().unwrap_or(text).as_bytes());
    hex.truncate(16);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_url_lowercases_scheme_and_host_and_drops_tracking() {
        assert_eq!(
            canonical_url("HTTPS://Snyk.IO/blog/When-Software/?utm_source=rss&utm_medium=x#top")
                .as_deref(),
            Some("https://snyk.io/blog/When-Software/")
        );
        assert_eq!(
            canonical_url("https://example.com/a?id=7&utm_campaign=c&page=2").as_deref(),
            Some("https://example.com/a?id=7&page=2")
        );
        assert_eq!(
            canonical_url("https://example.com:443/a?b=1").as_deref(),
            Some("https://example.com/a?b=1")
        );
    }

    #[test]
    fn canonical_url_rejects_non_web_urls() {
        assert_eq!(canonical_url("javascript:alert(1)"), None);
        assert_eq!(canonical_url("not a url"), None);
        assert_eq!(canonical_url("file:///etc/passwd"), None);
    }

    #[test]
    fn id_is_the_same_for_equivalent_urls_and_differs_otherwise() {
        let a = briefing_id(Some("https://snyk.io/blog/x/?utm_source=feed"), "one text");
        let b = briefing_id(Some("HTTPS://SNYK.IO/blog/x/#comments"), "other text");
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, briefing_id(Some("https://snyk.io/blog/y/"), "one text"));
        // sha256("https://snyk.io/blog/x/") computed independently with sha256sum.
        assert_eq!(a, "3f403c61ee54512a");
    }

    #[test]
    fn id_without_url_hashes_the_text() {
        assert_eq!(briefing_id(None, "abc"), "ba7816bf8f01cfea");
        assert_eq!(briefing_id(Some("not a url"), "abc"), "ba7816bf8f01cfea");
    }
}
