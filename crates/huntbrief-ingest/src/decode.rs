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

/// Bytes of an XML document to text. As [`decode`], except that when the header's charset
/// contradicts the document's `<?xml encoding?>` and cannot read the document (invalid
/// bytes, or text that does not start with markup), the declaration wins: a server's
/// generic `charset=utf-8` must not lose a Latin-1 feed, nor `utf-16` an ASCII one.
pub fn decode_xml(body: &[u8], content_type: Option<&str>) -> String {
    let header = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()));
    let declared = xml_declaration_encoding(body);
    if let (Some(header), Some(declared)) = (header, declared)
        && header != declared
        && Encoding::for_bom(body).is_none()
    {
        let readable = header
            .decode_without_bom_handling_and_without_replacement(body)
            .is_some_and(|text| text.trim_start().starts_with('<'));
        if !readable {
            return declared.decode(body).0.into_owned();
        }
    }
    decode(body, content_type)
}

/// The encoding named by an `<?xml ... encoding="..."?>` declaration at the start.
fn xml_declaration_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(256)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    let at = decl.find("encoding")? + "encoding".len();
    let value = decl[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let label = value[1..].split(quote).next()?;
    Encoding::for_label(label.as_bytes())
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
    fn the_xml_declaration_wins_when_the_header_cannot_read_the_feed() {
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?><rss>caf\xe9</rss>";
        assert!(
            decode_xml(latin1, Some("application/rss+xml; charset=utf-8")).ends_with("café</rss>")
        );
        let ascii = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>plain</rss>";
        assert_eq!(
            decode_xml(ascii, Some("text/xml; charset=UTF-16")),
            String::from_utf8_lossy(ascii)
        );
        // The header is right and the declaration wrong: the header still wins.
        let utf8 = "<?xml version='1.0' encoding='ISO-8859-1'?><rss>café</rss>";
        assert_eq!(
            decode_xml(utf8.as_bytes(), Some("text/xml; charset=utf-8")),
            utf8
        );
        assert_eq!(decode_xml(b"", Some("text/xml; charset=utf-16")), "");
        assert_eq!(decode_xml(b"<?xml encoding=", None), "<?xml encoding=");
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
