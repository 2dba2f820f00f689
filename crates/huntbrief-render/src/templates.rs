//! `_TEMPLATES.md`: the shared IOC-substitution hunts that every briefing's IOC-driven
//! block links to. Generated from the same sweep definitions (`data/hunts/sweeps.toml`)
//! and backends that fill the sweeps, so the templates and the filled queries never
//! drift apart.

use std::fmt::Write;
use std::sync::LazyLock;

use huntbrief_core::hunts::HuntKb;
use huntbrief_core::hunts::sweeps::{Template, template_queries};

use crate::escape::fence;

/// The file's contents, generated once from the embedded hunt definitions.
pub static TEMPLATES_MD: LazyLock<String> = LazyLock::new(|| match HuntKb::embedded() {
    Ok(kb) => render(&kb),
    // The embedded data is checked by tests; never leave the file without its sections.
    Err(e) => format!("# IOC-driven hunt templates\n\nThe hunt definitions did not load: {e}\n"),
});

/// The file name, written one folder above the per-day briefing folders.
pub const FILE_NAME: &str = "_TEMPLATES.md";

const INTRO: &str = "# IOC-driven hunt templates

The three standard IOC-substitution hunts that briefings point to under \"IOC-driven hunts\".
Replace each `{{…}}` placeholder with the briefing's values, refanged, each in double
quotes and comma-separated (`\"203.0.113.7\",\"198.51.100.20\"`). The values in a briefing are
shown defanged; refang them (`[.]` → `.`, `hxxp` → `http`) before pasting. A condition
whose list would stay empty can be deleted with its `OR`/`or`.
";

/// `_TEMPLATES.md` for the sweeps of `kb`.
pub fn render(kb: &HuntKb) -> String {
    let mut out = String::from(INTRO);
    for t in Template::ALL {
        let description = kb
            .sweeps
            .iter()
            .find(|d| d.template == t)
            .map(|d| d.description.as_str())
            .unwrap_or_default();
        out.truncate(out.trim_end().len());
        let _ = write!(
            out,
            "\n\n## {}\n\n{} · phase: **{}** · confidence: **{}**\n\n{description}\n\n",
            t.heading(),
            t.title(),
            t.phase().as_str(),
            t.confidence().as_str(),
        );
        for (backend, query) in template_queries(kb, t) {
            let _ = write!(
                out,
                "**{}:**\n{}\n",
                backend.label(),
                fence(backend.fence_lang(), &query)
            );
        }
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn generated_from_the_sweep_definitions() {
        // The network template is the rules of sweeps.toml: connections and DNS lookups.
        assert!(TEMPLATES_MD.contains("datamodel=Network_Traffic.All_Traffic"));
        assert!(TEMPLATES_MD.contains("datamodel=Network_Resolution.DNS"));
        assert!(TEMPLATES_MD.contains("RemoteIP in~ ({{IP_LIST}})"));
        assert!(TEMPLATES_MD.contains("CveId in~ ({{CVE_LIST}})"));
        assert!(TEMPLATES_MD.contains("**Sentinel KQL:**"));
    }
}
