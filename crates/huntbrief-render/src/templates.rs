//! `_TEMPLATES.md`: the shared IOC-substitution hunts that every briefing's IOC-driven
//! block links to. The queries are knowledge, so they live in `data/templates.md`.

/// The file's contents.
pub const TEMPLATES_MD: &str = include_str!("../../../data/templates.md");

/// The file name, written one folder above the per-day briefing folders.
pub const FILE_NAME: &str = "_TEMPLATES.md";

#[cfg(test)]
mod tests {
    use super::*;
    use huntbrief_core::hunts::sweeps::Template;

    /// GitHub-style anchor of a Markdown heading.
    fn anchor(heading: &str) -> String {
        heading
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect()
    }

    #[test]
    fn every_sweep_template_has_its_anchor_phase_and_both_queries() {
        let sections: Vec<(&str, &str)> = TEMPLATES_MD
            .split("\n## ")
            .skip(1)
            .map(|s| s.split_once('\n').unwrap_or((s, "")))
            .collect();
        for template in Template::ALL {
            let (_, body) = sections
                .iter()
                .find(|(heading, _)| anchor(heading) == template.anchor())
                .unwrap_or_else(|| panic!("no section for #{}", template.anchor()));
            assert!(body.contains(&format!("phase: **{}**", template.phase().as_str())));
            assert!(body.contains("**Splunk SPL (CIM):**\n```spl\n| tstats"));
            assert!(body.contains("**Defender KQL:**\n```kql\n"));
            assert!(
                body.contains("{{"),
                "section #{} has no placeholder",
                template.anchor()
            );
        }
    }

    #[test]
    fn fences_are_balanced() {
        assert_eq!(TEMPLATES_MD.matches("```").count() % 2, 0);
    }
}
