//! Bytes to text: the charset from the Content-Type header, a byte-order mark, or the
//! document's own declaration (`<meta charset>`, `<?xml encoding?>`); UTF-8 otherwise.
//! Undecodable bytes become U+FFFD rather than an error.

use encoding_rs::{Encoding, UTF_8};

pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let declared = content_type
        .and_then(charset_param)
        .or_else(|| sniff_declaration(body))
        .and_then(|label| Encoding::for_label(label.as_bytes()));
    let (text, _, _) = declared.unwrap_or(UTF_8).decode(body);
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_owned())
    })
}

/// `charset=` or `encoding=` in the first KiB of the document.
fn sniff_declaration(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    ["charset=", "encoding="].iter().find_map(|key| {
        let start = head.find(key)? + key.len();
        let value: String = head[start..]
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
            .collect();
        (!value.is_empty()).then_some(value)
    })
}

/// Rewrites an XML declaration to say UTF-8, for text this module already decoded.
pub fn as_utf8_xml(text: &str) -> String {
    let trimmed = text.trim_start_matches('\u{feff}');
    if let Some(rest) = trimmed.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        return format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{}",
            &rest[end + 2..]
        );
    }
    trimmed.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_charset_wins() {
        assert_eq!(
            decode(b"caf\xe9", Some("text/html; charset=ISO-8859-1")),
            "café"
        );
    }

    #[test]
    fn declarations_are_sniffed() {
        assert_eq!(
            decode(b"<meta charset=\"windows-1252\"><p>\x93hi\x94", None),
            "<meta charset=\"windows-1252\"><p>\u{201c}hi\u{201d}"
        );
        let xml = b"<?xml version='1.0' encoding='ISO-8859-1'?><rss>caf\xe9</rss>";
        assert!(decode(xml, Some("application/rss+xml")).ends_with("<rss>café</rss>"));
    }

    #[test]
    fn utf8_is_the_default_and_bad_bytes_are_replaced() {
        assert_eq!(decode("naïve".as_bytes(), None), "naïve");
        assert_eq!(decode(b"a\xffb", None), "a\u{fffd}b");
    }

    #[test]
    fn xml_declaration_is_rewritten() {
        assert_eq!(
            as_utf8_xml("<?xml version='1.0' encoding='latin1'?><rss/>"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>"
        );
        assert_eq!(as_utf8_xml("<rss/>"), "<rss/>");
    }
}
