//! Article kind (campaign, vulnerability, tutorial, ...). Built in the triage issue; until
//! then every article is `other`, which claims nothing about it.

use crate::model::Kind;

pub fn classify(_title: &str, _text: &str) -> Kind {
    Kind::Other
}
