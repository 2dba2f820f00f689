//! Name-based (version 5) UUIDs under huntbrief's own namespace: the same name always gives
//! the same id, so re-exports are stable and other tools update objects instead of
//! duplicating them.

use uuid::Uuid;

/// huntbrief's namespace: the v5 UUID of `huntbrief` in the URL namespace.
fn namespace() -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        b"https://github.com/huntbrief/huntbrief",
    )
}

/// The id of `name` (a string that says what the object is, e.g. `stix:indicator:{briefing}:{type}:{value}`).
pub fn uuid5(name: &str) -> Uuid {
    Uuid::new_v5(&namespace(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_distinct_and_version_5() {
        let a = uuid5("misp:event:0123456789abcdef");
        assert_eq!(a, uuid5("misp:event:0123456789abcdef"));
        assert_ne!(a, uuid5("misp:event:0123456789abcdee"));
        assert_eq!(a.get_version_num(), 5);
    }
}
