//! Hostile or broken input gives a clear error or a briefing, never a panic.

use std::process::Output;

use crate::{huntbrief, stderr, stdout};

fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

fn assert_error(out: &Output, says: &str) {
    assert_no_panic(out);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr(out).contains(says),
        "stderr lacks {says:?}: {}",
        stderr(out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn empty_input_is_a_clear_error() {
    assert_error(&huntbrief(&["analyze"], b""), "input is empty");
    assert_error(&huntbrief(&["analyze"], b"\n \n\t"), "input is empty");
}

#[test]
fn binary_garbage_is_a_clear_error() {
    let mut garbage = b"\x7fELF\x02\x01\x01".to_vec();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    assert_error(&huntbrief(&["analyze"], &garbage), "binary data");
}

#[test]
fn a_50_mb_file_is_refused_without_reading_it_all() {
    let dir = std::env::temp_dir().join(format!("huntbrief-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.txt");
    let line = "The actor used a loader against logistics firms in Europe.\n";
    std::fs::write(&path, line.repeat(50 * 1024 * 1024 / line.len())).unwrap();
    let out = huntbrief(&["analyze", path.to_str().unwrap()], b"");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_error(&out, "MiB article limit");
}

#[test]
fn a_50_mb_stream_on_stdin_is_refused() {
    let big = vec![b'a'; 50 * 1024 * 1024];
    assert_error(&huntbrief(&["analyze", "-"], &big), "MiB article limit");
}

#[test]
fn invalid_utf8_still_gives_a_briefing_with_fallback_lines() {
    let out = huntbrief(
        &["analyze", "--title", "Caf\u{e9}"],
        b"Le caf\xe9 \xff\xfe attack report.\n",
    );
    assert_no_panic(&out);
    assert!(out.status.success());
    let md = stdout(&out);
    assert!(
        md.contains("Le caf\u{fffd} \u{fffd}\u{fffd} attack report."),
        "{md}"
    );
    assert!(md.contains("_(none detected from narrative keywords)_"));
}

#[test]
fn html_without_text_is_a_clear_error() {
    assert_error(
        &huntbrief(
            &["analyze"],
            b"<!DOCTYPE html><html><body><nav><a href=/>Home</a></nav></body></html>",
        ),
        "no readable article text",
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    assert_error(
        &huntbrief(&["analyze", "/nonexistent/article.txt"], b""),
        "cannot open /nonexistent/article.txt",
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let out = huntbrief(&["analyze", "--published", "15/02/2023"], b"text");
    assert_eq!(out.status.code(), Some(2));
    let out = huntbrief(&["analyze", "--format", "pdf"], b"text");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn deeply_nested_and_hostile_html_does_not_panic() {
    let mut html = String::from("<!DOCTYPE html><html><body>");
    html.push_str(&"<div>".repeat(5000));
    html.push_str(
        "<p>Nested text with <script>alert(1)</script> and ```fences``` and # hashes.</p>",
    );
    html.push_str(&"</div>".repeat(5000));
    html.push_str("</body></html>");
    let out = huntbrief(&["analyze"], html.as_bytes());
    assert_no_panic(&out);
}
