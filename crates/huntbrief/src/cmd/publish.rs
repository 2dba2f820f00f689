//! `huntbrief publish`: writes the briefing folder and the configured exports from the
//! store, without polling. With a shared database, the process that publishes for the
//! workers (`huntbrief worker --no-publish` elsewhere).

use std::process::ExitCode;

use anyhow::Result;

use crate::cmd::run::{RunArgs, State, publish_all};

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let state = State::open(&args.common)?;
    let published = publish_all(&state, &args)?;
    println!(
        "{} file(s) written, {} removed",
        published.written, published.removed
    );
    Ok(ExitCode::SUCCESS)
}
