//! `huntbrief templates`: prints `_TEMPLATES.md`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use huntbrief_render::templates::TEMPLATES_MD;

pub fn run() -> Result<ExitCode> {
    std::io::stdout()
        .lock()
        .write_all(TEMPLATES_MD.as_bytes())
        .context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
