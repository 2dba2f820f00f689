//! Integration tests of the `huntbrief` command (one test binary for the crate).

mod analyze;
mod export;
mod farm;
mod hostile;
mod pipeline;
mod robustness;
mod scale;
mod server;
mod webhook;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// Path of a file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs the huntbrief binary with `args`, feeding `stdin`.
pub fn huntbrief(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_huntbrief"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the huntbrief binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    // The child may refuse input early (a size limit); a broken pipe is then expected.
    let _ = input.write_all(stdin);
    drop(input);
    child
        .wait_with_output()
        .expect("huntbrief runs to completion")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("output is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
