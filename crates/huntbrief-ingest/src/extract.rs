//! Readable text from an article page: page chrome removed, then the main content found
//! by a readability pass (dom_smoothie), as paragraphs separated by blank lines.

use std::sync::LazyLock;

use dom_query::Document;
use dom_smoothie::{Config, Readability, TextMode};
use serde::Deserialize;
use thiserror::Error;

use crate::shape::{self, MAX_ELEMENTS, ShapeError};

/// A chrome element is removed only when it holds less than this share of the page's
/// text, so that a class name such as `post-share-wrapper` around the whole article
/// cannot take the article with it.
const MAX_CHROME_SHARE: f64 = 0.4;

#[derive(Debug, Error)]
pub enum ExtractError {
    #[error("the HTML page has no readable article text")]
    NoText,
    /// Refused by the pre-scan, before any parsing.
    #[error("the HTML page is too complex to extract: {0}")]
    TooComplex(#[from] ShapeError),
}

/// The readable part of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The page's title (`<title>` cleaned of the site name, or its first heading).
    pub title: Option<String>,
    /// Paragraphs of article text separated by blank lines.
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChromeFile {
    /// Always removed: elements that never carry article prose.
    remove: Vec<String>,
    /// Removed unless they hold most of the page's text.
    chrome: Vec<String>,
}

static CHROME: LazyLock<ChromeFile> = LazyLock::new(|| {
    toml::from_str(include_str!("../../../data/page-chrome.toml"))
        .expect("data/page-chrome.toml is checked by the schema test")
});

/// Whether `input` is an HTML page rather than plain text: a doctype or `<html>`/`<body>`
/// tag near the start, or several block tags.
pub fn looks_like_html(input: &str) -> bool {
    let head: String = input
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    let head = head.trim_start();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return true;
    }
    if head.contains("<body") || head.contains("<head>") {
        return true;
    }
    ["<p>", "<p ", "<div", "<br", "<article", "<li>"]
        .iter()
        .map(|tag| head.matches(tag).count())
        .sum::<usize>()
        >= 3
}

/// Extracts the article from `html`. `url` (absolute) resolves relative links.
pub fn extract_html(html: &str, url: Option<&str>) -> Result<Extracted, ExtractError> {
    shape::check(html)?;
    let doc = Document::from(html);
    let page_title = clean(&doc.select("title").text());
    let first_heading = clean(&doc.select("h1").text());
    remove_chrome(&doc);

    let config = Config {
        text_mode: TextMode::Formatted,
        max_elements_to_parse: MAX_ELEMENTS,
        ..Config::default()
    };
    let url = url.filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    let parsed = Readability::with_document(doc.clone(), url, Some(config))
        .ok()
        .and_then(|mut r| r.parse().ok());
    let (title, text) = match parsed {
        Some(article) => (clean(&article.title), article.text_content.to_string()),
        // Readability found no main content (a short page): use the chrome-free body.
        None => (None, doc.select("body").formatted_text().to_string()),
    };
    let text = tidy(&text);
    if text.is_empty() {
        return Err(ExtractError::NoText);
    }
    Ok(Extracted {
        title: title.or(first_heading).or(page_title),
        text,
    })
}

/// Text of an HTML fragment (a feed entry's body), paragraphs kept; plain text passes
/// through unchanged. A fragment too complex to parse gives its text with tags dropped.
pub fn fragment_text(body: &str) -> String {
    if !body.contains('<') {
        return tidy(body);
    }
    if let Err(e) = shape::check(body) {
        tracing::info!(error = %e, "feed text not parsed as HTML");
        return tidy(&shape::strip_tags(body));
    }
    let doc = Document::fragment(body);
    for selector in &CHROME.remove {
        doc.select(selector).remove();
    }
    tidy(&doc.formatted_text())
}

fn remove_chrome(doc: &Document) {
    for selector in &CHROME.remove {
        doc.select(selector).remove();
    }
    let total = doc.select("body").text().chars().count().max(1) as f64;
    for selector in &CHROME.chrome {
        for node in doc.select(selector).nodes() {
            if (node.text().chars().count() as f64) < MAX_CHROME_SHARE * total {
                node.remove_from_parent();
            }
        }
    }
}

fn clean(s: &str) -> Option<String> {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// Trims each line and keeps at most one blank line between paragraphs.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push_str("\n\n");
        } else if !out.is_empty() {
            out.push('\n');
        }
        blank = false;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrome_file_parses_and_every_selector_is_valid() {
        assert!(!CHROME.remove.is_empty() && !CHROME.chrome.is_empty());
        for selector in CHROME.remove.iter().chain(&CHROME.chrome) {
            assert!(
                dom_query::Matcher::new(selector).is_ok(),
                "selector does not parse: {selector}"
            );
        }
    }

    #[test]
    fn detects_html_and_plain_text() {
        assert!(looks_like_html(
            "<!DOCTYPE html><html><body>x</body></html>"
        ));
        assert!(looks_like_html("  <html lang=en>"));
        assert!(looks_like_html("<div>a</div><p>b</p><p>c</p>"));
        assert!(!looks_like_html(
            "The actor used <b>bold</b> claims about 1 < 2."
        ));
        assert!(!looks_like_html(""));
    }

    #[test]
    fn tidy_keeps_paragraphs() {
        assert_eq!(tidy("  a \n\n\n b\nc  \n\n"), "a\n\nb\nc");
    }

    #[test]
    fn small_pages_fall_back_to_the_body_text() {
        let out = extract_html(
            "<html><body><nav>Home</nav><p>Short note.</p></body></html>",
            None,
        )
        .unwrap();
        assert_eq!(out.text, "Short note.");
    }

    #[test]
    fn a_misnamed_wrapper_does_not_take_the_article_with_it() {
        let para = "<p>The operators sent invoices as password-protected archives holding a shortcut that starts PowerShell.</p>";
        let html = format!(
            "<html><body><div class=\"social-share-enabled\">{}<div class=\"share-bar\">Share on X</div></div></body></html>",
            para.repeat(6)
        );
        let out = extract_html(&html, None).unwrap();
        assert!(
            out.text.contains("password-protected archives"),
            "{}",
            out.text
        );
        assert!(!out.text.contains("Share on X"), "{}", out.text);
    }

    #[test]
    fn navigation_only_pages_have_no_text() {
        let html = "<!DOCTYPE html><html><body><nav><a href=/>Home</a></nav></body></html>";
        assert!(matches!(
            extract_html(html, None),
            Err(ExtractError::NoText)
        ));
    }

    #[test]
    fn fragments_keep_paragraphs_and_drop_scripts() {
        assert_eq!(
            fragment_text("<p>First &amp; one.</p><script>x()</script><p>Second.</p>"),
            "First & one.\n\nSecond."
        );
        assert_eq!(
            fragment_text("plain  text\n\n\nmore"),
            "plain  text\n\nmore"
        );
    }

    #[test]
    fn empty_pages_are_an_error() {
        assert!(matches!(
            extract_html("<html><body></body></html>", None),
            Err(ExtractError::NoText)
        ));
    }
}
