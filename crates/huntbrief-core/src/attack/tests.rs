//! End-to-end behaviour of technique inference on real-looking article text.

use super::*;

fn kb() -> AttackKb {
    AttackKb::embedded()
}

fn ids(text: &str) -> Vec<String> {
    infer(text, &kb()).into_iter().map(|t| t.id).collect()
}

#[test]
fn every_technique_has_evidence_a_current_name_and_tactics() {
    let text = "The operators executed schtasks /create /tn Updater to persist. \
                They then dumped LSASS memory with ProcDump and ran vssadmin delete shadows /all /quiet.";
    let hits = infer(text, &kb());
    let got: Vec<&str> = hits.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(got, ["T1003.001", "T1053.005", "T1490"]);
    for t in &hits {
        assert!(!t.evidence.is_empty() && !t.details.is_empty());
        assert!(!t.tactics.is_empty());
        assert!(t.confidence > 0.5 && t.confidence <= 1.0);
        assert!(text.contains(&t.details[0].sentence));
        assert_eq!(&text[t.details[0].start..t.details[0].end], t.details[0].sentence);
    }
    assert_eq!(hits[1].name, "Scheduled Task/Job: Scheduled Task");
}
