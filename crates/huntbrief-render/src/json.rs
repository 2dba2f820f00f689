//! The briefing as JSON (DESIGN.md's contract; every model field is included).

use huntbrief_core::Briefing;

/// Pretty-printed JSON of one briefing, ending in a newline.
pub fn render(b: &Briefing) -> String {
    let mut s = serde_json::to_string_pretty(b).unwrap_or_else(|e| {
        // Plain owned data always serialises; should that ever change, say so in JSON.
        serde_json::json!({ "error": format!("briefing could not be serialised: {e}") }).to_string()
    });
    s.push('\n');
    s
}
