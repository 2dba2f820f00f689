//! A linear pre-scan of an HTML document's tags, before any DOM is built: a page nested
//! too deep or with too many elements is refused at once. The HTML parser and the
//! readability pass both walk ancestors, so their cost grows with depth × elements; a
//! hostile page of 100,000 nested `<div>`s would otherwise hold a CPU for minutes.
//!
//! The scan is deliberately simple (no tree building): it counts start tags, and nests
//! on every element that is neither void nor one whose end tag the parser implies (`<p>`,
//! `<li>`, `<td>`... are closed by their next sibling, so they never nest by repetition).

use thiserror::Error;

/// Deeper nesting than this is refused; article pages stay well under 100.
pub const MAX_DEPTH: usize = 256;
/// More elements than this are refused; article pages have a few thousand.
pub const MAX_ELEMENTS: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShapeError {
    #[error("the HTML is nested deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("the HTML has more than {MAX_ELEMENTS} elements")]
    TooManyElements,
}

/// Elements without content: never nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "frame",
];
/// Elements the parser closes when a sibling starts: they do not nest by repetition.
const IMPLIED_END: &[&str] = &[
    "p", "li", "dt", "dd", "td", "th", "tr", "option", "optgroup", "rb", "rt", "rp", "rtc",
    "thead", "tbody", "tfoot", "colgroup", "caption",
];
/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

/// Checks `html` against the limits in one pass; linear in its length.
pub fn check(html: &str) -> Result<(), ShapeError> {
    let bytes = html.as_bytes();
    let (mut i, mut depth, mut elements) = (0usize, 0usize, 0usize);
    while let Some(offset) = memchr(b'<', &bytes[i..]) {
        i += offset + 1;
        let Some(&next) = bytes.get(i) else { break };
        if next == b'!' {
            // Comment, doctype or CDATA: skip to its end.
            let end = if bytes[i..].starts_with(b"!--") {
                find(&bytes[i..], b"-->").map(|e| e + 3)
            } else {
                memchr(b'>', &bytes[i..]).map(|e| e + 1)
            };
            i += end.unwrap_or(bytes.len() - i);
            continue;
        }
        let closing = next == b'/';
        let name_start = i + usize::from(closing);
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            continue; // "<" as text
        }
        let name = &html[name_start..name_start + name_len];
        let tag_end = memchr(b'>', &bytes[name_start..]).map_or(bytes.len(), |e| name_start + e);
        let self_closing = tag_end > 0 && bytes.get(tag_end - 1) == Some(&b'/');
        i = (tag_end + 1).min(bytes.len());
        let is = |list: &[&str]| list.iter().any(|t| t.eq_ignore_ascii_case(name));
        if closing {
            if !is(VOID) && !is(IMPLIED_END) {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        elements += 1;
        if elements > MAX_ELEMENTS {
            return Err(ShapeError::TooManyElements);
        }
        if is(RAW_TEXT) && !self_closing {
            // Skip the content: markup inside a script is not markup.
            i += find_end_tag(&bytes[i..], name).unwrap_or(bytes.len() - i);
            continue;
        }
        if !self_closing && !is(VOID) && !is(IMPLIED_END) {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(ShapeError::TooDeep);
            }
        }
    }
    Ok(())
}

/// The text of an HTML fragment with every tag dropped, for pages refused by [`check`].
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|b| *b == needle)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Offset just past `</name` (case-insensitive) in `hay`.
fn find_end_tag(hay: &[u8], name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = find(&hay[from..], b"</") {
        let start = from + at + 2;
        let candidate = hay.get(start..start + name.len())?;
        if candidate.eq_ignore_ascii_case(name.as_bytes()) {
            return Some(start + name.len());
        }
        from = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_pass() {
        let page = format!(
            "<!DOCTYPE html><!-- <div><div> --><html><head><title>a < b</title>\
             <script>for (i=0;i<9;i++) document.write('<div>')</script></head><body>\
             <article>{}<ul>{}</ul><table>{}</table><img src=x><br/></article></body></html>",
            "<p>Unclosed paragraph".repeat(2000),
            "<li>item".repeat(1000),
            "<tr><td>cell<td>cell".repeat(1000),
        );
        assert_eq!(check(&page), Ok(()));
        let nested = format!("{}x{}", "<div>".repeat(200), "</div>".repeat(200));
        assert_eq!(
            check(&nested.repeat(50)),
            Ok(()),
            "closed nesting does not add up"
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        assert_eq!(check(&"<div>".repeat(100_000)), Err(ShapeError::TooDeep));
        assert_eq!(
            check(&"<table><tr><td>".repeat(5_000)),
            Err(ShapeError::TooDeep)
        );
        assert_eq!(check(&"<b><i>".repeat(1_000)), Err(ShapeError::TooDeep));
        assert_eq!(
            check(&"<DIV class='a>b'>".repeat(MAX_DEPTH + 1)),
            Err(ShapeError::TooDeep)
        );
    }

    #[test]
    fn too_many_elements_are_refused() {
        assert_eq!(
            check(&"<span>x</span>".repeat(MAX_ELEMENTS + 1)),
            Err(ShapeError::TooManyElements)
        );
    }

    #[test]
    fn stray_angles_and_truncated_tags_do_not_panic() {
        for s in [
            "<",
            "<!",
            "<!--",
            "</",
            "<a",
            "<script>",
            "<script></scr",
            "a < b > c",
            "<\u{e9}>",
        ] {
            assert_eq!(check(s), Ok(()), "{s:?}");
        }
        assert_eq!(strip_tags("<p>a</p>b<br>c<"), " a b c ");
    }
}
