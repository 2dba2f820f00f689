//! ATT&CK technique inference with evidence.

pub mod import;
pub mod table;

pub use table::Table;

use crate::kb::KbError;
use crate::model::TechniqueHit;

/// Everything the technique stage knows: the technique table.
#[derive(Debug)]
pub struct AttackKb {
    pub table: Table,
}

impl AttackKb {
    pub const FILES: [&'static str; 2] = [Table::FILE, Table::TACTICS_FILE];

    pub fn parse(source: impl Fn(&'static str) -> String) -> Result<Self, KbError> {
        Ok(Self {
            table: Table::parse(&source(Table::FILE), &source(Table::TACTICS_FILE))?,
        })
    }
}

/// The techniques `text` describes, each with its evidence sentences.
pub fn infer(_text: &str, _kb: &AttackKb) -> Vec<TechniqueHit> {
    Vec::new()
}
