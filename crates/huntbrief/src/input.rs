//! Reading one article from a file or stdin: bounded in size, refusing binary data, and
//! tolerant of invalid UTF-8 (replaced, with a warning) so a mis-encoded page still
//! gets a briefing.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Largest article accepted. Real article pages are well under 2 MiB; the limit keeps a
/// hostile or mistaken input from costing minutes of parsing.
pub const MAX_INPUT_BYTES: u64 = 8 * 1024 * 1024;

/// Reads FILE, or stdin when `path` is `None` or `-`.
pub fn read_input(path: Option<&Path>) -> Result<String> {
    let bytes = match path.filter(|p| p.as_os_str() != "-") {
        Some(p) => {
            let file = File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len > MAX_INPUT_BYTES {
                bail!(too_large(len));
            }
            read_capped(file).with_context(|| format!("cannot read {}", p.display()))?
        }
        None => read_capped(io::stdin().lock()).context("cannot read stdin")?,
    };
    decode(&bytes)
}

fn read_capped(reader: impl Read) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn too_large(len: u64) -> String {
    format!(
        "input is {:.1} MiB, over the {} MiB article limit; pass the article page or its text, not an archive or dump",
        len as f64 / 1048576.0,
        MAX_INPUT_BYTES / 1048576
    )
}

/// Text from raw bytes: refuses empty and binary input, replaces invalid UTF-8.
pub fn decode(bytes: &[u8]) -> Result<String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        bail!("input is empty: give the article as FILE or on stdin");
    }
    if looks_binary(bytes) {
        bail!("input looks like binary data, not an article: give plain text or an HTML page");
    }
    match String::from_utf8(bytes.to_vec()) {
        Ok(s) => Ok(s),
        Err(e) => {
            tracing::warn!(
                "input is not valid UTF-8 (first bad byte at {}); invalid bytes were replaced",
                e.utf8_error().valid_up_to()
            );
            Ok(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}

/// NUL bytes, or many control bytes, in the first 64 KiB mean this is not text.
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    head.contains(&0) || controls * 20 > head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_empty_and_binary_input() {
        assert!(decode(b"").unwrap_err().to_string().contains("empty"));
        assert!(decode(b" \n\t").unwrap_err().to_string().contains("empty"));
        assert!(
            decode(b"\x7fELF\x02\x01\x01\x00\x00")
                .unwrap_err()
                .to_string()
                .contains("binary")
        );
        assert!(
            decode(&[0x1b, 0x02, 0x03, 0x04, b'a'])
                .unwrap_err()
                .to_string()
                .contains("binary")
        );
    }

    #[test]
    fn replaces_invalid_utf8() {
        assert_eq!(decode(b"caf\xe9 attack").unwrap(), "caf\u{fffd} attack");
    }

    #[test]
    fn reading_stops_at_the_limit() {
        let big = io::repeat(b'a').take(MAX_INPUT_BYTES + 10);
        assert!(
            read_capped(big)
                .unwrap_err()
                .to_string()
                .contains("MiB article limit")
        );
        let ok = io::repeat(b'a').take(1000);
        assert_eq!(read_capped(ok).unwrap().len(), 1000);
    }
}
