//! (being written: see issue 8)

use super::{Exported, Files};

pub fn files(_items: &[Exported<'_>]) -> Files {
    Files::new()
}
