//! HTML building blocks. Every string from an article goes through [`text`] (element
//! content and quoted attribute values alike); links to articles only for http(s).

/// Escapes `& < > " '` (and drops control characters), so the value can sit in element
/// content or a quoted attribute.
pub use huntbrief_render::escape::markup as text;

/// Whether a URL may become a link: only http(s); `javascript:`, `data:` and the like
/// stay text.
pub fn is_web(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Percent-encodes a query parameter value.
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The ATT&CK page of a group (`G####`) or software (`S####`) ID; none for anything else.
pub use huntbrief_core::names::table::attack_page as attack_url;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_open_markup() {
        assert_eq!(
            text("<img src=x onerror=alert(1)> & \"'"),
            "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;&#39;"
        );
        assert!(is_web("https://x.example/a"));
        assert!(!is_web("javascript:alert(1)"));
        assert!(!is_web(" JAVASCRIPT:alert(1)"));
        assert_eq!(
            query_value("T1059.001 &x=<y>"),
            "T1059.001%20%26x%3D%3Cy%3E"
        );
        assert_eq!(
            attack_url("G0016").as_deref(),
            Some("https://attack.mitre.org/groups/G0016/")
        );
        assert_eq!(
            attack_url("S0002").as_deref(),
            Some("https://attack.mitre.org/software/S0002/")
        );
        for bad in ["T1059", "G001", "G0016\"/><x", "S00x2", "", "g0016"] {
            assert_eq!(attack_url(bad), None, "{bad}");
        }
    }
}
