//! The knowledge base, with data files replaced from `--data DIR` where it has them.

use std::collections::HashMap;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{Context, Result};
use huntbrief_core::KnowledgeBase;
use huntbrief_core::kb::EMBEDDED;

pub fn load(dir: Option<&Path>) -> Result<KnowledgeBase> {
    let mut overrides = HashMap::new();
    if let Some(dir) = dir {
        for name in EMBEDDED.names() {
            let path = dir.join(name);
            match fs::read_to_string(&path) {
                Ok(text) => {
                    tracing::info!("using {} instead of the built-in {name}", path.display());
                    overrides.insert(name, text);
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
            }
        }
    }
    KnowledgeBase::load(|name| overrides.get(name).cloned())
        .context("the knowledge base did not load")
}
