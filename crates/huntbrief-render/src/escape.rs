//! Escaping: article text must never change a briefing's structure (Markdown) or a
//! feed's or page's markup (XML, HTML). Every string from an article goes through one of
//! these helpers on its way out.

/// Escapes text for use inside one Markdown line (a heading, a paragraph, a list item).
/// Whitespace runs, newlines included, become one space, so the text cannot start a new
/// block. What could open inline structure is backslash-escaped: code spans, HTML and
/// autolinks, emphasis, entities, `](` and `][` (the only ways a bracket becomes a link
/// here, since article text can never add a link definition), and any character that
/// would start a block at the line's start (`-`, `+`, `=`, `>`, `[ ]`, `1.`). Defanged
/// indicators such as `evil[.]com` stay as they are.
pub fn inline(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let flat = words.join(" ");
    let chars: Vec<char> = flat.chars().collect();
    let mut out = String::with_capacity(flat.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let escape = match c {
            '`' | '*' | '<' | '|' | '~' => true,
            // A backslash only escapes punctuation; before anything else it is literal.
            '\\' => next.is_none_or(|n| n.is_ascii_punctuation()),
            '[' => i == 0 || next == Some('^'),
            ']' => matches!(next, Some('(' | '[' | ':')),
            '>' => i == 0,
            // Intraword underscores never emphasise; elsewhere they might.
            '_' => {
                !(prev.is_some_and(char::is_alphanumeric)
                    && next.is_some_and(char::is_alphanumeric))
            }
            // A `#` can open a heading at the start or close one after a space.
            '#' => prev.is_none_or(char::is_whitespace),
            // `&name;` would be read as an entity reference.
            '&' => starts_entity(&chars[i + 1..]),
            '-' | '+' | '=' => i == 0,
            '.' | ')' => chars[..i].iter().all(char::is_ascii_digit) && i > 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn starts_entity(rest: &[char]) -> bool {
    let name_len = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .count();
    name_len > 0 && rest.get(name_len) == Some(&';')
}

/// A code span holding `text` literally: the delimiter is one backtick longer than the
/// longest backtick run inside, and padded when the text touches a backtick.
pub fn code_span(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let ticks = "`".repeat(longest_backtick_run(&flat) + 1);
    if flat.starts_with('`') || flat.ends_with('`') {
        format!("{ticks} {flat} {ticks}")
    } else {
        format!("{ticks}{flat}{ticks}")
    }
}

/// A fenced code block holding `body` literally: the fence is longer than any backtick
/// run in the body (three backticks when there is none).
pub fn fence(lang: &str, body: &str) -> String {
    let ticks = "`".repeat((longest_backtick_run(body) + 1).max(3));
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    format!("{ticks}{lang}\n{}\n{ticks}\n", body.trim_end_matches('\n'))
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A URL for a Markdown line: characters that could open or close inline structure are
/// percent-encoded, which leaves the address the same.
pub fn url(u: &str) -> String {
    let mut out = String::with_capacity(u.len());
    for c in u.chars() {
        match c {
            '[' | ']' | '(' | ')' | '<' | '>' | '`' | '|' | '\\' | '*' | '"' | ' ' => {
                out.push_str(&format!("%{:02X}", c as u32));
            }
            c if c.is_whitespace() || c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// XML and HTML character data and quoted attribute values: `& < > " '` escaped, and the
/// control characters XML 1.0 forbids (and U+FFFE/U+FFFF) dropped, so no article text can
/// end an element, open one, or break a parser.
pub fn markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_escapes_structure_and_keeps_plain_prose_readable() {
        assert_eq!(
            inline("plain words, snake_case ok"),
            "plain words, snake_case ok"
        );
        assert_eq!(inline("a\n# b"), "a \\# b");
        assert_eq!(inline("# title #"), "\\# title \\#");
        assert_eq!(
            inline("x](javascript:alert(1))"),
            "x\\](javascript:alert(1))"
        );
        assert_eq!(inline("[a][b] [^1]"), "\\[a\\][b] \\[^1]");
        assert_eq!(inline("hxxps://evil[.]com/a\\b"), "hxxps://evil[.]com/a\\b");
        assert_eq!(inline("C:\\Users\\"), "C:\\Users\\\\");
        assert_eq!(inline("<script>"), "\\<script>");
        assert_eq!(inline("> quote"), "\\> quote");
        assert_eq!(inline("a | b"), "a \\| b");
        assert_eq!(inline("AT&T &amp; co"), "AT&T \\&amp; co");
        assert_eq!(inline("- item"), "\\- item");
        assert_eq!(inline("1. first"), "1\\. first");
        assert_eq!(inline("C# and F#"), "C# and F#");
        assert_eq!(inline("_em_ ``code``"), "\\_em\\_ \\`\\`code\\`\\`");
    }

    #[test]
    fn code_span_survives_backticks() {
        assert_eq!(code_span("evil[.]com"), "`evil[.]com`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
    }

    #[test]
    fn fence_is_longer_than_any_backtick_run_inside() {
        assert_eq!(
            fence("spl", "| stats count"),
            "```spl\n| stats count\n```\n"
        );
        assert_eq!(fence("kql", "x\n```\ny"), "````kql\nx\n```\ny\n````\n");
    }

    #[test]
    fn url_encodes_markdown_punctuation_only() {
        assert_eq!(url("https://x.com/a_b?q=1"), "https://x.com/a_b?q=1");
        assert_eq!(
            url("https://x.com/a)](javascript:x)"),
            "https://x.com/a%29%5D%28javascript:x%29"
        );
    }
}
